using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Rump.Fs.Msdosfs;
using Rump.Fs.Tests.Support;

namespace Rump.Fs.Tests;

/// <summary>The on-disk layer reads what mkfs.fat and mtools wrote, as mtools reads it back.</summary>
public sealed class MsdosfsOnDiskReadTests : IClassFixture<FatFixtureImages>
{
    private readonly FatFixtureImages _images;

    public MsdosfsOnDiskReadTests(FatFixtureImages images) => _images = images;

    public static TheoryData<int> FatTypes => new() { 12, 16, 32 };

    private string ImageOf(int bits) => bits switch { 12 => _images.Fat12, 16 => _images.Fat16, _ => _images.Fat32 };

    private static FatVolume MountReadOnly(FatImageDevice dev)
    {
        Assert.Equal(0, FatVolume.Mount(dev, readOnly: true, FatImageDevice.FixedClock(0), out var v));
        return v!;
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void BootSector_FieldsEqualMinfo(int bits)
    {
        var img = ImageOf(bits);
        var info = FatTools.Check("minfo", "-i", img, "::").Stdout;
        var sector = new byte[512];
        using (var f = File.OpenRead(img))
            f.ReadExactly(sector);
        var bs = FatBootSector.Read(sector);
        Assert.Equal(0, bs.Validate());
        // minfo prints "name: value [unit]" or "name=value"; hex values with 0x, the serial number bare hex.
        long Field(string name, bool hex = false)
        {
            var line = info.Split('\n').First(l => l.StartsWith(name + ":", StringComparison.Ordinal) || l.StartsWith(name + "=", StringComparison.Ordinal));
            var v = line.Substring(name.Length + 1).Trim().Split(' ')[0];
            if (v.StartsWith("0x", StringComparison.Ordinal))
                return long.Parse(v.AsSpan(2), NumberStyles.HexNumber);
            return hex ? long.Parse(v, NumberStyles.HexNumber) : long.Parse(v, CultureInfo.InvariantCulture);
        }
        Assert.Equal(Field("sector size"), bs.BPB_BytsPerSec);
        Assert.Equal(Field("cluster size"), bs.BPB_SecPerClus);
        Assert.Equal(Field("reserved (boot) sectors"), bs.BPB_RsvdSecCnt);
        Assert.Equal(Field("fats"), bs.BPB_NumFATs);
        Assert.Equal(Field("max available root directory slots"), bs.BPB_RootEntCnt);
        Assert.Equal(Field("media descriptor byte"), bs.BPB_Media);
        Assert.Equal(Field("sectors per track"), bs.BPB_SecPerTrk);
        Assert.Equal(Field("heads"), bs.BPB_NumHeads);
        Assert.Equal(Field("hidden sectors"), bs.BPB_HiddSec);
        Assert.Equal(Field("serial number", hex: true), bs.BS_VolID);
        Assert.Equal("RUMPTEST   ", System.Text.Encoding.ASCII.GetString(bs.BS_VolLab));
        Assert.Equal(0, FatGeometry.Compute(bs, out var g));
        Assert.Equal((FatType)bits, g.Type);
        if (bits == 32)
        {
            Assert.Equal(Field("big size"), bs.BPB_TotSec32);
            Assert.Equal(Field("rootCluster"), bs.BPB_RootClus);
            Assert.Equal(Field("infoSector location"), bs.BPB_FSInfo);
            Assert.Equal(Field("backup boot sector"), bs.BPB_BkBootSec);
            Assert.Equal(Field("Big fatlen"), bs.BPB_FATSz32);
            Assert.Equal(Field("Extended flags"), bs.BPB_ExtFlags);
            Assert.Equal(0, Field("sectors per fat"));
        }
        else
        {
            Assert.Equal(Field("sectors per fat"), bs.BPB_FATSz16);
            Assert.Equal(Field("small size"), bs.BPB_TotSec16 != 0 ? bs.BPB_TotSec16 : 0);
        }
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void Listing_EqualsMdir(int bits)
    {
        var img = ImageOf(bits);
        using var dev = new FatImageDevice(img, readOnly: true);
        var v = MountReadOnly(dev);
        var ours = FatVolumeWalker.List(v);
        var theirs = FatTools.Listing(img);
        // Known oracle quirk: under the NT case bits `mdir -b` lower-cases ASCII only ("cafÉ.txt") while plain
        // `mdir` and Windows NT lower-case the whole part ("café"). We follow NT; check both sides explicitly.
        Assert.True(theirs.Remove("/cafÉ.txt"));
        Assert.True(ours.Remove("/café.txt"));
        Assert.Equal(theirs, ours);
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void Contents_EqualMcopyAndFixture(int bits)
    {
        var img = ImageOf(bits);
        using var dev = new FatImageDevice(img, readOnly: true);
        var v = MountReadOnly(dev);
        foreach (var (path, data) in _images.FilesOf(img))
        {
            var node = FatVolumeWalker.MustResolve(v, path);
            Assert.Equal(data.Length, (long)node.Entry.DIR_FileSize);
            var ours = FatVolumeWalker.ReadAll(v, node);
            Assert.True(data.AsSpan().SequenceEqual(ours), path);
        }
        // One oracle read per kind of file is enough to tie the fixture to mtools.
        foreach (var path in new[] { "/frag/fragmented.bin", "/exact.bin", "/日本語のファイル名.txt" })
            Assert.Equal(FatTools.McopyOut(img, path), FatVolumeWalker.ReadAll(v, FatVolumeWalker.MustResolve(v, path)));
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void CaseOnlyNames_UseNtCaseBitsWithoutLongEntries(int bits)
    {
        using var dev = new FatImageDevice(ImageOf(bits), readOnly: true);
        var v = MountReadOnly(dev);
        Assert.Equal(0, v.Lookup(v.RootStart, "lower.txt", out var lower));
        Assert.Equal(lower.Offset, lower.LfnOffset);
        Assert.Equal(FatDirEntry.NtLowerBase | FatDirEntry.NtLowerExt, lower.Entry.DIR_NTRes);
        Assert.Equal(0, v.Lookup(v.RootStart, "BASE.txt", out var based));
        Assert.Equal(FatDirEntry.NtLowerExt, based.Entry.DIR_NTRes);
        Assert.Equal("BASE.txt", based.Name);
        // Names differing only in case are the same file on FAT.
        Assert.Equal(0, v.Lookup(v.RootStart, "LOWER.TXT", out var upper));
        Assert.Equal(lower.Offset, upper.Offset);
        Assert.Equal(0, v.Lookup(v.RootStart, "mixed case name.TXT", out var mixed));
        Assert.Equal("Mixed Case Name.txt", mixed.Name);
        Assert.NotEqual(mixed.Offset, mixed.LfnOffset);
        // The alias finds it too.
        Assert.Equal(0, v.Lookup(v.RootStart, "MIXEDC~1.TXT", out var alias));
        Assert.Equal(mixed.Offset, alias.Offset);
        Assert.Equal(0, v.Lookup(v.RootStart, "CAFÉ.TXT", out var cafe));
        Assert.Equal("café.txt", cafe.Name);
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void Timestamps_AreHostMtimeAtTwoSecondResolution(int bits)
    {
        using var dev = new FatImageDevice(ImageOf(bits), readOnly: true);
        var v = MountReadOnly(dev);
        var node = FatVolumeWalker.MustResolve(v, "/exact.bin");
        long mtime = DosTime.ToUnix(node.Entry.DIR_WrtDate, node.Entry.DIR_WrtTime, 0, out _);
        Assert.Equal(FatFixtureImages.FileTime, mtime);
    }

    [Fact]
    public void Fat32_FsInfoHintMatchesFreeClusterCount()
    {
        using var dev = new FatImageDevice(_images.Fat32, readOnly: true);
        var v = MountReadOnly(dev);
        Assert.True(v.FsInfoFreeCountHint(out uint hint));
        Assert.Equal(v.Fat.FreeCount, hint);
        var fsck = FatTools.Check("fsck.fat", "-n", _images.Fat32).Stdout;
        // "files, used/total clusters"
        var counts = fsck.Split('\n').First(l => l.Contains(" clusters", StringComparison.Ordinal)).Split(',')[1].Trim().Split(' ')[0].Split('/');
        Assert.Equal(uint.Parse(counts[1]) - uint.Parse(counts[0]), v.Fat.FreeCount);
    }

    [Fact]
    public void DirectorySpanningClusters_ListsEveryEntry()
    {
        using var dev = new FatImageDevice(_images.Fat12, readOnly: true);
        var v = MountReadOnly(dev);
        var dir = FatVolumeWalker.MustResolve(v, "/spanning");
        Assert.Equal(0, v.ChainLength(v.StartCluster(dir), out uint clusters, out _));
        Assert.True(clusters > 1);
        int count = 0;
        Assert.Equal(0, v.ScanDir(v.StartCluster(dir), 0, (in FatDirSlot s) => { count++; return true; }, out _));
        Assert.Equal(62, count); // 60 names + "." + ".."
    }

    [Fact]
    public void FragmentedFile_HasNonContiguousChain()
    {
        using var dev = new FatImageDevice(_images.Fat16, readOnly: true);
        var v = MountReadOnly(dev);
        var node = FatVolumeWalker.MustResolve(v, "/frag/fragmented.bin");
        int jumps = 0;
        for (uint c = v.StartCluster(node); c != 0;)
        {
            Assert.Equal(0, v.Fat.Next(c, out uint next));
            if (next != 0 && next != c + 1)
                jumps++;
            c = next;
        }
        Assert.True(jumps >= 2, "fixture file is not fragmented");
    }
}
