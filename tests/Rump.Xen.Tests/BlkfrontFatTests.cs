using System;
using System.IO;
using System.Linq;
using System.Text;
using Rump;
using Rump.Testing;
using Rump.Target.Xen.Abi;
using Rump.Xen.Host;

namespace Rump.Xen.Tests;

/// <summary>FAT images made by mkfs.fat and mtools, mounted through blkfront on the software hypervisor.</summary>
public class BlkfrontFatTests
{
    [Fact]
    public void Mount_FatImage_ListingAndContentsEqualThePosixKernels_BothKernelsSideBySide()
    {
        using var s = new Scratch();
        var img = Tools.MakeFatImage(s);
        using var posix = TestKernel.Boot(new BootOptions(), "posix");
        using var xen = XenMachine.Boot(new XenDiskConfig(img, Writable: false));
        FsOps.MountFat(posix.Sys, img, readOnly: true);
        FsOps.MountFat(xen.Sys, img, readOnly: true);   // the same host path names the disk's back end

        var posixTree = FsOps.Tree(posix.Sys, "/mnt");
        var xenTree = FsOps.Tree(xen.Sys, "/mnt");
        Assert.Equal(posixTree, xenTree);
        Assert.Contains(xenTree, l => l.StartsWith("/DOCS/DATA.BIN 100000 ", StringComparison.Ordinal));

        // mtools is the oracle for the bytes.
        var mtools = Tools.Run("mcopy", "-n -i " + img + " ::/README.TXT -");
        Assert.Equal(0, mtools.Code);
        Assert.Equal(mtools.Out, Encoding.UTF8.GetString(FsOps.ReadFile(xen.Sys, "/mnt/README.TXT")));
        Assert.Equal("posix", posix.Info.Target);
        Assert.Equal("xen", xen.Kernel.Info.Target);
        var disk = Assert.Single(xen.Domain.Disks);
        Assert.True(disk.Reads > 0);
        Assert.Equal(0, disk.Writes);
        Assert.Empty(xen.Hypervisor.BackendErrors);
    }

    [Fact]
    public void Write_ThroughXen_FsckClean_MtoolsReadsBackTheSameBytes()
    {
        using var s = new Scratch();
        var img = Tools.MakeFatImage(s);
        var big = FsOps.Pattern(300_000, 5);
        var small = Encoding.UTF8.GetBytes("written through blkfront\n");
        long flushes;
        using (var xen = XenMachine.Boot(new XenDiskConfig(img)))
        {
            FsOps.MountFat(xen.Sys, "xvda");   // the disk's virtual device name works as well
            FsOps.Check(xen.Sys.Mkdir("/mnt/NEW", 0x1ED), "mkdir");
            FsOps.WriteFile(xen.Sys, "/mnt/NEW/BIG.BIN", big, fsync: true);
            FsOps.WriteFile(xen.Sys, "/mnt/DOCS/NOTES.TXT", small);
            FsOps.Check(xen.Sys.Unlink("/mnt/README.TXT"), "unlink");
            FsOps.Check(xen.Sys.Unmount("/mnt", 0), "unmount");
            var disk = Assert.Single(xen.Domain.Disks);
            Assert.True(disk.Writes > 0);
            flushes = disk.Flushes;
            Assert.Empty(xen.Hypervisor.BackendErrors);
        }
        Assert.True(flushes > 0, "fsync and unmount reach blkback as BLKIF_OP_FLUSH_DISKCACHE");
        var fsck = Tools.Run("fsck.fat", "-n " + img);
        Assert.True(fsck.Code == 0, fsck.Out + fsck.Err);
        var bigOut = s.PathOf("big.out");
        Tools.Must("mcopy", "-n -i " + img + " ::/NEW/BIG.BIN " + bigOut);
        Assert.Equal(big, File.ReadAllBytes(bigOut));
        Assert.Equal(Encoding.UTF8.GetString(small), Tools.Run("mcopy", "-n -i " + img + " ::/DOCS/NOTES.TXT -").Out);
        var dir = Tools.Run("mdir", "-/ -b -i " + img + " ::/");
        Assert.DoesNotContain("README.TXT", dir.Out);
    }

    [Fact]
    public void BackendErrorStatus_ReadFailsWithEIO_KernelKeepsRunning()
    {
        using var s = new Scratch();
        var img = Tools.MakeFatImage(s);
        using var xen = XenMachine.Boot(new XenDiskConfig(img));
        FsOps.MountFat(xen.Sys, img);
        var disk = xen.Domain.Disks[0];
        disk.FailWhen = r => r.Operation == Blkif.BLKIF_OP_READ;
        Assert.Equal((int)Errno.EIO, FsOps.TryReadFile(xen.Sys, "/mnt/DOCS/DATA.BIN", out _));
        Assert.True(disk.Errors > 0);
        disk.FailWhen = null;
        Assert.Equal(0, FsOps.TryReadFile(xen.Sys, "/mnt/DOCS/DATA.BIN", out var data));
        Assert.Equal(100_000, data.Length);
        Assert.Equal(0, xen.Sys.GetPid(out _));
        Assert.True(xen.Kernel.IsRunning);
    }

    [Fact]
    public void RequestBeyondDiskEnd_BlkbackAnswersError_ReadGetsEIO()
    {
        using var s = new Scratch();
        var img = Tools.MakeFatImage(s, kib: 1024);
        using var xen = XenMachine.Boot(new XenDiskConfig(img));
        long size = new FileInfo(img).Length;
        // A block device registered larger than the disk: the kernel asks for sectors blkback does not have.
        FsOps.Check(xen.Sys.EtfsRegister("/dev/big", img, EtfsType.Block, 0, size * 2), "etfs");
        FsOps.Check(xen.Sys.Open("/dev/big", OpenFlags.O_RDONLY, 0, out int fd), "open /dev/big");
        var buf = new byte[4096];
        Assert.Equal(0, xen.Sys.PRead(fd, buf, 0, out long n));
        Assert.Equal(4096, n);
        Assert.Equal((int)Errno.EIO, xen.Sys.PRead(fd, buf, size + 8192, out _));
        Assert.True(xen.Domain.Disks[0].Errors > 0);
        Assert.Equal(0, xen.Sys.PRead(fd, buf, 512, out n));
        Assert.Equal(0, xen.Sys.Close(fd));
        Assert.Equal(0, xen.Sys.GetPid(out _));
    }

    [Fact]
    public void BackendClosing_IoFailsWithErrno_KernelKeepsRunning_FlushedDataSurvives()
    {
        using var s = new Scratch();
        var img = Tools.MakeFatImage(s);
        var kept = FsOps.Pattern(150_000, 9);
        using (var xen = XenMachine.Boot(new XenDiskConfig(img)))
        {
            FsOps.MountFat(xen.Sys, img);
            var disk = xen.Domain.Disks[0];
            FsOps.WriteFile(xen.Sys, "/mnt/KEPT.BIN", kept, fsync: true);
            long flushes = disk.Flushes;
            Assert.True(flushes > 0, "fsync is acknowledged only after a flush");

            disk.Close();   // the host takes the disk away: back end → Closing
            WaitFor(() => disk.State == XenbusState.Closed || xen.Hypervisor.Store.Read(disk.FrontendPath + "/state") == "6");
            int e = FsOps.TryReadFile(xen.Sys, "/mnt/DOCS/DATA.BIN", out _);
            Assert.True(e is (int)Errno.EIO or (int)Errno.ENXIO, "read after the back end closed: " + e);
            Assert.Equal(0, xen.Sys.GetPid(out _));
            Assert.Equal(0, xen.Sys.Mkdir("/still-here", 0x1ED));
            Assert.True(xen.Kernel.IsRunning);
        }
        var outPath = s.PathOf("kept.out");
        Tools.Must("mcopy", "-n -i " + img + " ::/KEPT.BIN " + outPath);
        Assert.Equal(kept, File.ReadAllBytes(outPath));
    }

    private static void WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("condition not met");
            System.Threading.Thread.Sleep(5);
        }
    }
}
