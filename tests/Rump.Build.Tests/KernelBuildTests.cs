using System.IO;
using System.Linq;
using Rump;

namespace Rump.Build.Tests;

/// <summary>
/// End to end: dotnet build of the kernel project in a copy of the repository, with components dropped in
/// the way a user would, then the link map and a boot of the built kernel.
/// </summary>
[Collection(RepoCopyCollection.Name)]
public sealed class KernelBuildTests
{
    private readonly RepoCopy _repo;

    public KernelBuildTests(RepoCopy repo) => _repo = repo;

    private string KernelDll => Path.Combine(_repo.Artifacts(), "Rump.Kernel.Posix.dll");
    private string LinkMapPath => Path.Combine(_repo.Artifacts(), "Rump.Kernel.Posix.linkmap.json");

    [Fact]
    public void DropIn_OrdinaryCode_BecomesDevComponentInLinkMapAndBootOrder()
    {
        _repo.Write("components/dev/hello/Hello.cs", """
            namespace Rump.Dev.Hello;

            internal static class Greeting
            {
                public static int Length(string word) => word.Length;
            }
            """);
        try
        {
            var build = _repo.BuildKernel();
            Assert.True(build.Succeeded, build.Output);

            var map = LinkMap.Load(LinkMapPath);
            var hello = map.Component("hello");
            Assert.Equal("component", hello.GetProperty("layer").GetString());
            Assert.Equal(["dev"], LinkMap.Strings(hello.GetProperty("factions")));
            Assert.Equal("Dev", hello.GetProperty("initLevel").GetString());
            Assert.Equal(["components/dev/hello/Hello.cs"], LinkMap.Strings(hello.GetProperty("files")));
            Assert.Contains("dev", map.ComponentNames("faction"));

            var (info, _) = KernelBoot.BootAndShutdown(KernelDll);
            var names = info.Components.Select(c => c.Name).ToList();
            Assert.Contains("hello", names);
            Assert.Equal("Dev", info.Components.Single(c => c.Name == "hello").InitLevel);
        }
        finally
        {
            _repo.Remove("components/dev/hello");
        }
    }

    [Fact]
    public void ComponentAttribute_InitRunsAtBoot_AndSelectionPullsInOnlyItsDependencyAndFaction()
    {
        _repo.Write("components/dev/greeter/Greeter.cs", """
            namespace Rump.Dev.Greeter;

            internal static class Words
            {
                public const string Hello = "hello from a dropped-in component";
            }
            """);
        _repo.Write("components/dev/hello/Hello.cs", """
            using Rump.Kern;

            namespace Rump.Dev.Hello;

            [Component(InitLevel.Dev, Requires = ["greeter"])]
            internal static class HelloComponent
            {
                public static void Init() => KernelLog.Printf("hello: " + Rump.Dev.Greeter.Words.Hello);
            }
            """);
        try
        {
            var build = _repo.BuildKernel("-p:RumpComponents=hello");
            Assert.True(build.Succeeded, build.Output);

            var map = LinkMap.Load(LinkMapPath);
            Assert.Equal(["greeter", "hello"], map.ComponentNames("component").Order().ToArray());
            Assert.Equal(["dev"], map.ComponentNames("faction"));
            Assert.Equal(["greeter"], LinkMap.Strings(map.Component("hello").GetProperty("requires")));

            var (info, console) = KernelBoot.BootAndShutdown(KernelDll);
            Assert.Contains("hello: hello from a dropped-in component", console);
            Assert.Equal(["dev", "greeter", "hello"], info.Components.Select(c => c.Name).Order().ToArray());
        }
        finally
        {
            _repo.Remove("components/dev/hello", "components/dev/greeter");
        }
    }

    [Fact]
    public void NoComponents_BaseOnlyKernel_Boots()
    {
        var build = _repo.BuildKernel("-p:RumpComponents=none");
        Assert.True(build.Succeeded, build.Output);

        var map = LinkMap.Load(LinkMapPath);
        Assert.Empty(map.Root.GetProperty("components").EnumerateArray());

        var (info, console) = KernelBoot.BootAndShutdown(KernelDll);
        Assert.Empty(info.Components);
        Assert.Equal("posix", info.Target);
        Assert.NotEmpty(console);
    }

    [Fact]
    public void BaseOnlyKernel_FileCallsAreENOSYS_AndRumpctlNamesTheMissingFactionAndTheBuildCommand()
    {
        var build = _repo.BuildKernel("-p:RumpComponents=none");
        Assert.True(build.Succeeded, build.Output);
        // A private copy: later tests rebuild the kernel at the same path.
        var folder = Directory.CreateTempSubdirectory("rump-baseonly-").FullName;
        try
        {
            var kernel = Path.Combine(folder, Path.GetFileName(KernelDll));
            File.Copy(KernelDll, kernel);

            // As in NetBSD's rump kernels: the system calls of a faction that is not linked answer ENOSYS.
            using (var booted = RumpKernelLoader.Boot(kernel))
            {
                Assert.Equal((int)Errno.ENOSYS, booted.Sys.Open("/x", OpenFlags.O_RDONLY, 0, out _));
                Assert.Equal((int)Errno.ENOSYS, booted.Sys.Mkdir("/mnt", 0x1ED));
                Assert.Equal((int)Errno.ENOSYS, booted.Sys.EtfsRegister("/dev/x", kernel, EtfsType.Block, 0, 0));
            }

            var image = Path.Combine(folder, "disk.img");
            var mkfs = System.Diagnostics.Process.Start("mkfs.fat", ["-C", "-F", "12", "--invariant", image, "1440"])!;
            mkfs.WaitForExit();
            Assert.Equal(0, mkfs.ExitCode);
            var run = VintageTests.RunRumpctlIn(folder, "ls", "--kernel", kernel, "disk.img:/");
            Assert.Equal(3, run.Exit);
            Assert.Equal(
                "rumpctl: kernel Rump.Kernel.Posix has no vfs faction (etfs, mount, file system drivers): its file system calls answer ENOSYS; "
                + "build a kernel with the vfs faction and msdosfs: `dotnet build kernels/Rump.Kernel` (all components) or "
                + "`dotnet build kernels/Rump.Kernel -p:RumpComponents=msdosfs`\n",
                run.Stderr);
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public void SecondBuild_WithoutChanges_DoesNotLinkOrRewriteOutputs()
    {
        var first = _repo.BuildKernel("-p:RumpComponents=none");
        Assert.True(first.Succeeded, first.Output);
        var outputs = new[] { KernelDll, LinkMapPath, Path.ChangeExtension(KernelDll, ".pdb") };
        var before = outputs.Select(File.GetLastWriteTimeUtc).ToArray();

        var second = _repo.BuildKernel("-p:RumpComponents=none");

        Assert.True(second.Succeeded, second.Output);
        Assert.DoesNotContain("Rump link:", second.Output);
        Assert.Equal(before, outputs.Select(File.GetLastWriteTimeUtc).ToArray());
    }

    [Fact]
    public void GitVintage_BuildsBesideTheDefaultKernel_WithItsIdentity()
    {
        var commit = _repo.Git("rev-parse", "HEAD").Trim();
        var defaultKernel = File.GetLastWriteTimeUtc(KernelDll);

        var build = _repo.BuildKernel("-p:RumpComponents=none", "-p:RumpVintage=HEAD");

        Assert.True(build.Succeeded, build.Output);
        Assert.Equal(defaultKernel, File.GetLastWriteTimeUtc(KernelDll));
        Assert.True(File.Exists(Path.Combine(_repo.Artifacts(), "HEAD", "Rump.Kernel.Posix.dll")));
        var map = LinkMap.Load(Path.Combine(_repo.Artifacts(), "HEAD", "Rump.Kernel.Posix.linkmap.json"));
        var vintage = map.Root.GetProperty("vintage");
        Assert.Equal("HEAD", vintage.GetProperty("ref").GetString());
        Assert.Equal(commit, vintage.GetProperty("commit").GetString());
        Assert.False(vintage.GetProperty("dirty").GetBoolean());
        Assert.NotEmpty(vintage.GetProperty("commitDate").GetString()!);
    }
}
