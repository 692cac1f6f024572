using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;

namespace Rump.Fs.Tests.Support;

/// <summary>Runs the real FAT tools (dosfstools, mtools) on image files: the makers and the oracles of the tests.</summary>
internal static class FatTools
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr, byte[] StdoutBytes);

    public static Result Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["MTOOLS_SKIP_CHECK"] = "1";
        psi.Environment["TZ"] = "UTC";
        psi.Environment["LC_ALL"] = "C.UTF-8";
        using var p = Process.Start(psi)!;
        var ms = new MemoryStream();
        var errTask = p.StandardError.ReadToEndAsync();
        p.StandardOutput.BaseStream.CopyTo(ms);
        p.WaitForExit();
        var bytes = ms.ToArray();
        return new Result(p.ExitCode, Encoding.UTF8.GetString(bytes), errTask.Result, bytes);
    }

    public static Result Check(string tool, params string[] args)
    {
        var r = Run(tool, args);
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed ({r.ExitCode}): {r.Stderr}{r.Stdout}");
        return r;
    }

    /// <summary>mkfs.fat -C -F <paramref name="fatBits"/> --invariant of <paramref name="sizeKiB"/> KiB.</summary>
    public static void MkFs(string image, int fatBits, int sizeKiB, params string[] extra)
    {
        File.Delete(image);
        var args = new List<string> { "-C", "-F", fatBits.ToString(), "-n", "RUMPTEST", "--invariant" };
        args.AddRange(extra);
        args.Add(image);
        args.Add(sizeKiB.ToString());
        Check("mkfs.fat", args.ToArray());
    }

    public static void Mmd(string image, string path) => Check("mmd", "-i", image, "::" + path);

    /// <summary>mcopy -m (keep the host file's modification time) of a host file to <paramref name="path"/>.</summary>
    public static void McopyIn(string image, string hostFile, string path) => Check("mcopy", "-m", "-i", image, hostFile, "::" + path);

    public static byte[] McopyOut(string image, string path) => Check("mcopy", "-n", "-i", image, "::" + path, "-").StdoutBytes;

    /// <summary>fsck.fat -n: exit code 0 when clean, with its output for the failure message.</summary>
    public static Result FsckNoChange(string image) => Run("fsck.fat", "-n", image);

    /// <summary>The recursive bare listing (mdir -/ -b), as sorted paths relative to the root ("/a/b").</summary>
    public static SortedSet<string> Listing(string image)
    {
        var r = Check("mdir", "-/", "-b", "-i", image, "::/");
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var p = line.TrimEnd('\r');
            if (p.StartsWith("::", StringComparison.Ordinal))
                p = p.Substring(2);
            p = p.TrimEnd('/');
            if (p.Length > 0)
                set.Add(p);
        }
        return set;
    }
}
