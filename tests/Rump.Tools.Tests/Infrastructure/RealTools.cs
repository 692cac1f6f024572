using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;

namespace Rump.Tools.Tests;

/// <summary>The real tools that make and check images: mkfs.fat, mtools, fsck.fat, sfdisk, sgdisk.</summary>
public static class RealTools
{
    /// <summary>Runs a tool; throws with its output when it fails (a fixture that did not build is a broken test).</summary>
    public static string Run(string tool, params string[] args) => RunIn(null, tool, args);

    public static string RunIn(string? workingDirectory, string tool, params string[] args)
    {
        var result = Exec(workingDirectory, tool, args);
        if (result.ExitCode != 0)
            throw new InvalidOperationException(tool + " " + string.Join(' ', args) + " failed (" + result.ExitCode + "):\n" + result.Stdout + result.Stderr);
        return result.Stdout;
    }

    public static (int ExitCode, string Stdout, string Stderr) Exec(string? workingDirectory, string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (workingDirectory is not null)
            start.WorkingDirectory = workingDirectory;
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["MTOOLS_SKIP_CHECK"] = "1";
        start.Environment["LC_ALL"] = "C.UTF-8";
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.Result);
    }

    /// <summary>Bytes a tool writes to standard output (mcopy -i img ::/f -).</summary>
    public static byte[] RunBytes(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["MTOOLS_SKIP_CHECK"] = "1";
        start.Environment["LC_ALL"] = "C.UTF-8";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var buffer = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(buffer);
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException(tool + " " + string.Join(' ', args) + " failed: " + stderr.Result);
        return buffer.ToArray();
    }

    public static bool Exists(string tool)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            if (dir.Length > 0 && File.Exists(Path.Combine(dir, tool)))
                return true;
        }
        return File.Exists(Path.Combine("/usr/sbin", tool)) || File.Exists(Path.Combine("/sbin", tool));
    }
}

/// <summary>A FAT image made by mkfs.fat and filled by mtools, in its own temp folder.</summary>
public sealed class FatImage : IDisposable
{
    private FatImage(string folder, string path)
    {
        Folder = folder;
        Path = path;
    }

    /// <summary>The temp folder (the working directory of the tool in tests); removed on dispose.</summary>
    public string Folder { get; }

    /// <summary>Full path of the image.</summary>
    public string Path { get; }

    /// <summary>The image's file name, as tests write it in locations (relative to <see cref="Folder"/>).</summary>
    public string Name => System.IO.Path.GetFileName(Path);

    /// <summary>mtools' address of the file system: the image, with @@offset for a partition.</summary>
    public string MtoolsImage { get; private set; } = "";

    public static FatImage Create(int fatBits, int sizeKiB, string label = "RUMPTEST", string name = "disk.img")
    {
        var folder = Directory.CreateTempSubdirectory("rumpctl-test-").FullName;
        var path = System.IO.Path.Combine(folder, name);
        RealTools.Run("mkfs.fat", "-C", "-F", fatBits.ToString(), "-n", label, "--invariant", path, sizeKiB.ToString());
        return new FatImage(folder, path) { MtoolsImage = path };
    }

    /// <summary>An MBR disk (sfdisk) with FAT file systems in the given partitions (sizes in MiB), formatted in place.</summary>
    public static FatImage CreatePartitioned(bool gpt, params int[] partitionMiB)
    {
        var folder = Directory.CreateTempSubdirectory("rumpctl-test-").FullName;
        var path = System.IO.Path.Combine(folder, "parts.img");
        var totalMiB = 2 + partitionMiB.Length;
        foreach (var size in partitionMiB)
            totalMiB += size;
        using (var f = File.Create(path))
            f.SetLength((long)totalMiB << 20);
        var script = new StringBuilder(gpt ? "label: gpt\n" : "label: dos\n");
        foreach (var size in partitionMiB)
            script.Append("size=").Append(size).Append("MiB, type=").Append(gpt ? "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7" : "c").Append('\n');
        var scriptFile = System.IO.Path.Combine(folder, "layout.sfdisk");
        File.WriteAllText(scriptFile, script.ToString());
        RealTools.Run("/bin/sh", "-c", "sfdisk --no-reread --no-tell-kernel -q '" + path + "' < '" + scriptFile + "'");
        var image = new FatImage(folder, path) { MtoolsImage = path };
        for (var i = 0; i < partitionMiB.Length; i++)
        {
            var start = image.PartitionStartSector(i + 1);
            RealTools.Run("mkfs.fat", "-F", "16", "-n", "PART" + (i + 1), "--invariant", "--offset", start.ToString(), path, (partitionMiB[i] * 1024).ToString());
        }
        return image;
    }

    /// <summary>Start sector of partition <paramref name="number"/>, read back from sfdisk's dump.</summary>
    public long PartitionStartSector(int number)
    {
        var dump = RealTools.Run("sfdisk", "-d", Path);
        foreach (var line in dump.Split('\n'))
        {
            if (!line.StartsWith(Path + number.ToString() + " ", StringComparison.Ordinal) && !line.StartsWith(Path + number.ToString() + ":", StringComparison.Ordinal))
                continue;
            var startIndex = line.IndexOf("start=", StringComparison.Ordinal) + "start=".Length;
            var end = line.IndexOf(',', startIndex);
            return long.Parse(line.Substring(startIndex, end - startIndex).Trim());
        }
        throw new InvalidOperationException("partition " + number + " not in sfdisk -d output:\n" + dump);
    }

    /// <summary>The same image seen by mtools at partition <paramref name="number"/> (image@@byte-offset).</summary>
    public FatImage Partition(int number) => new(Folder, Path) { MtoolsImage = Path + "@@" + (PartitionStartSector(number) * 512) };

    public void Mkdir(params string[] paths)
    {
        foreach (var p in paths)
            RealTools.Run("mmd", "-i", MtoolsImage, "::" + p);
    }

    /// <summary>Writes a host file with <paramref name="content"/> and copies it into the image with mcopy.</summary>
    public void Put(string pathInImage, byte[] content)
    {
        var host = System.IO.Path.Combine(Folder, "put-" + Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(host, content);
        RealTools.Run("mcopy", "-i", MtoolsImage, host, "::" + pathInImage);
        File.Delete(host);
    }

    public void Put(string pathInImage, string text) => Put(pathInImage, Encoding.UTF8.GetBytes(text));

    /// <summary>A file's bytes as mtools reads them.</summary>
    public byte[] Read(string pathInImage) => RealTools.RunBytes("mcopy", "-n", "-i", MtoolsImage, "::" + pathInImage, "-");

    /// <summary>Recursive bare listing by mtools (mdir -/ -b): one full path per line, directories end with '/'.</summary>
    public List<string> ListRecursive()
    {
        var lines = new List<string>();
        var (code, stdout, stderr) = RealTools.Exec(null, "mdir", "-/", "-b", "-i", MtoolsImage, "::/");
        if (code != 0 && stderr.Contains("not found", StringComparison.Ordinal) && stdout.Length == 0)
            return lines;   // mdir -b of an empty root says "::/ not found"
        if (code != 0)
            throw new InvalidOperationException("mdir -/ -b -i " + MtoolsImage + " failed: " + stderr);
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            lines.Add(line.StartsWith("::", StringComparison.Ordinal) ? line.Substring(2) : line);
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    /// <summary>Names in one directory as mtools lists them (long name when there is one).</summary>
    public List<string> ListNames(string directory)
    {
        var names = new List<string>();
        foreach (var line in RealTools.Run("mdir", "-b", "-i", MtoolsImage, "::" + directory).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var trimmed = line.StartsWith("::", StringComparison.Ordinal) ? line.Substring(2) : line;
            trimmed = trimmed.TrimEnd('/');
            var name = trimmed.Substring(trimmed.LastIndexOf('/') + 1);
            if (name is not "." and not "..")
                names.Add(name);
        }
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>fsck.fat -n: exit code 0 means clean.</summary>
    public (int ExitCode, string Output) Fsck()
    {
        var (code, stdout, stderr) = RealTools.Exec(null, "fsck.fat", "-n", Path);
        return (code, stdout + stderr);
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}
