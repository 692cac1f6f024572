using System.Linq;

namespace Rump.Build.Tests;

/// <summary>Each toolchain error: its RUMP code, the file or component it is about, and the fix, in the build output.</summary>
[Collection(RepoCopyCollection.Name)]
public sealed class BuildErrorTests
{
    private readonly RepoCopy _repo;

    public BuildErrorTests(RepoCopy repo) => _repo = repo;

    [Fact]
    public void UnknownTarget_RUMP0001_ListsKnownTargets()
    {
        var build = _repo.BuildKernel("-p:RumpTarget=sparc");

        Assert.False(build.Succeeded);
        var error = Assert.Single(build.Errors("RUMP0001"));
        Assert.Contains("'sparc'", error);
        Assert.Contains("Known targets: ", error);
        Assert.Contains("posix", error);
        Assert.Contains("Fix:", error);
    }

    [Fact]
    public void TargetFolderWithoutSources_RUMP0001_SaysSo()
    {
        System.IO.Directory.CreateDirectory(System.IO.Path.Combine(_repo.Root, "targets", "hw"));
        try
        {
            var build = _repo.BuildKernel("-p:RumpTarget=hw");

            Assert.False(build.Succeeded);
            var error = Assert.Single(build.Errors("RUMP0001"));
            Assert.Contains("targets/hw holds no sources", error);
            Assert.Contains("Known targets: ", error);
            Assert.Contains("posix", error);
            Assert.Contains("Fix:", error);
        }
        finally
        {
            _repo.Remove("targets/hw");
        }
    }

    [Fact]
    public void UnknownComponentOnCommandLine_RUMP0002_NamesProjectAndKnownComponents()
    {
        var build = _repo.BuildKernel("-p:RumpComponents=nosuchdriver");

        Assert.False(build.Succeeded);
        var error = Assert.Single(build.Errors("RUMP0002"));
        Assert.Contains("Rump.Kernel.csproj", error);
        Assert.Contains("'nosuchdriver'", error);
        Assert.Contains("Known components:", error);
        Assert.Contains("Fix: use one of the known names", error);
    }

    [Fact]
    public void UnknownRequiredComponent_RUMP0002_NamesTheDeclaringFile()
    {
        _repo.Write("components/dev/asker/Asker.cs", """
            using Rump.Kern;
            namespace Rump.Dev.Asker;
            [Component(InitLevel.Dev, Requires = ["ghost"])]
            internal static class AskerComponent { public static void Init() { } }
            """);
        try
        {
            var build = _repo.BuildKernel("-p:RumpComponents=asker");

            Assert.False(build.Succeeded);
            var error = Assert.Single(build.Errors("RUMP0002"));
            Assert.Contains("components/dev/asker/Asker.cs(3)", error);
            Assert.Contains("requires 'ghost'", error);
            Assert.Contains("Fix: correct the name in Requires", error);
        }
        finally
        {
            _repo.Remove("components/dev/asker");
        }
    }

    [Fact]
    public void DependencyCycle_RUMP0003_PrintsTheCycle()
    {
        _repo.Write("components/dev/ping/Ping.cs", """
            using Rump.Kern;
            namespace Rump.Dev.Ping;
            [Component(InitLevel.Dev, Requires = ["pong"])]
            internal static class PingComponent { public static void Init() { } }
            """);
        _repo.Write("components/dev/pong/Pong.cs", """
            using Rump.Kern;
            namespace Rump.Dev.Pong;
            [Component(InitLevel.Dev, Requires = ["ping"])]
            internal static class PongComponent { public static void Init() { } }
            """);
        try
        {
            var build = _repo.BuildKernel("-p:RumpComponents=ping");

            Assert.False(build.Succeeded);
            var error = Assert.Single(build.Errors("RUMP0003"));
            Assert.Contains("ping -> pong -> ping", error);
            Assert.Contains("components/dev/ping/Ping.cs", error);
            Assert.Contains("Fix: remove one of these Requires", error);
        }
        finally
        {
            _repo.Remove("components/dev/ping", "components/dev/pong");
        }
    }

    [Fact]
    public void MissingFaction_RUMP0004_NamesComponentAndFaction()
    {
        _repo.Write("components/dev/beeper/Beeper.cs", """
            using Rump.Kern;
            namespace Rump.Dev.Beeper;
            [Component(InitLevel.Dev, Factions = ["sound"])]
            internal static class BeeperComponent { public static void Init() { } }
            """);
        try
        {
            var build = _repo.BuildKernel("-p:RumpComponents=beeper");

            Assert.False(build.Succeeded);
            var error = Assert.Single(build.Errors("RUMP0004"));
            Assert.Contains("components/dev/beeper/Beeper.cs(3)", error);
            Assert.Contains("'beeper' belongs to the faction 'sound'", error);
            Assert.Contains("Fix: correct Factions", error);
        }
        finally
        {
            _repo.Remove("components/dev/beeper");
        }
    }

    [Fact]
    public void NonLiteralDeclaration_RUMP0005_NamesTheFile()
    {
        _repo.Write("components/dev/clever/Clever.cs", """
            using Rump.Kern;
            namespace Rump.Dev.Clever;
            [Component(InitLevel.Dev, Requires = Names.All)]
            internal static class CleverComponent { public static void Init() { } }
            internal static class Names { public const string[] All = null!; }
            """);
        try
        {
            var build = _repo.BuildKernel("-p:RumpComponents=clever");

            Assert.False(build.Succeeded);
            var error = Assert.Single(build.Errors("RUMP0005"));
            Assert.Contains("components/dev/clever/Clever.cs(3)", error);
            Assert.Contains("Requires = Names.All is not a list of string literals", error);
            Assert.Contains("Fix: write literal values only", error);
        }
        finally
        {
            _repo.Remove("components/dev/clever");
        }
    }

    [Fact]
    public void UnknownVintageRef_RUMP0006_NamesTheRef()
    {
        var build = _repo.BuildKernel("-p:RumpVintage=no-such-tag", "-p:RumpComponents=none");

        Assert.False(build.Succeeded);
        var error = Assert.Single(build.Errors("RUMP0006"));
        Assert.Contains("'no-such-tag' is not a commit", error);
        Assert.Contains("Fix: pass a tag, a branch, a commit id", error);
    }

    [Fact]
    public void UndeclaredComponentUseAndHostApi_RUMP0101_RUMP0102_FromTheAnalyzers()
    {
        // One build for both analyzer errors: each names its own file.
        _repo.Write("components/dev/lender/Lender.cs", """
            namespace Rump.Dev.Lender;
            internal static class Tool { public static int Value => 7; }
            """);
        _repo.Write("components/dev/borrower/Borrower.cs", """
            namespace Rump.Dev.Borrower;
            internal static class User { public static int Get() => Rump.Dev.Lender.Tool.Value; }
            """);
        _repo.Write("components/dev/leaky/Leaky.cs", """
            namespace Rump.Dev.Leaky;
            internal static class Leak { public static void Say() => System.Console.WriteLine("from the kernel"); }
            """);
        try
        {
            var build = _repo.BuildKernel("-p:RumpComponents=borrower%3Blender%3Bleaky");

            Assert.False(build.Succeeded);
            var undeclared = build.Errors("RUMP0101");
            Assert.Contains(undeclared, e => e.Contains("components/dev/borrower/Borrower.cs") && e.Contains("lender")
                && e.Contains("add \"lender\" to Requires"));
            var host = build.Errors("RUMP0102");
            Assert.Contains(host, e => e.Contains("components/dev/leaky/Leaky.cs") && e.Contains("Console")
                && e.Contains("reaches the host only through the hypercall interface"));
        }
        finally
        {
            _repo.Remove("components/dev/lender", "components/dev/borrower", "components/dev/leaky");
        }
    }

    [Fact]
    public void TargetLackingAHypercall_RUMP0103_NamesTheHypercall()
    {
        _repo.Write("targets/lacking/LackingHypercalls.cs", """
            using Rump.Kern;
            namespace Rump.Target.Lacking;
            [HypercallTarget("lacking", 1, 1)]
            internal static class LackingHypercalls
            {
                public static int Init(int version, string instanceName) => 0;
            }
            """);
        try
        {
            var build = _repo.BuildKernel("-p:RumpTarget=lacking", "-p:RumpComponents=none");

            Assert.False(build.Succeeded);
            var errors = build.Errors("RUMP0103");
            Assert.NotEmpty(errors);
            Assert.Contains(errors, e => e.Contains("Hypercall target 'lacking'") && e.Contains("has no method 'ConsoleWrite'")
                && e.Contains("add 'public static"));
        }
        finally
        {
            _repo.Remove("targets/lacking");
        }
    }
}
