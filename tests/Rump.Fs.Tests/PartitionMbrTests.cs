using System.Collections.Generic;
using System.IO;
using System.Linq;
using Rump;

namespace Rump.Fs.Tests;

/// <summary>MBR partitions (made by the real sfdisk) appear as wedge block devices vnd0pN.</summary>
public sealed class PartitionMbrTests
{
    private const long DiskBytes = 64L << 20;

    // Three primaries, an extended partition in slot 2 holding three logical partitions (5, 6, 7).
    private const string Layout =
        "label: dos\n" +
        "start=2048, size=20480, type=83\n" +
        "start=22528, size=40000, type=5\n" +
        "start=63000, size=4000, type=c\n" +
        "size=8192, type=83\n" +
        "size=4096, type=7\n" +
        "size=2048, type=83\n" +
        "type=83\n";

    [Fact]
    public void Mbr_SfdiskPrimaryAndLogical_WedgesMatchSfdiskOffsetsAndSizes()
    {
        using var dir = DevTestKit.Scratch();
        var image = DevTestKit.CreateImage(dir.Path, "mbr.img", DiskBytes);
        DevTestKit.Run("sfdisk", "-q " + DevTestKit.Quote(image), Layout);
        var reported = DevTestKit.SfdiskPartitions(image);
        var data = reported.Where(p => p.Type != "5").ToList();
        Assert.Equal(new[] { 1, 3, 4, 5, 6, 7 }, data.Select(p => p.Number).ToArray());
        foreach (var p in data)
        {
            DevTestKit.WriteMarker(image, p.Start, "first of " + p.Number);
            DevTestKit.WriteMarker(image, p.Start + p.Size - 1, "last of " + p.Number);
        }

        using var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = image });
        foreach (var p in data)
        {
            var fd = k.Open("/dev/vnd0p" + p.Number, OpenFlags.O_RDONLY);
            Assert.Equal(DevTestKit.Marker("first of " + p.Number), k.ReadSector(fd, 0));
            Assert.Equal(DevTestKit.Marker("last of " + p.Number), k.ReadSector(fd, p.Size - 1));
            Assert.Equal(0, k.PRead(fd, p.Size * 512, 512, out var atEnd));
            Assert.Empty(atEnd);
            Assert.Equal(0, k.Sys.Close(fd));
        }
    }

    [Fact]
    public void Mbr_VerboseBoot_LogsEachWedgeWithSfdiskStartAndSize()
    {
        using var dir = DevTestKit.Scratch();
        var image = DevTestKit.CreateImage(dir.Path, "mbr.img", DiskBytes);
        DevTestKit.Run("sfdisk", "-q " + DevTestKit.Quote(image), Layout);
        var data = DevTestKit.SfdiskPartitions(image).Where(p => p.Type != "5").ToList();

        using var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = image }, verbose: true);
        foreach (var p in data)
            Assert.Contains("dk: vnd0p" + p.Number + " at vnd0: mbr 0x" + p.Type.PadLeft(2, '0') + ", start " + p.Start + ", " + p.Size + " sectors", k.Console);
        Assert.DoesNotContain("dk: vnd0p2 ", k.Console);
    }

    [Fact]
    public void Mbr_ExtendedContainer_HasNoWedgeAndNoExtraWedgesExist()
    {
        using var dir = DevTestKit.Scratch();
        var image = DevTestKit.CreateImage(dir.Path, "mbr.img", DiskBytes);
        DevTestKit.Run("sfdisk", "-q " + DevTestKit.Quote(image), Layout);

        using var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = image });
        Assert.Equal(0, k.Sys.Stat("/dev/vnd0p1", out var st));
        Assert.Equal(FileMode.S_IFBLK, st.Mode & FileMode.S_IFMT);
        Assert.Equal((int)Errno.ENOENT, k.Sys.Stat("/dev/vnd0p2", out _));
        Assert.Equal((int)Errno.ENOENT, k.Sys.Stat("/dev/vnd0p8", out _));
    }

    [Fact]
    public void Mbr_IoAtWedgeEnd_ReadStopsAtTheEndAndWriteIsENOSPC()
    {
        using var dir = DevTestKit.Scratch();
        var image = DevTestKit.CreateImage(dir.Path, "mbr.img", DiskBytes);
        DevTestKit.Run("sfdisk", "-q " + DevTestKit.Quote(image), Layout);
        var p3 = DevTestKit.SfdiskPartitions(image).Single(p => p.Number == 3);
        DevTestKit.WriteMarker(image, p3.Start + p3.Size - 1, "last of 3");
        DevTestKit.WriteMarker(image, p3.Start + p3.Size, "after 3");   // free space after partition 3: must stay unseen

        using var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = image });
        var fd = k.Open("/dev/vnd0p3", OpenFlags.O_RDWR);
        // A read across the end returns only the partition's last sector.
        Assert.Equal(0, k.PRead(fd, (p3.Size - 1) * 512, 4096, out var tail));
        Assert.Equal(DevTestKit.Marker("last of 3"), tail);
        Assert.Equal(0, k.PRead(fd, (p3.Size + 8) * 512, 512, out var past));
        Assert.Empty(past);
        Assert.Equal((int)Errno.ENOSPC, k.Sys.PWrite(fd, new byte[512], p3.Size * 512, out _));
        Assert.Equal(0, k.Sys.Close(fd));
    }

    [Fact]
    public void Mbr_WriteThroughWedge_LandsAtPartitionOffsetInImage()
    {
        using var dir = DevTestKit.Scratch();
        var image = DevTestKit.CreateImage(dir.Path, "mbr.img", DiskBytes);
        DevTestKit.Run("sfdisk", "-q " + DevTestKit.Quote(image), Layout);
        var p5 = DevTestKit.SfdiskPartitions(image).Single(p => p.Number == 5);
        var sector = DevTestKit.Marker("written through vnd0p5");

        using (var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = image }))
        {
            var fd = k.Open("/dev/vnd0p5", OpenFlags.O_RDWR);
            Assert.Equal(0, k.Sys.PWrite(fd, sector, 3 * 512, out var n));
            Assert.Equal(512, n);
            Assert.Equal(0, k.Sys.Fsync(fd));
            Assert.Equal(0, k.Sys.Close(fd));
        }

        using var host = File.OpenRead(image);
        host.Position = (p5.Start + 3) * 512;
        var back = new byte[512];
        host.ReadExactly(back);
        Assert.Equal(sector, back);
    }

    [Fact]
    public void Mbr_EbrChainLoopingBack_KeepsPartitionsBeforeTheLoopAndLogs()
    {
        using var dir = DevTestKit.Scratch();
        var image = DevTestKit.CreateImage(dir.Path, "mbr.img", DiskBytes);
        DevTestKit.Run("sfdisk", "-q " + DevTestKit.Quote(image), Layout);
        // The second EBR's link entry points back at the second EBR (relative to the extended start).
        var ext = DevTestKit.SfdiskPartitions(image).Single(p => p.Type == "5");
        var secondEbr = ReadLinkTarget(image, ext.Start) + ext.Start;
        using (var f = new FileStream(image, System.IO.FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = secondEbr * 512 + 446 + 16 + 8;
            f.Write(System.BitConverter.GetBytes((uint)(secondEbr - ext.Start)));
        }

        using var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = image });
        Assert.Equal(0, k.Sys.Stat("/dev/vnd0p1", out _));
        Assert.Equal(0, k.Sys.Stat("/dev/vnd0p5", out _));
        Assert.Equal(0, k.Sys.Stat("/dev/vnd0p6", out _));
        Assert.Equal((int)Errno.ENOENT, k.Sys.Stat("/dev/vnd0p7", out _));
        Assert.Contains("EBR chain loops", k.Console);
    }

    [Fact]
    public void Mbr_PartitionBeyondDiskEnd_IsSkippedWithLogLine()
    {
        using var dir = DevTestKit.Scratch();
        var image = DevTestKit.CreateImage(dir.Path, "mbr.img", DiskBytes);
        DevTestKit.Run("sfdisk", "-q " + DevTestKit.Quote(image), "label: dos\nstart=2048, size=8192, type=83\nstart=10240, size=8192, type=83\n");
        // Partition 2 grows past the end of the 64 MiB disk.
        using (var f = new FileStream(image, System.IO.FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = 446 + 16 + 12;
            f.Write(System.BitConverter.GetBytes(200000u));
        }

        using var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = image });
        Assert.Equal(0, k.Sys.Stat("/dev/vnd0p1", out _));
        Assert.Equal((int)Errno.ENOENT, k.Sys.Stat("/dev/vnd0p2", out _));
        // Both sizes named; not attached, clipped or not (NetBSD's dkwedge_add refuses a wedge beyond its disk).
        Assert.Contains("MBR partition 2 (start 10240, 200000 sectors = 102400000 bytes) ends at sector 210240, past the end of the disk of "
            + DiskBytes / 512 + " sectors = " + DiskBytes + " bytes; not attached", k.Console);
    }

    [Fact]
    public void Mbr_OverlappingPrimaries_SecondIsSkippedWithLogLine()
    {
        using var dir = DevTestKit.Scratch();
        var image = DevTestKit.CreateImage(dir.Path, "mbr.img", DiskBytes);
        DevTestKit.Run("sfdisk", "-q " + DevTestKit.Quote(image), "label: dos\nstart=2048, size=8192, type=83\nstart=10240, size=8192, type=83\n");
        // Partition 2 now starts inside partition 1.
        using (var f = new FileStream(image, System.IO.FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = 446 + 16 + 8;
            f.Write(System.BitConverter.GetBytes(4096u));
        }

        using var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = image });
        Assert.Equal(0, k.Sys.Stat("/dev/vnd0p1", out _));
        Assert.Equal((int)Errno.ENOENT, k.Sys.Stat("/dev/vnd0p2", out _));
        Assert.Contains("partition 2 overlaps vnd0p1", k.Console);
    }

    [Fact]
    public void Mbr_UnpartitionedFatImage_GetsNoWedges()
    {
        using var dir = DevTestKit.Scratch();
        var image = Path.Combine(dir.Path, "fat.img");
        DevTestKit.Run("mkfs.fat", "-C -F 16 -n PLAIN " + DevTestKit.Quote(image) + " 16384");

        using var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = image });
        Assert.Equal(0, k.Sys.Stat("/dev/vnd0", out _));
        Assert.Equal((int)Errno.ENOENT, k.Sys.Stat("/dev/vnd0p1", out _));
        Assert.DoesNotContain("dk: vnd0", k.Console);
    }

    private static long ReadLinkTarget(string image, long ebrSector)
    {
        using var f = File.OpenRead(image);
        f.Position = ebrSector * 512 + 446 + 16 + 8;
        var b = new byte[4];
        f.ReadExactly(b);
        return System.BitConverter.ToUInt32(b);
    }
}
