using System.IO;

namespace Rump.Tools.Tests;

/// <summary>The command line itself: help, usage errors, exit codes. No kernel needed.</summary>
public sealed class CommandLineTests
{
    private static readonly string Cwd = Path.GetTempPath();

    [Theory]
    [InlineData("--help")]
    [InlineData("ls", "--help")]
    [InlineData("cat", "--help")]
    [InlineData("cp", "--help")]
    [InlineData("mkdir", "--help")]
    [InlineData("rm", "--help")]
    [InlineData("mv", "--help")]
    [InlineData("stat", "--help")]
    [InlineData("df", "--help")]
    [InlineData("tree", "--help")]
    [InlineData("demo", "--help")]
    public void Help_EveryVerb_PrintsUsageAndExitsZero(params string[] args)
    {
        var run = Tool.Run(Cwd, args);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Usage:", run.Stdout);
        Assert.Contains("--kernel", run.Stdout);
        Assert.Equal("", run.Stderr);
    }

    [Fact]
    public void Help_Root_ListsEveryVerbAndTheExitCodes()
    {
        var run = Tool.Run(Cwd, "--help");
        foreach (var verb in new[] { "ls", "cat", "cp", "mkdir", "rm", "mv", "stat", "df", "tree", "demo" })
            Assert.Contains("  " + verb + " ", run.Stdout);
        Assert.Contains("1 a system call failed", run.Stdout);
        Assert.Contains("2 usage error", run.Stdout);
    }

    [Fact]
    public void UnknownVerb_ExitsTwoWithHint()
    {
        var run = Tool.Run(Cwd, "frobnicate");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("rumpctl: Unrecognized command or argument 'frobnicate'", run.Stderr);
        Assert.Contains("Try 'rumpctl --help'.", run.Stderr);
    }

    [Fact]
    public void Ls_WithoutLocation_ExitsTwo()
    {
        var run = Tool.Run(Cwd, "ls");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("Try 'rumpctl ls --help'.", run.Stderr);
    }

    [Fact]
    public void Cp_WithOneOperand_ExitsTwo()
    {
        var run = Tool.Run(Cwd, "cp", "disk.img:/a");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("cp needs a SOURCE and a TARGET", run.Stderr);
    }

    [Fact]
    public void Cp_HostToHost_ExitsTwo()
    {
        var run = Tool.Run(Cwd, "cp", "./a", "./b");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("neither side is on an image", run.Stderr);
    }

    [Fact]
    public void Mv_HostPath_ExitsTwo()
    {
        var run = Tool.Run(Cwd, "mv", "./a", "disk.img:/b");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("both paths must be on an image", run.Stderr);
    }

    [Fact]
    public void Target_Unknown_ExitsTwo()
    {
        var run = Tool.Run(Cwd, "ls", "--target", "vax", "disk.img:/");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("vax", run.Stderr);
    }

    [Fact]
    public void Kernel_MissingFile_ExitsThreeNamingThePath()
    {
        var run = Tool.Run(Cwd, "ls", "--kernel", "/nonexistent/Rump.Kernel.Posix.dll", "disk.img:/");
        Assert.Equal(ExitCodes.Kernel, run.ExitCode);
        Assert.StartsWith("rumpctl: cannot load kernel /nonexistent/Rump.Kernel.Posix.dll", run.Stderr);
    }

    [Fact]
    public void Kernel_NotAKernelAssembly_ExitsThree()
    {
        var notAKernel = typeof(CommandLineTests).Assembly.Location;
        var run = Tool.Run(Cwd, "ls", "--kernel", notAKernel, "disk.img:/");
        Assert.Equal(ExitCodes.Kernel, run.ExitCode);
        Assert.Contains("is not a Rump.Build kernel", run.Stderr);
    }
}
