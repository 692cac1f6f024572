using System;
using System.Diagnostics.CodeAnalysis;
using System.Collections.Generic;

namespace Rump;

/// <summary>How to boot a kernel instance (rump_init's knobs, as options instead of environment variables).</summary>
public sealed record BootOptions
{
    /// <summary>Number of virtual CPUs (RUMP_NCPU). At least 1.</summary>
    public int VirtualCpus { get; init; } = 1;

    /// <summary>Kernel memory limit in bytes (RUMP_MEMLIMIT); 0 = no limit.</summary>
    public long MemoryLimit { get; init; }

    /// <summary>The kernel's host name (hostname(1) inside the kernel).</summary>
    public string HostName { get; init; } = "rump";

    /// <summary>Verbose boot (RUMP_VERBOSE): the kernel logs each init step to the console.</summary>
    public bool Verbose { get; init; }

    /// <summary>Receives console output (the console hypercall); null = discard. Called with whole lines.</summary>
    public Action<string>? Console { get; init; }

    /// <summary>Extra parameters the kernel can read through the parameter hypercall (rumpuser_getparam).</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The domain a xen-target kernel boots in (its hypervisor port, e.g. from Rump.Xen.Host's software
    /// hypervisor). Required by the xen target; other targets ignore it.
    /// </summary>
    public Rump.Xen.IXenHypervisorPort? Xen { get; init; }
}

/// <summary>Vintage of the kernel sources a kernel assembly was built from.</summary>
public sealed record VintageInfo(string Ref, string Commit, string CommitDate, bool Dirty);

/// <summary>A component linked into a kernel.</summary>
public sealed record ComponentInfo(string Name, IReadOnlyList<string> Factions, IReadOnlyList<string> Requires, string InitLevel, string SourceHash);

/// <summary>Identity of a kernel assembly.</summary>
public sealed record KernelInfo(
    string Kernel,
    string Target,
    int HypercallVersion,
    VintageInfo Vintage,
    IReadOnlyList<ComponentInfo> Components);

/// <summary>Implemented once per kernel assembly; found through <see cref="RumpKernelEntryAttribute"/>.</summary>
public interface IRumpKernelFactory
{
    KernelInfo Info { get; }

    /// <summary>Boots the kernel of this load context. One instance per load context (use a new load context for another).</summary>
    IRumpKernel Boot(BootOptions options);
}

/// <summary>A booted kernel instance.</summary>
public interface IRumpKernel : IDisposable
{
    KernelInfo Info { get; }

    /// <summary>The system-call API (rump_sys_*): span based, returns errno, never throws except on kernel panic.</summary>
    ISyscalls Sys { get; }

    /// <summary>The boot banner as printed on the console.</summary>
    string Banner { get; }

    /// <summary>True until shutdown or panic.</summary>
    bool IsRunning { get; }

    /// <summary>Syncs file systems, stops kernel threads, releases host resources. Idempotent.</summary>
    void Shutdown();
}

/// <summary>Names the kernel's <see cref="IRumpKernelFactory"/> implementation.</summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class RumpKernelEntryAttribute : Attribute
{
    // The annotations keep the factory's constructor when a host compiles a kernel into a native executable (trimmed).
    private const DynamicallyAccessedMemberTypes Constructors =
        DynamicallyAccessedMemberTypes.PublicParameterlessConstructor | DynamicallyAccessedMemberTypes.NonPublicConstructors;

    public RumpKernelEntryAttribute([DynamicallyAccessedMembers(Constructors)] Type factoryType) => FactoryType = factoryType;

    [DynamicallyAccessedMembers(Constructors)]
    public Type FactoryType { get; }
}
