namespace Rump.Kern;

/// <summary>A virtual CPU (struct cpu_info). Only the thread whose lwp holds it touches it.</summary>
internal sealed class Cpu
{
    internal Cpu(int index) => Index = index;

    public int Index { get; }

    /// <summary>The lwp running on this CPU, or null when it is free.</summary>
    public Lwp? Current { get; internal set; }

    /// <summary>How many times an lwp was scheduled on this CPU.</summary>
    public long Switches { get; internal set; }
}

/// <summary>
/// Virtual-CPU scheduling (rump's scheduler, sys/rump/librump/rumpkern/scheduler.c, without the
/// affinity tricks). A host thread runs kernel code only while its lwp holds one of the N virtual
/// CPUs; blocking hypercalls give the CPU back (the generated glue calls
/// <see cref="ReleaseForHypercall"/> and <see cref="AcquireAfterHypercall"/> through HypercallUpcalls).
/// </summary>
internal static class Sched
{
    // s_lock is a spin hypercall mutex, entered with MutexEnterNoWrap so that taking it never recurses
    // into the scheduler. It protects s_free, s_freeCount and s_waiting. s_cv (with s_lock) wakes
    // threads waiting for a CPU; they wait holding no CPU, so its blocking glue does not recurse either.
    // s_cpus is written at boot only.
    private static object s_lock = null!;
    private static object s_cv = null!;
    private static Cpu[] s_cpus = [];
    private static Cpu[] s_free = [];
    private static int s_freeCount;
    private static int s_waiting;

    /// <summary>Number of virtual CPUs (ncpu).</summary>
    public static int CpuCount => s_cpus.Length;

    /// <summary>The CPU the calling thread's lwp holds (curcpu), or null outside the kernel.</summary>
    public static Cpu? CurrentCpu => Lwp.Current?.Cpu;

    internal static void Init(int ncpu)
    {
        Hyp.MutexInit(Hyp.MTX_SPIN, out s_lock);
        Hyp.CvInit(out s_cv);
        s_cpus = new Cpu[ncpu];
        s_free = new Cpu[ncpu];
        for (int i = 0; i < ncpu; i++)
        {
            s_cpus[i] = new Cpu(i);
            s_free[ncpu - 1 - i] = s_cpus[i];
        }
        s_freeCount = ncpu;
        s_waiting = 0;
    }

    /// <summary>rump_schedule_cpu: waits for a free virtual CPU and gives it to <paramref name="l"/>.</summary>
    public static void Schedule(Lwp l)
    {
        Hyp.MutexEnterNoWrap(s_lock);
        while (s_freeCount == 0)
        {
            s_waiting++;
            Hyp.CvWait(s_cv, s_lock);
            s_waiting--;
        }
        var cpu = s_free[--s_freeCount];
        Hyp.MutexExit(s_lock);
        cpu.Current = l;
        cpu.Switches++;
        l.Cpu = cpu;
    }

    /// <summary>rump_unschedule_cpu: <paramref name="l"/> gives its CPU back.</summary>
    public static void Unschedule(Lwp l)
    {
        var cpu = l.Cpu;
        if (cpu is null)
            return;
        l.Cpu = null;
        cpu.Current = null;
        Hyp.MutexEnterNoWrap(s_lock);
        s_free[s_freeCount++] = cpu;
        bool wake = s_waiting > 0;
        Hyp.MutexExit(s_lock);
        if (wake)
            Hyp.CvSignal(s_cv);
    }

    /// <summary>Before a blocking hypercall: releases the caller's CPU; false when it held none.</summary>
    internal static bool ReleaseForHypercall()
    {
        if (Hyp.CurLwp() is not Lwp l || l.Cpu is null)
            return false;
        Unschedule(l);
        return true;
    }

    /// <summary>
    /// After a blocking hypercall: takes a CPU again. When the call was a wait on a condition variable
    /// with a spin mutex as interlock, the host gave the mutex back already; release it, take the CPU,
    /// then re-enter it (rumpuser_pth's cv_reschedule), so we never hold the mutex while waiting for a
    /// CPU that a spinner on that mutex holds. After a panic the thread unwinds instead.
    /// </summary>
    internal static void AcquireAfterHypercall()
    {
        if (Hyp.CurLwp() is not Lwp l)
            return;
        var interlock = l.CvInterlock;
        l.CvInterlock = null;
        if (interlock is not null)
        {
            Hyp.MutexExit(interlock);
            Kernel.ThrowIfPanicked();
            Schedule(l);
            Hyp.MutexEnterNoWrap(interlock);
            return;
        }
        Kernel.ThrowIfPanicked();
        Schedule(l);
    }
}
