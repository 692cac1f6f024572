using System;
using Rump;

namespace Rump.Fs.Tests;

/// <summary>tmpfs: Kmem-accounted pages, its size and node limits, its options, its statvfs.</summary>
public sealed class TmpfsTests
{
    [Fact]
    public void Write_PastTheSizeLimit_ShortWriteThenENOSPC()
    {
        using var k = new VfsKernel();
        k.MountTmpfs("/t", "size=64k");
        AssertErrno.Ok(k.Sys.Open("/t/big", OpenFlags.O_CREAT | OpenFlags.O_RDWR, 0x1A4, out var fd));
        var data = new byte[100 * 1024];
        AssertErrno.Ok(k.Sys.Write(fd, data, out var n));
        Assert.Equal(64 * 1024, n);                       // what fits: 16 pages
        AssertErrno.Is(Errno.ENOSPC, k.Sys.Write(fd, data, out n));
        Assert.Equal(0, n);
        AssertErrno.Ok(k.Sys.StatVfs("/t", out var sv));
        Assert.Equal(0ul, sv.BFree);
        // Freeing space makes room again.
        AssertErrno.Ok(k.Sys.FTruncate(fd, 0));
        AssertErrno.Ok(k.Sys.PWrite(fd, data.AsSpan(0, 8192), 0, out n));
        Assert.Equal(8192, n);
        AssertErrno.Ok(k.Sys.Close(fd));
    }

    [Fact]
    public void Unlink_ReturnsPagesToTheMount()
    {
        using var k = new VfsKernel();
        k.MountTmpfs("/t", "size=1m");
        AssertErrno.Ok(k.Sys.StatVfs("/t", out var before));
        AssertErrno.Ok(k.Sys.Open("/t/f", OpenFlags.O_CREAT | OpenFlags.O_RDWR, 0x1A4, out var fd));
        AssertErrno.Ok(k.Sys.Write(fd, new byte[256 * 1024], out _));
        AssertErrno.Ok(k.Sys.Close(fd));
        AssertErrno.Ok(k.Sys.StatVfs("/t", out var used));
        Assert.Equal(before.BFree - 64, used.BFree);
        AssertErrno.Ok(k.Sys.Unlink("/t/f"));
        AssertErrno.Ok(k.Sys.StatVfs("/t", out var after));
        Assert.Equal(before.BFree, after.BFree);
    }

    [Fact]
    public void Write_PastTheKernelMemoryLimit_ReturnsENOSPC()
    {
        using var k = new VfsKernel(memoryLimit: 32L << 20);
        k.MountTmpfs("/t");
        AssertErrno.Ok(k.Sys.Open("/t/f", OpenFlags.O_CREAT | OpenFlags.O_RDWR, 0x1A4, out var fd));
        var chunk = new byte[1 << 20];
        long total = 0;
        int error;
        while ((error = k.Sys.Write(fd, chunk, out var n)) == 0 && n > 0)
        {
            total += n;
            Assert.True(total <= 32L << 20, "wrote more than the kernel memory limit");
        }
        AssertErrno.Is(Errno.ENOSPC, error);
        Assert.True(total > 16L << 20, "only " + total + " bytes fit");
        AssertErrno.Ok(k.Sys.Close(fd));
        AssertErrno.Ok(k.Sys.Unlink("/t/f"));
        // The kernel is still usable.
        AssertErrno.Ok(k.Create("/t/small", "fine"));
    }

    [Fact]
    public void NodesOption_LimitsTheNumberOfFiles()
    {
        using var k = new VfsKernel();
        k.MountTmpfs("/t", "nodes=5");
        var made = 0;
        int error;
        while ((error = k.Create("/t/f" + made, "")) == 0)
            made++;
        AssertErrno.Is(Errno.ENOSPC, error);
        Assert.Equal(4, made); // the root directory is a node too
    }

    [Theory]
    [InlineData("size=")]
    [InlineData("size=-5")]
    [InlineData("size=12q")]
    [InlineData("bogus=1")]
    [InlineData("mode=999")]
    [InlineData("justaword")]
    public void Mount_BadOptions_ReturnEINVAL(string options)
    {
        using var k = new VfsKernel();
        AssertErrno.Ok(k.Sys.Mkdir("/t", 0x1ED));
        AssertErrno.Is(Errno.EINVAL, k.Sys.Mount("tmpfs", "/t", 0, "tmpfs", options));
    }

    [Fact]
    public void Mount_ModeUidGidOptions_SetTheRootDirectory()
    {
        using var k = new VfsKernel();
        k.MountTmpfs("/t", "mode=750,uid=12,gid=34");
        var st = k.Stat("/t");
        Assert.Equal(0x1E8, st.Mode & 0xFFF);
        Assert.Equal(12u, st.Uid);
        Assert.Equal(34u, st.Gid);
        k.MountTmpfs("/u");
        Assert.Equal(0x3FF, k.Stat("/u").Mode & 0xFFF); // 1777 by default
    }

    [Fact]
    public void SparseFile_ReadsZeroesAndUsesNoPagesForHoles()
    {
        using var k = new VfsKernel();
        k.MountTmpfs("/t");
        AssertErrno.Ok(k.Sys.Open("/t/sparse", OpenFlags.O_CREAT | OpenFlags.O_RDWR, 0x1A4, out var fd));
        AssertErrno.Ok(k.Sys.PWrite(fd, "end"u8, 1L << 30, out _));
        AssertErrno.Ok(k.Sys.FStat(fd, out var st));
        Assert.Equal((1L << 30) + 3, st.Size);
        Assert.True(st.Blocks <= 8, "blocks " + st.Blocks);
        var buf = new byte[4096];
        Array.Fill(buf, (byte)1);
        AssertErrno.Ok(k.Sys.PRead(fd, buf, 12345678, out var n));
        Assert.Equal(4096, n);
        Assert.All(buf, b => Assert.Equal(0, b));
        AssertErrno.Ok(k.Sys.Close(fd));
    }

    [Fact]
    public void Unmount_FreesEverythingAndRemountIsEmpty()
    {
        using var k = new VfsKernel();
        k.MountTmpfs("/t");
        AssertErrno.Ok(k.Sys.Mkdir("/t/d", 0x1ED));
        AssertErrno.Ok(k.Create("/t/d/f", new string('x', 100000)));
        AssertErrno.Ok(k.Sys.Unmount("/t", 0));
        AssertErrno.Ok(k.Sys.Mount("tmpfs", "/t", 0, "tmpfs", ""));
        Assert.Empty(k.List("/t"));
    }
}
