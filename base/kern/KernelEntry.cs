using System;

[assembly: Rump.RumpKernelEntry(typeof(Rump.Kern.KernelFactory))]

namespace Rump.Kern;

/// <summary>The kernel's entry point for hosts (rump_init / rump_sys_reboot behind Rump.Abstractions).</summary>
public sealed class KernelFactory : IRumpKernelFactory
{
    private static readonly KernelInfo s_info = new(
        KernelIdentity.Kernel,
        KernelIdentity.Target,
        Hyp.InterfaceVersion,
        new VintageInfo(KernelIdentity.VintageRef, KernelIdentity.VintageCommit, KernelIdentity.VintageCommitDate, KernelIdentity.VintageDirty),
        ComponentRegistry.Components);

    public KernelInfo Info => s_info;

    /// <summary>Boots this load context's kernel. After a shutdown the same context may boot again (warm boot).</summary>
    public IRumpKernel Boot(BootOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Kernel.Boot(options);
        return new KernelInstance(s_info);
    }
}

/// <summary>A booted instance as the host sees it.</summary>
internal sealed class KernelInstance : IRumpKernel
{
    private readonly SyscallTable _sys = new();

    public KernelInstance(KernelInfo info)
    {
        Info = info;
        Banner = Kernel.Banner;
    }

    public KernelInfo Info { get; }

    public ISyscalls Sys => _sys;

    public string Banner { get; }

    public bool IsRunning => Kernel.IsRunning;

    public void Shutdown() => Kernel.Shutdown();

    public void Dispose() => Shutdown();
}
