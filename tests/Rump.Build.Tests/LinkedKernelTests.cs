using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using System.Text;
using Mono.Cecil;
using ModuleDefinition = Mono.Cecil.ModuleDefinition;
using TypeDefinition = Mono.Cecil.TypeDefinition;
using TypeReference = Mono.Cecil.TypeReference;
using MemberReference = Mono.Cecil.MemberReference;
using AssemblyNameReference = Mono.Cecil.AssemblyNameReference;
using CustomAttribute = Mono.Cecil.CustomAttribute;
using Rump.Testing;

namespace Rump.Build.Tests;

/// <summary>The link step's promises, checked on the kernel the repository build produced (artifacts/kernels/posix).</summary>
public sealed class LinkedKernelTests
{
    private static readonly string KernelPath = TestKernel.KernelPath("posix");
    private static readonly string LinkMapPath = Path.ChangeExtension(KernelPath, null) + ".linkmap.json";

    private static ModuleDefinition ReadKernel() => ModuleDefinition.ReadModule(KernelPath, new ReaderParameters { InMemory = true });

    private static bool IsCompilerInfrastructure(TypeDefinition type)
        => type.Namespace.Length == 0 || type.CustomAttributes.Any(a => a.AttributeType.FullName == "Microsoft.CodeAnalysis.EmbeddedAttribute")
           || type.FullName == "Microsoft.CodeAnalysis.EmbeddedAttribute";

    private static bool ImplementsContract(TypeDefinition type)
        => type.Interfaces.Any(i => i.InterfaceType.Scope.Name is "Rump.Abstractions" or "Rump.Abstractions.dll")
           || (type.BaseType as TypeDefinition is { } b && ImplementsContract(b));

    private static bool IsVisible(TypeDefinition type)
        => type.IsNested ? (type.IsNestedPublic || type.IsNestedFamily || type.IsNestedFamilyOrAssembly) && IsVisible(type.DeclaringType) : type.IsPublic;

    [Fact]
    public void EveryKernelNamespace_IsUnderRumpNs()
    {
        using var module = ReadKernel();
        var outside = module.Types.Where(t => !IsCompilerInfrastructure(t))
            .Where(t => t.Namespace != "RumpNs" && !t.Namespace.StartsWith("RumpNs.", StringComparison.Ordinal))
            .Select(t => t.FullName).ToList();
        Assert.Empty(outside);
        Assert.Contains(module.Types, t => t.Namespace == "RumpNs.Kern");
        Assert.Contains(module.Types, t => t.Namespace.StartsWith("RumpNs.Target.Posix", StringComparison.Ordinal));
    }

    [Fact]
    public void NoPublicType_OutsideTheContractImplementation()
    {
        using var module = ReadKernel();
        var visible = module.GetTypes().Where(IsVisible).ToList();
        Assert.All(visible, t => Assert.True(ImplementsContract(t), t.FullName + " is visible but implements no Rump.Abstractions interface"));
        Assert.Contains(module.GetTypes(), t => t.Interfaces.Any(i => i.InterfaceType.FullName == "Rump.IRumpKernelFactory"));
    }

    [Fact]
    public void KernelEntryAttribute_NamesTheRenamedFactory()
    {
        using var module = ReadKernel();
        var entry = module.Assembly.CustomAttributes.Single(a => a.AttributeType.FullName == "Rump.RumpKernelEntryAttribute");
        var factory = (TypeReference)entry.ConstructorArguments[0].Value;
        Assert.StartsWith("RumpNs.", factory.FullName, StringComparison.Ordinal);
        Assert.NotNull(module.GetType(factory.FullName));
    }

    [Fact]
    public void KernelIL_OutsideTargets_ReferencesOnlyTheRuntimeCoreAndTheContract()
    {
        // The same rule the link step enforces, checked independently: any member reference from kernel IL to
        // an assembly other than the contract must be to one of the runtime-core assemblies.
        using var module = ReadKernel();
        var hostAssemblies = module.AssemblyReferences.Select(a => a.Name).Where(n => n != "Rump.Abstractions").ToHashSet();
        var offenders = new List<string>();
        foreach (var type in module.GetTypes().Where(t => !IsCompilerInfrastructure(Top(t)) && !Top(t).Namespace.StartsWith("RumpNs.Target", StringComparison.Ordinal)))
        {
            foreach (var method in type.Methods.Where(m => m.HasBody))
            {
                foreach (var instruction in method.Body.Instructions)
                {
                    if (instruction.Operand is MemberReference member && member.DeclaringType is { } declaring
                        && declaring.GetElementType().Scope is AssemblyNameReference scope && hostAssemblies.Contains(scope.Name)
                        && IsHostService(declaring.GetElementType().FullName, member.Name))
                        offenders.Add(method.FullName + " -> " + member.FullName);
                }
            }
        }
        Assert.Empty(offenders);
    }

    private static TypeDefinition Top(TypeDefinition type) => type.DeclaringType is null ? type : Top(type.DeclaringType);

    /// <summary>Host services (files, threads, console, clocks, sockets, processes, environment): never from kernel IL.</summary>
    private static bool IsHostService(string type, string member)
        => type.StartsWith("System.IO.", StringComparison.Ordinal) || type.StartsWith("System.Net.", StringComparison.Ordinal)
           || type.StartsWith("System.Threading.Tasks.", StringComparison.Ordinal)
           || type is "System.Threading.Thread" or "System.Threading.Monitor" or "System.Threading.ThreadPool" or "System.Threading.Timer"
                   or "System.Console" or "System.Environment" or "System.Random" or "System.GC" or "System.Diagnostics.Process" or "System.Diagnostics.Stopwatch"
           || (type == "System.DateTime" && member is "get_Now" or "get_UtcNow" or "get_Today");

    [Fact]
    public void Pdb_MatchesTheAssembly_AndMapsMethodsToSourceLines()
    {
        using var peStream = File.OpenRead(KernelPath);
        using var pe = new PEReader(peStream);
        var codeView = pe.ReadDebugDirectory().Single(e => e.Type == DebugDirectoryEntryType.CodeView);
        var pdbPath = Path.ChangeExtension(KernelPath, ".pdb");
        Assert.True(pe.TryOpenAssociatedPortablePdb(KernelPath, p => File.OpenRead(pdbPath), out var provider, out _));
        using (provider)
        {
            var pdb = provider!.GetMetadataReader();
            var data = pe.ReadCodeViewDebugDirectoryData(codeView);
            Assert.Equal(data.Guid, new BlobContentId(pdb.DebugMetadataHeader!.Id).Guid);
            var documents = pdb.Documents.Select(d => pdb.GetString(pdb.GetDocument(d).Name)).ToList();
            Assert.Contains(documents, d => d.Replace('\\', '/').Contains("/base/kern/", StringComparison.Ordinal));
            var withLines = pdb.MethodDebugInformation.Count(h => pdb.GetMethodDebugInformation(h).GetSequencePoints().Any(p => !p.IsHidden && p.StartLine > 0));
            Assert.True(withLines > 100, withLines + " methods with source lines");
        }
    }

    [Fact]
    public void LinkMap_DescribesTheKernel()
    {
        var map = LinkMap.Load(LinkMapPath);
        using var module = ReadKernel();
        Assert.Equal("Rump.Kernel.Posix", map.Root.GetProperty("kernel").GetString());
        Assert.Equal(module.Assembly.Name.Name, map.Root.GetProperty("kernel").GetString());
        Assert.Equal("posix", map.Root.GetProperty("target").GetString());
        Assert.True(map.Root.GetProperty("hypercallVersion").GetInt32() >= 1);
        var vintage = map.Root.GetProperty("vintage");
        Assert.Equal("worktree", vintage.GetProperty("ref").GetString());
        foreach (var field in new[] { "commit", "commitDate", "dirty" })
            Assert.True(vintage.TryGetProperty(field, out _), field);
        var ilBytes = module.GetTypes().SelectMany(t => t.Methods).Where(m => m.HasBody).Sum(m => (long)m.Body.CodeSize);
        Assert.Equal(ilBytes, map.Root.GetProperty("ilBytes").GetInt64());
        Assert.NotEmpty(map.Root.GetProperty("syscalls").EnumerateArray());
        Assert.NotNull(map.Root.GetProperty("exports").ValueKind.ToString());
    }

    [Fact]
    public void LinkMap_ComponentHashesAndFiles_MatchTheSources()
    {
        var map = LinkMap.Load(LinkMapPath);
        var components = map.Root.GetProperty("components").EnumerateArray().ToList();
        Assert.NotEmpty(components);
        foreach (var component in components)
        {
            var files = LinkMap.Strings(component.GetProperty("files"));
            Assert.All(files, f => Assert.True(File.Exists(Path.Combine(TestKernel.RepoRoot, f)), f));
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            foreach (var file in files.OrderBy(f => f, StringComparer.Ordinal))
            {
                sha.AppendData(Encoding.UTF8.GetBytes(file));
                sha.AppendData([0]);
                sha.AppendData(File.ReadAllBytes(Path.Combine(TestKernel.RepoRoot, file)));
            }
            Assert.Equal("sha256:" + Convert.ToHexStringLower(sha.GetHashAndReset()), component.GetProperty("sourceHash").GetString());
        }
        // Every component folder of the checkout is in the default kernel.
        var folders = Directory.GetDirectories(Path.Combine(TestKernel.RepoRoot, "components"))
            .SelectMany(Directory.GetDirectories).Where(d => Directory.EnumerateFiles(d, "*.cs", SearchOption.AllDirectories).Any())
            .Select(d => Path.GetFileName(d)!).Order().ToList();
        Assert.Equal(folders, map.ComponentNames("component").Order().ToList());
    }

    [Fact]
    public void Assembly_IsStampedWithTargetVintageAndSourceHashes()
    {
        using var module = ReadKernel();
        var metadata = module.Assembly.CustomAttributes
            .Where(a => a.AttributeType.FullName == "System.Reflection.AssemblyMetadataAttribute")
            .ToDictionary(a => (string)a.ConstructorArguments[0].Value, a => (string)a.ConstructorArguments[1].Value);
        Assert.Equal("posix", metadata["RumpTarget"]);
        Assert.Equal("worktree", metadata["RumpVintageRef"]);
        Assert.Contains("RumpVintageCommit", metadata.Keys);
        var map = LinkMap.Load(LinkMapPath);
        foreach (var component in map.Root.GetProperty("components").EnumerateArray())
            Assert.Equal(component.GetProperty("sourceHash").GetString(), metadata["RumpSourceHash:" + component.GetProperty("name").GetString()]);
    }
}
