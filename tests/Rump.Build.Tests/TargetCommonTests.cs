using System.IO;
using System.Linq;
using Microsoft.Build.Framework;
using Mono.Cecil;
using Rump.Build.Tasks;
using Rump.Testing;

namespace Rump.Build.Tests;

/// <summary>
/// targets/common: the code every target shares (locks, condition variables, curlwp) is compiled into each
/// target's kernel with layer target, and is not a target of its own.
/// </summary>
[Collection(RepoCopyCollection.Name)]
public sealed class TargetCommonTests
{
    private readonly RepoCopy _repo;

    public TargetCommonTests(RepoCopy repo) => _repo = repo;

    private static SplitLayers Split(string target, RecordingBuildEngine engine) => new()
    {
        BuildEngine = engine,
        SourceRoot = TestKernel.RepoRoot,
        TargetsRoot = TestKernel.RepoRoot,
        Target = target,
    };

    private static string[] SourcesUnder(string folder)
        => Directory.EnumerateFiles(Path.Combine(TestKernel.RepoRoot, folder), "*.cs", SearchOption.AllDirectories)
            .Select(f => SplitLayers.RelativePath(TestKernel.RepoRoot, f)).Order().ToArray();

    [Theory]
    [InlineData("posix", "xen")]
    [InlineData("xen", "posix")]
    public void SplitLayers_CommonFiles_AreLayerTarget_InEveryTargetsKernel(string target, string other)
    {
        var engine = new RecordingBuildEngine();
        var task = Split(target, engine);

        Assert.True(task.Execute(), string.Join("\n", engine.Errors.Select(e => e.Message)));
        var byPath = task.Sources.ToDictionary(s => s.GetMetadata("RumpRelativePath"), s => s.GetMetadata("RumpLayer"));
        var common = SourcesUnder("targets/common");
        Assert.NotEmpty(common);
        Assert.All(common, f => Assert.Equal("target", Assert.Contains(f, byPath)));
        Assert.All(SourcesUnder("targets/" + target), f => Assert.Equal("target", Assert.Contains(f, byPath)));
        Assert.DoesNotContain(byPath.Keys, f => f.StartsWith("targets/" + other + "/", System.StringComparison.Ordinal));
        Assert.Equal(["posix", "xen"], task.KnownTargets.Select(t => t.ItemSpec).Order().ToArray());
    }

    [Fact]
    public void SplitLayers_RumpTargetCommon_IsRefusedAsUnknownTarget_ListingTheRealTargets()
    {
        var engine = new RecordingBuildEngine();

        Assert.False(Split("common", engine).Execute());
        var error = Assert.Single(engine.Errors);
        Assert.Equal("RUMP0001", error.Code);
        Assert.Contains("RumpTarget='common' is not a known target (targets/common holds the code every target shares", error.Message);
        Assert.Contains("Known targets: posix, xen.", error.Message);
    }

    [Fact]
    public void Build_RumpTargetCommon_RUMP0001()
    {
        var build = _repo.BuildKernel("-p:RumpTarget=common");

        Assert.False(build.Succeeded);
        var error = Assert.Single(build.Errors("RUMP0001"));
        Assert.Contains("Known targets: posix, xen.", error);
        Assert.Contains("Fix:", error);
    }

    [Theory]
    [InlineData("posix", "RumpNs.Target.Posix.PosixHypercalls")]
    [InlineData("xen", "RumpNs.Target.Xen.XenHypercalls")]
    public void Build_EachTarget_LinksTheSharedHypercalls_UnderRumpNsTargetCommon(string target, string hypercalls)
    {
        var build = _repo.BuildKernel("-p:RumpTarget=" + target, "-p:RumpComponents=none");
        Assert.True(build.Succeeded, build.Output);

        var dll = Directory.EnumerateFiles(_repo.Artifacts(target), "Rump.Kernel.*.dll").Single();
        using var module = ModuleDefinition.ReadModule(dll, new ReaderParameters { InMemory = true });
        var shared = module.GetType("RumpNs.Target.Common.SharedHypercalls");
        Assert.NotNull(shared);
        Assert.Equal(shared.FullName, module.GetType(hypercalls).BaseType.FullName);
        Assert.NotNull(module.GetType("RumpNs.Target.Common.CurLwpTable"));
        // The glue (Hyp) calls the inherited hypercalls through the target's class.
        var hyp = module.GetType("RumpNs.Kern.Hyp");
        var calls = hyp.Methods.Where(m => m.HasBody).SelectMany(m => m.Body.Instructions)
            .Select(i => i.Operand).OfType<MethodReference>().ToList();
        Assert.Contains(calls, m => m.Name == "MutexEnter" && m.DeclaringType.FullName == shared.FullName);
        Assert.Contains(calls, m => m.Name == "CurLwp" && m.DeclaringType.FullName == shared.FullName);
        // No thread statics are left in a target: curlwp lives in a per-instance table.
        var threadStatics = module.GetTypes().SelectMany(t => t.Fields)
            .Where(f => f.CustomAttributes.Any(a => a.AttributeType.Name == "ThreadStaticAttribute"))
            .Select(f => f.DeclaringType.FullName + "." + f.Name).ToList();
        Assert.Empty(threadStatics);
    }
}
