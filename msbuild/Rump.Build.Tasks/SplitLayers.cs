using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Rump.Build.Tasks;

/// <summary>
/// Step 2: gives every kernel source its layer from where it lives (contracts.md) and reads the
/// <c>[Component]</c> declarations. base/** → base; factions/&lt;f&gt;/** → faction &lt;f&gt;;
/// components/&lt;f&gt;/&lt;name&gt;/** → component &lt;name&gt; of faction &lt;f&gt;; targets/&lt;t&gt;/** and
/// targets/common/** (code every target shares, compiled into every target's kernel) → target.
/// Also checks the requested target: a folder under targets/ holding sources, other than common/.
/// </summary>
public sealed class SplitLayers : Microsoft.Build.Utilities.Task
{
    /// <summary>Folder holding base/ factions/ components/ of the vintage.</summary>
    [Required] public string SourceRoot { get; set; } = "";

    /// <summary>Folder holding targets/ (always this checkout: targets are not part of a vintage).</summary>
    [Required] public string TargetsRoot { get; set; } = "";

    [Required] public string Target { get; set; } = "";

    /// <summary>The vintage the sources come from (RumpVintageRef/Commit/Dirty), for messages.</summary>
    public string VintageRef { get; set; } = "";
    public string VintageCommit { get; set; } = "";
    public string VintageDirty { get; set; } = "";

    /// <summary>RumpHypercallVersionCheck: <c>error</c> (default) or <c>warning</c> (build a kernel that refuses to boot).</summary>
    public string HypercallVersionCheck { get; set; } = "";

    /// <summary>Where to remember the declarations between builds (obj/); empty = parse every file.</summary>
    public string DeclarationCacheFile { get; set; } = "";

    /// <summary>Every kernel and target source, with RumpLayer, RumpFaction, RumpComponent, RumpRelativePath.</summary>
    [Output] public ITaskItem[] Sources { get; set; } = [];

    /// <summary>One item per <c>[Component]</c> declaration: Identity = component or faction name; metadata Layer, InitLevel, Factions, Requires, DeclaredIn, Line.</summary>
    [Output] public ITaskItem[] Declarations { get; set; } = [];

    /// <summary>The factions of this vintage (folders under factions/).</summary>
    [Output] public ITaskItem[] Factions { get; set; } = [];

    /// <summary>Targets that have sources (folders under targets/ holding .cs files).</summary>
    [Output] public ITaskItem[] KnownTargets { get; set; } = [];

    public override bool Execute()
    {
        var known = KnownTargetNames(TargetsRoot);
        KnownTargets = known.Select(t => (ITaskItem)new TaskItem(t)).ToArray();
        if (!known.Contains(Target, StringComparer.Ordinal))
        {
            var folder = Path.Combine(TargetsRoot, "targets", Target);
            var why = Target == CommonTargetFolder ? "targets/common holds the code every target shares, compiled into each target's kernel"
                : Directory.Exists(folder) ? "the folder " + folder + " holds no sources" : "there is no folder " + folder;
            RumpErrors.Error(Log, RumpErrors.UnknownTarget, null, 0,
                "RumpTarget='" + Target + "' is not a known target (" + why + "). Known targets: " + (known.Count > 0 ? string.Join(", ", known) : "none") + ".",
                "pass -p:RumpTarget=<one of the known targets>, or add the target's hypercall implementation under targets/" + Target + "/.");
            return false;
        }

        var vintage = new HypercallVersions.Vintage(VintageRef, VintageCommit, string.Equals(VintageDirty, "true", StringComparison.OrdinalIgnoreCase));
        if (!HypercallVersions.Check(Log, SourceRoot, TargetsRoot, Target, vintage,
                asWarning: string.Equals(HypercallVersionCheck, "warning", StringComparison.OrdinalIgnoreCase)))
            return false;

        var sources = new List<ITaskItem>();
        var declarations = new List<ITaskItem>();
        var parsed = new List<ComponentDeclaration>();
        var problems = new List<DeclarationProblem>();
        var ok = true;
        var cache = new DeclarationCache(DeclarationCacheFile);

        foreach (var file in CSharpFiles(Path.Combine(SourceRoot, "base")))
            sources.Add(Source(file, SourceRoot, "base", "", ""));

        var factionRoot = Path.Combine(SourceRoot, "factions");
        var factionNames = SubFolders(factionRoot);
        Factions = factionNames.Select(f => (ITaskItem)new TaskItem(f)).ToArray();
        foreach (var faction in factionNames)
        {
            foreach (var file in CSharpFiles(Path.Combine(factionRoot, faction)))
            {
                sources.Add(Source(file, SourceRoot, "faction", faction, ""));
                ok &= ReadDeclarations(cache, file, faction, "faction", faction, parsed, problems, declarations);
            }
        }

        var componentRoot = Path.Combine(SourceRoot, "components");
        foreach (var faction in SubFolders(componentRoot))
        {
            var stray = Directory.EnumerateFiles(Path.Combine(componentRoot, faction), "*.cs").OrderBy(f => f, StringComparer.Ordinal).ToList();
            foreach (var file in stray)
            {
                RumpErrors.Error(Log, RumpErrors.SourceOutsideComponent, file, 0,
                    "'" + file + "' lies directly in components/" + faction + "/, outside any component folder.",
                    "move it into components/" + faction + "/<component>/ (the folder name is the component name).");
                ok = false;
            }
            foreach (var component in SubFolders(Path.Combine(componentRoot, faction)))
            {
                foreach (var file in CSharpFiles(Path.Combine(componentRoot, faction, component)))
                {
                    sources.Add(Source(file, SourceRoot, "component", faction, component));
                    ok &= ReadDeclarations(cache, file, component, "component", faction, parsed, problems, declarations);
                }
            }
        }

        cache.Save();
        foreach (var file in CSharpFiles(Path.Combine(TargetsRoot, "targets", CommonTargetFolder)))
            sources.Add(Source(file, TargetsRoot, "target", "", ""));
        foreach (var file in CSharpFiles(Path.Combine(TargetsRoot, "targets", Target)))
            sources.Add(Source(file, TargetsRoot, "target", "", ""));

        foreach (var problem in problems)
        {
            RumpErrors.Error(Log, RumpErrors.BadDeclaration, problem.File, problem.Line,
                "The [Component] declaration cannot be read before compiling: " + problem.What + ".",
                "write literal values only, e.g. [Component(InitLevel.Dev, Factions = [\"dev\"], Requires = [\"vnd\"])].");
        }

        Sources = sources.ToArray();
        Declarations = declarations.ToArray();
        return ok && problems.Count == 0 && !Log.HasLoggedErrors;
    }

    private bool ReadDeclarations(DeclarationCache cache, string file, string owner, string layer, string folderFaction,
        List<ComponentDeclaration> parsed, List<DeclarationProblem> problems, List<ITaskItem> items)
    {
        var before = parsed.Count;
        cache.Read(file, parsed, problems);
        for (var i = before; i < parsed.Count; i++)
        {
            var declaration = parsed[i];
            var item = new TaskItem(owner);
            item.SetMetadata("Layer", layer);
            item.SetMetadata("FolderFaction", folderFaction);
            item.SetMetadata("InitLevel", declaration.InitLevel);
            item.SetMetadata("Factions", string.Join(";", declaration.Factions));
            item.SetMetadata("Requires", string.Join(";", declaration.Requires));
            item.SetMetadata("DeclaredIn", declaration.File);
            item.SetMetadata("Line", declaration.Line.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var earlier = items.FirstOrDefault(d => d.ItemSpec == owner && d.GetMetadata("Layer") == layer);
            if (earlier is not null)
            {
                RumpErrors.Error(Log, RumpErrors.BadDeclaration, declaration.File, declaration.Line,
                    "The " + layer + " '" + owner + "' is declared twice (also at " + earlier.GetMetadata("DeclaredIn") + ":" + earlier.GetMetadata("Line") + ").",
                    "keep one [Component] declaration per " + layer + ".");
                return false;
            }
            items.Add(item);
        }
        return true;
    }

    /// <summary>targets/common/: code every target's kernel compiles (layer target); not a target of its own.</summary>
    internal const string CommonTargetFolder = "common";

    /// <summary>Folders under targets/ that hold at least one source file, except the shared targets/common/.</summary>
    internal static List<string> KnownTargetNames(string targetsRoot)
        => SubFolders(Path.Combine(targetsRoot, "targets"))
            .Where(t => t != CommonTargetFolder && CSharpFiles(Path.Combine(targetsRoot, "targets", t)).Any())
            .ToList();

    private static TaskItem Source(string file, string root, string layer, string faction, string component)
    {
        var item = new TaskItem(file);
        item.SetMetadata("RumpLayer", layer);
        item.SetMetadata("RumpFaction", faction);
        item.SetMetadata("RumpComponent", component);
        item.SetMetadata("RumpRelativePath", RelativePath(root, file));
        return item;
    }

    internal static string RelativePath(string root, string file)
        => Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');

    private static List<string> SubFolders(string folder)
        => Directory.Exists(folder)
            ? Directory.EnumerateDirectories(folder).Select(Path.GetFileName).Where(n => n is not null && !IsBuildOutput(n)).Select(n => n!)
                .OrderBy(n => n, StringComparer.Ordinal).ToList()
            : [];

    /// <summary>Every .cs file below <paramref name="folder"/>, sorted, skipping bin/ and obj/ folders.</summary>
    internal static IEnumerable<string> CSharpFiles(string folder)
    {
        if (!Directory.Exists(folder))
            return [];
        return Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(folder, f).Split(Path.DirectorySeparatorChar).Any(IsBuildOutput))
            .OrderBy(f => f, StringComparer.Ordinal);
    }

    private static bool IsBuildOutput(string segment) => segment is "bin" or "obj" || segment.StartsWith('.');
}
