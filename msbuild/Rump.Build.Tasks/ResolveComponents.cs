using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Rump.Build.Tasks;

/// <summary>
/// Step 3: picks the components of this kernel (<c>RumpComponents</c>: empty or <c>all</c> = every component,
/// <c>none</c> = base only, else a ';'-list) plus the closure of their Requires and their factions; writes
/// rump.components.txt (only when its content changes, so the generators stay cached) and returns the
/// Compile items of the chosen layers.
/// </summary>
public sealed class ResolveComponents : Microsoft.Build.Utilities.Task
{
    [Required] public ITaskItem[] Sources { get; set; } = [];
    public ITaskItem[] Declarations { get; set; } = [];
    public ITaskItem[] Factions { get; set; } = [];

    /// <summary>The RumpComponents property.</summary>
    public string Components { get; set; } = "";

    /// <summary>The file that asked for <see cref="Components"/> (the kernel project), for error messages.</summary>
    public string RequestedBy { get; set; } = "";

    /// <summary>Folder the vintage's relative paths and source hashes are taken from.</summary>
    [Required] public string SourceRoot { get; set; } = "";

    [Required] public string ComponentsFilePath { get; set; } = "";

    /// <summary>Sources of base, the selected factions and components, and the target.</summary>
    [Output] public ITaskItem[] Compile { get; set; } = [];

    /// <summary>Names of the selected components (for messages and tests).</summary>
    [Output] public string SelectedComponents { get; set; } = "";

    private sealed class Unit
    {
        public required string Name;
        public required string Layer;
        public required string FolderFaction;
        public List<ITaskItem> Files = [];
        public ITaskItem? Declaration;
        public IReadOnlyList<string> Factions => Split(Declaration?.GetMetadata("Factions")) is { Count: > 0 } f ? f : [FolderFaction];
        public IReadOnlyList<string> Requires => Split(Declaration?.GetMetadata("Requires"));
        public string File => Declaration?.GetMetadata("DeclaredIn") ?? Files[0].ItemSpec;
        public int Line => int.TryParse(Declaration?.GetMetadata("Line"), out var l) ? l : 0;
    }

    public override bool Execute()
    {
        var components = new SortedDictionary<string, Unit>(StringComparer.Ordinal);
        var factions = new SortedDictionary<string, Unit>(StringComparer.Ordinal);
        foreach (var faction in Factions)
            factions[faction.ItemSpec] = new Unit { Name = faction.ItemSpec, Layer = "faction", FolderFaction = faction.ItemSpec };
        foreach (var source in Sources)
        {
            var layer = source.GetMetadata("RumpLayer");
            var faction = source.GetMetadata("RumpFaction");
            if (layer == "component")
            {
                var name = source.GetMetadata("RumpComponent");
                if (!components.TryGetValue(name, out var unit))
                    components[name] = unit = new Unit { Name = name, Layer = layer, FolderFaction = faction };
                else if (unit.FolderFaction != faction)
                {
                    RumpErrors.Error(Log, RumpErrors.BadDeclaration, source.ItemSpec, 0,
                        "The component '" + name + "' exists under two factions (components/" + unit.FolderFaction + "/" + name + " and components/" + faction + "/" + name + ").",
                        "component names are unique: rename one folder, or list the second faction in Factions = [...] of one component.");
                    return false;
                }
                unit.Files.Add(source);
            }
            else if (layer == "faction")
            {
                if (!factions.TryGetValue(faction, out var unit))
                    factions[faction] = unit = new Unit { Name = faction, Layer = layer, FolderFaction = faction };
                unit.Files.Add(source);
            }
        }
        foreach (var declaration in Declarations)
        {
            var table = declaration.GetMetadata("Layer") == "faction" ? factions : components;
            if (table.TryGetValue(declaration.ItemSpec, out var unit))
                unit.Declaration = declaration;
        }

        if (!Select(components, out var requested))
            return false;
        var selected = Closure(components, requested);
        if (selected is null || !CheckCycles(components, selected) || !CheckFactions(components, factions, selected))
            return false;

        var everything = IsAll(Components);
        var selectedFactions = everything
            ? factions.Keys.ToHashSet(StringComparer.Ordinal)
            : selected.SelectMany(c => components[c].Factions).ToHashSet(StringComparer.Ordinal);

        var lines = new List<ComponentLine>();
        foreach (var faction in factions.Values.Where(f => selectedFactions.Contains(f.Name)))
            lines.Add(Line(faction, [faction.Name], [], faction.Declaration?.GetMetadata("InitLevel") ?? DefaultLevel(faction.Name)));
        foreach (var name in selected.OrderBy(n => n, StringComparer.Ordinal))
        {
            var unit = components[name];
            var level = unit.Declaration?.GetMetadata("InitLevel")
                ?? factions.GetValueOrDefault(unit.FolderFaction)?.Declaration?.GetMetadata("InitLevel")
                ?? DefaultLevel(unit.FolderFaction);
            lines.Add(Line(unit, unit.Factions, unit.Requires, level));
        }
        WriteIfChanged(ComponentsFilePath, ComponentsFile.Format(lines));

        Compile = Sources.Where(s => s.GetMetadata("RumpLayer") switch
        {
            "component" => selected.Contains(s.GetMetadata("RumpComponent")),
            "faction" => selectedFactions.Contains(s.GetMetadata("RumpFaction")),
            _ => true,
        }).ToArray();
        SelectedComponents = string.Join(";", selected.OrderBy(n => n, StringComparer.Ordinal));
        Log.LogMessage(MessageImportance.Normal, "Rump: factions [" + string.Join(", ", selectedFactions.Order(StringComparer.Ordinal)) +
            "], components [" + string.Join(", ", selected.Order(StringComparer.Ordinal)) + "]");
        return !Log.HasLoggedErrors;
    }

    private static bool IsAll(string components) => components.Trim() is "" or "all" or "*";

    private bool Select(SortedDictionary<string, Unit> components, out List<string> requested)
    {
        requested = [];
        if (IsAll(Components))
        {
            requested.AddRange(components.Keys);
            return true;
        }
        var names = Components.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 1 && names[0] == "none")
            return true;
        foreach (var name in names)
        {
            if (!components.ContainsKey(name))
            {
                RumpErrors.Error(Log, RumpErrors.UnknownComponent, NullIfEmpty(RequestedBy), 0,
                    "RumpComponents names '" + name + "', which is not a component of this vintage. Known components: " + Known(components) + ".",
                    "use one of the known names (a folder under components/<faction>/), 'all' (the default) or 'none' for a base-only kernel.");
            }
            else
                requested.Add(name);
        }
        return !Log.HasLoggedErrors;
    }

    private HashSet<string>? Closure(SortedDictionary<string, Unit> components, List<string> requested)
    {
        var selected = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<string>(requested);
        while (pending.Count > 0)
        {
            var name = pending.Dequeue();
            if (!selected.Add(name))
                continue;
            var unit = components[name];
            foreach (var required in unit.Requires)
            {
                if (components.ContainsKey(required))
                    pending.Enqueue(required);
                else
                    RumpErrors.Error(Log, RumpErrors.UnknownComponent, unit.File, unit.Line,
                        "The component '" + name + "' requires '" + required + "', which is not a component of this vintage. Known components: " + Known(components) + ".",
                        "correct the name in Requires = [...] of " + Path.GetFileName(unit.File) + ", or add the component under components/<faction>/" + required + "/.");
            }
        }
        return Log.HasLoggedErrors ? null : selected;
    }

    private bool CheckCycles(SortedDictionary<string, Unit> components, HashSet<string> selected)
    {
        // Depth-first search; a grey node met again closes a cycle.
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        var path = new List<string>();
        bool Visit(string name)
        {
            state[name] = 1;
            path.Add(name);
            foreach (var next in components[name].Requires.Where(selected.Contains))
            {
                if (state.GetValueOrDefault(next) == 1)
                {
                    var cycle = path.Skip(path.IndexOf(next)).Append(next).ToList();
                    var first = components[next];
                    RumpErrors.Error(Log, RumpErrors.DependencyCycle, first.File, first.Line,
                        "The components depend on each other in a cycle: " + string.Join(" -> ", cycle) + ".",
                        "remove one of these Requires (" + string.Join(", ", cycle.Take(cycle.Count - 1).Select(c => c + " in " + Path.GetFileName(components[c].File))) +
                        "); move what both need into a third component or the faction.");
                    return false;
                }
                if (state.GetValueOrDefault(next) == 0 && !Visit(next))
                    return false;
            }
            path.RemoveAt(path.Count - 1);
            state[name] = 2;
            return true;
        }
        foreach (var name in selected.Order(StringComparer.Ordinal))
        {
            if (state.GetValueOrDefault(name) == 0 && !Visit(name))
                return false;
        }
        return true;
    }

    private bool CheckFactions(SortedDictionary<string, Unit> components, SortedDictionary<string, Unit> factions, HashSet<string> selected)
    {
        foreach (var name in selected.Order(StringComparer.Ordinal))
        {
            var unit = components[name];
            foreach (var faction in unit.Factions.Where(f => !factions.ContainsKey(f)))
            {
                RumpErrors.Error(Log, RumpErrors.MissingFaction, unit.File, unit.Line,
                    "The component '" + name + "' belongs to the faction '" + faction + "', which this vintage does not have (factions: " +
                    (factions.Count > 0 ? string.Join(", ", factions.Keys) : "none") + ").",
                    "correct Factions = [...] of " + Path.GetFileName(unit.File) + " (or move the component folder), or add factions/" + faction + "/.");
            }
        }
        return !Log.HasLoggedErrors;
    }

    private ComponentLine Line(Unit unit, IReadOnlyList<string> factions, IReadOnlyList<string> requires, string level)
        => new(unit.Name, unit.Layer, factions, requires, level,
            ComponentsFile.SourceHash(SourceRoot, unit.Files.Select(f => f.ItemSpec)),
            unit.Files.Select(f => Path.GetFullPath(f.ItemSpec)).Order(StringComparer.Ordinal).ToList());

    /// <summary>A faction's init level when it declares none (NetBSD's rump_init order).</summary>
    internal static string DefaultLevel(string faction) => faction switch
    {
        "dev" => "Dev",
        "vfs" => "Vfs",
        "net" => "Net",
        _ => "Kern",
    };

    private static void WriteIfChanged(string path, string text)
    {
        var bytes = new UTF8Encoding(false).GetBytes(text);
        if (File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes))
            return;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, bytes);
    }

    private static string Known(SortedDictionary<string, Unit> components)
        => components.Count > 0 ? string.Join(", ", components.Keys) : "none";

    private static IReadOnlyList<string> Split(string? list)
        => string.IsNullOrEmpty(list) ? [] : list.Split(';', StringSplitOptions.RemoveEmptyEntries);

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;
}
