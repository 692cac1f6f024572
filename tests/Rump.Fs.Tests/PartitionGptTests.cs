using System.Collections.Generic;
using System.Linq;
using Rump;

namespace Rump.Fs.Tests;

/// <summary>GPT partitions (made by the real sgdisk) appear as wedges; damaged tables fall back to the backup or give none.</summary>
public sealed class PartitionGptTests
{
    private const long DiskBytes = 64L << 20;
    private const long DiskSectors = DiskBytes / 512;

    // Entries 1, 2 and 5 used (entry 3 and 4 empty): wedge numbers follow the entry index, as sgdisk's.
    private const string Layout = "-n 1:2048:+10M -t 1:8300 -c 1:root -n 2:0:+5M -t 2:0700 -c 2:data -n 5:0:0 -t 5:ef00";

    private static string MakeDisk(ScratchDir dir)
    {
        var image = DevTestKit.CreateImage(dir.Path, "gpt.img", DiskBytes);
        DevTestKit.Run("sgdisk", Layout + " " + DevTestKit.Quote(image));
        DevTestKit.Run("sgdisk", "-v " + DevTestKit.Quote(image));
        return image;
    }

    private static void MarkPartitions(string image, IEnumerable<ToolPartition> partitions)
    {
        foreach (var p in partitions)
        {
            DevTestKit.WriteMarker(image, p.Start, "first of " + p.Number);
            DevTestKit.WriteMarker(image, p.Start + p.Size - 1, "last of " + p.Number);
        }
    }

    private static void AssertWedgesMatch(BootedKernel k, IEnumerable<ToolPartition> partitions)
    {
        foreach (var p in partitions)
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
    public void Gpt_Sgdisk_WedgesMatchSgdiskStartsAndSizes()
    {
        using var dir = DevTestKit.Scratch();
        var image = MakeDisk(dir);
        var reported = DevTestKit.SgdiskPartitions(image);
        Assert.Equal(new[] { 1, 2, 5 }, reported.Select(p => p.Number).OrderBy(n => n).ToArray());
        MarkPartitions(image, reported);

        using var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = image });
        AssertWedgesMatch(k, reported);
        Assert.Equal((int)Errno.ENOENT, k.Sys.Stat("/dev/vnd0p3", out _));
        Assert.Equal((int)Errno.ENOENT, k.Sys.Stat("/dev/vnd0p4", out _));
        Assert.Equal((int)Errno.ENOENT, k.Sys.Stat("/dev/vnd0p6", out _));
    }

    [Fact]
    public void Gpt_VerboseBoot_LogsEachWedgeWithSgdiskStartAndSize()
    {
        using var dir = DevTestKit.Scratch();
        var image = MakeDisk(dir);
        var reported = DevTestKit.SgdiskPartitions(image);

        using var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = image }, verbose: true);
        foreach (var p in reported)
            Assert.Contains("dk: vnd0p" + p.Number + " at vnd0: gpt ", k.Console);
        foreach (var p in reported)
            Assert.Matches(@"dk: vnd0p" + p.Number + @" at vnd0: gpt [0-9a-f-]{36}.*, start " + p.Start + ", " + p.Size + " sectors", k.Console);
        Assert.Contains("0fc63daf-8483-4772-8e79-3d69d8477de4 root, start", k.Console);   // 8300 = Linux filesystem, named by -c
    }

    [Fact]
    public void Gpt_CorruptPrimaryHeaderCrc_UsesBackupHeader()
    {
        using var dir = DevTestKit.Scratch();
        var image = MakeDisk(dir);
        var reported = DevTestKit.SgdiskPartitions(image);
        MarkPartitions(image, reported);
        DevTestKit.CorruptByte(image, 512 + 48);   // LastUsableLBA of the primary header: its CRC no longer matches
        Assert.Contains("Main header: ERROR", DevTestKit.RunAll("sgdisk", "-v " + DevTestKit.Quote(image)));

        using var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = image });
        AssertWedgesMatch(k, reported);
        Assert.Contains("header CRC32 mismatch", k.Console);
        Assert.Contains("using the backup GPT", k.Console);
    }

    [Fact]
    public void Gpt_CorruptPrimaryEntryArray_UsesBackupEntries()
    {
        using var dir = DevTestKit.Scratch();
        var image = MakeDisk(dir);
        var reported = DevTestKit.SgdiskPartitions(image);
        MarkPartitions(image, reported);
        DevTestKit.CorruptByte(image, 2 * 512 + 32);   // StartingLBA of entry 1 in the primary array
        Assert.Contains("Main partition table: ERROR", DevTestKit.RunAll("sgdisk", "-v " + DevTestKit.Quote(image)));

        using var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = image });
        AssertWedgesMatch(k, reported);
        Assert.Contains("entry array CRC32 mismatch", k.Console);
        Assert.Contains("using the backup GPT", k.Console);
    }

    [Fact]
    public void Gpt_BothHeadersCorrupt_NoWedgesAndALogLine_DiskStillReadable()
    {
        using var dir = DevTestKit.Scratch();
        var image = MakeDisk(dir);
        DevTestKit.CorruptByte(image, 512 + 48);
        DevTestKit.CorruptByte(image, (DiskSectors - 1) * 512 + 48);

        using var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = image });
        Assert.Equal((int)Errno.ENOENT, k.Sys.Stat("/dev/vnd0p1", out _));
        Assert.Contains("no partitions", k.Console);
        var fd = k.Open("/dev/vnd0", OpenFlags.O_RDONLY);
        var mbr = k.ReadSector(fd, 0);
        Assert.Equal(0xEE, mbr[446 + 4]);   // the protective MBR is still there to read
        Assert.Equal(0, k.Sys.Close(fd));
    }

    [Fact]
    public void Gpt_EntryOutsideUsableArea_IsSkippedOthersKept()
    {
        using var dir = DevTestKit.Scratch();
        var image = MakeDisk(dir);
        var reported = DevTestKit.SgdiskPartitions(image);
        MarkPartitions(image, reported);
        // Entry 2 (index 1) now ends past the last usable sector, in both copies, with valid CRCs.
        DevTestKit.PatchGptEntryEnd(image, 1, entryIndex: 1, endingLba: DiskSectors - 2);
        DevTestKit.PatchGptEntryEnd(image, DiskSectors - 1, entryIndex: 1, endingLba: DiskSectors - 2);
        Assert.Contains("Problem: partitions 5 and 2 overlap", DevTestKit.RunAll("sgdisk", "-v " + DevTestKit.Quote(image)));

        using var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = image });
        AssertWedgesMatch(k, reported.Where(p => p.Number != 2));
        Assert.Equal((int)Errno.ENOENT, k.Sys.Stat("/dev/vnd0p2", out _));
        Assert.Contains("GPT partition 2", k.Console);
    }
}
