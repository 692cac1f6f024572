using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.Build.Framework;

namespace Rump.Build.Tasks;

/// <summary>
/// RUMP0009, after the compiler failed on a vintage: reads the compiler's error log (SARIF, <c>$(ErrorLog)</c>) and
/// repeats each compiler error in a vintage file as <c>&lt;ref&gt;:&lt;relative path&gt;(line,col): CSnnnn …</c>, so the
/// build output says which vintage and which of its files did not compile (the compiler names the exported copy
/// under obj/), then one summary naming the vintage, its commit and the toolchain it met.
/// </summary>
public sealed class ReportVintageCompileErrors : Microsoft.Build.Utilities.Task
{
    /// <summary>The compiler's SARIF error log.</summary>
    [Required] public string ErrorLog { get; set; } = "";

    /// <summary>Folder holding base/ factions/ components/ of the vintage (the export under obj/, or the upstream folder).</summary>
    [Required] public string SourceRoot { get; set; } = "";

    [Required] public string Target { get; set; } = "";

    public string VintageRef { get; set; } = "";
    public string VintageCommit { get; set; } = "";
    public string VintageDirty { get; set; } = "";

    public override bool Execute()
    {
        var vintage = new HypercallVersions.Vintage(VintageRef, VintageCommit, string.Equals(VintageDirty, "true", StringComparison.OrdinalIgnoreCase));
        var errors = ReadErrors(ErrorLog);
        var root = Path.GetFullPath(SourceRoot);
        var inVintage = 0;
        var elsewhere = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var error in errors)
        {
            var full = error.File.Length > 0 ? Path.GetFullPath(error.File) : "";
            if (full.Length == 0 || !IsUnder(root, full))
            {
                elsewhere.Add(full.Length == 0 ? "(no file)" : full);
                continue;
            }
            inVintage++;
            var relative = SplitLayers.RelativePath(root, full);
            Log.LogError(null, RumpErrors.VintageDoesNotCompile, null, RumpErrors.HelpLink(RumpErrors.VintageDoesNotCompile), full, error.Line, error.Column, 0, 0,
                vintage.FileName(relative) + "(" + Number(error.Line) + "," + Number(error.Column) + "): " + error.RuleId + ": " + error.Message
                + " [in " + vintage.Describe() + "]");
        }

        var where = inVintage + " compiler error" + (inVintage == 1 ? "" : "s") + " in the vintage's files"
            + (elsewhere.Count > 0 ? " and errors in today's files (" + string.Join(", ", elsewhere.Take(5)) + (elsewhere.Count > 5 ? ", …" : "") + ")" : "");
        RumpErrors.Error(Log, RumpErrors.VintageDoesNotCompile, null, 0,
            "The kernel sources of " + vintage.Describe() + " do not compile with today's toolchain and target '" + Target + "': " + where
            + "; the vintage's files are exported to " + root + ".",
            "build a vintage that compiles with today's toolchain (a later commit), or fix the sources in a new commit and build that; "
            + "errors in targets/ mean the target no longer fits the vintage's hypercall declarations (see RUMP0007).");
        return false;
    }

    private static bool IsUnder(string root, string file)
    {
        var withSlash = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        return file.StartsWith(withSlash, StringComparison.Ordinal);
    }

    internal sealed record CompilerError(string RuleId, string Message, string File, int Line, int Column);

    /// <summary>The errors of a SARIF 2.1 (or 1.0) log as Roslyn writes it; empty when the log is missing or unreadable.</summary>
    internal static List<CompilerError> ReadErrors(string path)
    {
        var errors = new List<CompilerError>();
        if (!File.Exists(path))
            return errors;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return errors;
        }
        using (document)
        {
            if (!document.RootElement.TryGetProperty("runs", out var runs) || runs.ValueKind != JsonValueKind.Array)
                return errors;
            foreach (var run in runs.EnumerateArray())
            {
                if (!run.TryGetProperty("results", out var results) || results.ValueKind != JsonValueKind.Array)
                    continue;
                foreach (var result in results.EnumerateArray())
                {
                    if (String(result, "level") != "error")
                        continue;
                    var message = result.TryGetProperty("message", out var m) ? (m.ValueKind == JsonValueKind.String ? m.GetString() ?? "" : String(m, "text")) : "";
                    var (file, line, column) = Location(result);
                    errors.Add(new CompilerError(String(result, "ruleId"), message, file, line, column));
                }
            }
        }
        return errors;
    }

    private static (string File, int Line, int Column) Location(JsonElement result)
    {
        if (!result.TryGetProperty("locations", out var locations) || locations.ValueKind != JsonValueKind.Array)
            return ("", 0, 0);
        foreach (var location in locations.EnumerateArray())
        {
            // 2.1: physicalLocation.artifactLocation.uri + region; 1.0: resultFile.uri + region.
            JsonElement physical;
            string uri;
            if (location.TryGetProperty("physicalLocation", out physical) && physical.TryGetProperty("artifactLocation", out var artifact))
                uri = String(artifact, "uri");
            else if (location.TryGetProperty("resultFile", out physical))
                uri = String(physical, "uri");
            else
                continue;
            var file = uri.StartsWith("file:", StringComparison.Ordinal) && Uri.TryCreate(uri, UriKind.Absolute, out var parsed) ? parsed.LocalPath : Uri.UnescapeDataString(uri);
            int line = 0, column = 0;
            if (physical.TryGetProperty("region", out var region))
            {
                line = Int(region, "startLine");
                column = Int(region, "startColumn");
            }
            return (file, line, column);
        }
        return ("", 0, 0);
    }

    private static string String(JsonElement element, string name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : "";

    private static int Int(JsonElement element, string name)
        => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : 0;

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
