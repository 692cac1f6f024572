using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace Rump.Build.Tasks;

/// <summary>One line of rump.components.txt: a selected faction or component (contracts.md).</summary>
internal sealed record ComponentLine(
    string Name,
    string Layer,
    IReadOnlyList<string> Factions,
    IReadOnlyList<string> Requires,
    string InitLevel,
    string SourceHash,
    IReadOnlyList<string> Files);

/// <summary>
/// Reads and writes rump.components.txt: <c>name|layer|factions|requires|initLevel|sourceHash|files</c>,
/// lists ';'-separated, files as full paths, '#' starts a comment line.
/// </summary>
internal static class ComponentsFile
{
    public const string Header =
        "# Components and factions selected for this kernel (written by ResolveComponents; see docs/contracts.md).\n" +
        "# name|layer|factions|requires|initLevel|sourceHash|files\n";

    public static string Format(IEnumerable<ComponentLine> lines)
    {
        var text = new StringBuilder(Header);
        foreach (var line in lines)
        {
            text.Append(line.Name).Append('|')
                .Append(line.Layer).Append('|')
                .Append(string.Join(";", line.Factions)).Append('|')
                .Append(string.Join(";", line.Requires)).Append('|')
                .Append(line.InitLevel).Append('|')
                .Append(line.SourceHash).Append('|')
                .Append(string.Join(";", line.Files)).Append('\n');
        }
        return text.ToString();
    }

    public static List<ComponentLine> Parse(string text)
    {
        var lines = new List<ComponentLine>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            var fields = line.Split('|');
            if (fields.Length != 7)
                throw new FormatException("rump.components.txt: expected 7 fields in '" + line + "'");
            lines.Add(new(fields[0], fields[1], List(fields[2]), List(fields[3]), fields[4], fields[5], List(fields[6])));
        }
        return lines;
    }

    /// <summary>
    /// sha256 over the files sorted by path relative to <paramref name="root"/> (ordinal): for each,
    /// the relative path ('/'-separated, UTF-8), a NUL byte, then the content.
    /// </summary>
    public static string SourceHash(string root, IEnumerable<string> files)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (relative, full) in files.Select(f => (SplitLayers.RelativePath(root, f), f)).OrderBy(p => p.Item1, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(relative));
            hash.AppendData([0]);
            hash.AppendData(File.ReadAllBytes(full));
        }
        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static IReadOnlyList<string> List(string field)
        => field.Length == 0 ? [] : field.Split(';');
}
