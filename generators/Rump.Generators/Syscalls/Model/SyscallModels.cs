namespace Rump.Generators.Syscalls.Model;

/// <summary>One parameter of a declared system call; <see cref="Type"/> is fully qualified (global::…).</summary>
internal sealed record SyscallParameter(string RefKind, string Type, string Name)
{
    public string Declaration => (RefKind.Length == 0 ? "" : RefKind + " ") + Type + " " + Name;

    public string Argument => (RefKind.Length == 0 ? "" : RefKind + " ") + Name;
}

/// <summary>One line of syscalls.master.</summary>
internal sealed record SyscallDeclaration(
    int Number,
    string Faction,
    string Name,
    string MethodName,
    EquatableArray<SyscallParameter> Parameters,
    int Line);

/// <summary>syscalls.master, parsed: the calls in file order and what could not be read.</summary>
internal sealed record SyscallTableModel(
    string FilePath,
    EquatableArray<SyscallDeclaration> Calls,
    EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>A method marked [Syscall("name")], as data.</summary>
internal sealed record SyscallImplementation(
    string SyscallName,
    string ContainingType,
    string MethodName,
    bool IsStatic,
    bool IsAccessible,
    string ReturnType,
    EquatableArray<SyscallParameter> Parameters,
    string Display,
    LocationInfo? Location);

/// <summary>A declared call bound to its implementation (null: not linked in, ENOSYS).</summary>
internal sealed record BoundSyscall(SyscallDeclaration Declaration, string? ImplementationType, string? ImplementationMethod);

/// <summary>What the kernel-role emitter writes, plus the diagnostics found while binding.</summary>
internal sealed record KernelSyscallTableModel(
    EquatableArray<BoundSyscall> Calls,
    EquatableArray<DiagnosticInfo> Diagnostics);
