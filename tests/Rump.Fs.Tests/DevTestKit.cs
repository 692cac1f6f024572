using System;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Text.Json;
using Rump;
using Rump.Testing;

namespace Rump.Fs.Tests;

/// <summary>
/// What the dev tests share: scratch images, the real partitioning tools (sfdisk, sgdisk), and a
/// booted kernel whose console is captured.
/// </summary>
internal static class DevTestKit
{
    /// <summary>A fresh directory under the system temp folder, removed by the caller's Dispose.</summary>
    public static ScratchDir Scratch() => new();

    /// <summary>Runs a host tool and returns its stdout; fails the test with its stderr when the exit code differs.</summary>
    public static string Run(string tool, string arguments, string? stdin = null, int expectedExit = 0)
    {
        var psi = new ProcessStartInfo(tool, arguments)
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["LC_ALL"] = "C";
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + tool);
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != expectedExit)
            throw new InvalidOperationException(tool + " " + arguments + " exited " + p.ExitCode + ": " + stderr.Result);
        return stdout.Result;
    }

    /// <summary>Runs a host tool and returns what it printed on stdout and stderr (sgdisk warns on stderr).</summary>
    public static string RunAll(string tool, string arguments)
    {
        var psi = new ProcessStartInfo(tool, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["LC_ALL"] = "C";
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + tool);
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return stdout + stderr.Result;
    }

    /// <summary>A zero-filled image file of <paramref name="bytes"/>.</summary>
    public static string CreateImage(string dir, string name, long bytes)
    {
        var path = Path.Combine(dir, name);
        using var f = new FileStream(path, System.IO.FileMode.CreateNew);
        f.SetLength(bytes);
        return path;
    }

    /// <summary>The partitions as `sfdisk -J` reports them: number, start, size (sectors), type.</summary>
    public static List<ToolPartition> SfdiskPartitions(string image)
    {
        using var json = JsonDocument.Parse(Run("sfdisk", "-J " + Quote(image)));
        var table = json.RootElement.GetProperty("partitiontable");
        var device = table.GetProperty("device").GetString()!;
        var result = new List<ToolPartition>();
        foreach (var p in table.GetProperty("partitions").EnumerateArray())
        {
            var node = p.GetProperty("node").GetString()!;
            var number = int.Parse(node.Substring(device.Length), System.Globalization.CultureInfo.InvariantCulture);
            result.Add(new ToolPartition(number, p.GetProperty("start").GetInt64(), p.GetProperty("size").GetInt64(),
                p.GetProperty("type").GetString()!));
        }
        return result;
    }

    /// <summary>The partitions as `sgdisk -p` prints them: number, start, size (end - start + 1), code.</summary>
    public static List<ToolPartition> SgdiskPartitions(string image)
    {
        var result = new List<ToolPartition>();
        var inTable = false;
        foreach (var line in Run("sgdisk", "-p " + Quote(image)).Split('\n'))
        {
            if (line.StartsWith("Number", StringComparison.Ordinal))
            {
                inTable = true;
                continue;
            }
            var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (!inTable || cols.Length < 6)
                continue;
            var start = long.Parse(cols[1], System.Globalization.CultureInfo.InvariantCulture);
            var end = long.Parse(cols[2], System.Globalization.CultureInfo.InvariantCulture);
            result.Add(new ToolPartition(int.Parse(cols[0], System.Globalization.CultureInfo.InvariantCulture), start, end - start + 1, cols[5]));
        }
        return result;
    }

    /// <summary>Writes a recognisable 512-byte sector ("tag" then filler) at a sector of the image.</summary>
    public static void WriteMarker(string image, long sector, string tag)
    {
        using var f = new FileStream(image, System.IO.FileMode.Open, FileAccess.Write);
        f.Position = sector * 512;
        f.Write(Marker(tag));
    }

    public static byte[] Marker(string tag)
    {
        var sector = new byte[512];
        sector.AsSpan().Fill((byte)'.');
        Encoding.ASCII.GetBytes(tag).CopyTo(sector, 0);
        return sector;
    }

    /// <summary>Flips bits of one byte of the image (a corruption the tools' checksums notice).</summary>
    public static void CorruptByte(string image, long offset)
    {
        using var f = new FileStream(image, System.IO.FileMode.Open, FileAccess.ReadWrite);
        f.Position = offset;
        var b = f.ReadByte();
        f.Position = offset;
        f.WriteByte((byte)(b ^ 0x5A));
    }

    /// <summary>
    /// Sets the EndingLBA of GPT entry <paramref name="entryIndex"/> in the table whose header is at
    /// <paramref name="headerLba"/>, and recomputes that table's entry-array and header CRC32s the way
    /// UEFI defines them, so only the semantic damage remains.
    /// </summary>
    public static void PatchGptEntryEnd(string image, long headerLba, int entryIndex, long endingLba)
    {
        using var f = new FileStream(image, System.IO.FileMode.Open, FileAccess.ReadWrite);
        var header = new byte[512];
        f.Position = headerLba * 512;
        f.ReadExactly(header);
        var headerSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(12));
        var entriesLba = (long)BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(72));
        var count = (int)BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(80));
        var size = (int)BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(84));
        var entries = new byte[count * size];
        f.Position = entriesLba * 512;
        f.ReadExactly(entries);
        BinaryPrimitives.WriteUInt64LittleEndian(entries.AsSpan(entryIndex * size + 40), (ulong)endingLba);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(88), Crc32(entries));
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), Crc32(header.AsSpan(0, headerSize)));
        f.Position = entriesLba * 512;
        f.Write(entries);
        f.Position = headerLba * 512;
        f.Write(header);
    }

    /// <summary>CRC-32 (IEEE), bit by bit: the test's own reference, independent of the kernel's table.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }

    public static string Quote(string path) => "\"" + path + "\"";

    /// <summary>Boots a kernel with boot parameters and captures its console.</summary>
    public static BootedKernel Boot(IReadOnlyDictionary<string, string> parameters, long memoryLimit = 0, bool verbose = false)
        => new(parameters, memoryLimit, verbose);
}

internal readonly record struct ToolPartition(int Number, long Start, long Size, string Type);

internal sealed class ScratchDir : IDisposable
{
    public ScratchDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rump-dev-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A booted kernel for one test; the console lines are kept for assertions on kernel log lines.</summary>
internal sealed class BootedKernel : IDisposable
{
    private readonly ConcurrentQueue<string> _console = new();

    public BootedKernel(IReadOnlyDictionary<string, string> parameters, long memoryLimit, bool verbose, int virtualCpus = 1)
    {
        Kernel = TestKernel.Boot(new BootOptions
        {
            Parameters = parameters,
            MemoryLimit = memoryLimit,
            Verbose = verbose,
            VirtualCpus = virtualCpus,
            Console = _console.Enqueue,
        });
    }

    public IRumpKernel Kernel { get; }
    public ISyscalls Sys => Kernel.Sys;
    public string Console => string.Join("\n", _console);

    /// <summary>Opens a path and fails the test on an errno.</summary>
    public int Open(string path, int flags)
    {
        var error = Sys.Open(path, flags, 0, out var fd);
        Assert.True(error == 0, "open " + path + ": " + ErrnoText.Describe(error));
        return fd;
    }

    /// <summary>pread of <paramref name="count"/> bytes; returns errno and the bytes read.</summary>
    public int PRead(int fd, long offset, int count, out byte[] data)
    {
        var buffer = new byte[count];
        var error = Sys.PRead(fd, buffer, offset, out var n);
        data = buffer.AsSpan(0, error == 0 ? (int)n : 0).ToArray();
        return error;
    }

    /// <summary>Reads one whole sector that must be there.</summary>
    public byte[] ReadSector(int fd, long sector)
    {
        var error = PRead(fd, sector * 512, 512, out var data);
        Assert.Equal(0, error);
        Assert.Equal(512, data.Length);
        return data;
    }

    public void Dispose() => Kernel.Dispose();
}
