using System.Collections.Generic;
using System.Linq;
using Rump;

namespace Rump.Fs.Tests;

/// <summary>
/// The path rumpctl takes: a host image registered with etfs as a block device under /dev gets its
/// partitions as wedges too, and loses them when the registration goes.
/// </summary>
public sealed class PartitionEtfsTests
{
    [Fact]
    public void Etfs_BlockDeviceUnderDev_GetsSfdiskPartitionsAsWedges_RemovedWithIt()
    {
        using var dir = DevTestKit.Scratch();
        var image = DevTestKit.CreateImage(dir.Path, "disk.img", 32L << 20);
        DevTestKit.Run("sfdisk", "-q " + DevTestKit.Quote(image), "label: dos\nstart=2048, size=16384, type=c\nstart=18432, type=83\n");
        var reported = DevTestKit.SfdiskPartitions(image);
        foreach (var p in reported)
            DevTestKit.WriteMarker(image, p.Start, "first of " + p.Number);

        using var k = DevTestKit.Boot(new Dictionary<string, string>());
        Assert.Equal(0, k.Sys.EtfsRegister("/dev/disk0", image, EtfsType.Block, 0, 0));
        foreach (var p in reported)
        {
            var fd = k.Open("/dev/disk0p" + p.Number, OpenFlags.O_RDONLY);
            Assert.Equal(DevTestKit.Marker("first of " + p.Number), k.ReadSector(fd, 0));
            Assert.Equal(0, k.Sys.LSeek(fd, 0, PosixConst.SEEK_END, out var end));
            Assert.Equal(p.Size * 512, end);
            Assert.Equal(0, k.Sys.Close(fd));
        }

        Assert.Equal(0, k.Sys.EtfsRemove("/dev/disk0"));
        Assert.Equal((int)Errno.ENOENT, k.Sys.Stat("/dev/disk0p1", out _));
        Assert.Equal((int)Errno.ENOENT, k.Sys.Stat("/dev/disk0p2", out _));
    }

    [Fact]
    public void Etfs_RemoveWhileAWedgeIsOpen_IsEBUSY_AfterCloseTheWedgeGoes()
    {
        using var dir = DevTestKit.Scratch();
        var image = DevTestKit.CreateImage(dir.Path, "disk.img", 16L << 20);
        DevTestKit.Run("sfdisk", "-q " + DevTestKit.Quote(image), "label: dos\nstart=2048, type=83\n");

        using var k = DevTestKit.Boot(new Dictionary<string, string>());
        Assert.Equal(0, k.Sys.EtfsRegister("/dev/disk0", image, EtfsType.Block, 0, 0));
        var fd = k.Open("/dev/disk0p1", OpenFlags.O_RDONLY);
        k.ReadSector(fd, 0);
        // The open wedge holds its disk open.
        Assert.Equal((int)Errno.EBUSY, k.Sys.EtfsRemove("/dev/disk0"));
        k.ReadSector(fd, 1);
        Assert.Equal(0, k.Sys.Close(fd));
        Assert.Equal(0, k.Sys.EtfsRemove("/dev/disk0"));
        Assert.Equal((int)Errno.ENOENT, k.Sys.Stat("/dev/disk0p1", out _));
    }

    [Fact]
    public void Etfs_GptDisk_WedgesMatchSgdisk()
    {
        using var dir = DevTestKit.Scratch();
        var image = DevTestKit.CreateImage(dir.Path, "disk.img", 32L << 20);
        DevTestKit.Run("sgdisk", "-n 1:2048:+4M -t 1:0700 -n 2:0:0 -t 2:8300 " + DevTestKit.Quote(image));
        var reported = DevTestKit.SgdiskPartitions(image);
        Assert.Equal(2, reported.Count);

        using var k = DevTestKit.Boot(new Dictionary<string, string>());
        Assert.Equal(0, k.Sys.EtfsRegister("/dev/gdisk", image, EtfsType.Block, 0, 0));
        foreach (var p in reported)
        {
            var fd = k.Open("/dev/gdiskp" + p.Number, OpenFlags.O_RDONLY);
            Assert.Equal(0, k.Sys.LSeek(fd, 0, PosixConst.SEEK_END, out var end));
            Assert.Equal(p.Size * 512, end);
            Assert.Equal(0, k.Sys.Close(fd));
        }
        Assert.Equal((int)Errno.ENOENT, k.Sys.Stat("/dev/gdiskp3", out _));
    }
}
