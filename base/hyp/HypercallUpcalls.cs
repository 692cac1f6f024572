namespace Rump.Kern;

/// <summary>
/// What the generated hypercall glue calls back into the kernel (rumpkern_unsched / rumpkern_sched).
/// </summary>
internal static partial class HypercallUpcalls
{
    /// <summary>Releases the caller's virtual CPU before a blocking hypercall; false if it held none.</summary>
    internal static bool ReleaseCpu() => Sched.ReleaseForHypercall();

    /// <summary>Takes a virtual CPU again after a blocking hypercall that released one.</summary>
    internal static void AcquireCpu() => Sched.AcquireAfterHypercall();

    /// <summary>Hypercall tracing (build with -p:RumpTraceHypercalls=true).</summary>
    internal static void Trace(string hypercall) => KernelLog.TraceHypercall(hypercall);
}
