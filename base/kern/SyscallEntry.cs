namespace Rump.Kern;

/// <summary>
/// The system-call boundary (rump_schedule/rump_unschedule around rump_sys_*): the generated
/// SyscallTable calls <see cref="Enter"/> before and <see cref="Exit"/> after each implementation.
/// A host thread gets an lwp of proc1 and a virtual CPU for the duration of the call. A kernel panic
/// unwinds to here as <see cref="RumpKernelPanicException"/> and reaches the host as that.
/// </summary>
internal static class SyscallEntry
{
    /// <summary>
    /// Schedules the caller. Returns 0 (errno otherwise); throws <see cref="RumpKernelPanicException"/>
    /// when the instance panicked and <see cref="System.ObjectDisposedException"/> after shutdown.
    /// </summary>
    public static int Enter(out Lwp l)
    {
        if (!Kernel.IsRunning)
            Kernel.ThrowNotRunning();
        if (Hyp.CurLwp() is Lwp current)
        {
            // A system call from kernel context (a kernel thread, or a host callback made from a
            // hypercall): it runs on the caller's lwp.
            current.SyscallDepth++;
            if (current.Cpu is null)
                Sched.Schedule(current);
            l = current;
            return 0;
        }
        l = Kernel.Proc1.AllocImplicitLwp();
        l.SyscallDepth = 1;
        Hyp.SetCurLwp(l);
        Sched.Schedule(l);
        return 0;
    }

    /// <summary>Unschedules the caller after the call (also when it unwinds with a panic).</summary>
    public static void Exit(Lwp l)
    {
        if (l is null)
            return;
        if (--l.SyscallDepth > 0 || !l.Implicit)
            return;
        Sched.Unschedule(l);
        Hyp.SetCurLwp(null);
        l.Proc.FreeImplicitLwp(l);
    }
}
