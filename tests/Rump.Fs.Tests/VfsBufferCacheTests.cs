using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Rump;

namespace Rump.Fs.Tests;

/// <summary>
/// The buffer cache behind block device nodes: writes are delayed writes, pushed to the device by
/// fsync, sync, the last close and the syncer; reads see the cached data.
/// </summary>
public sealed class VfsBufferCacheTests
{
    private static (HostTempDir host, string image, byte[] content) Image(int seed)
    {
        var host = new HostTempDir();
        var image = Path.Combine(host.Path, "disk.img");
        var content = new byte[256 * 1024];
        new Random(seed).NextBytes(content);
        File.WriteAllBytes(image, content);
        return (host, image, content);
    }

    [Fact]
    public void DelayedWrite_ReachesTheHostOnlyAtSync()
    {
        var (host, image, content) = Image(11);
        using var hostDir = host;
        using var k = new VfsKernel();
        AssertErrno.Ok(k.Sys.EtfsRegister("/dev/bc0", image, EtfsType.Block, 0, 0));
        AssertErrno.Ok(k.Sys.Open("/dev/bc0", OpenFlags.O_RDWR, 0, out var fd));
        var patch = Encoding.ASCII.GetBytes("delayed write");
        AssertErrno.Ok(k.Sys.PWrite(fd, patch, 5000, out var n));
        Assert.Equal(patch.Length, n);

        // The kernel sees the new bytes at once; the host file does not yet.
        var back = new byte[patch.Length];
        AssertErrno.Ok(k.Sys.PRead(fd, back, 5000, out _));
        Assert.Equal(patch, back);
        Assert.Equal(content, File.ReadAllBytes(image));

        AssertErrno.Ok(k.Sys.Sync());
        patch.CopyTo(content, 5000);
        Assert.Equal(content, File.ReadAllBytes(image));
        AssertErrno.Ok(k.Sys.Close(fd));
    }

    [Fact]
    public void Fsync_WritesEveryDirtyBlockOfTheDevice()
    {
        var (host, image, content) = Image(12);
        using var hostDir = host;
        using var k = new VfsKernel();
        AssertErrno.Ok(k.Sys.EtfsRegister("/dev/bc0", image, EtfsType.Block, 0, 0));
        AssertErrno.Ok(k.Sys.Open("/dev/bc0", OpenFlags.O_RDWR, 0, out var fd));
        var rng = new Random(99);
        for (var i = 0; i < 40; i++)
        {
            var offset = rng.Next(0, content.Length - 700);
            var data = new byte[rng.Next(1, 700)];
            rng.NextBytes(data);
            AssertErrno.Ok(k.Sys.PWrite(fd, data, offset, out var n));
            Assert.Equal(data.Length, n);
            data.CopyTo(content, offset);
        }
        AssertErrno.Ok(k.Sys.Fsync(fd));
        Assert.Equal(content, File.ReadAllBytes(image));
        AssertErrno.Ok(k.Sys.Close(fd));
    }

    [Fact]
    public void LastClose_FlushesDelayedWrites()
    {
        var (host, image, content) = Image(13);
        using var hostDir = host;
        using var k = new VfsKernel();
        AssertErrno.Ok(k.Sys.EtfsRegister("/dev/bc0", image, EtfsType.Block, 0, 0));
        AssertErrno.Ok(k.Sys.Open("/dev/bc0", OpenFlags.O_WRONLY, 0, out var fd));
        var block = Enumerable.Repeat((byte)0xA5, 8192).ToArray();
        AssertErrno.Ok(k.Sys.PWrite(fd, block, 65536, out _));
        AssertErrno.Ok(k.Sys.Close(fd));
        block.CopyTo(content, 65536);
        Assert.Equal(content, File.ReadAllBytes(image));
    }

    [Fact]
    public void Syncer_WritesOldDelayedWritesWithoutAnyCall()
    {
        var (host, image, content) = Image(14);
        using var hostDir = host;
        using var k = new VfsKernel();
        AssertErrno.Ok(k.Sys.EtfsRegister("/dev/bc0", image, EtfsType.Block, 0, 0));
        AssertErrno.Ok(k.Sys.Open("/dev/bc0", OpenFlags.O_RDWR, 0, out var fd));
        var patch = Encoding.ASCII.GetBytes("the syncer wrote this");
        AssertErrno.Ok(k.Sys.PWrite(fd, patch, 100, out _));
        patch.CopyTo(content, 100);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!File.ReadAllBytes(image).AsSpan().SequenceEqual(content) && DateTime.UtcNow < deadline)
            Thread.Sleep(200);
        Assert.Equal(content, File.ReadAllBytes(image));
        AssertErrno.Ok(k.Sys.Close(fd));
    }

    [Fact]
    public void ManyBlocks_MoreThanTheCacheHolds_AllReachTheHost()
    {
        using var host = new HostTempDir();
        var image = Path.Combine(host.Path, "big.img");
        var content = new byte[48 << 20]; // larger than the 32 MiB cache: eviction writes dirty blocks
        new Random(15).NextBytes(content);
        File.WriteAllBytes(image, new byte[content.Length]);
        using var k = new VfsKernel();
        AssertErrno.Ok(k.Sys.EtfsRegister("/dev/big", image, EtfsType.Block, 0, 0));
        AssertErrno.Ok(k.Sys.Open("/dev/big", OpenFlags.O_RDWR, 0, out var fd));
        for (var off = 0; off < content.Length; off += 1 << 20)
        {
            AssertErrno.Ok(k.Sys.PWrite(fd, content.AsSpan(off, 1 << 20), off, out var n));
            Assert.Equal(1 << 20, n);
        }
        var back = new byte[1 << 20];
        AssertErrno.Ok(k.Sys.PRead(fd, back, 3 << 20, out _));
        Assert.Equal(content.AsSpan(3 << 20, 1 << 20).ToArray(), back);
        AssertErrno.Ok(k.Sys.Fsync(fd));
        Assert.True(File.ReadAllBytes(image).AsSpan().SequenceEqual(content));
        AssertErrno.Ok(k.Sys.Close(fd));
    }

    [Fact]
    public void SmallKernelMemory_CacheShrinksToFitAndWritesStillComplete()
    {
        using var host = new HostTempDir();
        var image = Path.Combine(host.Path, "disk.img");
        var content = new byte[12 << 20];
        new Random(16).NextBytes(content);
        File.WriteAllBytes(image, new byte[content.Length]);
        using var k = new VfsKernel(memoryLimit: 16L << 20);
        AssertErrno.Ok(k.Sys.EtfsRegister("/dev/small", image, EtfsType.Block, 0, 0));
        AssertErrno.Ok(k.Sys.Open("/dev/small", OpenFlags.O_RDWR, 0, out var fd));
        for (var off = 0; off < content.Length; off += 256 * 1024)
        {
            AssertErrno.Ok(k.Sys.PWrite(fd, content.AsSpan(off, 256 * 1024), off, out var n));
            Assert.Equal(256 * 1024, n);
        }
        AssertErrno.Ok(k.Sys.Close(fd));
        Assert.True(File.ReadAllBytes(image).AsSpan().SequenceEqual(content));
    }
}
