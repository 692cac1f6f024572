using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Rump;
using Rump.Tools;

namespace Rump.Build.Tests;

/// <summary>
/// Vintages the toolchain must refuse, each with a precise message: a hypercall interface version outside the
/// target's range (RUMP0007 at build time, and the same check at boot), and sources that do not compile (RUMP0009,
/// the compiler's errors named as <c>ref:path</c>).
/// </summary>
[Collection(RepoCopyCollection.Name)]
public sealed class VintageCheckTests
{
    private const string HypSource = "base/hyp/Hyp.cs";
    private const string TargetSource = "targets/posix/PosixHypercalls.cs";
    private const string TargetDeclaration = "[HypercallTarget(\"posix\", 1, 1)]";

    private readonly RepoCopy _repo;

    public VintageCheckTests(RepoCopy repo) => _repo = repo;

    [Fact]
    public void OlderHypercallVersionThanTheTargetSupports_RUMP0007_NamesTheVintageBothVersionsAndTheFix()
    {
        var commit = _repo.Git("rev-parse", "HEAD").Trim();
        _repo.Git("tag", "-f", "v1-sources", commit);
        var target = Path.Combine(_repo.Root, TargetSource);
        var original = File.ReadAllText(target);
        Assert.Contains(TargetDeclaration, original);
        // Today's target dropped v1: it implements v2..v3 only.
        File.WriteAllText(target, original.Replace(TargetDeclaration, "[HypercallTarget(\"posix\", 2, 3)]"));
        try
        {
            var build = _repo.BuildKernel("-p:RumpVintage=v1-sources", "-p:RumpComponents=none");

            Assert.False(build.Succeeded);
            var error = Assert.Single(build.Errors("RUMP0007"));
            Assert.Contains("vintage 'v1-sources' (commit " + commit.Substring(0, 12) + ")", error);
            Assert.Contains("declare hypercall interface v1 (v1-sources:base/hyp/Hyp.cs)", error);
            Assert.Contains("target 'posix' implements v2..v3 (targets/posix/PosixHypercalls.cs)", error);
            Assert.Contains("Fix: build a newer vintage (one declaring v2..v3)", error);
            // Stopped before the compiler: no cascade of compiler errors.
            Assert.DoesNotContain("error CS", build.Output);
        }
        finally
        {
            File.WriteAllText(target, original);
        }
    }

    [Fact]
    public void NewerHypercallVersion_IsABuildError_AndAKernelBuiltAnywayRefusesToBoot()
    {
        var parent = _repo.Git("rev-parse", "HEAD").Trim();
        var hyp = GitCommits.Show(_repo.Root, parent, HypSource);
        Assert.Contains("[HypercallInterface(1)]", hyp);
        var commit = GitCommits.CommitOnTop(_repo.Root, parent, "hyp-v2", "hypercall interface v2",
            new Dictionary<string, string> { [HypSource] = hyp.Replace("[HypercallInterface(1)]", "[HypercallInterface(2)]") });

        var refused = _repo.BuildKernel("-p:RumpVintage=hyp-v2", "-p:RumpComponents=none");
        Assert.False(refused.Succeeded);
        var error = Assert.Single(refused.Errors("RUMP0007"));
        Assert.Contains("vintage 'hyp-v2' (commit " + commit.Substring(0, 12) + ") declare hypercall interface v2", error);
        Assert.Contains("target 'posix' implements v1..v1", error);
        Assert.Contains("Fix: build an older vintage (one declaring v1 or lower), or update targets/posix/PosixHypercalls.cs to interface v2", error);

        // Built anyway (both checks as warnings), the kernel's own version check refuses the pairing at boot.
        var built = _repo.BuildKernel("-p:RumpVintage=hyp-v2", "-p:RumpComponents=none", "-p:RumpHypercallVersionCheck=warning");
        Assert.True(built.Succeeded, built.Output);
        Assert.Contains("warning RUMP0007", built.Output);
        Assert.Contains("warning RUMP0106", built.Output);
        var kernel = Path.Combine(_repo.Artifacts(), "hyp-v2", "Rump.Kernel.Posix.dll");
        Assert.Equal(2, LinkMap.Load(Path.ChangeExtension(kernel, ".linkmap.json")).Root.GetProperty("hypercallVersion").GetInt32());

        var boot = Assert.Throws<NotSupportedException>(() => KernelBoot.BootAndShutdown(kernel));
        Assert.Contains("(vintage hyp-v2 " + commit.Substring(0, 7) + ") needs hypercall interface v2; its target glue (posix) implements v1..v1.", boot.Message);

        // rumpctl --vintage picks that kernel and reports the refusal as a kernel problem (exit 3).
        var folder = Path.Combine(Path.GetTempPath(), "rump-hyp-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        Directory.CreateDirectory(folder);
        try
        {
            var image = Path.Combine(folder, "x.img");
            VintageTests.Tool(folder, "mkfs.fat", "-C", "-F", "12", "--invariant", image, "1440");
            var run = VintageTests.RunRumpctlIn(_repo.Root, "--vintage", "hyp-v2", "ls", image + ":/");
            Assert.Equal(ExitCodes.Kernel, run.Exit);
            Assert.Contains("refuses to boot: kernel Rump.Kernel.Posix (vintage hyp-v2", run.Stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void VintageThatDoesNotCompile_RUMP0009_NamesTheCompilerErrorsAsRefAndPath()
    {
        const string file = "components/vfs/msdosfs/MsdosfsComponent.cs";
        const string init = "    public static void Init()\n    {\n";
        var parent = _repo.Git("rev-parse", "HEAD").Trim();
        var source = GitCommits.Show(_repo.Root, parent, file);
        Assert.Contains(init, source);
        var commit = GitCommits.CommitOnTop(_repo.Root, parent, "broken", "msdosfs: a syntax error",
            new Dictionary<string, string> { [file] = source.Replace(init, init + "        int broken = ;\n") });

        var build = _repo.BuildKernel("-p:RumpVintage=broken", "-p:RumpComponents=msdosfs");

        Assert.False(build.Succeeded);
        var errors = build.Errors("RUMP0009");
        var line = source.Replace("\r", "").Split('\n').ToList().IndexOf("    public static void Init()") + 3;
        Assert.Contains(errors, e => e.Contains("error RUMP0009: broken:" + file + "(" + line + ",", StringComparison.Ordinal)
            && e.Contains(": CS1525: ", StringComparison.Ordinal) && e.Contains("[in vintage 'broken' (commit " + commit.Substring(0, 12) + ")]", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("The kernel sources of vintage 'broken' (commit " + commit.Substring(0, 12)
            + ") do not compile with today's toolchain and target 'posix'", StringComparison.Ordinal));
        Assert.Contains("error CS1525", build.Output);
    }
}
