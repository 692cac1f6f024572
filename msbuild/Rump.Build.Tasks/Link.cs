using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.Build.Framework;
using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Rump.Build.Tasks;

/// <summary>
/// Step 6: links the compiled kernel: namespace isolation, internalization, host-reference check, identity
/// stamp, PDB kept in step, link map. Reads the compiler's output and writes a new assembly + PDB + link map
/// (never in place, so the step is idempotent and Inputs/Outputs are exact).
/// </summary>
public sealed class Link : Microsoft.Build.Utilities.Task
{
    [Required] public string InputAssembly { get; set; } = "";
    [Required] public string OutputAssembly { get; set; } = "";
    [Required] public string LinkMap { get; set; } = "";
    [Required] public string ComponentsFilePath { get; set; } = "";

    /// <summary>kernel-runtime-allowlist.txt; when missing the host check is skipped with a warning.</summary>
    public string AllowList { get; set; } = "";

    /// <summary>Assemblies the kernel was compiled against (to resolve base types).</summary>
    public ITaskItem[] References { get; set; } = [];

    [Required] public string KernelName { get; set; } = "";
    [Required] public string Target { get; set; } = "";
    public string VintageRef { get; set; } = "";
    public string VintageCommit { get; set; } = "";
    public string VintageCommitDate { get; set; } = "";
    public string VintageDirty { get; set; } = "";

    /// <summary>Root the link map's file paths are relative to (the vintage's source root).</summary>
    [Required] public string SourceRoot { get; set; } = "";

    public override bool Execute()
    {
        try
        {
            return Run();
        }
        catch (Exception e) when (e is IOException or BadImageFormatException or UnauthorizedAccessException or InvalidOperationException
                                       or FormatException or AssemblyResolutionException or JsonException)
        {
            RumpErrors.Error(Log, RumpErrors.LinkFailed, InputAssembly, 0,
                "The link step failed on " + InputAssembly + ": " + e.GetType().Name + ": " + e.Message,
                "rebuild (dotnet build --no-incremental); if it persists, report it with the build log (-bl).");
            return false;
        }
    }

    private bool Run()
    {
        var components = ComponentsFile.Parse(File.ReadAllText(ComponentsFilePath));
        using var resolver = new DefaultAssemblyResolver();
        foreach (var directory in References.Select(r => Path.GetDirectoryName(Path.GetFullPath(r.ItemSpec))).Distinct())
            resolver.AddSearchDirectory(directory);
        var pdb = Path.ChangeExtension(InputAssembly, ".pdb");
        var hasPdb = File.Exists(pdb);
        using var module = ModuleDefinition.ReadModule(InputAssembly, new ReaderParameters
        {
            InMemory = true,
            ReadSymbols = hasPdb,
            SymbolReaderProvider = hasPdb ? new PortablePdbReaderProvider() : null,
            AssemblyResolver = resolver,
        });
        if (module.Types.Any(t => t.Namespace == KernelLinker.IsolatedRoot || t.Namespace.StartsWith(KernelLinker.IsolatedRoot + ".", StringComparison.Ordinal)))
            throw new InvalidOperationException("the input is already linked (it has RumpNs namespaces)");

        var renamed = KernelLinker.IsolateNamespaces(module);
        var kept = KernelLinker.Internalize(module);

        if (!CheckHostReferences(module, components))
            return false;

        var metadata = new List<KeyValuePair<string, string>>
        {
            new("RumpKernel", KernelName),
            new("RumpTarget", Target),
            new("RumpVintageRef", VintageRef),
            new("RumpVintageCommit", VintageCommit),
            new("RumpVintageCommitDate", VintageCommitDate),
            new("RumpVintageDirty", VintageDirty),
        };
        metadata.AddRange(components.Select(c => new KeyValuePair<string, string>("RumpSourceHash:" + c.Name, c.SourceHash)));
        KernelLinker.Stamp(module, metadata);

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(OutputAssembly))!);
        module.Write(OutputAssembly, new WriterParameters
        {
            WriteSymbols = hasPdb,
            SymbolWriterProvider = hasPdb ? new PortablePdbWriterProvider() : null,
            DeterministicMvid = true,
        });

        WriteLinkMap(module, components, kept);
        Log.LogMessage(MessageImportance.High, "Rump link: " + KernelName + " (" + Target + "): " + renamed + " types moved under RumpNs, " +
            kept.Count + " contract types kept, " + components.Count + " components/factions -> " + OutputAssembly);
        return true;
    }

    private bool CheckHostReferences(ModuleDefinition module, List<ComponentLine> components)
    {
        if (AllowList.Length == 0 || !File.Exists(AllowList))
        {
            Log.LogWarning(null, RumpErrors.HostApiInKernel, null, null, 0, 0, 0, 0,
                "Rump link: the kernel runtime allow-list '" + AllowList + "' is missing; the host-reference check was skipped.");
            return true;
        }
        var allowList = RuntimeAllowList.Load(AllowList);
        var owners = components.SelectMany(c => c.Files.Select(f => (File: Path.GetFullPath(f), c.Name)))
            .GroupBy(p => p.File).ToDictionary(g => g.Key, g => g.First().Name, StringComparer.Ordinal);
        var references = KernelLinker.FindHostReferences(module, allowList);
        foreach (var reference in references.Take(50))
        {
            var document = reference.Document is null ? null : Path.GetFullPath(reference.Document);
            var owner = document is null ? "unknown (no PDB)"
                : owners.TryGetValue(document, out var name) ? "component " + name
                : SplitLayers.RelativePath(SourceRoot, document).StartsWith("base/", StringComparison.Ordinal) ? "base"
                : "kernel";
            RumpErrors.Error(Log, RumpErrors.HostApiInKernel, document, reference.Line,
                "Kernel code (" + owner + ") in " + reference.Method + " references the host API " + reference.HostSymbol +
                ", which is not in the kernel runtime allow-list.",
                "kernel code reaches the host only through the hypercall interface (Rump.Kern.Hyp) or a base service (KernelLog, Clock, Kmem, KThread...); " +
                "move host code under targets/, or, if the API is pure runtime core without host state, add it to msbuild/Sdk/kernel-runtime-allowlist.txt.");
        }
        if (references.Count > 50)
            Log.LogMessage(MessageImportance.High, "Rump link: " + (references.Count - 50) + " more host references not shown.");
        return references.Count == 0;
    }

    private void WriteLinkMap(ModuleDefinition module, List<ComponentLine> components, List<TypeDefinition> contractTypes)
    {
        var hypercallVersion = module.GetTypes()
            .SelectMany(t => t.CustomAttributes.Where(a => a.AttributeType.Name == "HypercallInterfaceAttribute"))
            .Select(a => a.ConstructorArguments.Count == 1 ? Convert.ToInt32(a.ConstructorArguments[0].Value, CultureInfo.InvariantCulture) : 0)
            .FirstOrDefault();
        var syscalls = module.GetTypes().SelectMany(t => t.Methods)
            .SelectMany(m => m.CustomAttributes.Where(a => a.AttributeType.Name == "SyscallAttribute" && a.ConstructorArguments.Count == 1))
            .Select(a => (string)a.ConstructorArguments[0].Value).Distinct().Order(StringComparer.Ordinal).ToList();
        var ilBytes = module.GetTypes().SelectMany(t => t.Methods).Where(m => m.HasBody).Sum(m => (long)m.Body.CodeSize);

        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("kernel", KernelName);
            json.WriteString("target", Target);
            json.WriteNumber("hypercallVersion", hypercallVersion);
            json.WriteStartObject("vintage");
            json.WriteString("ref", VintageRef);
            json.WriteString("commit", VintageCommit);
            json.WriteString("commitDate", VintageCommitDate);
            json.WriteBoolean("dirty", string.Equals(VintageDirty, "true", StringComparison.OrdinalIgnoreCase));
            json.WriteEndObject();
            // The base is in every kernel: its sources (and syscalls.master) hashed like a component's, so a diff of two
            // vintages shows a base change too.
            var baseFiles = BaseFiles(SourceRoot);
            json.WriteStartObject("base");
            WriteArray(json, "files", baseFiles.Select(f => SplitLayers.RelativePath(SourceRoot, f)).Order(StringComparer.Ordinal));
            json.WriteString("sourceHash", ComponentsFile.SourceHash(SourceRoot, baseFiles));
            json.WriteEndObject();
            json.WriteStartArray("components");
            foreach (var component in components)
            {
                json.WriteStartObject();
                json.WriteString("name", component.Name);
                json.WriteString("layer", component.Layer);
                WriteArray(json, "factions", component.Factions);
                WriteArray(json, "requires", component.Requires);
                json.WriteString("initLevel", component.InitLevel);
                WriteArray(json, "files", component.Files.Select(f => SplitLayers.RelativePath(SourceRoot, f)).Order(StringComparer.Ordinal));
                json.WriteString("sourceHash", component.SourceHash);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("exports");
            foreach (var (type, members) in KernelLinker.Exports(module))
            {
                json.WriteStartObject();
                json.WriteString("type", type);
                WriteArray(json, "members", members);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            // The host reaches these through the Rump.Abstractions interfaces they implement.
            WriteArray(json, "contract", contractTypes.Select(t => t.FullName.Replace('/', '+')).Order(StringComparer.Ordinal));
            json.WriteNumber("ilBytes", ilBytes);
            WriteArray(json, "syscalls", syscalls);
            json.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
        File.WriteAllBytes(LinkMap, stream.ToArray());
    }

    /// <summary>The base's sources as the build compiled them, plus syscalls.master (it generates the system-call table).</summary>
    private static List<string> BaseFiles(string sourceRoot)
    {
        if (sourceRoot.Length == 0)
            return [];
        var files = SplitLayers.CSharpFiles(Path.Combine(sourceRoot, "base")).ToList();
        var master = Path.Combine(sourceRoot, "base", "syscalls.master");
        if (File.Exists(master))
            files.Add(master);
        return files;
    }

    private static void WriteArray(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
            json.WriteStringValue(value);
        json.WriteEndArray();
    }
}
