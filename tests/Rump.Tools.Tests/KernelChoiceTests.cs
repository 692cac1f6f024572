using System.IO;
using System.Linq;

namespace Rump.Tools.Tests;

/// <summary>--components and --kernel choose and check the kernel; bad images end in an errno, not a crash.</summary>
public sealed class KernelChoiceTests
{
    [FatKernelFact]
    public void Components_LinkedInTheKernel_Runs()
    {
        using var image = FatImage.Create(12, 1440);
        image.Put("/a.txt", "a");
        var run = Tool.Run(image.Folder, "ls", "--components", "msdosfs,vnd", image.Name + ":/");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["a.txt"], run.Lines);
    }

    [FatKernelFact]
    public void Components_NotLinked_NorInTheCheckout_ExitsThreeAndSaysNoBuildCanLinkIt()
    {
        using var image = FatImage.Create(12, 1440);
        var run = Tool.Run(image.Folder, "ls", "--components", "msdosfs,nosuchdriver", image.Name + ":/");
        Assert.Equal(ExitCodes.Kernel, run.ExitCode);
        Assert.Contains("does not link component(s) nosuchdriver (it links: ", run.Stderr);
        Assert.Contains("msdosfs", run.Stderr);
        Assert.Contains("); there is no component nosuchdriver in ", run.Stderr);
        Assert.DoesNotContain("kernel the built-in", run.Stderr);
        Assert.DoesNotContain("-p:RumpComponents=", run.Stderr);
    }

    [FatKernelFact]
    public void Kernel_ExplicitPath_IsTheOneBooted()
    {
        using var image = FatImage.Create(12, 1440);
        image.Put("/a.txt", "a");
        var kernel = Rump.Testing.TestKernel.KernelPath();
        var run = Tool.Run(image.Folder, "ls", "--kernel", kernel, image.Name + ":/");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["a.txt"], run.Lines);
    }

    [FatKernelFact]
    public void Ls_BareUnpartitionedImage_ListsItsRoot()
    {
        using var image = FatImage.Create(12, 1440);
        image.Mkdir("/dir");
        image.Put("/b.txt", "b");
        var run = Tool.Run(image.Folder, "ls", image.Name);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["b.txt", "dir"], run.Lines);
    }

    [FatKernelFact]
    public void Ls_TruncatedImage_ExitsOneAndTheProcessGoesOn()
    {
        using var image = FatImage.Create(16, 16 * 1024);
        image.Mkdir("/d");
        for (var i = 0; i < 40; i++)
            image.Put("/d/file " + i + ".txt", new string('x', 5000));
        var truncated = Path.Combine(image.Folder, "truncated.img");
        var bytes = File.ReadAllBytes(image.Path);
        File.WriteAllBytes(truncated, bytes.Take(64 * 1024).ToArray());
        var run = Tool.Run(image.Folder, "cat", "truncated.img:/d/file 39.txt");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        // The kernel's mount warning first (the image is shorter than its file system), then the failed read.
        Assert.StartsWith("rumpctl: warning: truncated.img: kernel: msdosfs: ", run.Stderr);
        Assert.Contains("\nrumpctl: truncated.img", run.Stderr);
        // The same process still works on a good image afterwards.
        Assert.Equal(0, Tool.Run(image.Folder, "ls", image.Name + ":/d").ExitCode);
    }

    [FatKernelFact]
    public void CpIntoImage_ReadOnlyOption_ExitsOneAndImageUnchanged()
    {
        using var image = FatImage.Create(12, 1440);
        File.WriteAllText(Path.Combine(image.Folder, "f.txt"), "f");
        var before = File.ReadAllBytes(image.Path);
        var run = Tool.Run(image.Folder, "cp", "--ro", "f.txt", image.Name + ":/f.txt");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Equal("rumpctl: " + image.Name + ":/f.txt: Read-only file system\n", run.Stderr);
        Assert.Equal(before, File.ReadAllBytes(image.Path));
    }
}
