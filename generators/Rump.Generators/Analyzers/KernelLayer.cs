using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Rump.Generators.Analyzers;

/// <summary>
/// The layer of one source file, from the Compile item metadata the split task sets
/// (<c>build_metadata.Compile.RumpLayer/RumpFaction/RumpComponent</c>). Files without it are not checked.
/// </summary>
internal sealed record KernelLayer(string Layer, string Faction, string Component)
{
    public bool IsKernel => Layer is "base" or "faction" or "component";

    /// <summary>"base", "faction vfs", "component msdosfs".</summary>
    public string Describe() => Layer switch
    {
        "faction" => "faction " + Faction,
        "component" => "component " + Component,
        _ => Layer,
    };

    public static KernelLayer? Of(AnalyzerConfigOptionsProvider options, SyntaxTree tree)
    {
        var values = options.GetOptions(tree);
        if (!values.TryGetValue("build_metadata.Compile.RumpLayer", out var layer) || string.IsNullOrWhiteSpace(layer))
            return null;
        values.TryGetValue("build_metadata.Compile.RumpFaction", out var faction);
        values.TryGetValue("build_metadata.Compile.RumpComponent", out var component);
        return new KernelLayer(layer.Trim().ToLowerInvariant(), (faction ?? "").Trim(), (component ?? "").Trim());
    }

    /// <summary>The file name a message names (the location carries the full path).</summary>
    public static string FileName(SyntaxTree tree)
    {
        var path = tree.FilePath.Replace('\\', '/');
        int slash = path.LastIndexOf('/');
        return slash < 0 ? path : path.Substring(slash + 1);
    }
}
