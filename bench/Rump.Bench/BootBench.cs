using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using Rump.Testing;

namespace Rump.Bench;

/// <summary>
/// Boot time of the posix kernel, as a host sees it (load by path, boot, one system call):
/// - first boot: the first kernel in this process, including loading and JIT;
/// - new-context boot: another instance in a fresh load context (collectible code is JIT-compiled again);
/// - warm boot: boot after shutdown in the same load context (code already compiled) — the goal is under 1 ms;
/// - shutdown: the warm instance's shutdown (hooks, callout thread, host handles);
/// - getpid: one system call round trip (lwp, virtual CPU, dispatch).
/// </summary>
internal static class BootBench
{
    public static int Run(string[] args)
    {
        int warmRuns = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
        // Optional second argument: another kernel assembly (e.g. one built with -p:RumpComponents=…).
        var path = args.Length > 1 ? System.IO.Path.GetFullPath(args[1]) : TestKernel.KernelPath();
        Console.WriteLine("kernel: " + path);

        // Wall time suffers when the machine is loaded; process CPU time (all threads) says what the
        // boot itself cost.
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var loader = RumpKernelLoader.Load(path);
        var kernel = loader.Factory.Boot(new BootOptions { VirtualCpus = 2 });
        Check(kernel.Sys.GetPid(out _));
        var first = sw.Elapsed;
        var firstCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
        Console.WriteLine(kernel.Banner);
        kernel.Shutdown();

        var newContext = new List<double>();
        var newContextCpu = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            var c0 = Process.GetCurrentProcess().TotalProcessorTime;
            sw.Restart();
            var other = RumpKernelLoader.Boot(path, new BootOptions { VirtualCpus = 2 });
            Check(other.Sys.GetPid(out _));
            newContext.Add(sw.Elapsed.TotalMilliseconds);
            newContextCpu.Add((Process.GetCurrentProcess().TotalProcessorTime - c0).TotalMilliseconds);
            other.Shutdown();
        }

        // System-call round trip (enter: lwp + virtual CPU, getpid, exit) on a booted instance.
        var syscall = new List<double>();
        using (var k = RumpKernelLoader.Boot(path, new BootOptions { VirtualCpus = 2 }))
        {
            const int batch = 100_000;
            for (int round = 0; round < 12; round++)
            {
                sw.Restart();
                for (int i = 0; i < batch; i++)
                    k.Sys.GetPid(out _);
                if (round >= 2)
                    syscall.Add(sw.Elapsed.TotalMilliseconds / batch);
            }
        }

        var boot = new List<double>();
        var shutdown = new List<double>();
        string? warmFailure = null;
        for (int i = 0; i < warmRuns + 20 && warmFailure is null; i++)
        {
            sw.Restart();
            IRumpKernel warm;
            try
            {
                warm = loader.Factory.Boot(new BootOptions { VirtualCpus = 2 });
            }
            catch (Exception e)
            {
                // A component that cannot boot twice in one load context (see docs/contracts.md, warm boot).
                warmFailure = e.Message;
                break;
            }
            Check(warm.Sys.GetPid(out _));
            var booted = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            warm.Shutdown();
            var stopped = sw.Elapsed.TotalMilliseconds;
            if (i >= 20)
            {
                boot.Add(booted);
                shutdown.Add(stopped);
            }
        }
        loader.Unload();

        Console.WriteLine();
        Console.WriteLine("| measurement                             | median     | min        | p90        | goal    |");
        Console.WriteLine("|-----------------------------------------|------------|------------|------------|---------|");
        Row("first boot (load + JIT + boot + getpid)", [first.TotalMilliseconds], "");
        Row("  the same, process CPU time", [firstCpu.TotalMilliseconds], "");
        Row("boot in a new load context (JIT again)", newContext, "");
        Row("  the same, process CPU time", newContextCpu, "");
        if (warmFailure is null)
        {
            Row("warm boot (same context) + getpid", boot, "< 1 ms");
            Row("shutdown (warm)", shutdown, "");
        }
        Row("getpid system call round trip", syscall, "");
        if (warmFailure is not null)
            Console.WriteLine("warm boot: not measured, the kernel could not boot again in its load context: " + warmFailure);
        Console.WriteLine();
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "warm runs: {0}; {1} cores; .NET {2}; load average {3}", boot.Count, Environment.ProcessorCount, Environment.Version, LoadAverage()));
        return 0;
    }

    private static string LoadAverage()
    {
        try
        {
            var text = System.IO.File.ReadAllText("/proc/loadavg").Split(' ');
            return text[0] + " " + text[1] + " " + text[2];
        }
        catch (Exception)
        {
            return "unknown";
        }
    }

    private static void Check(int errno)
    {
        if (errno != 0)
            throw new InvalidOperationException("system call failed: errno " + errno);
    }

    private static void Row(string name, IReadOnlyList<double> ms, string goal)
    {
        var sorted = ms.OrderBy(x => x).ToArray();
        double median = sorted[sorted.Length / 2];
        double p90 = sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.9))];
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "| {0,-39} | {1,10} | {2,10} | {3,10} | {4,-7} |",
            name, Format(median), Format(sorted[0]), Format(p90), goal));
    }

    private static string Format(double ms) => ms switch
    {
        < 0.01 => (ms * 1_000_000).ToString("0", CultureInfo.InvariantCulture) + " ns",
        < 1 => (ms * 1000).ToString("0", CultureInfo.InvariantCulture) + " µs",
        _ => ms.ToString("0.00", CultureInfo.InvariantCulture) + " ms",
    };
}
