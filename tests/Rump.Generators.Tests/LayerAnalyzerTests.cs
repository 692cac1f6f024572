using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Rump.Generators.Analyzers;
using Rump.Generators.Tests.Infrastructure;

namespace Rump.Generators.Tests;

public class LayerAnalyzerTests
{
    private const string Base = """
        namespace Rump.Kern
        {
            internal static class KernelThing { internal static int Value() => 1; }
        }
        """;

    private const string VfsFaction = """
        namespace Rump.Vfs
        {
            internal sealed class Vnode { internal int Size; }
        }
        """;

    private const string NetFaction = """
        namespace Rump.Net
        {
            internal sealed class Mbuf { internal int Length; }
        }
        """;

    private const string Vnd = """
        namespace Rump.Dev.Vnd
        {
            [Rump.Kern.Component(Rump.Kern.InitLevel.Dev)]
            internal static class VndComponent
            {
                public static void Init() { }
                internal static int Attach(string path) => 0;
            }
        }
        """;

    private const string Disk = """
        namespace Rump.Dev.Disk
        {
            [Rump.Kern.Component(Rump.Kern.InitLevel.Dev, Requires = ["vnd"])]
            internal static class DiskComponent
            {
                public static void Init() { }
            }
        }
        """;

    private static string User(string ns, string body) => $$"""
        namespace {{ns}}
        {
            internal static class User
            {
                internal static int Run()
                {
                    {{body}}
                    return 0;
                }
            }
        }
        """;

    /// <summary>vnd, disk (requires vnd) and msdosfs (requires disk), with the components file or without.</summary>
    private static TestKernel Kernel(string msdosfsRequires, bool withFile)
    {
        var kernel = new TestKernel()
            .WithBaseDeclarations()
            .Source("base/kern/KernelThing.cs", Base)
            .Source("factions/vfs/Vnode.cs", VfsFaction)
            .Source("factions/net/Mbuf.cs", NetFaction)
            .Source("components/dev/vnd/Vnd.cs", Vnd)
            .Source("components/dev/disk/Disk.cs", Disk)
            .Source("components/vfs/msdosfs/Msdosfs.cs", $$"""
                namespace Rump.Fs.Msdosfs
                {
                    [Rump.Kern.Component(Rump.Kern.InitLevel.Vfs, Requires = [{{msdosfsRequires}}])]
                    internal static class MsdosfsComponent { public static void Init() { } }
                }
                """);
        if (withFile)
        {
            kernel.AdditionalFile("/obj/rump.components.txt", string.Join("\n",
                "vfs|faction|vfs||Vfs||",
                "dev|faction|dev||Dev||",
                "vnd|component|dev||Dev||",
                "disk|component|dev|vnd|Dev||",
                $"msdosfs|component|vfs|{msdosfsRequires.Replace("\"", "").Replace(", ", ";")}|Vfs||"));
        }
        return kernel;
    }

    private static async Task<Diagnostic[]> Analyze(TestKernel kernel)
        => (await kernel.AnalyzeAsync(new LayerAnalyzer())).OrderBy(d => d.Location.SourceSpan.Start).ToArray();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Rump0101_ComponentUsesComponentItDoesNotRequire(bool withFile)
    {
        var kernel = Kernel("", withFile).Source("components/vfs/msdosfs/Use.cs", User("Rump.Fs.Msdosfs", "Rump.Dev.Vnd.VndComponent.Attach(\"/img\");"));

        var diagnostic = Assert.Single(await Analyze(kernel));

        Assert.Equal("RUMP0101", diagnostic.Id);
        Assert.Equal(
            "Use.cs: component 'msdosfs' uses 'VndComponent.Attach(string)', declared in component vnd; a component uses only the base, its factions and the components it requires (closure: none): add \"vnd\" to Requires of its [Component] attribute, or move 'Attach' to a faction or the base",
            diagnostic.GetMessage());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ComponentUsesRequiredComponentsTransitively_IsAllowed(bool withFile)
    {
        var kernel = Kernel("\"disk\"", withFile).Source("components/vfs/msdosfs/Use.cs",
            User("Rump.Fs.Msdosfs", "Rump.Dev.Vnd.VndComponent.Attach(\"/img\"); Rump.Dev.Disk.DiskComponent.Init();"));

        Assert.Empty(await Analyze(kernel));
    }

    [Fact]
    public async Task ComponentUsesBaseAndItsFaction_IsAllowed()
    {
        var kernel = Kernel("", withFile: true).Source("components/vfs/msdosfs/Use.cs",
            User("Rump.Fs.Msdosfs", "var v = new Rump.Vfs.Vnode(); return v.Size + Rump.Kern.KernelThing.Value();"));

        Assert.Empty(await Analyze(kernel));
    }

    [Fact]
    public async Task Rump0101_ComponentUsesFactionItDoesNotBelongTo()
    {
        var kernel = Kernel("", withFile: true).Source("components/vfs/msdosfs/Use.cs", User("Rump.Fs.Msdosfs", "var m = new Rump.Net.Mbuf();"));

        var diagnostic = Assert.Single(await Analyze(kernel));

        Assert.Equal("RUMP0101", diagnostic.Id);
        Assert.Contains("declared in faction net", diagnostic.GetMessage());
        Assert.Contains("add \"net\" to Factions of its [Component] attribute", diagnostic.GetMessage());
    }

    [Fact]
    public async Task Rump0111_BaseUsesFaction()
    {
        var kernel = Kernel("", withFile: true).Source("base/kern/Use.cs", User("Rump.Kern", "var v = new Rump.Vfs.Vnode();"));

        var diagnostic = Assert.Single(await Analyze(kernel));

        Assert.Equal("RUMP0111", diagnostic.Id);
        Assert.StartsWith("Use.cs: base code uses 'Vnode', declared in faction vfs;", diagnostic.GetMessage());
    }

    [Fact]
    public async Task Rump0111_FactionUsesComponent()
    {
        var kernel = Kernel("", withFile: true).Source("factions/dev/Use.cs", User("Rump.Dev", "Rump.Dev.Vnd.VndComponent.Attach(\"/img\");"));

        var diagnostic = Assert.Single(await Analyze(kernel));

        Assert.Equal("RUMP0111", diagnostic.Id);
        Assert.StartsWith("Use.cs: faction dev code uses 'VndComponent.Attach(string)', declared in component vnd;", diagnostic.GetMessage());
    }

    [Fact]
    public async Task FactionUsesBaseAndOtherFaction_TargetUsesAnything_AreAllowed()
    {
        var kernel = Kernel("", withFile: true)
            .Source("factions/vfs/Use.cs", User("Rump.Vfs", "var m = new Rump.Net.Mbuf(); return m.Length + Rump.Kern.KernelThing.Value();"))
            .Source("targets/posix/Use.cs", User("Rump.Target.Posix", "Rump.Dev.Vnd.VndComponent.Attach(\"/img\");"));

        Assert.Empty(await Analyze(kernel));
    }
}
