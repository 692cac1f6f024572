using System;

namespace Rump.Kern;

/// <summary>
/// Marks the hypercall interface declaration (the rumpuser.h of this kernel). Exactly one per kernel.
/// The generator writes the bodies of its [Hypercall] methods, bound statically to the target class
/// marked <see cref="HypercallTargetAttribute"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class HypercallInterfaceAttribute : Attribute
{
    public HypercallInterfaceAttribute(int version) => Version = version;

    /// <summary>The interface version these kernel sources need.</summary>
    public int Version { get; }
}

/// <summary>One hypercall: a static partial method of the hypercall interface class.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class HypercallAttribute : Attribute
{
    /// <summary>The call may block in the host: the glue releases the virtual CPU around it.</summary>
    public bool Blocking { get; init; }

    /// <summary>
    /// Optional non-blocking fast path (name of another hypercall returning bool, same arguments):
    /// the glue tries it first while holding the CPU and releases the CPU only when it fails
    /// (rumpuser_mutex_enter's try-then-block pattern).
    /// </summary>
    public string? FastPath { get; init; }
}

/// <summary>
/// Marks a target's implementation of the hypercall interface: a class with one public static method per
/// hypercall, same name and signature, declared in it or inherited (targets/common's SharedHypercalls).
/// Only code under targets/ may carry it.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class HypercallTargetAttribute : Attribute
{
    public HypercallTargetAttribute(string name, int minVersion, int maxVersion)
    {
        Name = name;
        MinVersion = minVersion;
        MaxVersion = maxVersion;
    }

    public string Name { get; }
    public int MinVersion { get; }
    public int MaxVersion { get; }
}
