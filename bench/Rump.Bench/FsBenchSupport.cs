using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace Rump.Bench;

/// <summary>Images, processes and timing for the fs benchmarks. Images are made by mkfs.fat and mtools.</summary>
internal static class FsBenchSupport
{
    public static string WorkDirectory(string[] args)
    {
        var dir = Option(args, "--dir") ?? Path.Combine(Path.GetTempPath(), "rump-bench-fs");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public static int IntOption(string[] args, string name, int fallback)
        => Option(args, name) is string s ? int.Parse(s, CultureInfo.InvariantCulture) : fallback;

    /// <summary>A host file of <paramref name="bytes"/> pseudo-random bytes (incompressible, deterministic).</summary>
    public static string RandomFile(string dir, string name, long bytes)
    {
        var path = Path.Combine(dir, name);
        if (File.Exists(path) && new FileInfo(path).Length == bytes)
            return path;
        var random = new Random(1234);
        var chunk = new byte[1 << 20];
        using var f = new FileStream(path, System.IO.FileMode.Create, FileAccess.Write, FileShare.None, 0);
        for (long done = 0; done < bytes; done += chunk.Length)
        {
            random.NextBytes(chunk);
            f.Write(chunk, 0, (int)Math.Min(chunk.Length, bytes - done));
        }
        return path;
    }

    /// <summary>A fresh FAT32 image of <paramref name="mib"/> MiB (mkfs.fat), optionally with host files copied in by mcopy.</summary>
    public static string FatImage(string dir, string name, int mib, params (string Host, string InImage)[] files)
    {
        var path = Path.Combine(dir, name);
        File.Delete(path);
        Run("mkfs.fat", "-C", "-F", "32", "-n", "BENCH", "--invariant", path, (mib * 1024).ToString(CultureInfo.InvariantCulture));
        foreach (var (host, inImage) in files)
            Run("mcopy", "-i", path, host, "::" + inImage);
        return path;
    }

    public static string Run(string tool, params string[] args)
    {
        var (code, output) = Exec(tool, args);
        if (code != 0)
            throw new InvalidOperationException(tool + " " + string.Join(' ', args) + " failed (" + code + "): " + output);
        return output;
    }

    public static (int Code, string Output) Exec(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
            start.ArgumentList.Add(a);
        start.Environment["MTOOLS_SKIP_CHECK"] = "1";
        using var p = Process.Start(start)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + err.Result);
    }

    /// <summary>Wall time of one whole process run (output discarded); throws when it fails.</summary>
    public static TimeSpan TimeProcess(string tool, params string[] args) => TimeProcessCpu(tool, args).Wall;

    /// <summary>
    /// Wall time and CPU time (user + system, from getrusage(RUSAGE_CHILDREN) around the run) of one whole process
    /// run. CPU time is the steadier figure on a machine shared with other work.
    /// </summary>
    public static (TimeSpan Wall, TimeSpan Cpu) TimeProcessCpu(string tool, params string[] args)
    {
        var cpuBefore = ChildrenCpu();
        var wall = RunTimed(tool, args);
        return (wall, ChildrenCpu() - cpuBefore);
    }

    [StructLayout(LayoutKind.Sequential, Size = 144)]
    private struct RUsage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
    }

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRUsage(int who, out RUsage usage);

    private static TimeSpan ChildrenCpu()
    {
        const int RUSAGE_CHILDREN = -1;
        if (GetRUsage(RUSAGE_CHILDREN, out var u) != 0)
            return TimeSpan.Zero;
        return TimeSpan.FromMicroseconds((u.UserSeconds + u.SystemSeconds) * 1_000_000.0 + u.UserMicroseconds + u.SystemMicroseconds);
    }

    private static TimeSpan RunTimed(string tool, string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
            start.ArgumentList.Add(a);
        start.Environment["MTOOLS_SKIP_CHECK"] = "1";
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(start)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.BaseStream.CopyTo(Stream.Null);
        p.WaitForExit();
        clock.Stop();
        if (p.ExitCode != 0)
            throw new InvalidOperationException(tool + " " + string.Join(' ', args) + " failed (" + p.ExitCode + "): " + err.Result);
        return clock.Elapsed;
    }

    /// <summary>
    /// rumpctl as a user runs it: <c>--rumpctl PATH</c>, else the published tool in <c>artifacts/rumpctl/</c>
    /// (<c>dotnet publish tools/rumpctl -c Release</c>: native, the posix kernel compiled in), else the apphost built
    /// beside this benchmark (JIT-compiled; the figures then say so).
    /// </summary>
    public static (string Tool, string[] Prefix) Rumpctl()
    {
        var args = Environment.GetCommandLineArgs();
        var i = Array.IndexOf(args, "--rumpctl");
        if (i >= 0 && i + 1 < args.Length)
            return (Path.GetFullPath(args[i + 1]), []);
        if (Rump.Tools.KernelLocator.FindRepoRoot(AppContext.BaseDirectory) is string root
            && File.Exists(Path.Combine(root, "artifacts", "rumpctl", "rumpctl")))
            return (Path.Combine(root, "artifacts", "rumpctl", "rumpctl"), []);
        var apphost = Path.Combine(AppContext.BaseDirectory, "rumpctl");
        if (File.Exists(apphost))
            return (apphost, []);
        return ("dotnet", [Path.Combine(AppContext.BaseDirectory, "rumpctl.dll")]);
    }

    /// <summary>Which rumpctl the fs benchmarks run, for the figures' caption.</summary>
    public static string RumpctlDescription()
    {
        var (tool, prefix) = Rumpctl();
        var published = tool.Replace('\\', '/').Contains("/artifacts/rumpctl/", StringComparison.Ordinal);
        // The native tool is one file with no rumpctl.dll beside it; the managed one is an apphost plus rumpctl.dll.
        var native = published && !File.Exists(Path.Combine(Path.GetDirectoryName(tool)!, "rumpctl.dll"));
        return (prefix.Length == 0 ? tool : tool + " " + string.Join(' ', prefix))
            + (native ? " (published, native: Native AOT, posix kernel compiled in)"
                : published ? " (published, managed: ReadyToRun)"
                : " (build output, JIT; publish with `dotnet publish tools/rumpctl -c Release` to measure what users run)");
    }

    public static TimeSpan TimeRumpctl(params string[] args)
    {
        var (tool, prefix) = Rumpctl();
        return TimeProcess(tool, prefix.Concat(args).ToArray());
    }

    /// <summary>Median of <paramref name="runs"/> timings after one warm-up run.</summary>
    public static TimeSpan Median(int runs, Func<TimeSpan> measure)
    {
        measure();
        var times = new List<TimeSpan>();
        for (var i = 0; i < runs; i++)
            times.Add(measure());
        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>
    /// Medians of <paramref name="runs"/> timings of a subject and its peer, taken alternately (after one warm-up
    /// of each), so that both see the same background load on a shared machine.
    /// </summary>
    public static (TimeSpan Subject, TimeSpan Peer) MedianInterleaved(int runs, Func<TimeSpan> subject, Func<TimeSpan> peer)
    {
        subject();
        peer();
        var a = new List<TimeSpan>();
        var b = new List<TimeSpan>();
        for (var i = 0; i < runs; i++)
        {
            a.Add(subject());
            b.Add(peer());
        }
        a.Sort();
        b.Sort();
        return (a[a.Count / 2], b[b.Count / 2]);
    }

    public static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    public static string MiBps(long bytes, TimeSpan t) => (bytes / 1048576.0 / t.TotalSeconds).ToString("0", CultureInfo.InvariantCulture) + " MiB/s";

    public static string Ratio(double r) => r.ToString("0.00", CultureInfo.InvariantCulture) + "×";
}

/// <summary>CPU times of whole-process runs, kept per subject so alternating runs can be compared by their medians.</summary>
internal sealed class ProcessCpuTimes
{
    private readonly Dictionary<string, List<TimeSpan>> _runs = [];

    /// <summary>Runs <paramref name="tool"/> once (<see cref="FsBenchSupport.TimeProcessCpu"/>), keeps its CPU time under <paramref name="key"/> and returns its wall time.</summary>
    public TimeSpan Timed(string key, string tool, params string[] args)
    {
        var (wall, used) = FsBenchSupport.TimeProcessCpu(tool, args);
        if (!_runs.TryGetValue(key, out var list))
            _runs[key] = list = [];
        list.Add(used);
        return wall;
    }

    public TimeSpan Median(string key)
    {
        var list = _runs[key];
        list.Sort();
        return list[list.Count / 2];
    }

    /// <summary>Median CPU time of <paramref name="peer"/> over that of <paramref name="subject"/> (above 1: the subject used less).</summary>
    public double Ratio(string peer, string subject) => Median(peer).TotalSeconds / Median(subject).TotalSeconds;
}
