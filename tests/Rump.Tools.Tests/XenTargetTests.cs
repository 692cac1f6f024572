using System.IO;
using System.Text;

namespace Rump.Tools.Tests;

/// <summary>--target xen: the xen kernel boots on the in-process software hypervisor; images are blkfront disks.</summary>
public sealed class XenTargetTests
{
    [FatKernelFact]
    public void TargetXen_CpIntoImageAndBack_FsckCleanAndMtoolsAgrees()
    {
        using var image = FatImage.Create(16, 16 * 1024);
        image.Put("/old.txt", "from mtools");
        var payload = new byte[300_000];
        for (int i = 0; i < payload.Length; i++)
            payload[i] = (byte)(i * 13 + i / 4093);
        var host = Path.Combine(image.Folder, "payload.bin");
        File.WriteAllBytes(host, payload);

        var cp = Tool.Run(image.Folder, "--target", "xen", "cp", host, image.Name + ":/payload.bin");
        Assert.True(cp.ExitCode == 0, cp.ToString());
        var ls = Tool.Run(image.Folder, "--target", "xen", "ls", image.Name + ":/");
        Assert.True(ls.ExitCode == 0, ls.ToString());
        Assert.Equal(["old.txt", "payload.bin"], ls.Lines);
        var cat = Tool.Run(image.Folder, "--target", "xen", "cat", image.Name + ":/old.txt");
        Assert.Equal("from mtools", Encoding.UTF8.GetString(cat.StdoutBytes));

        var fsck = image.Fsck();
        Assert.True(fsck.ExitCode == 0, fsck.Output);
        Assert.Equal(payload, image.Read("/payload.bin"));
    }

    [FatKernelFact]
    public void TargetXen_Verbose_BannerComesFromTheConsoleRing()
    {
        using var image = FatImage.Create(12, 1440);
        var run = Tool.Run(image.Folder, "--target", "xen", "--verbose", "ls", image.Name + ":/");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("[kernel] Rump.Build kernel Rump.Kernel.Xen (target xen,", run.Stderr);
    }
}
