using System;

namespace Rump.Kern;

/// <summary>
/// Init levels, in boot order (NetBSD's RUMP_COMPONENT_* levels as rump_init runs them).
/// </summary>
internal enum InitLevel
{
    Kern = 0,
    Vfs = 1,
    Net = 2,
    NetRoute = 3,
    NetIf = 4,
    NetIfCfg = 5,
    Dev = 6,
    DevAfterMainbus = 7,
    KernVfs = 8,
    PostInit = 9,
    Syscall = 10,
}

/// <summary>
/// Declares a component (or a faction's own init) in one place: its init level, the factions it belongs
/// to and the components it depends on. The component's name is its folder name. The class must have
/// <c>public static void Init()</c>, run at boot at <see cref="Level"/>. The build reads this attribute
/// with a syntax-only parse before compiling, so use literal values:
/// <code>[Component(InitLevel.Vfs, Factions = ["vfs"], Requires = ["vnd"])]</code>
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class ComponentAttribute : Attribute
{
    public ComponentAttribute(InitLevel level) => Level = level;

    public InitLevel Level { get; }

    /// <summary>Factions this component belongs to ("dev", "vfs", "net"). Default: the folder's faction.</summary>
    public string[] Factions { get; init; } = [];

    /// <summary>Components this one uses; pulled into any kernel that selects this one.</summary>
    public string[] Requires { get; init; } = [];
}

/// <summary>
/// Marks the kernel implementation of a system call declared in base/syscalls.master. The method is
/// static, returns int (0 or errno) and takes the current <c>Lwp</c> followed by the declared arguments.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class SyscallAttribute : Attribute
{
    public SyscallAttribute(string name) => Name = name;
    public string Name { get; }
}
