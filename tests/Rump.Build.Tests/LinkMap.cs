using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace Rump.Build.Tests;

/// <summary>The link map JSON of a built kernel, read for assertions.</summary>
public sealed class LinkMap
{
    private LinkMap(JsonElement root) => Root = root;

    public JsonElement Root { get; }

    public static LinkMap Load(string path) => new(JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone());

    public IReadOnlyList<string> ComponentNames(string layer)
        => Root.GetProperty("components").EnumerateArray()
            .Where(c => c.GetProperty("layer").GetString() == layer)
            .Select(c => c.GetProperty("name").GetString()!).ToList();

    public JsonElement Component(string name)
        => Root.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    public static IReadOnlyList<string> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToList();
}
