namespace Rump.Generators.Components.Model;

/// <summary>A class marked [Component(level, Factions = …, Requires = …)], as data.</summary>
internal sealed record ComponentClass(
    string FullName,
    string FilePath,
    string Level,
    EquatableArray<string> Factions,
    EquatableArray<string> Requires,
    bool HasInit,
    LocationInfo? Location);

/// <summary>One line of rump.components.txt (written by the resolve task).</summary>
internal sealed record ComponentLine(
    string Name,
    string Layer,
    EquatableArray<string> Factions,
    EquatableArray<string> Requires,
    string Level,
    string SourceHash,
    EquatableArray<string> Files);

/// <summary>rump.components.txt, or none (the interim kernel project has none).</summary>
internal sealed record ComponentsFile(bool Present, EquatableArray<ComponentLine> Lines);

/// <summary>The build properties KernelIdentity is made of.</summary>
internal sealed record KernelIdentityModel(
    string Kernel,
    string Target,
    string VintageRef,
    string VintageCommit,
    string VintageCommitDate,
    bool VintageDirty);

/// <summary>One component (or faction, or base init) in boot order.</summary>
internal sealed record RegistryEntry(
    string Name,
    string Layer,
    EquatableArray<string> Factions,
    EquatableArray<string> Requires,
    string Level,
    string SourceHash,
    EquatableArray<string> InitTypes);

internal sealed record RegistryModel(EquatableArray<RegistryEntry> Entries, EquatableArray<DiagnosticInfo> Diagnostics);
