using System.Threading;

namespace Rump.Kern;

/// <summary>The kernel log (printf/aprint_verbose) on the console hypercall.</summary>
internal static class KernelLog
{
    // Set at boot before any thread starts.
    private static bool s_verbose;

    // Hypercall trace ring: written with an atomic index only, because tracing runs inside every
    // hypercall (including the locking and curlwp ones) and must not make hypercalls itself.
    private static readonly string?[] s_trace = new string?[1024];
    private static long s_traceNext;

    /// <summary>Verbose boot (RUMP_VERBOSE): <see cref="Debug"/> lines reach the console.</summary>
    public static bool Verbose => s_verbose;

    /// <summary>printf: one line to the console.</summary>
    public static void Printf(string line) => Hyp.ConsoleWrite(line);

    /// <summary>aprint_verbose: one line, only with verbose boot.</summary>
    public static void Debug(string line)
    {
        if (s_verbose)
            Hyp.ConsoleWrite(line);
    }

    /// <summary>Number of hypercalls traced since boot (builds with RumpTraceHypercalls=true).</summary>
    public static long TracedHypercalls => Volatile.Read(ref s_traceNext);

    /// <summary>The last traced hypercall names, oldest first.</summary>
    public static string[] RecentHypercalls()
    {
        long end = Volatile.Read(ref s_traceNext);
        long start = end > s_trace.Length ? end - s_trace.Length : 0;
        var names = new string[end - start];
        for (long i = start; i < end; i++)
            names[i - start] = s_trace[i % s_trace.Length] ?? "";
        return names;
    }

    internal static void TraceHypercall(string hypercall)
    {
        long slot = Interlocked.Increment(ref s_traceNext) - 1;
        s_trace[slot % s_trace.Length] = hypercall;
    }

    internal static void Init(bool verbose) => s_verbose = verbose;
}
