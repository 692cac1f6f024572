namespace Rump.Kern;

/// <summary>Time from the clock hypercalls (getnanotime, getnanouptime, kpause).</summary>
internal static class Clock
{
    public const long NanosecondsPerSecond = 1_000_000_000;

    // Written once at boot.
    private static long s_bootMonotonic;

    /// <summary>Wall-clock time since the Unix epoch.</summary>
    public static void WallTime(out long seconds, out long nanoseconds)
    {
        if (Hyp.ClockGetTime(Hyp.CLOCK_RELWALL, out seconds, out nanoseconds) != 0)
        {
            seconds = 0;
            nanoseconds = 0;
        }
    }

    /// <summary>Monotonic time in nanoseconds (arbitrary origin).</summary>
    public static long MonotonicNanoseconds
    {
        get
        {
            if (Hyp.ClockGetTime(Hyp.CLOCK_ABSMONO, out long s, out long ns) != 0)
                return 0;
            return s * NanosecondsPerSecond + ns;
        }
    }

    /// <summary>Nanoseconds since boot (time_uptime in nanoseconds).</summary>
    public static long UptimeNanoseconds => MonotonicNanoseconds - s_bootMonotonic;

    /// <summary>kpause: sleeps (releasing the virtual CPU) for at least <paramref name="nanoseconds"/>.</summary>
    public static int Sleep(long nanoseconds)
    {
        if (nanoseconds < 0)
            return Errno.EINVAL;
        return Hyp.ClockSleep(Hyp.CLOCK_RELWALL, nanoseconds / NanosecondsPerSecond, nanoseconds % NanosecondsPerSecond);
    }

    internal static void Init() => s_bootMonotonic = MonotonicNanoseconds;
}
