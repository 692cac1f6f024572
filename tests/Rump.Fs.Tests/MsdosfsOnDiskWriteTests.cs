using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Rump.Fs.Msdosfs;
using Rump.Fs.Tests.Support;

namespace Rump.Fs.Tests;

using Errno = Rump.Kern.Errno;

/// <summary>Every write path of the on-disk layer, checked by fsck.fat -n and read back with mtools.</summary>
public sealed class MsdosfsOnDiskWriteTests : IClassFixture<FatFixtureImages>
{
    private const long Now = 1_750_000_000; // 2025-06-15 15:06:40 UTC
    private readonly FatFixtureImages _images;

    public MsdosfsOnDiskWriteTests(FatFixtureImages images) => _images = images;

    public static TheoryData<int> FatTypes => new() { 12, 16, 32 };

    private string CopyOf(int bits) => _images.CopyOf(bits switch { 12 => _images.Fat12, 16 => _images.Fat16, _ => _images.Fat32 });

    private sealed class Mounted : IDisposable
    {
        public readonly FatImageDevice Dev;
        public readonly FatVolume V;
        public readonly string Image;

        public Mounted(string image)
        {
            Image = image;
            Dev = new FatImageDevice(image);
            Assert.Equal(0, FatVolume.Mount(Dev, readOnly: false, FatImageDevice.FixedClock(Now), out var v));
            V = v!;
        }

        public FatNode Create(string dirPath, string name)
        {
            var dir = FatVolumeWalker.MustResolve(V, dirPath);
            Assert.Equal(0, V.Create(FatVolumeWalker.DirStartOf(V, dir), name, 0, out var node));
            return node!;
        }

        public FatNode Mkdir(string dirPath, string name)
        {
            var dir = FatVolumeWalker.MustResolve(V, dirPath);
            Assert.Equal(0, V.Mkdir(FatVolumeWalker.DirStartOf(V, dir), name, out var node));
            return node!;
        }

        public void Write(FatNode node, long offset, byte[] data)
        {
            Assert.Equal(0, V.Write(node, offset, data, out int n));
            Assert.Equal(data.Length, n);
            Assert.Equal(0, V.UpdateEntry(node));
        }

        /// <summary>Unmounts and hands the image to the oracles: fsck.fat -n must find it clean.</summary>
        public void Dispose()
        {
            Assert.Equal(0, V.Unmount());
            Dev.Dispose();
        }
    }

    private static void AssertClean(string image)
    {
        var r = FatTools.FsckNoChange(image);
        Assert.True(r.ExitCode == 0, "fsck.fat -n: " + r.Stdout + r.Stderr);
    }

    private static byte[] Pattern(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void CreateAndWrite_NamesAndBytesReadBackByMtools(int bits)
    {
        var img = CopyOf(bits);
        var want = new Dictionary<string, byte[]>();
        int bpc;
        using (var m = new Mounted(img))
        {
            bpc = m.V.Geometry.BytesPerCluster;
            var names = new[] { "new.txt", "UPPER.TXT", "lower.md", "New Long Name.Data", "Ünïcödé 文件.txt", new string('n', 255), "a.b.c.d", ".hidden" };
            int seed = 0;
            foreach (var name in names)
            {
                var data = Pattern(seed * 1000 % (3 * bpc + 7), seed);
                var node = m.Create("/", name);
                m.Write(node, 0, data);
                want["/" + name] = data;
                seed++;
            }
            m.Mkdir("/", "New Dir");
            m.Mkdir("/New Dir", "sub");
            foreach (int size in new[] { 0, 1, bpc, bpc + 1, 100_000 })
            {
                var data = Pattern(size, size);
                var node = m.Create("/New Dir/sub", $"file-{size}.bin");
                // Several writes, one unaligned, like a program would do.
                int half = size / 3;
                m.Write(node, 0, data.AsSpan(0, half).ToArray());
                m.Write(node, half, data.AsSpan(half).ToArray());
                want[$"/New Dir/sub/file-{size}.bin"] = data;
            }
        }
        AssertClean(img);
        var listing = FatTools.Listing(img);
        foreach (var (path, data) in want)
        {
            Assert.Contains(path, listing);
            Assert.Equal(data, FatTools.McopyOut(img, path));
        }
        Assert.Contains("/New Dir/sub", listing);
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void WritesReachingEof_PadTheLastSectorWithZeros_WithoutReadingIt_AndKeepEveryByteBefore(int bits)
    {
        var img = CopyOf(bits);
        var small = Pattern(3000, 1);
        var appended = Pattern(1234, 2);
        var big = Pattern(70_001, 3);          // past the one-request bounce size: aligned part, then the padded tail
        var middle = Pattern(77, 4);
        byte[] pad;
        long padStart;
        using (var m = new Mounted(img))
        {
            var node = m.Create("/", "small.bin");
            int readsBefore = m.Dev.Reads;
            Assert.Equal(0, m.V.Write(node, 0, small, out _));
            // A new file's data: no read-modify-write of its last sector.
            Assert.Equal(readsBefore, m.Dev.Reads);
            Assert.Equal(0, m.V.UpdateEntry(node));
            // An append starting inside that sector keeps the bytes before it (read-modify-write of the head).
            m.Write(node, small.Length, appended);
            // An overwrite inside the file keeps the bytes after it.
            m.Write(node, 100, middle);
            var bigNode = m.Create("/", "big.bin");
            m.Write(bigNode, 0, big);
            // One cluster, unaligned end: where its padding lies on the image is known.
            pad = Pattern(m.V.Geometry.BytesPerCluster - 212, 5);
            var padNode = m.Create("/", "pad.bin");
            m.Write(padNode, 0, pad);
            padStart = m.V.Geometry.ClusterOffset(padNode.Entry.FirstCluster(m.V.Geometry.Type));
        }
        AssertClean(img);
        var want = small.Concat(appended).ToArray();
        middle.CopyTo(want, 100);
        Assert.Equal(want, FatTools.McopyOut(img, "/small.bin"));
        Assert.Equal(big, FatTools.McopyOut(img, "/big.bin"));
        Assert.Equal(pad, FatTools.McopyOut(img, "/pad.bin"));
        // What lies past EOF in the last sector is zeros, not stale bytes of the image.
        var raw = File.ReadAllBytes(img);
        long eof = padStart + pad.Length;
        Assert.All(raw.AsSpan((int)eof, (int)(((eof + 511) & ~511L) - eof)).ToArray(), b => Assert.Equal(0, b));
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void CaseOnlyNames_WrittenWithCaseBitsLikeMtools(int bits)
    {
        var img = CopyOf(bits);
        using (var m = new Mounted(img))
        {
            var node = m.Create("/", "newlow.txt");
            Assert.Equal(FatDirEntry.NtLowerBase | FatDirEntry.NtLowerExt, node.Entry.DIR_NTRes);
            Assert.Equal(node.DirOffset, node.LfnOffset);
            var mixed = m.Create("/", "Long File Name 1.txt");
            var mixed2 = m.Create("/", "Long File Name 2.txt");
            Assert.Equal("LONGFI~1TXT", Encoding.ASCII.GetString(mixed.Entry.DIR_Name.Bytes));
            Assert.Equal("LONGFI~2TXT", Encoding.ASCII.GetString(mixed2.Entry.DIR_Name.Bytes));
            var caseOnly = m.Create("/", "Readme.TXT");
            Assert.NotEqual(caseOnly.DirOffset, caseOnly.LfnOffset); // mixed case in the base: long name needed
            Assert.Equal("README  TXT", Encoding.ASCII.GetString(caseOnly.Entry.DIR_Name.Bytes));
        }
        AssertClean(img);
        var plain = FatTools.Check("mdir", "-i", img, "::/").Stdout;
        Assert.Contains("newlow   txt", plain);
        Assert.Contains("LONGFI~1 TXT", plain);
        var listing = FatTools.Listing(img);
        Assert.Contains("/Long File Name 2.txt", listing);
        Assert.Contains("/Readme.TXT", listing);
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void OverwriteExtendTruncate_ContentMatchesModel(int bits)
    {
        var img = CopyOf(bits);
        var model = new List<byte>(FatTools.McopyOut(img, "/one-more.bin"));
        using (var m = new Mounted(img))
        {
            var node = FatVolumeWalker.MustResolve(m.V, "/one-more.bin");
            var patch = Pattern(1000, 7);
            m.Write(node, 300, patch);
            for (int i = 0; i < patch.Length; i++)
                model[300 + i] = patch[i];
            // Past the end: the gap reads as zeros.
            var tail = Pattern(10, 8);
            long gapAt = model.Count + 5000;
            m.Write(node, gapAt, tail);
            while (model.Count < gapAt)
                model.Add(0);
            model.AddRange(tail);
            Assert.Equal(model.ToArray(), FatVolumeWalker.ReadAll(m.V, node));
            Assert.Equal(0, m.V.Truncate(node, 777));
            model.RemoveRange(777, model.Count - 777);
            Assert.Equal(0, m.V.Truncate(node, 5000));
            while (model.Count < 5000)
                model.Add(0);
            Assert.Equal(0, m.V.UpdateEntry(node));
            var empty = FatVolumeWalker.MustResolve(m.V, "/exact.bin");
            Assert.Equal(0, m.V.Truncate(empty, 0));
            Assert.Equal(0u, m.V.StartCluster(empty));
            Assert.Equal(0, m.V.UpdateEntry(empty));
        }
        AssertClean(img);
        Assert.Equal(model.ToArray(), FatTools.McopyOut(img, "/one-more.bin"));
        Assert.Empty(FatTools.McopyOut(img, "/exact.bin"));
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void RemoveAndRename_FsckCleanAndDotDotFollows(int bits)
    {
        var img = CopyOf(bits);
        uint freeBefore;
        using (var m = new Mounted(img))
        {
            freeBefore = m.V.Fat.FreeCount;
            var v = m.V;
            // Remove a file with a long name and its clusters.
            var victim = FatVolumeWalker.MustResolve(v, "/spanning/entry number 010 with a long name.txt");
            Assert.Equal(0, v.RemoveEntry(victim.DirStart, victim.LfnOffset, victim.DirOffset));
            Assert.Equal(0, v.ReleaseClusters(victim));
            // Rename within a directory, across directories, and a directory into another one.
            var f = FatVolumeWalker.MustResolve(v, "/lower.txt");
            Assert.Equal(0, v.Rename(f, v.RootStart, "Renamed Lower.txt"));
            var g = FatVolumeWalker.MustResolve(v, "/BASE.txt");
            var level3 = FatVolumeWalker.MustResolve(v, "/level1/level2/level3");
            Assert.Equal(0, v.Rename(g, v.StartCluster(level3), "moved.txt"));
            var frag = FatVolumeWalker.MustResolve(v, "/frag");
            var level1 = FatVolumeWalker.MustResolve(v, "/level1");
            Assert.Equal(0, v.CheckNotAncestor(v.StartCluster(frag), v.StartCluster(level3)));
            Assert.Equal(Errno.EINVAL, v.CheckNotAncestor(v.StartCluster(level1), v.StartCluster(level3)));
            Assert.Equal(0, v.Rename(frag, v.StartCluster(level3), "frag moved"));
            Assert.Equal(0, v.DotDotCluster(v.StartCluster(frag), out uint parent));
            Assert.Equal(v.StartCluster(level3), parent);
            // And one back to the root: ".." becomes cluster 0.
            var level12 = FatVolumeWalker.MustResolve(v, "/level1/level2/level3/level4/level5/level6/level7/level8/level9/level10/level11/level12");
            Assert.Equal(0, v.Rename(level12, v.RootStart, "top"));
            // rmdir of an empty directory.
            var empty = m.Mkdir("/", "empty dir");
            Assert.Equal(0, v.IsEmptyDir(v.StartCluster(empty), out bool isEmpty));
            Assert.True(isEmpty);
            Assert.Equal(0, v.IsEmptyDir(v.StartCluster(level1), out isEmpty));
            Assert.False(isEmpty);
            Assert.Equal(0, v.RemoveEntry(empty.DirStart, empty.LfnOffset, empty.DirOffset));
            Assert.Equal(0, v.ReleaseClusters(empty));
        }
        AssertClean(img);
        var listing = FatTools.Listing(img);
        Assert.DoesNotContain("/spanning/entry number 010 with a long name.txt", listing);
        Assert.DoesNotContain("/lower.txt", listing);
        Assert.Contains("/Renamed Lower.txt", listing);
        Assert.Contains("/level1/level2/level3/moved.txt", listing);
        Assert.Contains("/level1/level2/level3/frag moved/fragmented.bin", listing);
        Assert.Contains("/top/leaf.txt", listing);
        Assert.DoesNotContain("/empty dir", listing);
        Assert.Equal(_images.FilesOf(bits switch { 12 => _images.Fat12, 16 => _images.Fat16, _ => _images.Fat32 })["/frag/fragmented.bin"],
            FatTools.McopyOut(img, "/level1/level2/level3/frag moved/fragmented.bin"));
        // mtools can still walk ".." of the moved directory.
        FatTools.Check("mdir", "-i", img, "::/level1/level2/level3/frag moved/..");
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void DirectoryGrowth_ManyLongNamesSpanClusters(int bits)
    {
        var img = CopyOf(bits);
        using (var m = new Mounted(img))
        {
            var dir = m.Mkdir("/", "grow");
            for (int i = 0; i < 150; i++)
                m.Create("/grow", $"a rather long file name number {i:D4}.text");
            Assert.Equal(0, m.V.ChainLength(m.V.StartCluster(dir), out uint clusters, out _));
            Assert.True(clusters > 1);
            Assert.Equal(Errno.ENOENT, m.V.Lookup(m.V.StartCluster(dir), "not there", out _));
            Assert.Equal(0, m.V.Lookup(m.V.StartCluster(dir), "A RATHER LONG FILE NAME NUMBER 0149.TEXT", out _));
        }
        AssertClean(img);
        var listing = FatTools.Listing(img);
        Assert.Equal(150, listing.Count(p => p.StartsWith("/grow/", StringComparison.Ordinal)));
    }

    [Fact]
    public void Fat12_FixedRootFull_ReturnsENOSPC()
    {
        var img = CopyOf(12);
        using (var m = new Mounted(img))
        {
            int error = 0, made = 0;
            for (; made < 300 && error == 0; made++)
                error = m.V.Create(m.V.RootStart, $"R{made}.TXT", 0, out _);
            Assert.Equal(Errno.ENOSPC, error);
            Assert.True(made < 224);
        }
        AssertClean(img);
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void VolumeFull_WriteReturnsENOSPCAndStaysClean(int bits)
    {
        var img = CopyOf(bits);
        using (var m = new Mounted(img))
        {
            var node = m.Create("/", "filler.bin");
            var chunk = Pattern(64 * 1024, 1);
            long off = 0;
            int error;
            while ((error = m.V.Write(node, off, chunk, out int n)) == 0)
                off += n;
            Assert.Equal(Errno.ENOSPC, error);
            Assert.True(m.V.Fat.FreeCount < 64 * 1024 / m.V.Geometry.BytesPerCluster + 1);
            Assert.Equal(0, m.V.UpdateEntry(node));
        }
        AssertClean(img);
    }

    [Fact]
    public void Fat12_ChainAcrossStraddlingEntries_FsckCleanAndBytesEqual()
    {
        var img = CopyOf(12);
        var data = Pattern(600 * 512 + 33, 12); // > 341 clusters: entries at byte 511/512 of the FAT straddle sectors
        using (var m = new Mounted(img))
        {
            var node = m.Create("/", "straddle.bin");
            for (int off = 0; off < data.Length; off += 4096)
                m.Write(node, off, data.AsSpan(off, Math.Min(4096, data.Length - off)).ToArray());
            uint start = m.V.StartCluster(node);
            Assert.Equal(0, m.V.ChainLength(start, out uint count, out uint last));
            Assert.True(last >= 342, "chain does not reach the straddling entries");
        }
        AssertClean(img);
        Assert.Equal(data, FatTools.McopyOut(img, "/straddle.bin"));
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void Allocation_KeepsAppendedFileContiguous(int bits)
    {
        var img = CopyOf(bits);
        using var m = new Mounted(img);
        var node = m.Create("/", "contig.bin");
        var chunk = Pattern(3000, 3);
        for (int i = 0; i < 40; i++)
            m.Write(node, i * chunk.Length, chunk);
        uint c = m.V.StartCluster(node);
        for (; ; )
        {
            Assert.Equal(0, m.V.Fat.Next(c, out uint next));
            if (next == 0)
                break;
            Assert.Equal(c + 1, next);
            c = next;
        }
    }

    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    public void CleanBit_ClearedWhileMountedSetAfterUnmount(int bits)
    {
        var img = CopyOf(bits);
        uint mask = bits == 16 ? 0x8000u : 0x08000000u;
        uint Fat1()
        {
            using var dev = new FatImageDevice(img, readOnly: true);
            Assert.Equal(0, FatVolume.Mount(dev, true, FatImageDevice.FixedClock(0), out var v));
            return v!.Fat.Get(1);
        }
        Assert.NotEqual(0u, Fat1() & mask);
        var m = new Mounted(img);
        Assert.Equal(0u, Fat1() & mask);
        m.Dispose();
        Assert.NotEqual(0u, Fat1() & mask);
    }

    [Fact]
    public void Fat32_FsInfoUpdatedOnUnmount()
    {
        var img = CopyOf(32);
        uint free;
        using (var m = new Mounted(img))
        {
            var node = m.Create("/", "grow.bin");
            m.Write(node, 0, Pattern(50_000, 5));
            free = m.V.Fat.FreeCount;
        }
        AssertClean(img);
        var info = FatTools.Check("minfo", "-i", img, "::").Stdout;
        Assert.Contains("free clusters=" + free, info);
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void Timestamps_CreationAndModificationFromClock(int bits)
    {
        var img = CopyOf(bits);
        using (var m = new Mounted(img))
        {
            var node = m.Create("/", "timed.txt");
            m.Write(node, 0, Encoding.ASCII.GetBytes("x"));
            Assert.Equal(Now, DosTime.ToUnix(node.Entry.DIR_WrtDate, node.Entry.DIR_WrtTime, 0, out _));
            Assert.Equal(Now, DosTime.ToUnix(node.Entry.DIR_CrtDate, node.Entry.DIR_CrtTime, node.Entry.DIR_CrtTimeTenth, out _));
        }
        var plain = FatTools.Check("mdir", "-i", img, "::/timed.txt").Stdout;
        Assert.Contains("2025-06-15  15:06", plain);
    }
}
