using System;
using System.Collections.Generic;
using System.IO;

namespace Rump.Build.Tasks;

/// <summary>
/// The runtime core kernel code may use (msbuild/Sdk/kernel-runtime-allowlist.txt, written by the
/// generators' side). One entry a line; '#' or '//' starts a comment. Accepted spellings:
/// <c>N:System.Collections.Generic</c> (every type of that namespace), <c>T:System.Span`1</c> or a bare
/// type name (the type, its members and nested types), <c>M:/P:/F:/E:Type.Member(...)</c> (one member,
/// any overload), and a trailing <c>*</c> for a prefix (<c>System.Buffers.*</c>).
/// </summary>
internal sealed class RuntimeAllowList
{
    private readonly HashSet<string> _namespaces = new(StringComparer.Ordinal);
    private readonly HashSet<string> _types = new(StringComparer.Ordinal);
    private readonly HashSet<string> _members = new(StringComparer.Ordinal);
    private readonly List<string> _prefixes = [];

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
            comment = line.IndexOf("//", StringComparison.Ordinal);
            if (comment >= 0)
                line = line.Substring(0, comment);
            line = line.Trim();
            if (line.Length == 0)
                continue;
            if (line.EndsWith('*'))
            {
                list._prefixes.Add(Normalize(StripKind(line).TrimEnd('*')));
                continue;
            }
            if (line.Length > 2 && line[1] == ':')
            {
                var body = Normalize(line.Substring(2));
                switch (line[0])
                {
                    case 'N': list._namespaces.Add(body); break;
                    case 'T': list._types.Add(body); break;
                    default: list._members.Add(MemberKey(body)); break;
                }
                continue;
            }
            var separator = line.IndexOf("::", StringComparison.Ordinal);
            if (separator > 0)
                list._members.Add(Normalize(line.Substring(0, separator)) + "::" + line.Substring(separator + 2).Split('(')[0]);
            else
                list._types.Add(Normalize(line));
        }
        return list;
    }

    /// <summary>True when the type (namespace + name, nested types '.'-joined, generic arity as `n) is allowed as a whole.</summary>
    public bool AllowsType(string ns, string typeName)
    {
        if (_namespaces.Contains(ns))
            return true;
        var full = ns.Length > 0 ? ns + "." + typeName : typeName;
        foreach (var prefix in _prefixes)
        {
            if (full.StartsWith(prefix, StringComparison.Ordinal))
                return true;
        }
        // A nested type is allowed with its outer type.
        for (var name = full; ; )
        {
            if (_types.Contains(name))
                return true;
            var dot = name.LastIndexOf('.');
            if (dot <= ns.Length)
                return false;
            name = name.Substring(0, dot);
        }
    }

    public bool AllowsMember(string ns, string typeName, string member)
        => AllowsType(ns, typeName) || _members.Contains((ns.Length > 0 ? ns + "." + typeName : typeName) + "::" + member);

    private static string StripKind(string line) => line.Length > 2 && line[1] == ':' ? line.Substring(2) : line;

    private static string Normalize(string name) => name.Replace('+', '.').Replace('/', '.').Trim();

    /// <summary>"System.String.Concat(System.String,System.String)" → "System.String::Concat".</summary>
    private static string MemberKey(string docId)
    {
        var name = docId.Split('(')[0];
        var dot = name.LastIndexOf('.');
        if (dot < 0)
            return name;
        // Constructors are "#ctor" in documentation ids.
        var member = name.Substring(dot + 1).Replace('#', '.').Split('`')[0];
        return name.Substring(0, dot) + "::" + member;
    }
}
