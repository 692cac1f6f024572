using System;
using System.IO;
using System.Text;
using Rump;

namespace Rump.Fs.Tests;

/// <summary>etfs: host files as regular files and block devices, host directories, in the kernel's namespace.</summary>
public sealed class EtfsTests
{
    [Fact]
    public void Regular_ReadsAndWritesTheHostFile()
    {
        using var host = new HostTempDir();
        var path = Path.Combine(host.Path, "data.txt");
        File.WriteAllText(path, "hello from the host");
        using var k = new VfsKernel();
        AssertErrno.Ok(k.Sys.EtfsRegister("/hostfile", path, EtfsType.Regular, 0, 0));
        Assert.Equal("hello from the host", k.ReadAll("/hostfile"));
        Assert.Equal(19, k.Stat("/hostfile").Size);

        AssertErrno.Ok(k.Sys.Open("/hostfile", OpenFlags.O_WRONLY | OpenFlags.O_APPEND, 0, out var fd));
        AssertErrno.Ok(k.Sys.Write(fd, ", and back"u8, out var n));
        Assert.Equal(10, n);
        AssertErrno.Ok(k.Sys.Fsync(fd));
        AssertErrno.Ok(k.Sys.Close(fd));
        Assert.Equal("hello from the host, and back", File.ReadAllText(path));

        AssertErrno.Is(Errno.EEXIST, k.Sys.EtfsRegister("/hostfile", path, EtfsType.Regular, 0, 0));
        AssertErrno.Ok(k.Sys.EtfsRemove("/hostfile"));
        AssertErrno.Is(Errno.ENOENT, k.Sys.Stat("/hostfile", out _));
        AssertErrno.Is(Errno.ENOENT, k.Sys.EtfsRemove("/hostfile"));
    }

    [Fact]
    public void Regular_WindowOfTheHostFile_BeginAndSize()
    {
        using var host = new HostTempDir();
        var path = Path.Combine(host.Path, "blob");
        File.WriteAllText(path, "0123456789abcdef");
        using var k = new VfsKernel();
        AssertErrno.Ok(k.Sys.EtfsRegister("/window", path, EtfsType.Regular, 4, 6));
        Assert.Equal("456789", k.ReadAll("/window"));
    }

    [Fact]
    public void Register_Errors()
    {
        using var host = new HostTempDir();
        var file = Path.Combine(host.Path, "f");
        File.WriteAllText(file, "x");
        using var k = new VfsKernel();
        AssertErrno.Is(Errno.ENOENT, k.Sys.EtfsRegister("/x", Path.Combine(host.Path, "missing"), EtfsType.Regular, 0, 0));
        AssertErrno.Is(Errno.EINVAL, k.Sys.EtfsRegister("relative", file, EtfsType.Regular, 0, 0));
        AssertErrno.Is(Errno.ENOTDIR, k.Sys.EtfsRegister("/d", file, EtfsType.Directory, 0, 0));
        AssertErrno.Is(Errno.EISDIR, k.Sys.EtfsRegister("/d", host.Path, EtfsType.Regular, 0, 0));
        AssertErrno.Is(Errno.ENOENT, k.Sys.EtfsRegister("/no/such/dir/f", file, EtfsType.Regular, 0, 0));
    }

    [Fact]
    public void Block_UnderDev_IsABlockDeviceReadAndWrittenThroughTheSwitch()
    {
        using var host = new HostTempDir();
        var image = Path.Combine(host.Path, "disk.img");
        var content = new byte[1 << 20];
        new Random(5).NextBytes(content);
        File.WriteAllBytes(image, content);
        using var k = new VfsKernel();
        AssertErrno.Ok(k.Sys.EtfsRegister("/dev/etfs0", image, EtfsType.Block, 0, 0));
        Assert.Contains("etfs0", k.List("/dev"));
        var st = k.Stat("/dev/etfs0");
        Assert.Equal(FileMode.S_IFBLK, st.Mode & FileMode.S_IFMT);

        AssertErrno.Ok(k.Sys.Open("/dev/etfs0", OpenFlags.O_RDWR, 0, out var fd));
        var buf = new byte[3000];
        AssertErrno.Ok(k.Sys.PRead(fd, buf, 1000, out var n));      // unaligned: read-modify at both edges
        Assert.Equal(3000, n);
        Assert.Equal(content.AsSpan(1000, 3000).ToArray(), buf);
        AssertErrno.Ok(k.Sys.LSeek(fd, 0, PosixConst.SEEK_END, out var end));
        Assert.Equal(1 << 20, end);
        var patch = Encoding.ASCII.GetBytes("PATCHED-ACROSS-A-SECTOR-EDGE");
        AssertErrno.Ok(k.Sys.PWrite(fd, patch, 510, out n));
        Assert.Equal(patch.Length, n);
        AssertErrno.Ok(k.Sys.PRead(fd, buf.AsSpan(0, 4), (1 << 20) - 2, out n));
        Assert.Equal(2, n);                                           // short read at the end of the device
        AssertErrno.Ok(k.Sys.Fsync(fd));
        AssertErrno.Ok(k.Sys.Close(fd));

        var after = File.ReadAllBytes(image);
        patch.CopyTo(content, 510);
        Assert.Equal(content, after);

        AssertErrno.Ok(k.Sys.EtfsRemove("/dev/etfs0"));
        Assert.DoesNotContain("etfs0", k.List("/dev"));
        AssertErrno.Is(Errno.ENOENT, k.Sys.Stat("/dev/etfs0", out _));
    }

    [Fact]
    public void Block_OutsideDev_IsABlockDeviceNodeAtTheKey()
    {
        using var host = new HostTempDir();
        var image = Path.Combine(host.Path, "disk.img");
        File.WriteAllBytes(image, new byte[64 * 1024]);
        using var k = new VfsKernel();
        AssertErrno.Ok(k.Sys.EtfsRegister("/disk.img", image, EtfsType.Block, 0, 0));
        Assert.Equal(FileMode.S_IFBLK, k.Stat("/disk.img").Mode & FileMode.S_IFMT);
        AssertErrno.Ok(k.Sys.Open("/disk.img", OpenFlags.O_RDONLY, 0, out var fd));
        AssertErrno.Ok(k.Sys.PRead(fd, new byte[512], 0, out var n));
        Assert.Equal(512, n);
        AssertErrno.Ok(k.Sys.Close(fd));
        AssertErrno.Ok(k.Sys.EtfsRemove("/disk.img"));
    }

    [Fact]
    public void Block_PartitionedImage_TheDevFactionSeesItsPartitions()
    {
        using var host = new HostTempDir();
        var image = Path.Combine(host.Path, "mbr.img");
        File.WriteAllBytes(image, new byte[8 << 20]);
        DevTestKit.Run("sfdisk", "--quiet " + DevTestKit.Quote(image), "label: dos\nstart=2048, size=4096, type=c\nstart=6144, type=83\n");
        using var k = new VfsKernel();
        AssertErrno.Ok(k.Sys.EtfsRegister("/dev/disk0", image, EtfsType.Block, 0, 0));
        var names = k.List("/dev");
        Assert.Contains("disk0", names);
        Assert.Contains(names, n => n.StartsWith("disk0", StringComparison.Ordinal) && n != "disk0");
    }

    [Fact]
    public void Directory_HostFilesAppearOnLookupAndNewFilesReachTheHost()
    {
        using var host = new HostTempDir();
        File.WriteAllText(Path.Combine(host.Path, "a.txt"), "alpha");
        Directory.CreateDirectory(Path.Combine(host.Path, "sub"));
        File.WriteAllText(Path.Combine(host.Path, "sub", "b.txt"), "beta");
        using var k = new VfsKernel();
        AssertErrno.Ok(k.Sys.EtfsRegister("/one", host.Path, EtfsType.Directory, 0, 0));
        AssertErrno.Ok(k.Sys.EtfsRegister("/all", host.Path, EtfsType.DirectorySubtree, 0, 0));
        Assert.Equal("alpha", k.ReadAll("/one/a.txt"));
        AssertErrno.Is(Errno.ENOENT, k.Sys.Stat("/one/sub", out _));   // one level only
        Assert.Equal("beta", k.ReadAll("/all/sub/b.txt"));
        AssertErrno.Is(Errno.ENOENT, k.Sys.Stat("/all/nothing", out _));

        AssertErrno.Ok(k.Create("/all/new.txt", "created in the kernel"));
        Assert.Equal("created in the kernel", File.ReadAllText(Path.Combine(host.Path, "new.txt")));
        AssertErrno.Ok(k.Sys.EtfsRemove("/all"));
        AssertErrno.Is(Errno.ENOENT, k.Sys.Stat("/all/a.txt", out _));
    }
}
