using System;

namespace Rump.Kern;

/// <summary>
/// What the generated hypercall glue and the target call back into the kernel (rumpkern_unsched /
/// rumpkern_sched and friends).
/// </summary>
internal static partial class HypercallUpcalls
{
    /// <summary>Releases the caller's virtual CPU before a blocking hypercall; false if it held none.</summary>
    internal static bool ReleaseCpu() => Sched.ReleaseForHypercall();

    /// <summary>Takes a virtual CPU again after a blocking hypercall that released one.</summary>
    internal static void AcquireCpu() => Sched.AcquireAfterHypercall();

    /// <summary>Hypercall tracing (build with -p:RumpTraceHypercalls=true).</summary>
    internal static void Trace(string hypercall) => KernelLog.TraceHypercall(hypercall);

    /// <summary>
    /// A target's host thread is about to run kernel code (an I/O completion): binds an lwp of proc0 and
    /// takes a virtual CPU. Returns false — run nothing — when the kernel is not running (panicked or
    /// halted). Pair with <see cref="LeaveKernel"/>.
    /// </summary>
    internal static bool EnterKernel(out object? token)
    {
        token = null;
        if (Kernel.State is not (Kernel.StateRunning or Kernel.StateBooting or Kernel.StateStopping))
            return false;
        if (Hyp.CurLwp() is Lwp current)
        {
            // Already kernel context (completion delivered on a kernel thread): nothing to bind.
            if (current.Cpu is null)
            {
                Sched.Schedule(current);
                token = current;
            }
            return true;
        }
        var l = Kernel.Proc0.AllocImplicitLwp();
        Hyp.SetCurLwp(l);
        Sched.Schedule(l);
        token = l;
        return true;
    }

    /// <summary>Undoes <see cref="EnterKernel"/>.</summary>
    internal static void LeaveKernel(object? token)
    {
        if (token is not Lwp l)
            return;
        Sched.Unschedule(l);
        if (l.Implicit)
        {
            Hyp.SetCurLwp(null);
            l.Proc.FreeImplicitLwp(l);
        }
    }

    /// <summary>Kernel code called by a target's host thread threw: a kernel bug, so the instance panics.</summary>
    internal static void KernelCodeFailed(string where, Exception e)
    {
        if (e is RumpKernelPanicException)
            return;
        Kernel.PanicNoThrow(where + ": unhandled " + e.GetType().Name + ": " + e.Message);
    }
}
