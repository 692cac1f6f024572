using Rump.Kern;

namespace Rump.Vfs;

/// <summary>
/// The syncer (sched_sync / ioflush): a periodic callout that writes delayed writes older than
/// <see cref="Bio.DelayedWriteAge"/> and, every <see cref="MetadataEvery"/> ticks, syncs the mounts.
/// </summary>
internal static class Syncer
{
    /// <summary>Tick period in nanoseconds.</summary>
    public static long Period = 1_000_000_000L;

    /// <summary>Ticks between file system syncs.</summary>
    public static int MetadataEvery = 10;

    private static Callout? s_callout;
    private static int s_ticks;
    private static volatile bool s_running;   // false from Stop on: a tick in progress does not reschedule

    public static void Start()
    {
        s_running = true;
        s_ticks = 0;
        s_callout = new Callout(Tick, null);
        s_callout.Schedule(Period);
    }

    /// <summary>Stops the syncer and waits for a tick in progress (a shutdown hook: before the callout thread stops).</summary>
    public static void Stop()
    {
        s_running = false;
        s_callout?.Halt();
    }

    private static void Tick(object? arg)
    {
        if (!s_running || !Kernel.IsRunning)
            return;
        if (++s_ticks % MetadataEvery == 0)
            Vfs.SyncAll(wait: false, Cred.Root);
        else
            Bio.FlushAll(wait: false, Bio.DelayedWriteAge);
        if (s_running)
            s_callout!.Schedule(Period);
    }
}
