using System;
using System.Collections.Generic;
using System.IO;

namespace Rump.Generators.Analyzers;

/// <summary>
/// msbuild/Sdk/kernel-runtime-allowlist.txt (format in its header): what kernel code may name of the
/// runtime, with deny entries that carry the fix. The most specific entry wins (member &gt; type &gt;
/// namespace or prefix); on a tie, deny wins; nothing matched = not allowed.
/// </summary>
internal sealed class RuntimeAllowList
{
    public const string FileName = "kernel-runtime-allowlist.txt";
    private const string ResourceName = "Rump.Generators.kernel-runtime-allowlist.txt";

    private const int NoMatch = 0, NamespaceLevel = 1, TypeLevel = 2, MemberLevel = 3;

    private readonly Rules _allow = new();
    private readonly Rules _deny = new();

    /// <summary>The copy embedded in the analyzer assembly (used when the build passes none).</summary>
    public static RuntimeAllowList Embedded()
    {
        using var stream = typeof(RuntimeAllowList).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException("embedded resource missing: " + ResourceName);
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    }

    public static RuntimeAllowList Parse(string text)
    {
        var list = new RuntimeAllowList();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw;
            int comment = line.IndexOf('#');
            if (comment >= 0)
                line = line.Substring(0, comment);
            line = line.Trim();
            if (line.Length == 0)
                continue;
            var rules = list._allow;
            string fix = "";
            if (line[0] == '!')
            {
                rules = list._deny;
                line = line.Substring(1);
                int bar = line.IndexOf('|');
                if (bar >= 0)
                {
                    fix = line.Substring(bar + 1).Trim();
                    line = line.Substring(0, bar);
                }
                line = line.Trim();
            }
            rules.Add(line, fix);
        }
        return list;
    }

    /// <summary>
    /// Whether kernel code may name the type (<paramref name="member"/> null) or one of its members
    /// (any of the IL names in <paramref name="member"/>: a property is get_X/set_X and X).
    /// When not, <paramref name="fix"/> is the deny entry's fix (empty when nothing allowed it).
    /// </summary>
    public bool Allows(string ns, string typeName, IReadOnlyList<string>? member, out string fix)
    {
        var (allowLevel, _) = _allow.Match(ns, typeName, member);
        var (denyLevel, denyFix) = _deny.Match(ns, typeName, member);
        fix = denyFix;
        return allowLevel > NoMatch && allowLevel > denyLevel;
    }

    private sealed class Rules
    {
        private readonly Dictionary<string, string> _namespaces = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _types = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _members = new(StringComparer.Ordinal);
        private readonly List<KeyValuePair<string, string>> _prefixes = new();

        public void Add(string entry, string fix)
        {
            if (entry.EndsWith("*", StringComparison.Ordinal))
            {
                _prefixes.Add(new KeyValuePair<string, string>(Normalize(StripKind(entry).TrimEnd('*')), fix));
                return;
            }
            int separator = entry.IndexOf("::", StringComparison.Ordinal);
            if (separator > 0)
            {
                _members[Normalize(StripKind(entry.Substring(0, separator))) + "::" + entry.Substring(separator + 2).Split('(')[0].Trim()] = fix;
                return;
            }
            if (entry.Length > 2 && entry[0] == 'N' && entry[1] == ':')
                _namespaces[Normalize(entry.Substring(2))] = fix;
            else
                _types[Normalize(StripKind(entry))] = fix;
        }

        /// <summary>The most specific level at which an entry matches, and that entry's fix.</summary>
        public (int Level, string Fix) Match(string ns, string typeName, IReadOnlyList<string>? member)
        {
            var full = ns.Length > 0 ? ns + "." + typeName : typeName;
            if (member is not null)
            {
                foreach (var name in member)
                {
                    if (_members.TryGetValue(full + "::" + name, out var memberFix))
                        return (MemberLevel, memberFix);
                }
            }
            // The type, or an outer type of a nested one.
            for (var name = full; name.Length > ns.Length; )
            {
                if (_types.TryGetValue(name, out var typeFix))
                    return (TypeLevel, typeFix);
                int dot = name.LastIndexOf('.');
                if (dot <= ns.Length)
                    break;
                name = name.Substring(0, dot);
            }
            if (_namespaces.TryGetValue(ns, out var namespaceFix))
                return (NamespaceLevel, namespaceFix);
            foreach (var prefix in _prefixes)
            {
                if (full.StartsWith(prefix.Key, StringComparison.Ordinal))
                    return (NamespaceLevel, prefix.Value);
            }
            return (NoMatch, "");
        }

        private static string StripKind(string entry)
            => entry.Length > 2 && entry[1] == ':' && char.IsUpper(entry[0]) ? entry.Substring(2) : entry;

        private static string Normalize(string name) => name.Replace('+', '.').Replace('/', '.').Trim();
    }
}
