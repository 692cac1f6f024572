using System.Linq;
using Microsoft.CodeAnalysis;
using Rump.Generators.Hypercalls;
using Rump.Generators.Tests.Infrastructure;

namespace Rump.Generators.Tests;

public class HypercallGeneratorTests
{
    private static readonly string Hyp = Repo.Read("base/hyp/Hyp.cs");

    internal static TestKernel Kernel(params string[] targets)
    {
        var kernel = new TestKernel()
            .WithBaseDeclarations()
            .RepoSource("base/hyp/Hyp.cs");
        for (int i = 0; i < targets.Length; i++)
            kernel.Source($"targets/t{i}/Hypercalls.cs", targets[i]);
        return kernel;
    }

    private static string GeneratedHyp(GeneratorDriverRunResult result)
        => result.Results.Single().GeneratedSources.Single(s => s.HintName == "Hyp.g.cs").SourceText.ToString();

    [Fact]
    public void RealInterface_BoundToPosixTarget()
    {
        var (result, output) = Kernel(Targets.For(Hyp)).Run(new HypercallGenerator());

        Snapshot.Verify(result);
        Compiles.WithoutErrors(output);
    }

    [Fact]
    public void RealInterface_WithTracing_TracesEveryHypercallFirst()
    {
        var (result, output) = Kernel(Targets.For(Hyp)).Property("RumpTraceHypercalls", "true").Run(new HypercallGenerator());

        Snapshot.Verify(result);
        Compiles.WithoutErrors(output);
    }

    [Fact]
    public void BlockingHypercall_ReleasesTheCpuAroundTheTargetCall()
    {
        var (result, _) = Kernel(Targets.For(Hyp)).Run(new HypercallGenerator());

        var glue = GeneratedHyp(result);
        var body = Body(glue, "public static partial int Read(");
        Assert.Contains("bool released = global::Rump.Kern.HypercallUpcalls.ReleaseCpu();", body);
        Assert.Contains("return global::Rump.Target.Posix.PosixHypercalls.Read(fd, buffer, offset, out nread);", body);
        Assert.Contains("if (released)", body);
        Assert.DoesNotContain("ReleaseCpu", Body(glue, "public static partial int Malloc("));
    }

    [Fact]
    public void FastPath_IsTriedBeforeReleasingTheCpu()
    {
        var (result, _) = Kernel(Targets.For(Hyp)).Run(new HypercallGenerator());

        var body = Body(GeneratedHyp(result), "public static partial void MutexEnter(");
        int fast = body.IndexOf("if (global::Rump.Target.Posix.PosixHypercalls.MutexTryEnter(mutex))");
        int release = body.IndexOf("ReleaseCpu()");
        Assert.True(fast >= 0 && release > fast, body);
    }

    [Fact]
    public void VersionConstantsAndCheck_ComeFromInterfaceAndTarget()
    {
        var (result, _) = Kernel(Targets.For(Hyp, minVersion: 1, maxVersion: 3)).Run(new HypercallGenerator());

        var glue = GeneratedHyp(result);
        Assert.Contains("public const int InterfaceVersion = 1;", glue);
        Assert.Contains("public const string TargetName = \"posix\";", glue);
        Assert.Contains("public const int TargetMinVersion = 1;", glue);
        Assert.Contains("public const int TargetMaxVersion = 3;", glue);
        Assert.Contains("InterfaceVersion < TargetMinVersion || InterfaceVersion > TargetMaxVersion ? 86 : 0", glue);
    }

    [Fact]
    public void InheritedHypercalls_OfABaseClass_AreBoundThroughTheTargetClass()
    {
        // targets/common's shape: the mutex hypercalls live in a base class every target derives from.
        var shared = Targets.For(Hyp, name: "common", className: "SharedHypercalls", include: name => name.StartsWith("Mutex"))
            .Replace("[HypercallTarget(\"common\", 1, 1)]\n", "")
            .Replace("internal static class SharedHypercalls", "internal abstract class SharedHypercalls");
        var target = Targets.For(Hyp, include: name => !name.StartsWith("Mutex"))
            .Replace("internal static class PosixHypercalls", "internal sealed class PosixHypercalls : global::Rump.Target.Common.SharedHypercalls");

        var (result, output) = Kernel(target, shared).Run(new HypercallGenerator());

        Assert.Empty(result.Diagnostics);
        var body = Body(GeneratedHyp(result), "public static partial void MutexEnter(");
        Assert.Contains("if (global::Rump.Target.Posix.PosixHypercalls.MutexTryEnter(mutex))", body);
        Assert.Contains("global::Rump.Target.Posix.PosixHypercalls.MutexEnter(mutex);", body);
        Compiles.WithoutErrors(output);
    }

    [Fact]
    public void Rump0103_TargetWithoutAHypercall_IsReported()
    {
        var target = Targets.For(Hyp, include: name => name != "ClockSleep");

        var (result, _) = Kernel(target).Run(new HypercallGenerator());

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("RUMP0103", diagnostic.Id);
        Assert.Contains("has no method 'ClockSleep'; add 'public static int ClockSleep(int clock, long seconds, long nanoseconds)'", diagnostic.GetMessage());
        Assert.Equal(TestKernel.PathOf("targets/t0/Hypercalls.cs"), diagnostic.Location.GetLineSpan().Path);
    }

    [Fact]
    public void Rump0104_TargetHypercallWithOtherSignature_IsReported()
    {
        var target = Targets.For(Hyp, rewriteSignature: s => s.StartsWith("public static int Close(") ? "public static int Close(long fd)" : s);

        var (result, _) = Kernel(target).Run(new HypercallGenerator());

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("RUMP0104", diagnostic.Id);
        Assert.Contains("does not match the declaration 'int Close(int fd)'", diagnostic.GetMessage());
    }

    [Fact]
    public void Rump0104_RefKindMismatch_IsReported()
    {
        var target = Targets.For(Hyp, rewriteSignature: s => s.Replace("out object mutex", "ref object mutex"));

        var (result, _) = Kernel(target).Run(new HypercallGenerator());

        Assert.Equal("RUMP0104", Assert.Single(result.Diagnostics).Id);
    }

    [Fact]
    public void Rump0105_NoTarget_IsReportedAndBodiesThrow()
    {
        var (result, output) = Kernel().Run(new HypercallGenerator());

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("RUMP0105", diagnostic.Id);
        Assert.Contains("has 0 [HypercallTarget] classes", diagnostic.GetMessage());
        Assert.Contains("no hypercall target (RUMP0105)", GeneratedHyp(result));
        Compiles.WithoutErrors(output);
    }

    [Fact]
    public void Rump0105_TwoTargets_AreReportedByName()
    {
        var (result, _) = Kernel(Targets.For(Hyp), Targets.For(Hyp, name: "xen", className: "XenHypercalls")).Run(new HypercallGenerator());

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("RUMP0105", diagnostic.Id);
        Assert.Contains("has 2 [HypercallTarget] classes (posix: global::Rump.Target.Posix.PosixHypercalls, xen: global::Rump.Target.Xen.XenHypercalls)", diagnostic.GetMessage());
    }

    [Fact]
    public void Rump0106_InterfaceVersionOutsideTargetRange_IsReported()
    {
        var (result, _) = Kernel(Targets.For(Hyp, minVersion: 2, maxVersion: 3)).Run(new HypercallGenerator());

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("RUMP0106", diagnostic.Id);
        Assert.Contains("declare hypercall interface version 1, target 'posix' supports 2..3", diagnostic.GetMessage());
    }

    [Fact]
    public void Rump0106_AsWarningWhenTheBuildAsksForIt_GlueStillRefusesTheVersionAtBoot()
    {
        var (result, output) = Kernel(Targets.For(Hyp, minVersion: 2, maxVersion: 3))
            .Property("RumpHypercallVersionCheck", "warning").Run(new HypercallGenerator());

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("RUMP0106", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Contains("this kernel refuses to boot", diagnostic.GetMessage());
        Compiles.WithoutErrors(output);

        // The generated check, compiled and run: interface v1 against a v2..v3 target is ENOTSUP (86).
        using var image = new System.IO.MemoryStream();
        var emit = output.Emit(image);
        Assert.True(emit.Success, Snapshot.Describe(emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList()));
        var context = new System.Runtime.Loader.AssemblyLoadContext("hyp-check", isCollectible: true);
        try
        {
            image.Position = 0;
            var hyp = context.LoadFromStream(image).GetType("Rump.Kern.Hyp", throwOnError: true)!;
            var check = hyp.GetMethod("CheckVersion", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic)!;
            Assert.Equal(86, (int)check.Invoke(null, null)!);
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>The text of one generated method, from its signature to the next method.</summary>
    private static string Body(string glue, string signature)
    {
        int start = glue.IndexOf(signature);
        Assert.True(start >= 0, "not generated: " + signature);
        int end = glue.IndexOf("\n\n", start);
        return glue[start..(end < 0 ? glue.Length : end)];
    }
}
