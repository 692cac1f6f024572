using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Rump.Generators.Tests.Infrastructure;

/// <summary>
/// An in-memory compilation set up the way the kernel build sets one up: sources with their layer
/// metadata, build properties, AdditionalFiles. Source paths are virtual, under <see cref="SourceRoot"/>.
/// </summary>
internal sealed class TestKernel
{
    public const string SourceRoot = "/src/";

    /// <summary>The runtime assemblies the test sources name (a few, not all ~170: binding stays fast).</summary>
    // Declared before References: static fields initialize in order.
    private static readonly string[] RuntimeAssemblies =
    [
        "System.Private.CoreLib", "System.Runtime", "System.Collections", "System.Console", "System.Linq",
        "System.Memory", "System.Threading", "System.Threading.Thread", "System.Diagnostics.Process",
        "System.Net.Sockets", "System.Net.Primitives", "System.Runtime.InteropServices", "System.Text.Encoding.Extensions",
        "System.ComponentModel.Primitives", "System.Collections.Immutable", "netstandard",
    ];

    private static readonly ImmutableArray<MetadataReference> References = LoadReferences();
    private static readonly MetadataReference ContractReference = MetadataReference.CreateFromFile(typeof(Rump.ISyscalls).Assembly.Location);

    private readonly List<(string Path, string Text)> _sources = new();
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>> _metadata = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _properties = new(StringComparer.Ordinal);
    private readonly List<AdditionalText> _additional = new();
    private bool _referenceContract = true;

    public static string PathOf(string relativePath) => SourceRoot + relativePath;

    /// <summary>Adds a source; the layer metadata (as the split task sets it) is derived from its path.</summary>
    public TestKernel Source(string relativePath, string text, bool withLayerMetadata = true)
    {
        var path = PathOf(relativePath);
        _sources.Add((path, text));
        if (withLayerMetadata && LayerOf(relativePath) is { } layer)
        {
            var values = new Dictionary<string, string> { ["build_metadata.Compile.RumpLayer"] = layer.Layer };
            if (layer.Faction is not null)
                values["build_metadata.Compile.RumpFaction"] = layer.Faction;
            if (layer.Component is not null)
                values["build_metadata.Compile.RumpComponent"] = layer.Component;
            _metadata[path] = values;
        }
        return this;
    }

    /// <summary>Adds a file of the repository under the same relative path.</summary>
    public TestKernel RepoSource(string relativePath) => Source(relativePath, Repo.Read(relativePath));

    /// <summary>Compiles the contract from its sources instead of referencing Rump.Abstractions (host-role tests).</summary>
    public TestKernel WithoutContractReference()
    {
        _referenceContract = false;
        return this;
    }

    public TestKernel Property(string name, string value)
    {
        _properties["build_property." + name] = value;
        return this;
    }

    public TestKernel AdditionalFile(string path, string text)
    {
        _additional.Add(new TestAdditionalText(path, text));
        return this;
    }

    /// <summary>The base declarations every kernel test needs, from the repository, plus stand-ins for the base types the glue calls.</summary>
    public TestKernel WithBaseDeclarations()
    {
        RepoSource("base/kern/ComponentAttribute.cs");
        RepoSource("base/hyp/HypercallAttributes.cs");
        return Source("base/kern/TestBase.cs", """
            namespace Rump.Kern
            {
                internal sealed class Lwp { }
                internal static class SyscallEntry
                {
                    internal static int Enter(out Lwp l) { l = new Lwp(); return 0; }
                    internal static void Exit(Lwp l) { }
                }
                // The real one (base/hyp/HypercallUpcalls.cs) needs the whole base; the glue needs only these three.
                internal static class HypercallUpcalls
                {
                    internal static bool ReleaseCpu() => true;
                    internal static void AcquireCpu() { }
                    internal static void Trace(string hypercall) { }
                }
            }
            """);
    }

    public CSharpCompilation Compilation()
    {
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = _sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, parseOptions, s.Path, System.Text.Encoding.UTF8));
        var references = _referenceContract ? References.Add(ContractReference) : References;
        return CSharpCompilation.Create("Rump.Kernel.Test", trees, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
    }

    public AnalyzerConfigOptionsProvider Options() => new TestOptionsProvider(_properties, _metadata);

    public ImmutableArray<AdditionalText> AdditionalTexts() => _additional.ToImmutableArray();

    public GeneratorDriver Driver(params IIncrementalGenerator[] generators)
        => CSharpGeneratorDriver.Create(
            generators.Select(g => g.AsSourceGenerator()),
            _additional,
            new CSharpParseOptions(LanguageVersion.Latest),
            Options(),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generators; returns their result and the compilation with the generated sources.</summary>
    public (GeneratorDriverRunResult Result, Compilation Output) Run(params IIncrementalGenerator[] generators)
    {
        var driver = Driver(generators).RunGeneratorsAndUpdateCompilation(Compilation(), out var output, out _);
        return (driver.GetRunResult(), output);
    }

    /// <summary>Runs analyzers over the sources (no generators), as the compiler does with the build's options.</summary>
    public async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(params DiagnosticAnalyzer[] analyzers)
    {
        var options = new AnalyzerOptions(AdditionalTexts(), Options());
        var withAnalyzers = Compilation().WithAnalyzers(analyzers.ToImmutableArray(), options);
        return await withAnalyzers.GetAnalyzerDiagnosticsAsync(CancellationToken.None);
    }

    private static (string Layer, string? Faction, string? Component)? LayerOf(string relativePath)
    {
        var parts = relativePath.Split('/');
        return parts[0] switch
        {
            "base" => ("base", null, null),
            "factions" when parts.Length > 2 => ("faction", parts[1], null),
            "components" when parts.Length > 3 => ("component", parts[1], parts[2]),
            "targets" when parts.Length > 2 => ("target", null, null),
            _ => null,
        };
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var wanted = new HashSet<string>(RuntimeAssemblies, StringComparer.Ordinal);
        return ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => wanted.Contains(Path.GetFileNameWithoutExtension(p)))
            .Distinct()
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();
    }
}
