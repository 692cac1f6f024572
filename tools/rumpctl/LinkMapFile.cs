using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace Rump.Tools;

/// <summary>What <c>kernel diff</c> and <c>kernel info</c> read from a link map (<c>*.linkmap.json</c>, msbuild/README.md).</summary>
public sealed record LinkMapFile(
    string Path,
    string Kernel,
    string Target,
    int HypercallVersion,
    string VintageRef,
    string VintageCommit,
    string VintageCommitDate,
    bool VintageDirty,
    string BaseSourceHash,
    IReadOnlyList<LinkMapComponent> Components,
    long IlBytes,
    IReadOnlyList<string> Syscalls)
{
    /// <summary>Reads <paramref name="path"/>; a missing file is an errno failure, a file that is no link map a ToolException.</summary>
    public static LinkMapFile Load(string path, string displayName)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (FileNotFoundException)
        {
            throw new ToolErrnoException((int)Errno.ENOENT, displayName);
        }
        catch (DirectoryNotFoundException)
        {
            throw new ToolErrnoException((int)Errno.ENOENT, displayName);
        }
        catch (UnauthorizedAccessException)
        {
            throw new ToolErrnoException((int)Errno.EACCES, displayName);
        }
        catch (IOException e)
        {
            throw new ToolErrnoException(HostErrors.ErrnoOf(e), displayName);
        }
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            var vintage = root.TryGetProperty("vintage", out var v) ? v : default;
            var components = root.GetProperty("components").EnumerateArray().Select(c => new LinkMapComponent(
                Str(c, "name"), Str(c, "layer"), Strings(c, "factions"), Strings(c, "requires"), Strings(c, "files"), Str(c, "sourceHash"))).ToList();
            return new LinkMapFile(
                path,
                Str(root, "kernel"),
                Str(root, "target"),
                root.TryGetProperty("hypercallVersion", out var h) && h.TryGetInt32(out var version) ? version : 0,
                Str(vintage, "ref"),
                Str(vintage, "commit"),
                Str(vintage, "commitDate"),
                vintage.ValueKind == JsonValueKind.Object && vintage.TryGetProperty("dirty", out var d) && d.ValueKind == JsonValueKind.True,
                root.TryGetProperty("base", out var b) ? Str(b, "sourceHash") : "",
                components,
                root.TryGetProperty("ilBytes", out var il) && il.TryGetInt64(out var bytes) ? bytes : 0,
                Strings(root, "syscalls"));
        }
        catch (JsonException e)
        {
            // Not the reader's message: it is a resource key in the published tool, and about JSON, not link maps.
            var where = e.LineNumber is long line ? " at line " + (line + 1) + ", byte " + ((e.BytePositionInLine ?? 0) + 1) : "";
            throw new ToolException(displayName + ": not a link map (not JSON" + where + ")", ExitCodes.Kernel);
        }
        catch (KeyNotFoundException)
        {
            throw new ToolException(displayName + ": not a link map (JSON without a \"components\" list)", ExitCodes.Kernel);
        }
        catch (InvalidOperationException)
        {
            throw new ToolException(displayName + ": not a link map (JSON of another shape: no object with a \"components\" array)", ExitCodes.Kernel);
        }
    }

    /// <summary>"HEAD~3 1a2b3c4d5e6f, dirty" — the vintage as one phrase.</summary>
    public string VintageText
        => (VintageRef.Length > 0 ? VintageRef : "?")
           + (VintageCommit.Length > 0 ? " " + VintageCommit.Substring(0, Math.Min(12, VintageCommit.Length)) : "")
           + (VintageDirty ? ", dirty" : "");

    private static string Str(JsonElement element, string name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString() ?? "" : "";

    private static IReadOnlyList<string> Strings(JsonElement element, string name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList() : [];
}

/// <summary>One entry of a link map's <c>components</c> (a component or a faction).</summary>
public sealed record LinkMapComponent(string Name, string Layer, IReadOnlyList<string> Factions, IReadOnlyList<string> Requires,
    IReadOnlyList<string> Files, string SourceHash);
