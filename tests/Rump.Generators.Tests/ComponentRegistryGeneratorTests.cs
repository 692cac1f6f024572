using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Rump.Generators.Components;
using Rump.Generators.Tests.Infrastructure;

namespace Rump.Generators.Tests;

public class ComponentRegistryGeneratorTests
{
    internal const string VfsFaction = """
        namespace Rump.Vfs
        {
            [Rump.Kern.Component(Rump.Kern.InitLevel.Vfs)]
            internal static class VfsFaction
            {
                public static void Init() { }
            }
        }
        """;

    internal const string Msdosfs = """
        namespace Rump.Fs.Msdosfs
        {
            [Rump.Kern.Component(Rump.Kern.InitLevel.Vfs, Factions = ["vfs"], Requires = ["vnd"])]
            internal static class MsdosfsComponent
            {
                public static void Init() { }
            }
        }
        """;

    internal const string Vnd = """
        namespace Rump.Dev.Vnd
        {
            [Rump.Kern.Component(Rump.Kern.InitLevel.Dev)]
            internal static class VndComponent
            {
                internal static void Init() { }
            }
        }
        """;

    internal const string Hello = """
        namespace Rump.Dev.Hello
        {
            internal static class Hello
            {
                internal static int Answer() => 42;
            }
        }
        """;

    /// <summary>rump.components.txt as the resolve task writes it for these sources.</summary>
    internal static string ComponentsFile => string.Join("\n",
        "# name|layer|factions|requires|initLevel|sourceHash|files",
        $"vfs|faction|vfs||Vfs|sha256:aa01|{TestKernel.PathOf("factions/vfs/VfsFaction.cs")}",
        $"dev|faction|dev||Dev|sha256:aa02|",
        $"hello|component|dev||Dev|sha256:bb01|{TestKernel.PathOf("components/dev/hello/Hello.cs")}",
        $"msdosfs|component|vfs|vnd|Vfs|sha256:bb02|{TestKernel.PathOf("components/vfs/msdosfs/Msdosfs.cs")}",
        $"vnd|component|dev||Dev|sha256:bb03|{TestKernel.PathOf("components/dev/vnd/Vnd.cs")}",
        "");

    internal static TestKernel Kernel(bool withFile)
    {
        var kernel = new TestKernel()
            .WithBaseDeclarations()
            .Source("factions/vfs/VfsFaction.cs", VfsFaction)
            .Source("components/vfs/msdosfs/Msdosfs.cs", Msdosfs)
            .Source("components/dev/vnd/Vnd.cs", Vnd)
            .Source("components/dev/hello/Hello.cs", Hello);
        if (withFile)
            kernel.AdditionalFile("/obj/rump.components.txt", ComponentsFile);
        return kernel;
    }

    private static string Generated(GeneratorDriverRunResult result, string hint)
        => result.Results.Single().GeneratedSources.Single(s => s.HintName == hint).SourceText.ToString();

    [Fact]
    public void ComponentsFileAndClasses_RegistryInBootOrder()
    {
        var (result, output) = Kernel(withFile: true)
            .Property("RumpTarget", "posix")
            .Property("RumpVintageRef", "main")
            .Property("RumpVintageCommit", "0123456789abcdef")
            .Property("RumpVintageCommitDate", "2026-12-01T10:00:00Z")
            .Property("RumpVintageDirty", "true")
            .Run(new ComponentRegistryGenerator());

        Snapshot.Verify(result);
        Compiles.WithoutErrors(output);
    }

    [Fact]
    public void NoComponentsFile_ComponentsComeFromTheClasses()
    {
        var (result, output) = Kernel(withFile: false).Run(new ComponentRegistryGenerator());

        Snapshot.Verify(result);
        Compiles.WithoutErrors(output);
    }

    [Fact]
    public void BootOrder_FactionInitsFirst_ThenComponentsAfterWhatTheyRequire()
    {
        // "alpha" requires "zeta": by name alpha would come first, the dependency puts zeta before it.
        var kernel = new TestKernel().WithBaseDeclarations()
            .Source("factions/vfs/VfsFaction.cs", VfsFaction)
            .Source("components/vfs/alpha/Alpha.cs", """
                [Rump.Kern.Component(Rump.Kern.InitLevel.Vfs, Requires = ["zeta"])]
                internal static class Alpha { public static void Init() { } }
                """)
            .Source("components/vfs/zeta/Zeta.cs", """
                [Rump.Kern.Component(Rump.Kern.InitLevel.Vfs)]
                internal static class Zeta { public static void Init() { } }
                """);

        var (result, _) = kernel.Run(new ComponentRegistryGenerator());

        var registry = Generated(result, "ComponentRegistry.g.cs");
        int vfs = registry.IndexOf("global::Rump.Vfs.VfsFaction.Init();", StringComparison.Ordinal);
        int zeta = registry.IndexOf("global::Zeta.Init();", StringComparison.Ordinal);
        int alpha = registry.IndexOf("global::Alpha.Init();", StringComparison.Ordinal);
        Assert.True(vfs >= 0 && vfs < zeta && zeta < alpha, registry);
    }

    [Fact]
    public void KernelIdentity_DefaultsToPosixWithoutProperties()
    {
        var (result, _) = Kernel(withFile: false).Run(new ComponentRegistryGenerator());

        var identity = Generated(result, "KernelIdentity.g.cs");
        Assert.Contains("public const string Kernel = \"Rump.Kernel.Posix\";", identity);
        Assert.Contains("public const string Target = \"posix\";", identity);
        Assert.Contains("public const bool VintageDirty = false;", identity);
    }

    [Fact]
    public void NotAKernel_EmitsNothing()
    {
        var (result, _) = new TestKernel().Source("Plain.cs", "class Plain { }").Run(new ComponentRegistryGenerator());

        Assert.Empty(result.GeneratedTrees);
    }

    [Fact]
    public void Rump0109_ComponentClassWithoutInit_IsReportedAndSkipped()
    {
        var kernel = Kernel(withFile: true).Source("components/dev/bad/Bad.cs", """
            [Rump.Kern.Component(Rump.Kern.InitLevel.Dev)]
            internal static class BadComponent { public static void Init(int unit) { } }
            """);

        var (result, output) = kernel.Run(new ComponentRegistryGenerator());

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("RUMP0109", diagnostic.Id);
        Assert.Contains("'BadComponent' (component 'bad') has no 'public static void Init()'", diagnostic.GetMessage());
        Assert.Equal(TestKernel.PathOf("components/dev/bad/Bad.cs"), diagnostic.Location.GetLineSpan().Path);
        Assert.DoesNotContain("BadComponent.Init", Generated(result, "ComponentRegistry.g.cs"));
        Compiles.WithoutErrors(output);
    }
}
