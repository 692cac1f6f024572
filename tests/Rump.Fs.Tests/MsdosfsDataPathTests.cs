using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using Rump;
using Rump.Fs.Msdosfs;
using Rump.Fs.Tests.Support;
using Rump.Testing;

namespace Rump.Fs.Tests;

/// <summary>
/// The msdosfs data path: large reads go straight from the device into the caller's buffer (physio), small ones
/// through the buffer cache with read-ahead; writes go through and drop what they overwrite from the cache.
/// Images come from mkfs.fat and mtools with a deliberately fragmented file; mtools and fsck.fat judge.
/// </summary>
public sealed class MsdosfsDataPathTests : IDisposable
{
    private readonly HostTempDir _host = new();
    private readonly RumpKernelLoader _loader;
    private readonly IRumpKernel _kernel;
    private readonly Type _bio;

    public MsdosfsDataPathTests()
    {
        _loader = RumpKernelLoader.Load(TestKernel.KernelPath());
        _kernel = _loader.BootInstance(new BootOptions { HostName = "datapath" });
        var asm = _loader.Factory.GetType().Assembly;
        _bio = asm.GetType("RumpNs.Vfs.Bio") ?? asm.GetType("Rump.Vfs.Bio") ?? throw new InvalidOperationException("Bio not found");
    }

    public void Dispose()
    {
        _kernel.Dispose();
        _host.Dispose();
    }

    private ISyscalls Sys => _kernel.Sys;

    // Buffer cache statistics of this kernel instance.
    private long Stat(string field) => (long)_bio.GetField(field, BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

    /// <summary>Device reads the readers waited for (read-ahead excluded).</summary>
    private long DemandReads => Stat("Reads") - Stat("ReadAheads");

    public static TheoryData<int, int> Volumes => new()
    {
        { 16, 1 },   // FAT16, 512-byte clusters
        { 16, 8 },   // FAT16, 4 KiB clusters
        { 32, 1 },   // FAT32, 512-byte clusters
    };

    /// <summary>
    /// An image whose /big.bin is fragmented: 8 files of 16 clusters, every other one deleted, then a file larger
    /// than all holes together. Returns the file's bytes and the file offsets where a new fragment starts.
    /// </summary>
    private (string Image, byte[] Data, List<long> Breaks, int Cluster) FragmentedImage(int bits, int sectorsPerCluster)
    {
        var img = Path.Combine(_host.Path, $"frag{bits}.img");
        FatTools.MkFs(img, bits, bits == 32 ? 40 * 1024 : sectorsPerCluster * 8 * 1024, "-s", sectorsPerCluster.ToString());
        int cluster = 512 * sectorsPerCluster;
        var src = Path.Combine(_host.Path, "src");
        Directory.CreateDirectory(src);
        var rng = new Random(bits);
        for (int i = 0; i < 8; i++)
        {
            var f = Path.Combine(src, $"f{i}.bin");
            var d = new byte[cluster * 16];
            rng.NextBytes(d);
            File.WriteAllBytes(f, d);
            FatTools.McopyIn(img, f, $"/f{i}.bin");
        }
        for (int i = 0; i < 8; i += 2)
            FatTools.Check("mdel", "-i", img, $"::/f{i}.bin");
        if (bits == 32)
        {
            // mtools allocates from FSInfo's next-free hint on FAT32; "unknown" (0xFFFFFFFF, valid per the
            // specification) makes it search from the start and fill the holes, as it does on FAT16.
            using var f = new FileStream(img, System.IO.FileMode.Open, FileAccess.ReadWrite);
            var bpb = new byte[512];
            f.ReadExactly(bpb);
            f.Position = BitConverter.ToUInt16(bpb, 48) * 512L + 492;
            f.Write([0xFF, 0xFF, 0xFF, 0xFF]);
        }
        var data = new byte[Math.Max(300 * 1024, cluster * 100) + 123];
        rng.NextBytes(data);
        var big = Path.Combine(src, "big.bin");
        File.WriteAllBytes(big, data);
        FatTools.McopyIn(img, big, "/big.bin");

        // Where the chain jumps, from the on-disk layer (the same sources the kernel runs).
        var breaks = new List<long>();
        using (var dev = new FatImageDevice(img, readOnly: true))
        {
            Assert.Equal(0, FatVolume.Mount(dev, readOnly: true, FatImageDevice.FixedClock(0), out var v));
            var node = FatVolumeWalker.MustResolve(v!, "/big.bin");
            uint c = v!.StartCluster(node);
            for (long index = 1; ; index++)
            {
                Assert.Equal(0, v.Fat.Next(c, out uint next));
                if (next == 0)
                    break;
                if (next != c + 1)
                    breaks.Add(index * cluster);
                c = next;
            }
        }
        Assert.True(breaks.Count >= 3, "the test file is not fragmented enough: " + breaks.Count + " breaks");
        return (img, data, breaks, cluster);
    }

    private int Open(string img, bool readOnly, out string mnt, out string key, out int fd)
    {
        Assert.Equal(0, FatKernelHost.MountImage(Sys, img, readOnly, out mnt, out key));
        return Sys.Open(mnt + "/big.bin", readOnly ? OpenFlags.O_RDONLY : OpenFlags.O_RDWR, 0, out fd);
    }

    private void AssertRead(int fd, byte[] want, long offset, int length)
    {
        Assert.True(offset >= 0);
        var got = new byte[length];
        Assert.Equal(0, Sys.PRead(fd, got, offset, out var n));
        int expect = (int)Math.Max(0, Math.Min(length, want.Length - offset));
        Assert.Equal(expect, n);
        Assert.True(want.AsSpan((int)offset, expect).SequenceEqual(got.AsSpan(0, expect)), $"bytes differ in [{offset}, +{length})");
    }

    [Theory, MemberData(nameof(Volumes))]
    public void DirectReads_UnalignedRangesAcrossFragments_EqualMtools(int bits, int spc)
    {
        var (img, data, breaks, cluster) = FragmentedImage(bits, spc);
        var want = FatTools.McopyOut(img, "/big.bin");
        Assert.Equal(data, want);
        Assert.Equal(0, Open(img, readOnly: true, out var mnt, out var key, out var fd));

        // The whole file in one read(2), then large unaligned ranges that start and end inside sectors and clusters
        // and run across fragment boundaries: all direct transfers (≥ FatVolume.DirectReadMin).
        var all = new byte[want.Length + 4096];
        Assert.Equal(0, Sys.Read(fd, all, out var total));
        Assert.Equal(want.Length, total);
        Assert.True(want.AsSpan().SequenceEqual(all.AsSpan(0, want.Length)));
        foreach (var b in breaks)
        {
            AssertRead(fd, want, Math.Max(0, b - FatVolume.DirectReadMin / 2 - 7), FatVolume.DirectReadMin + 513);
            AssertRead(fd, want, Math.Max(0, b - cluster - 1), FatVolume.DirectReadMin * 2 + 3);
        }
        AssertRead(fd, want, 1, want.Length - 2);
        AssertRead(fd, want, want.Length - FatVolume.DirectReadMin - 5, FatVolume.DirectReadMin + 100);   // runs past EOF
        Assert.Equal(0, Sys.Close(fd));
        FatKernelHost.Unmount(Sys, mnt, key);
    }

    [Theory, MemberData(nameof(Volumes))]
    public void SmallReads_PartialClustersAndFragmentEdges_EqualMtools_AndHitsCostNoDeviceRead(int bits, int spc)
    {
        var (img, _, breaks, cluster) = FragmentedImage(bits, spc);
        var want = FatTools.McopyOut(img, "/big.bin");
        Assert.Equal(0, Open(img, readOnly: true, out var mnt, out var key, out var fd));
        var ranges = new List<(long, int)> { (0, 1), (cluster - 1, 2), (cluster + 17, cluster + 5), (want.Length - 3, 10) };
        foreach (var b in breaks)
            ranges.AddRange([(b - 1, 2), (b - 100, 3 * cluster), (b, 1)]);
        foreach (var (off, len) in ranges)
            AssertRead(fd, want, off, len);

        // Every byte of those ranges is cached now: reading them again costs no device request.
        long before = DemandReads, hits = Stat("Hits");
        foreach (var (off, len) in ranges)
            AssertRead(fd, want, off, len);
        Assert.Equal(before, DemandReads);
        Assert.True(Stat("Hits") > hits);
        Assert.Equal(0, Sys.Close(fd));
        FatKernelHost.Unmount(Sys, mnt, key);
    }

    [Theory, MemberData(nameof(Volumes))]
    public void SequentialSmallReads_ReadAheadCrossesTheFragmentBoundary(int bits, int spc)
    {
        var (img, _, breaks, cluster) = FragmentedImage(bits, spc);
        var want = FatTools.McopyOut(img, "/big.bin");
        Assert.Equal(0, Open(img, readOnly: true, out var mnt, out var key, out var fd));
        var boundary = breaks[1];
        var piece = new byte[Math.Min(cluster, 1024)];
        long off = 0;
        // read(2) in small pieces up to just before the second fragment boundary.
        while (off + piece.Length <= boundary)
        {
            Assert.Equal(0, Sys.Read(fd, piece, out var n));
            Assert.Equal(piece.Length, n);
            Assert.True(want.AsSpan((int)off, piece.Length).SequenceEqual(piece), "offset " + off);
            off += n;
        }
        Assert.True(Stat("ReadAheads") > 0);

        // The next clusters lie in another fragment; read-ahead followed the chain there, so the reader waits for
        // no request of its own (the read-ahead may still be in flight: bread then waits for that buffer).
        long before = DemandReads;
        var across = new byte[2 * cluster];
        Assert.Equal(0, Sys.PRead(fd, across, boundary - cluster / 2, out var m));
        Assert.Equal(across.Length, m);
        Assert.True(want.AsSpan((int)(boundary - cluster / 2), across.Length).SequenceEqual(across));
        Assert.Equal(before, DemandReads);
        Assert.Equal(0, Sys.Close(fd));
        FatKernelHost.Unmount(Sys, mnt, key);
    }

    [Theory, MemberData(nameof(Volumes))]
    public void Writes_OverCachedClusters_AreSeenByCachedAndDirectReads_FsckClean(int bits, int spc)
    {
        var (img, data, breaks, cluster) = FragmentedImage(bits, spc);
        var expect = (byte[])data.Clone();
        Assert.Equal(0, Open(img, readOnly: false, out var mnt, out var key, out var fd));
        var rng = new Random(5);
        // Cache clusters around each fragment boundary, overwrite parts of them (unaligned, partial sectors),
        // then read them back small (cache) and large (direct).
        foreach (var b in breaks)
        {
            AssertRead(fd, expect, b - cluster, 2 * cluster);
            var patch = new byte[cluster + 3];
            rng.NextBytes(patch);
            long at = b - cluster / 2 - 1;
            Assert.Equal(0, Sys.PWrite(fd, patch, at, out var w));
            Assert.Equal(patch.Length, w);
            patch.CopyTo(expect, at);
            AssertRead(fd, expect, b - cluster, 2 * cluster);
            AssertRead(fd, expect, at, 5);
        }
        AssertRead(fd, expect, 0, expect.Length);
        // Grow the file past its end: the new clusters come from freed space and must not show older cached bytes.
        var tail = new byte[3 * cluster + 11];
        rng.NextBytes(tail);
        Assert.Equal(0, Sys.PWrite(fd, tail, expect.Length, out var tw));
        Assert.Equal(tail.Length, tw);
        var grown = new byte[expect.Length + tail.Length];
        expect.CopyTo(grown, 0);
        tail.CopyTo(grown, expect.Length);
        AssertRead(fd, grown, expect.Length - 1, 2 * cluster);
        AssertRead(fd, grown, 0, grown.Length);
        Assert.Equal(0, Sys.Close(fd));
        FatKernelHost.Unmount(Sys, mnt, key);

        var r = FatTools.FsckNoChange(img);
        Assert.True(r.ExitCode == 0, "fsck.fat -n: " + r.Stdout + r.Stderr);
        Assert.Equal(grown, FatTools.McopyOut(img, "/big.bin"));
    }

    [Fact]
    public void CacheBlocks_DeletedFileReusedByAnotherFile_ReadsTheNewBytes()
    {
        var (img, data, _, cluster) = FragmentedImage(16, 1);
        Assert.Equal(0, FatKernelHost.MountImage(Sys, img, readOnly: false, out var mnt, out var key));
        // Cache every cluster of f1 through small reads, delete it, write a new file into the freed clusters.
        Assert.Equal(0, Sys.Open(mnt + "/f1.bin", OpenFlags.O_RDONLY, 0, out var fd));
        var old = new byte[cluster * 16];
        for (int off = 0; off < old.Length; off += 1000)
            Assert.Equal(0, Sys.PRead(fd, old.AsSpan(off, Math.Min(1000, old.Length - off)), off, out _));
        Assert.Equal(0, Sys.Close(fd));
        Assert.Equal(0, Sys.Unlink(mnt + "/f1.bin"));
        var fresh = new byte[old.Length];
        new Random(77).NextBytes(fresh);
        FatKernelHost.WriteFile(Sys, mnt + "/new.bin", fresh, chunk: 700);
        Assert.Equal(0, Sys.Open(mnt + "/new.bin", OpenFlags.O_RDONLY, 0, out fd));
        var back = new byte[fresh.Length];
        for (int off = 0; off < back.Length; off += 1000)
            Assert.Equal(0, Sys.PRead(fd, back.AsSpan(off, Math.Min(1000, back.Length - off)), off, out _));
        Assert.Equal(fresh, back);
        Assert.Equal(0, Sys.Close(fd));
        FatKernelHost.Unmount(Sys, mnt, key);
        Assert.Equal(0, FatTools.FsckNoChange(img).ExitCode);
        Assert.Equal(fresh, FatTools.McopyOut(img, "/new.bin"));
        Assert.Equal(data, FatTools.McopyOut(img, "/big.bin"));
    }
}
