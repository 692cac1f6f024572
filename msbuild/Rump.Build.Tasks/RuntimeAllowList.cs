using System;
using System.Collections.Generic;
using System.IO;

namespace Rump.Build.Tasks;

/// <summary>
/// The runtime core kernel code may use: msbuild/Sdk/kernel-runtime-allowlist.txt (format in its header, shared
/// with the host-API analyzer). One entry a line, '#' starts a comment. <c>N:Ns</c> = every type of exactly that
/// namespace; <c>Prefix.*</c> = every type whose full name starts with "Prefix."; <c>T:Type</c> or a bare type name =
/// the type, its members and nested types; <c>Type::Member</c> (or <c>M:/P:/F:/E:</c> documentation ids) = one
/// member, any overload; <c>!entry | fix</c> denies. The most specific entry wins (member &gt; type &gt; namespace or
/// prefix); on a tie deny wins; a name no entry matches is not allowed.
/// </summary>
internal sealed class RuntimeAllowList
{
    private sealed class Rules
    {
        public readonly HashSet<string> Namespaces = new(StringComparer.Ordinal);
        public readonly HashSet<string> Types = new(StringComparer.Ordinal);
        public readonly HashSet<string> Members = new(StringComparer.Ordinal);
        public readonly List<string> Prefixes = [];
    }

    private readonly Rules _allow = new();
    private readonly Rules _deny = new();
    private readonly Dictionary<string, string> _fixes = new(StringComparer.Ordinal);

    public static RuntimeAllowList Load(string path) => Parse(File.ReadAllLines(path));

    public static RuntimeAllowList Parse(IEnumerable<string> lines)
    {
        var list = new RuntimeAllowList();
        foreach (var raw in lines)
        {
            var line = raw;
            var comment = line.IndexOf('#');
            if (comment >= 0)
                line = line.Substring(0, comment);
            line = line.Trim();
            if (line.Length == 0)
                continue;
            var rules = list._allow;
            string? fix = null;
            if (line.StartsWith('!'))
            {
                rules = list._deny;
                var bar = line.IndexOf('|');
                if (bar >= 0)
                {
                    fix = line.Substring(bar + 1).Trim();
                    line = line.Substring(0, bar);
                }
                line = line.Substring(1).Trim();
            }
            var key = Add(rules, line);
            if (fix is not null && key is not null)
                list._fixes[key] = fix;
        }
        return list;
    }

    /// <summary>Adds one entry; returns its key (for the fix text of deny entries).</summary>
    private static string? Add(Rules rules, string entry)
    {
        if (entry.EndsWith('*'))
        {
            var prefix = Normalize(StripKind(entry).TrimEnd('*'));
            rules.Prefixes.Add(prefix);
            return "prefix:" + prefix;
        }
        if (entry.Length > 2 && entry[1] == ':')
        {
            var body = Normalize(entry.Substring(2));
            switch (entry[0])
            {
                case 'N':
                    rules.Namespaces.Add(body);
                    return "ns:" + body;
                case 'T':
                    rules.Types.Add(body);
                    return "type:" + body;
                default:
                    var member = MemberKey(body);
                    rules.Members.Add(member);
                    return "member:" + member;
            }
        }
        var separator = entry.IndexOf("::", StringComparison.Ordinal);
        if (separator > 0)
        {
            var member = Normalize(entry.Substring(0, separator)) + "::" + entry.Substring(separator + 2).Split('(')[0].Trim();
            rules.Members.Add(member);
            return "member:" + member;
        }
        var type = Normalize(entry);
        rules.Types.Add(type);
        return "type:" + type;
    }

    /// <summary>Whether kernel code may use the type (namespace, name below it with nested types '.'-joined and `n arity).</summary>
    public bool AllowsType(string ns, string typeName) => Decide(ns, typeName, null, out _);

    public bool AllowsMember(string ns, string typeName, string member) => Decide(ns, typeName, member, out _);

    /// <summary>The decision and, for a denied name with one, the list's fix text.</summary>
    public bool Decide(string ns, string typeName, string? member, out string? fix)
    {
        fix = null;
        var full = ns.Length > 0 ? ns + "." + typeName : typeName;
        if (member is not null)
        {
            var key = full + "::" + member;
            if (_deny.Members.Contains(key))
            {
                fix = _fixes.GetValueOrDefault("member:" + key);
                return false;
            }
            if (_allow.Members.Contains(key))
                return true;
        }
        // A type entry covers its nested types: try the type, then each enclosing type.
        for (var name = full; ; )
        {
            if (_deny.Types.Contains(name))
            {
                fix = _fixes.GetValueOrDefault("type:" + name);
                return false;
            }
            if (_allow.Types.Contains(name))
                return true;
            var dot = name.LastIndexOf('.');
            if (dot <= ns.Length)
                break;
            name = name.Substring(0, dot);
        }
        if (_deny.Namespaces.Contains(ns))
        {
            fix = _fixes.GetValueOrDefault("ns:" + ns);
            return false;
        }
        foreach (var prefix in _deny.Prefixes)
        {
            if (full.StartsWith(prefix, StringComparison.Ordinal))
            {
                fix = _fixes.GetValueOrDefault("prefix:" + prefix);
                return false;
            }
        }
        if (_allow.Namespaces.Contains(ns))
            return true;
        foreach (var prefix in _allow.Prefixes)
        {
            if (full.StartsWith(prefix, StringComparison.Ordinal))
                return true;
        }
        return false;
    }

    private static string StripKind(string line) => line.Length > 2 && line[1] == ':' ? line.Substring(2) : line;

    private static string Normalize(string name) => name.Replace('+', '.').Replace('/', '.').Trim();

    /// <summary>"System.String.Concat(System.String,System.String)" → "System.String::Concat"; "#ctor" → ".ctor".</summary>
    private static string MemberKey(string docId)
    {
        var name = docId.Split('(')[0];
        var dot = name.LastIndexOf('.');
        if (dot < 0)
            return name;
        var member = name.Substring(dot + 1).Replace('#', '.').Split('`')[0];
        return name.Substring(0, dot) + "::" + member;
    }
}
