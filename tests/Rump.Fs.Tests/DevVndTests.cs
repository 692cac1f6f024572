using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Rump;

namespace Rump.Fs.Tests;

/// <summary>vnd: a disk backed by a host file, configured at boot with the vndN parameters.</summary>
public sealed class DevVndTests
{
    private static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        new System.Random(seed).NextBytes(data);
        return data;
    }

    [Fact]
    public void Vnd_Read_ReturnsTheHostFileBytes()
    {
        using var dir = DevTestKit.Scratch();
        var image = Path.Combine(dir.Path, "disk.img");
        var content = Pattern(1 << 20, 1);
        File.WriteAllBytes(image, content);

        using var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = image });
        var fd = k.Open("/dev/vnd0", OpenFlags.O_RDONLY);
        foreach (var (offset, length) in new[] { (0L, 512), (4096L, 65536), ((1L << 20) - 1024, 1024), (123 * 512L, 8192) })
        {
            Assert.Equal(0, k.PRead(fd, offset, length, out var data));
            Assert.Equal(content.AsSpan((int)offset, length).ToArray(), data);
        }
        Assert.Equal(0, k.Sys.Close(fd));
    }

    [Fact]
    public void Vnd_WriteFsyncShutdown_HostFileHoldsTheNewBytes()
    {
        using var dir = DevTestKit.Scratch();
        var image = Path.Combine(dir.Path, "disk.img");
        var content = Pattern(1 << 20, 2);
        File.WriteAllBytes(image, content);
        var written = Pattern(16384, 3);

        using (var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = image }))
        {
            var fd = k.Open("/dev/vnd0", OpenFlags.O_RDWR);
            Assert.Equal(0, k.Sys.PWrite(fd, written, 8192, out var n));
            Assert.Equal(written.Length, n);
            Assert.Equal(0, k.Sys.Fsync(fd));
            Assert.Equal(0, k.PRead(fd, 8192, written.Length, out var back));
            Assert.Equal(written, back);
            Assert.Equal(0, k.Sys.Close(fd));
        }

        written.CopyTo(content, 8192);
        Assert.Equal(content, File.ReadAllBytes(image));
    }

    [Fact]
    public void Vnd_ReadOnlyUnit_WriteIsRefusedWithEROFS_HostFileUnchanged()
    {
        using var dir = DevTestKit.Scratch();
        var image = Path.Combine(dir.Path, "disk.img");
        var content = Pattern(256 << 10, 4);
        File.WriteAllBytes(image, content);

        using (var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = image, ["vnd0.readonly"] = "1" }))
        {
            var error = k.Sys.Open("/dev/vnd0", OpenFlags.O_RDWR, 0, out var fd);
            if (error == 0)
            {
                // A device opened for writing still refuses the write itself.
                Assert.Equal((int)Errno.EROFS, k.Sys.PWrite(fd, new byte[512], 0, out _));
                Assert.Equal(0, k.Sys.Close(fd));
            }
            else
            {
                Assert.Equal((int)Errno.EROFS, error);
            }
            fd = k.Open("/dev/vnd0", OpenFlags.O_RDONLY);
            Assert.Equal(0, k.PRead(fd, 0, 512, out var first));
            Assert.Equal(content.AsSpan(0, 512).ToArray(), first);
            Assert.Equal(0, k.Sys.Close(fd));
        }
        Assert.Equal(content, File.ReadAllBytes(image));
    }

    [Fact]
    public void Vnd_IoAtAndPastDiskEnd_ReadIsEofWriteIsENOSPC()
    {
        using var dir = DevTestKit.Scratch();
        var image = Path.Combine(dir.Path, "disk.img");
        File.WriteAllBytes(image, Pattern(64 << 10, 5));

        using var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = image });
        var fd = k.Open("/dev/vnd0", OpenFlags.O_RDWR);
        Assert.Equal(0, k.PRead(fd, 64 << 10, 512, out var atEnd));
        Assert.Empty(atEnd);
        Assert.Equal(0, k.PRead(fd, (64 << 10) + 4096, 512, out var past));
        Assert.Empty(past);
        Assert.Equal((int)Errno.ENOSPC, k.Sys.PWrite(fd, new byte[512], 64 << 10, out _));
        Assert.Equal(0, k.Sys.Close(fd));
    }

    [Fact]
    public void Vnd_MissingHostFile_NoDeviceNodeAndALogLine()
    {
        using var dir = DevTestKit.Scratch();
        using var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = Path.Combine(dir.Path, "absent.img") });
        Assert.Equal((int)Errno.ENOENT, k.Sys.Stat("/dev/vnd0", out _));
        Assert.Contains("vnd0: cannot configure", k.Console);
    }

    [Fact]
    public void Vnd_ConcurrentReadersAndAWriter_EverybodySeesConsistentBytes()
    {
        using var dir = DevTestKit.Scratch();
        var image = Path.Combine(dir.Path, "disk.img");
        var content = Pattern(4 << 20, 8);
        File.WriteAllBytes(image, content);
        var written = Pattern(64 << 10, 9);

        using var k = new BootedKernel(new Dictionary<string, string> { ["vnd0"] = image }, 0, false, virtualCpus: 2);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var readers = Enumerable.Range(0, 4).Select(t => System.Threading.Tasks.Task.Run(() =>
        {
            var fd = k.Open("/dev/vnd0", OpenFlags.O_RDONLY);
            var random = new System.Random(100 + t);
            for (var i = 0; i < 200; i++)
            {
                // Readers stay below 2 MiB; the writer works above it.
                var offset = random.Next(0, (2 << 20) / 512 - 16) * 512L;
                var length = random.Next(1, 16) * 512;
                var error = k.PRead(fd, offset, length, out var data);
                if (error != 0 || !data.AsSpan().SequenceEqual(content.AsSpan((int)offset, length)))
                    failures.Enqueue("reader " + t + " at " + offset + ": error " + error);
            }
            k.Sys.Close(fd);
        })).ToArray();
        var wfd = k.Open("/dev/vnd0", OpenFlags.O_RDWR);
        for (var i = 0; i < 16; i++)
            Assert.Equal(0, k.Sys.PWrite(wfd, written.AsSpan(i * 4096, 4096), (3 << 20) + i * 4096L, out _));
        Assert.Equal(0, k.Sys.Fsync(wfd));
        System.Threading.Tasks.Task.WaitAll(readers);
        Assert.Equal(0, k.PRead(wfd, 3 << 20, written.Length, out var back));
        Assert.Equal(written, back);
        Assert.Equal(0, k.Sys.Close(wfd));
        Assert.Empty(failures);
    }

    [Fact]
    public void Vnd_TwoUnits_AreIndependentDisks()
    {
        using var dir = DevTestKit.Scratch();
        var a = Path.Combine(dir.Path, "a.img");
        var b = Path.Combine(dir.Path, "b.img");
        File.WriteAllBytes(a, Pattern(32 << 10, 6));
        File.WriteAllBytes(b, Pattern(48 << 10, 7));

        using var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = a, ["vnd1"] = b });
        var fa = k.Open("/dev/vnd0", OpenFlags.O_RDONLY);
        var fb = k.Open("/dev/vnd1", OpenFlags.O_RDONLY);
        Assert.Equal(0, k.PRead(fa, 0, 1024, out var da));
        Assert.Equal(0, k.PRead(fb, 0, 1024, out var db));
        Assert.Equal(File.ReadAllBytes(a).AsSpan(0, 1024).ToArray(), da);
        Assert.Equal(File.ReadAllBytes(b).AsSpan(0, 1024).ToArray(), db);
        Assert.Equal(0, k.Sys.Close(fa));
        Assert.Equal(0, k.Sys.Close(fb));
    }
}
