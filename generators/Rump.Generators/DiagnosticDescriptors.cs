using Microsoft.CodeAnalysis;

namespace Rump.Generators;

/// <summary>Every diagnostic of the generators and analyzers (RUMP0101–0199). Sections: docs/errors.md.</summary>
internal static class DiagnosticDescriptors
{
    private const string HelpBase = "https://github.com/rump-build/rump-build/blob/main/docs/errors.md#";
    private const string LayerCategory = "Rump.Layers";
    private const string GeneratorCategory = "Rump.Generators";

    private static DiagnosticDescriptor Error(string id, string title, string message, string category)
        => new(id, title, message, category, DiagnosticSeverity.Error, isEnabledByDefault: true,
            helpLinkUri: HelpBase + id.ToLowerInvariant());

    public static readonly DiagnosticDescriptor ComponentUsesUndeclared = Error(
        "RUMP0101",
        "A component uses a component it does not require",
        "{0}: component '{1}' uses '{2}', declared in {3}; a component uses only the base, its factions and the components it requires (closure: {4}): {5}",
        LayerCategory);

    public static readonly DiagnosticDescriptor HostApiInKernel = Error(
        "RUMP0102",
        "Kernel code names a host API",
        "{0}: {1} code ({2}) uses the host API '{3}'; kernel code reaches the host only through the hypercall interface: {4}",
        LayerCategory);

    public static readonly DiagnosticDescriptor TargetLacksHypercall = Error(
        "RUMP0103",
        "The target lacks a hypercall",
        "Hypercall target '{0}' ({1}) has no method '{2}'; add 'public static {3}' to {1}",
        GeneratorCategory);

    public static readonly DiagnosticDescriptor HypercallSignatureMismatch = Error(
        "RUMP0104",
        "A target's hypercall has a different signature",
        "Hypercall target '{0}': '{1}' does not match the declaration '{2}'; make it 'public static {2}' (same parameter types, ref kinds and return type)",
        GeneratorCategory);

    public static readonly DiagnosticDescriptor HypercallTargetCount = Error(
        "RUMP0105",
        "No single hypercall target",
        "The kernel has {0} [HypercallTarget] classes{1}; a kernel compiles exactly one target: check RumpTarget and that only targets/<target>/ (with targets/common/) is compiled",
        GeneratorCategory);

    public static readonly DiagnosticDescriptor HypercallVersionOutOfRange = Error(
        "RUMP0106",
        "Hypercall interface version outside the target's range",
        "The kernel sources declare hypercall interface version {0}, target '{1}' supports {2}..{3}; update the target ({4}) or build an older vintage",
        GeneratorCategory);

    /// <summary>RUMP0106 when the build asks for it as a warning (RumpHypercallVersionCheck=warning).</summary>
    public static readonly DiagnosticDescriptor HypercallVersionOutOfRangeWarning = new(
        "RUMP0106",
        "Hypercall interface version outside the target's range",
        "The kernel sources declare hypercall interface version {0}, target '{1}' supports {2}..{3}; RumpHypercallVersionCheck=warning: building anyway, this kernel refuses to boot; update the target ({4}) or build an older vintage",
        GeneratorCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpBase + "rump0106");

    public static readonly DiagnosticDescriptor SyscallSignatureMismatch = Error(
        "RUMP0107",
        "A system call implementation does not match syscalls.master",
        "[Syscall(\"{0}\")] {1}: expected 'static int {2}(global::Rump.Kern.Lwp l{3})' as declared in syscalls.master ({4}); {5}",
        GeneratorCategory);

    public static readonly DiagnosticDescriptor SyscallUnknown = Error(
        "RUMP0108",
        "A system call implementation names no declared system call",
        "[Syscall(\"{0}\")] on {1}: syscalls.master declares no system call '{0}'; use one of its names (third column) or add a line to base/syscalls.master",
        GeneratorCategory);

    public static readonly DiagnosticDescriptor ComponentWithoutInit = Error(
        "RUMP0109",
        "A component class has no Init",
        "[Component] class '{0}' (component '{1}') has no 'public static void Init()'; add one (the boot calls it at InitLevel.{2})",
        GeneratorCategory);

    public static readonly DiagnosticDescriptor SyscallLineUnparsable = Error(
        "RUMP0110",
        "syscalls.master line cannot be parsed",
        "syscalls.master line {0}: {1}; expected 'number faction name declaration;' e.g. '5 vfs open int Open(string path, int flags, int mode, out int fd);'",
        GeneratorCategory);

    public static readonly DiagnosticDescriptor LayerUsesHigherLayer = Error(
        "RUMP0111",
        "A layer uses a layer above it",
        "{0}: {1} code uses '{2}', declared in {3}; the base uses only the base, a faction only the base and factions: move '{2}' down, or invert the dependency (the upper layer registers a callback)",
        LayerCategory);

    public static readonly DiagnosticDescriptor TargetConditionInKernel = Error(
        "RUMP0112",
        "Kernel code tests the target in #if",
        "{0}: {1} code tests the target symbol '{2}' in #{3}; kernel code is the same for every target: move the difference behind a hypercall, into targets/, or into a device the target provides",
        LayerCategory);
}
