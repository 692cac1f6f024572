using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Rump.Generators.Components;

namespace Rump.Generators.Analyzers;

/// <summary>
/// Which component may use which: from rump.components.txt (AdditionalFiles) when the build passes it,
/// else from the [Component] attributes of the compilation (named by their files' RumpComponent).
/// </summary>
internal sealed class ComponentGraph
{
    private readonly Dictionary<string, HashSet<string>> _factions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _requires = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _closures = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public static ComponentGraph Load(Compilation compilation, AnalyzerOptions options, CancellationToken token)
    {
        var graph = new ComponentGraph();
        foreach (var file in options.AdditionalFiles)
        {
            if (!string.Equals(Path.GetFileName(file.Path), ComponentRegistryGenerator.ComponentsFileName, StringComparison.OrdinalIgnoreCase))
                continue;
            var parsed = ComponentRegistryGenerator.Parser.ParseFile(ImmutableArray.Create(file.GetText(token)?.ToString() ?? ""));
            foreach (var line in parsed.Lines.Where(l => l.Layer == "component"))
                graph.Add(line.Name, line.Factions, line.Requires);
            return graph;
        }

        var attribute = compilation.GetTypeByMetadataName(ComponentRegistryGenerator.ComponentAttributeName);
        if (attribute is null)
            return graph;
        foreach (var type in AllTypes(compilation.Assembly.GlobalNamespace))
        {
            var data = type.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attribute));
            var tree = type.DeclaringSyntaxReferences.FirstOrDefault()?.SyntaxTree;
            if (data is null || tree is null || KernelLayer.Of(options.AnalyzerConfigOptionsProvider, tree) is not { Layer: "component" } layer)
                continue;
            IEnumerable<string> Strings(string name) => data.NamedArguments.Where(n => n.Key == name && n.Value.Kind == TypedConstantKind.Array)
                .SelectMany(n => n.Value.Values).Select(v => v.Value as string).Where(s => !string.IsNullOrEmpty(s)).Select(s => s!);
            graph.Add(layer.Component, Strings("Factions").Concat(layer.Faction.Length > 0 ? new[] { layer.Faction } : Array.Empty<string>()), Strings("Requires"));
        }
        return graph;
    }

    private static IEnumerable<INamedTypeSymbol> AllTypes(INamespaceSymbol ns)
    {
        foreach (var member in ns.GetMembers())
        {
            if (member is INamespaceSymbol child)
            {
                foreach (var type in AllTypes(child))
                    yield return type;
            }
            else if (member is INamedTypeSymbol type)
            {
                yield return type;
            }
        }
    }

    private void Add(string component, IEnumerable<string> factions, IEnumerable<string> requires)
    {
        if (!_factions.TryGetValue(component, out var f))
            _factions[component] = f = new HashSet<string>(StringComparer.Ordinal);
        if (!_requires.TryGetValue(component, out var r))
            _requires[component] = r = new HashSet<string>(StringComparer.Ordinal);
        f.UnionWith(factions);
        r.UnionWith(requires);
    }

    /// <summary>The components <paramref name="component"/> requires, directly or through others (not itself).</summary>
    public IReadOnlyCollection<string> Closure(string component)
    {
        lock (_gate)
        {
            if (_closures.TryGetValue(component, out var done))
                return done;
            var closure = new HashSet<string>(StringComparer.Ordinal);
            var pending = new Stack<string>(Requires(component));
            while (pending.Count > 0)
            {
                var next = pending.Pop();
                if (next == component || !closure.Add(next))
                    continue;
                foreach (var more in Requires(next))
                    pending.Push(more);
            }
            _closures[component] = closure;
            return closure;
        }
    }

    private IEnumerable<string> Requires(string component)
        => _requires.TryGetValue(component, out var r) ? r : Enumerable.Empty<string>();

    /// <summary>A component may use its own factions (and the folder's) and those of the components it requires.</summary>
    public bool MayUseFaction(string component, string folderFaction, string faction)
    {
        if (faction == folderFaction || (_factions.TryGetValue(component, out var own) && own.Contains(faction)))
            return true;
        return Closure(component).Any(c => _factions.TryGetValue(c, out var f) && f.Contains(faction));
    }
}
