namespace Rump.Generators.Hypercalls.Model;

/// <summary>A parameter: <see cref="Type"/> as written in the glue (global::, nullable annotations), <see cref="Shape"/> for matching.</summary>
internal sealed record HypercallParameter(string RefKind, string Type, string Shape, string Name)
{
    public string Declaration => (RefKind.Length == 0 ? "" : RefKind + " ") + Type + " " + Name;

    public string Argument => (RefKind is "out" or "ref" ? RefKind + " " : "") + Name;
}

/// <summary>One [Hypercall] method of the interface class.</summary>
internal sealed record HypercallMethod(
    string Name,
    string Modifiers,
    string ReturnType,
    string ReturnShape,
    EquatableArray<HypercallParameter> Parameters,
    bool Blocking,
    string? FastPath)
{
    public string Signature => ReturnType + " " + Name + "(" + string.Join(", ", System.Linq.Enumerable.Select(Parameters, p => p.Declaration)) + ")";

    /// <summary>Return type, ref kinds and parameter types: what a target method must match.</summary>
    public string Shape => ReturnShape + "(" + string.Join(", ", System.Linq.Enumerable.Select(Parameters, p => (p.RefKind.Length == 0 ? "" : p.RefKind + " ") + p.Shape)) + ")";
}

/// <summary>The class marked [HypercallInterface(version)].</summary>
internal sealed record HypercallInterfaceModel(
    string Namespace,
    string ClassName,
    string ClassModifiers,
    int Version,
    EquatableArray<HypercallMethod> Methods,
    LocationInfo? Location);

/// <summary>A public static method of a target class.</summary>
internal sealed record TargetMethod(string Name, string Shape, string Display, LocationInfo? Location);

/// <summary>The class marked [HypercallTarget(name, min, max)].</summary>
internal sealed record HypercallTargetModel(
    string FullName,
    string ClassName,
    string Name,
    int MinVersion,
    int MaxVersion,
    EquatableArray<TargetMethod> Methods,
    LocationInfo? Location);

/// <summary>How one hypercall's body is written.</summary>
internal enum GlueKind
{
    /// <summary>Calls the target's method.</summary>
    Bound,

    /// <summary>The target has no usable method (a diagnostic says why): the body throws.</summary>
    Unbound,
}

internal sealed record GlueMethod(HypercallMethod Method, GlueKind Kind, bool FastPathUsable);

/// <summary>Everything the emitter needs for Hyp.g.cs.</summary>
internal sealed record HypercallGlueModel(
    HypercallInterfaceModel Interface,
    string? TargetFullName,
    string TargetName,
    int TargetMinVersion,
    int TargetMaxVersion,
    bool Trace,
    EquatableArray<GlueMethod> Methods,
    EquatableArray<DiagnosticInfo> Diagnostics);
