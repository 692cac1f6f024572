using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace Rump.Build.Tasks;

/// <summary>
/// Remembers the [Component] declarations of each file by its size and write time (obj/rump.declarations.cache),
/// so a build where no source changed does not load Roslyn at all. One line per record, tab-separated:
/// <c>file, ticks, length, D|P|N, line, values…</c> (D = declaration, P = problem, N = no declaration).
/// </summary>
internal sealed class DeclarationCache
{
    private readonly string? _path;
    private readonly Dictionary<string, (long Ticks, long Length, List<string[]> Records)> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Ticks, long Length, List<string[]> Records)> _used = new(StringComparer.Ordinal);

    public DeclarationCache(string? path)
    {
        _path = string.IsNullOrEmpty(path) ? null : path;
        if (_path is null || !File.Exists(_path))
            return;
        foreach (var line in File.ReadAllLines(_path))
        {
            var fields = line.Split('\t');
            if (fields.Length < 4 || !long.TryParse(fields[1], out var ticks) || !long.TryParse(fields[2], out var length))
                continue;
            if (!_entries.TryGetValue(fields[0], out var entry))
                _entries[fields[0]] = entry = (ticks, length, []);
            if (fields[3] != "N")
                entry.Records.Add(fields.Skip(3).ToArray());
        }
    }

    /// <summary>Reads the declarations of <paramref name="file"/>, from the cache when the file did not change.</summary>
    public void Read(string file, List<ComponentDeclaration> declarations, List<DeclarationProblem> problems)
    {
        var info = new FileInfo(file);
        var ticks = info.LastWriteTimeUtc.Ticks;
        if (_entries.TryGetValue(file, out var cached) && cached.Ticks == ticks && cached.Length == info.Length)
        {
            foreach (var record in cached.Records)
            {
                var line = int.Parse(record[1], CultureInfo.InvariantCulture);
                if (record[0] == "D")
                    declarations.Add(new(file, line, record[2], List(record[3]), List(record[4])));
                else
                    problems.Add(new(file, line, record[2]));
            }
            _used[file] = cached;
            return;
        }
        int declarationsBefore = declarations.Count, problemsBefore = problems.Count;
        ComponentDeclarationReader.Read(file, File.ReadAllText(file), declarations, problems);
        var records = new List<string[]>();
        foreach (var d in declarations.Skip(declarationsBefore))
            records.Add(["D", d.Line.ToString(CultureInfo.InvariantCulture), d.InitLevel, string.Join(";", d.Factions), string.Join(";", d.Requires)]);
        foreach (var p in problems.Skip(problemsBefore))
            records.Add(["P", p.Line.ToString(CultureInfo.InvariantCulture), p.What.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ')]);
        _used[file] = (ticks, info.Length, records);
    }

    /// <summary>Writes the records of the files read in this build (only when they differ from the file).</summary>
    public void Save()
    {
        if (_path is null)
            return;
        var text = new StringBuilder();
        foreach (var (file, entry) in _used.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var prefix = file + "\t" + entry.Ticks.ToString(CultureInfo.InvariantCulture) + "\t" + entry.Length.ToString(CultureInfo.InvariantCulture) + "\t";
            if (entry.Records.Count == 0)
                text.Append(prefix).Append("N\n");
            foreach (var record in entry.Records)
                text.Append(prefix).Append(string.Join("\t", record)).Append('\n');
        }
        var content = text.ToString();
        if (File.Exists(_path) && File.ReadAllText(_path) == content)
            return;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_path))!);
        File.WriteAllText(_path, content);
    }

    private static IReadOnlyList<string> List(string value) => value.Length == 0 ? [] : value.Split(';');
}
