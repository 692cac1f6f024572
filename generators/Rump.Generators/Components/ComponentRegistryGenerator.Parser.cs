using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Rump.Generators.Components.Model;

namespace Rump.Generators.Components;

public sealed partial class ComponentRegistryGenerator
{
    internal static class Parser
    {
        /// <summary>Rump.Kern.InitLevel, in boot order (NetBSD's rump_init order).</summary>
        internal static readonly string[] Levels =
            ["Kern", "Vfs", "Net", "NetRoute", "NetIf", "NetIfCfg", "Dev", "DevAfterMainbus", "KernVfs", "PostInit", "Syscall"];

        public static ComponentClass? ParseClass(GeneratorAttributeSyntaxContext context)
        {
            if (context.TargetSymbol is not INamedTypeSymbol type)
                return null;
            string level = "Kern";
            var factions = ImmutableArray<string>.Empty;
            var requires = ImmutableArray<string>.Empty;
            foreach (var attribute in context.Attributes)
            {
                if (attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is int value)
                    level = value >= 0 && value < Levels.Length ? Levels[value] : value.ToString(CultureInfo.InvariantCulture);
                foreach (var named in attribute.NamedArguments)
                {
                    if (named.Value.Kind != TypedConstantKind.Array)
                        continue;
                    var items = named.Value.Values.Select(v => v.Value as string).Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).ToImmutableArray();
                    if (named.Key == "Factions")
                        factions = items;
                    else if (named.Key == "Requires")
                        requires = items;
                }
            }
            bool hasInit = type.GetMembers("Init").OfType<IMethodSymbol>().Any(m =>
                m.IsStatic && m.ReturnsVoid && m.Parameters.IsEmpty && m.TypeParameters.IsEmpty
                && m.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal);
            return new ComponentClass(
                type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
                NormalizePath(context.TargetNode.SyntaxTree.FilePath),
                level,
                factions.ToEquatableArray(),
                requires.ToEquatableArray(),
                hasInit,
                LocationInfo.From(type.Locations.FirstOrDefault()));
        }

        /// <summary>Parses rump.components.txt: <c>name|layer|factions|requires|initLevel|sourceHash|files</c>.</summary>
        public static ComponentsFile ParseFile(ImmutableArray<string> texts)
        {
            if (texts.IsEmpty)
                return new ComponentsFile(false, EquatableArray<ComponentLine>.Empty);
            var lines = new List<ComponentLine>();
            foreach (var raw in texts[0].Split('\n'))
            {
                var line = raw.Trim();
                if (line.Length == 0 || line[0] == '#')
                    continue;
                var columns = line.Split('|');
                if (columns.Length < 5)
                    continue;
                lines.Add(new ComponentLine(
                    columns[0].Trim(),
                    columns[1].Trim(),
                    List(columns[2]),
                    List(columns[3]),
                    LevelName(columns[4].Trim()),
                    columns.Length > 5 ? columns[5].Trim() : "",
                    columns.Length > 6 ? List(columns[6], NormalizePath) : EquatableArray<string>.Empty));
            }
            return new ComponentsFile(true, lines.ToEquatableArray());
        }

        private static EquatableArray<string> List(string column, Func<string, string>? map = null)
            => column.Split(';').Select(s => s.Trim()).Where(s => s.Length > 0).Select(s => map is null ? s : map(s)).ToEquatableArray();

        /// <summary>An InitLevel name as the enum spells it; accepts any case or the number.</summary>
        internal static string LevelName(string text)
        {
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int number) && number < Levels.Length)
                return Levels[number];
            return Levels.FirstOrDefault(l => string.Equals(l, text, StringComparison.OrdinalIgnoreCase)) ?? "Kern";
        }

        private static int LevelIndex(string level) => Math.Max(0, Array.IndexOf(Levels, level));

        internal static string NormalizePath(string path) => path.Replace('\\', '/');

        /// <summary>The layer a file belongs to, from where it lives (contracts.md): (layer, faction, component).</summary>
        internal static (string Layer, string? Faction, string? Component) LayerOfPath(string path)
        {
            var parts = NormalizePath(path).Split('/');
            for (int i = parts.Length - 2; i >= 0; i--)
            {
                if (parts[i] == "components" && i + 3 < parts.Length)
                    return ("component", parts[i + 1], parts[i + 2]);
                if (parts[i] == "factions" && i + 2 < parts.Length)
                    return ("faction", parts[i + 1], null);
            }
            return ("base", null, null);
        }

        private static string DefaultLevel(string? faction) => faction switch
        {
            "vfs" => "Vfs",
            "net" => "Net",
            "dev" => "Dev",
            _ => "Kern",
        };

        public static RegistryModel Build(ImmutableArray<ComponentClass> classes, ComponentsFile file)
        {
            var diagnostics = ImmutableArray.CreateBuilder<DiagnosticInfo>();
            var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
            var byFile = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var line in file.Lines)
            {
                if (entries.ContainsKey(line.Name))
                    continue;
                entries[line.Name] = new Entry(line.Name, line.Layer, line.Factions.ToList(), line.Requires.ToList(), line.Level, line.SourceHash);
                foreach (var path in line.Files)
                    byFile[path] = line.Name;
            }

            foreach (var cls in classes.OrderBy(c => c.FullName, StringComparer.Ordinal))
            {
                var (layer, faction, component) = LayerOfPath(cls.FilePath);
                string name = byFile.TryGetValue(cls.FilePath, out var mapped) ? mapped
                    : component ?? faction ?? ShortName(cls.FullName).ToLowerInvariant();
                if (!entries.TryGetValue(name, out var entry))
                {
                    // No line for this class (no components file): the class declares it all.
                    var factions = cls.Factions.Count > 0 ? cls.Factions.ToList()
                        : faction is not null ? new List<string> { faction } : new List<string>();
                    entry = new Entry(name, layer, factions, cls.Requires.ToList(), cls.Level, "");
                    entries[name] = entry;
                }
                else
                {
                    // The resolve task read the same attribute with a syntax-only parse; the compiled value wins.
                    entry.Level = cls.Level;
                }

                if (!cls.HasInit)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ComponentWithoutInit, cls.Location,
                        ShortName(cls.FullName), name, cls.Level));
                    continue;
                }
                entry.InitTypes.Add(cls.FullName);
            }

            var ordered = BootOrder(entries.Values.ToList());
            var result = ordered.Select(e => new RegistryEntry(
                    e.Name, e.Layer, e.Factions.ToEquatableArray(), e.Requires.ToEquatableArray(), e.Level, e.SourceHash,
                    e.InitTypes.OrderBy(t => t, StringComparer.Ordinal).ToEquatableArray()))
                .ToEquatableArray();
            return new RegistryModel(result, diagnostics.ToEquatableArray());
        }

        /// <summary>
        /// By init level; within a level the base, then factions, then components in dependency order
        /// (a component after everything it requires), ties by name.
        /// </summary>
        private static List<Entry> BootOrder(List<Entry> entries)
        {
            var result = new List<Entry>();
            foreach (var level in entries.GroupBy(e => LevelIndex(e.Level)).OrderBy(g => g.Key))
            {
                var group = level.OrderBy(e => LayerRank(e.Layer)).ThenBy(e => e.Name, StringComparer.Ordinal).ToList();
                result.AddRange(group.Where(e => e.Layer != "component"));
                var pending = group.Where(e => e.Layer == "component").ToList();
                var names = new HashSet<string>(pending.Select(e => e.Name), StringComparer.Ordinal);
                var placed = new HashSet<string>(StringComparer.Ordinal);
                while (pending.Count > 0)
                {
                    // The first (by name) whose requirements in this level are placed; on a cycle, the first by name.
                    var next = pending.FirstOrDefault(e => e.Requires.All(r => !names.Contains(r) || placed.Contains(r))) ?? pending[0];
                    pending.Remove(next);
                    placed.Add(next.Name);
                    result.Add(next);
                }
            }
            return result;
        }

        private static int LayerRank(string layer) => layer switch
        {
            "base" => 0,
            "faction" => 1,
            _ => 2,
        };

        private static string ShortName(string fullName)
        {
            if (fullName.StartsWith("global::", StringComparison.Ordinal))
                fullName = fullName.Substring("global::".Length);
            int dot = fullName.LastIndexOf('.');
            return dot < 0 ? fullName : fullName.Substring(dot + 1);
        }

        public static KernelIdentityModel ParseIdentity(AnalyzerConfigOptions options)
        {
            string Get(string name) => options.TryGetValue("build_property." + name, out var value) ? value.Trim() : "";
            var target = Get("RumpTarget");
            if (target.Length == 0)
                target = "posix";
            var kernel = Get("RumpKernelName");
            if (kernel.Length == 0)
                kernel = "Rump.Kernel." + char.ToUpperInvariant(target[0]) + target.Substring(1);
            return new KernelIdentityModel(
                kernel,
                target,
                Get("RumpVintageRef"),
                Get("RumpVintageCommit"),
                Get("RumpVintageCommitDate"),
                string.Equals(Get("RumpVintageDirty"), "true", StringComparison.OrdinalIgnoreCase));
        }

        private sealed class Entry
        {
            public Entry(string name, string layer, List<string> factions, List<string> requires, string level, string sourceHash)
            {
                Name = name;
                Layer = layer;
                Factions = factions;
                Requires = requires;
                Level = level;
                SourceHash = sourceHash;
            }

            public string Name { get; }
            public string Layer { get; }
            public List<string> Factions { get; }
            public List<string> Requires { get; }
            public string Level { get; set; }
            public string SourceHash { get; }
            public List<string> InitTypes { get; } = new();
        }
    }
}
