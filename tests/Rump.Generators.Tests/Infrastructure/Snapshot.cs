using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace Rump.Generators.Tests.Infrastructure;

/// <summary>
/// Snapshot testing in Verify's file conventions (Verify itself is not served here):
/// <c>{Class}.{Method}#{hintName}.verified.cs</c> beside the test, first line <c>//HintName: …</c>, one per
/// generated file sorted by hint name; diagnostics in <c>{Class}.{Method}.verified.txt</c>. A mismatch or a
/// missing snapshot writes <c>.received.</c> beside it and fails; accept by renaming, or for all with
/// <c>RUMP_ACCEPT_SNAPSHOTS=1</c>. Paths, GUIDs and versions are scrubbed. A generator that threw fails.
/// </summary>
internal static class Snapshot
{
    public const string AcceptVariable = "RUMP_ACCEPT_SNAPSHOTS";

    private static readonly Regex Guid = new(@"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b", RegexOptions.Compiled);
    private static readonly Regex AssemblyVersion = new(@"Version=\d+(\.\d+){1,3}", RegexOptions.Compiled);

    public static void Verify(GeneratorDriverRunResult result, [CallerFilePath] string testFile = "", [CallerMemberName] string testMethod = "")
        => Verify(result, testFile, testMethod, Environment.GetEnvironmentVariable(AcceptVariable) == "1");

    /// <summary>As above with accepting chosen by the caller (the helper's own tests).</summary>
    public static void Verify(GeneratorDriverRunResult result, string testFile, string testMethod, bool accept)
    {
        foreach (var generator in result.Results)
        {
            if (generator.Exception is not null)
                Assert.Fail($"generator {generator.Generator.GetGeneratorType().Name} threw: {generator.Exception}");
        }

        var directory = Path.GetDirectoryName(testFile)!;
        var prefix = Path.GetFileNameWithoutExtension(testFile) + "." + testMethod;
        var expected = new List<(string Name, string Text)>();
        foreach (var source in result.Results.SelectMany(r => r.GeneratedSources).OrderBy(s => s.HintName, StringComparer.Ordinal))
        {
            var hint = source.HintName.EndsWith(".cs", StringComparison.Ordinal) ? source.HintName[..^3] : source.HintName;
            expected.Add(($"{prefix}#{hint}", "//HintName: " + source.HintName + "\n" + Scrub(source.SourceText.ToString())));
        }
        var diagnostics = result.Diagnostics;
        if (!diagnostics.IsEmpty)
            expected.Add((prefix, Describe(diagnostics)));

        var failures = new List<string>();
        var produced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, text) in expected)
        {
            var extension = name == prefix ? ".txt" : ".cs";
            var verified = Path.Combine(directory, name + ".verified" + extension);
            var received = Path.Combine(directory, name + ".received" + extension);
            produced.Add(verified);
            var current = File.Exists(verified) ? Normalize(File.ReadAllText(verified)) : null;
            if (current == text)
            {
                File.Delete(received);
                continue;
            }
            if (accept)
            {
                Write(verified, text);
                File.Delete(received);
                continue;
            }
            Write(received, text);
            failures.Add(current is null
                ? $"new snapshot {Path.GetFileName(received)} (accept: rename to .verified, or set {AcceptVariable}=1)"
                : $"{Path.GetFileName(verified)} differs: {FirstDifference(current, text)} (see {Path.GetFileName(received)})");
        }

        // A verified file the run no longer produces is a failure too (the generator stopped writing it).
        foreach (var stale in Directory.EnumerateFiles(directory, prefix + "#*.verified.cs")
                     .Concat(Directory.EnumerateFiles(directory, prefix + ".verified.txt"))
                     .Where(f => !produced.Contains(f)))
        {
            if (accept)
                File.Delete(stale);
            else
                failures.Add($"{Path.GetFileName(stale)} was not produced by this run");
        }

        if (failures.Count > 0)
            Assert.Fail("snapshot mismatch:\n  " + string.Join("\n  ", failures));
    }

    /// <summary>One line per diagnostic: id, severity, file:line:column, message.</summary>
    public static string Describe(IEnumerable<Diagnostic> diagnostics)
    {
        var lines = diagnostics
            .Select(d =>
            {
                var span = d.Location.GetLineSpan();
                var where = d.Location == Location.None ? "(no location)"
                    : $"{span.Path}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1})";
                return $"{d.Id} {d.Severity} {where}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
            })
            .OrderBy(l => l, StringComparer.Ordinal);
        return Scrub(string.Join("\n", lines) + "\n");
    }

    public static string Scrub(string text)
    {
        text = Normalize(text);
        text = text.Replace(Repo.Root.TrimEnd('/', '\\') + "/", "{RepoRoot}/");
        text = Guid.Replace(text, "{Guid}");
        return AssemblyVersion.Replace(text, "Version={Version}");
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n").TrimStart('\uFEFF');

    private static void Write(string path, string text) => File.WriteAllText(path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));

    private static string FirstDifference(string expected, string actual)
    {
        var a = expected.Split('\n');
        var b = actual.Split('\n');
        for (int i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            var left = i < a.Length ? a[i] : "<end>";
            var right = i < b.Length ? b[i] : "<end>";
            if (left != right)
                return $"line {i + 1}: expected `{left.Trim()}`, got `{right.Trim()}`";
        }
        return "whitespace";
    }
}
