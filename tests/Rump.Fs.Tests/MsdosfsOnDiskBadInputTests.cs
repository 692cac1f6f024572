using System;
using System.Buffers.Binary;
using System.IO;
using Rump.Fs.Msdosfs;
using Rump.Fs.Tests.Support;

namespace Rump.Fs.Tests;

using Errno = Rump.Kern.Errno;

/// <summary>Corrupt images give an errno from the operation that meets the damage, never an exception or a hang.</summary>
public sealed class MsdosfsOnDiskBadInputTests : IClassFixture<FatFixtureImages>
{
    private readonly FatFixtureImages _images;

    public MsdosfsOnDiskBadInputTests(FatFixtureImages images) => _images = images;

    public static TheoryData<int> FatTypes => new() { 12, 16, 32 };

    private string CopyOf(int bits) => _images.CopyOf(bits switch { 12 => _images.Fat12, 16 => _images.Fat16, _ => _images.Fat32 });

    private static int Mount(string img, bool readOnly, out FatVolume? v, out FatImageDevice dev)
    {
        dev = new FatImageDevice(img, readOnly);
        return FatVolume.Mount(dev, readOnly, FatImageDevice.FixedClock(1_700_000_000), out v);
    }

    /// <summary>Writes FAT entry <paramref name="cluster"/> in every FAT copy, bypassing the file system.</summary>
    private static void PokeFat(string img, FatGeometry g, uint cluster, uint value)
    {
        using var f = new FileStream(img, System.IO.FileMode.Open, FileAccess.ReadWrite);
        for (int fat = 0; fat < g.NumFats; fat++)
        {
            long bas = g.FatOffset(fat);
            var buf = new byte[4];
            switch (g.Type)
            {
                case FatType.Fat12:
                {
                    long off = bas + cluster + cluster / 2;
                    f.Position = off;
                    f.ReadExactly(buf, 0, 2);
                    uint v = BinaryPrimitives.ReadUInt16LittleEndian(buf);
                    v = (cluster & 1) != 0 ? (v & 0xF) | (value << 4) : (v & 0xF000) | (value & 0xFFF);
                    BinaryPrimitives.WriteUInt16LittleEndian(buf, (ushort)v);
                    f.Position = off;
                    f.Write(buf, 0, 2);
                    break;
                }
                case FatType.Fat16:
                    BinaryPrimitives.WriteUInt16LittleEndian(buf, (ushort)value);
                    f.Position = bas + cluster * 2;
                    f.Write(buf, 0, 2);
                    break;
                default:
                    BinaryPrimitives.WriteUInt32LittleEndian(buf, value);
                    f.Position = bas + cluster * 4;
                    f.Write(buf, 0, 4);
                    break;
            }
        }
    }

    private static void Poke(string img, long offset, params byte[] bytes)
    {
        using var f = new FileStream(img, System.IO.FileMode.Open, FileAccess.ReadWrite);
        f.Position = offset;
        f.Write(bytes);
    }

    private static (FatGeometry G, uint Start, uint Last, long EntryDev) Locate(string img, string path)
    {
        Assert.Equal(0, Mount(img, true, out var v, out var dev));
        using (dev)
        {
            var node = FatVolumeWalker.MustResolve(v!, path);
            uint start = v!.StartCluster(node);
            Assert.Equal(0, v.ChainLength(start, out _, out uint last));
            long entryDev = node.DirStart == 0
                ? v.Geometry.RootDirOffset + node.DirOffset
                : v.Geometry.ClusterOffset(node.DirStart) + node.DirOffset; // first cluster of the directory suffices for root entries
            return (v.Geometry, start, last, entryDev);
        }
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void ClusterChainLoop_ReadReturnsEIO(int bits)
    {
        var img = CopyOf(bits);
        var (g, start, last, _) = Locate(img, "/frag/fragmented.bin");
        PokeFat(img, g, last, start); // the end of the chain points back at its start
        Assert.Equal(0, Mount(img, false, out var v, out var dev));
        using (dev)
        {
            var node = FatVolumeWalker.MustResolve(v!, "/frag/fragmented.bin");
            Assert.Equal(Errno.EIO, v!.ChainLength(start, out _, out _));
            // Reading within the size works (the loop lies beyond it); growing the file meets the loop.
            var buf = new byte[node.Entry.DIR_FileSize];
            Assert.Equal(0, v.Read(node, 0, buf, out _));
            Assert.Equal(Errno.EIO, v.Write(node, node.Entry.DIR_FileSize + (long)g.BytesPerCluster * 3, new byte[10], out _));
            Assert.Equal(Errno.EIO, v.ReleaseClusters(node));
        }
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void FatEntryOutOfRange_ReadReturnsEIO(int bits)
    {
        var img = CopyOf(bits);
        var (g, start, _, _) = Locate(img, "/exact.bin");
        PokeFat(img, g, start, g.MaxCluster + 1);
        Assert.Equal(0, Mount(img, true, out var v, out var dev));
        using (dev)
        {
            var node = FatVolumeWalker.MustResolve(v!, "/exact.bin");
            var buf = new byte[node.Entry.DIR_FileSize];
            Assert.Equal(Errno.EIO, v!.Read(node, 0, buf, out _));
        }
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void FreeClusterInsideChain_ReadReturnsEIO(int bits)
    {
        var img = CopyOf(bits);
        var (g, start, _, _) = Locate(img, "/exact.bin");
        PokeFat(img, g, start, 0);
        Assert.Equal(0, Mount(img, true, out var v, out var dev));
        using (dev)
        {
            var node = FatVolumeWalker.MustResolve(v!, "/exact.bin");
            Assert.Equal(Errno.EIO, v!.Read(node, 0, new byte[node.Entry.DIR_FileSize], out _));
        }
    }

    [Theory]
    [InlineData(11, new byte[] { 0, 0 }, Errno.EINVAL)]        // BPB_BytsPerSec = 0
    [InlineData(11, new byte[] { 0x00, 0x03 }, Errno.EINVAL)]  // 768: not a power of two
    [InlineData(13, new byte[] { 3 }, Errno.EINVAL)]           // BPB_SecPerClus = 3
    [InlineData(16, new byte[] { 0 }, Errno.EINVAL)]           // BPB_NumFATs = 0
    [InlineData(14, new byte[] { 0, 0 }, Errno.EINVAL)]        // BPB_RsvdSecCnt = 0
    public void CorruptBootSector_MountReturnsErrno(int offset, byte[] bytes, int expected)
    {
        foreach (int bits in new[] { 12, 16, 32 })
        {
            var img = CopyOf(bits);
            Poke(img, offset, bytes);
            Assert.Equal(expected, Mount(img, true, out _, out var dev));
            dev.Dispose();
        }
    }

    [Fact]
    public void NotAFatVolume_MountReturnsEFTYPE()
    {
        var img = CopyOf(16);
        Poke(img, 0, new byte[512]);
        Assert.Equal(Errno.EFTYPE, Mount(img, true, out _, out var dev));
        dev.Dispose();
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void TruncatedImage_MountOrReadFailsWithErrno(int bits)
    {
        var img = CopyOf(bits);
        var (_, _, last, _) = Locate(img, "/frag/fragmented.bin");
        long len = new FileInfo(img).Length;
        using (var f = new FileStream(img, System.IO.FileMode.Open))
            f.SetLength(len / 2);
        int e = Mount(img, false, out var v, out var dev);
        using (dev)
        {
            if (e != 0)
            {
                Assert.Equal(Errno.EINVAL, e);
                return;
            }
            // Whatever lies past the end reads as EIO; nothing gets allocated there.
            foreach (var path in new[] { "/frag/fragmented.bin", "/exact.bin", "/spanning/entry number 059 with a long name.txt" })
            {
                if (FatVolumeWalker.Resolve(v!, path, out var node) != 0)
                    continue;
                int r = v!.Read(node, 0, new byte[node.Entry.DIR_FileSize], out _);
                Assert.True(r == 0 || r == Errno.EIO, path + ": " + r);
            }
            var big = FatVolumeWalker.MustResolve(v!, "/");
            Assert.Equal(0, v!.Create(v.RootStart, "after-truncation.bin", 0, out var created));
            int w = v.Write(created!, 0, new byte[len], out _);
            Assert.Equal(Errno.ENOSPC, w);
            Assert.True(v.Fat.UsableMaxCluster < v.Geometry.MaxCluster);
        }
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void BadLfnChecksum_EntryReadAsItsShortName(int bits)
    {
        var img = CopyOf(bits);
        Assert.Equal(0, Mount(img, true, out var v, out var dev));
        long lfnDev;
        using (dev)
        {
            Assert.Equal(0, v!.Lookup(v.RootStart, "Mixed Case Name.txt", out var slot));
            Assert.NotEqual(slot.Offset, slot.LfnOffset);
            lfnDev = bits == 32 ? v.Geometry.ClusterOffset(v.RootStart) + slot.LfnOffset : v.Geometry.RootDirOffset + slot.LfnOffset;
        }
        Poke(img, lfnDev + 13, 0x00); // LDIR_Chksum of the first long entry
        Assert.Equal(0, Mount(img, true, out v, out dev));
        using (dev)
        {
            Assert.Equal(Errno.ENOENT, v!.Lookup(v.RootStart, "Mixed Case Name.txt", out _));
            Assert.Equal(0, v.Lookup(v.RootStart, "MIXEDC~1.TXT", out var slot));
            Assert.Equal("MIXEDC~1.TXT", slot.Name);
        }
        // mtools agrees: the long name is gone, the 8.3 name stays.
        var listing = FatTools.Listing(img);
        Assert.Contains("/MIXEDC~1.TXT", listing);
        Assert.DoesNotContain("/Mixed Case Name.txt", listing);
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void DirectoryCycle_WalksTerminateAndRenameSaysEIOOrEINVAL(int bits)
    {
        var img = CopyOf(bits);
        // level2's ".." says level3 (its own child), and level3 gets an entry pointing back at level1.
        Assert.Equal(0, Mount(img, false, out var v, out var dev));
        uint level1, level3;
        using (dev)
        {
            var n1 = FatVolumeWalker.MustResolve(v!, "/level1");
            var n3 = FatVolumeWalker.MustResolve(v!, "/level1/level2/level3");
            level1 = v!.StartCluster(n1);
            level3 = v.StartCluster(n3);
            // A directory entry "loop" in level3 whose cluster is level1: a cycle in the tree.
            var e = v.NewEntry(FatAttr.ATTR_DIRECTORY);
            e.SetFirstCluster(level1, v.Geometry.Type);
            Assert.Equal(0, v.AddEntry(level3, "loop", e, out _));
            Assert.Equal(0, v.Unmount());
        }
        Assert.Equal(0, Mount(img, false, out v, out dev));
        using (dev)
        {
            // A bounded walk terminates; the cycle repeats the same names.
            var listing = FatVolumeWalker.List(v!, maxDepth: 8);
            Assert.Contains("/level1/level2/level3/loop/level2/level3/loop", listing);
            // Moving level1 below its own descendant is refused.
            Assert.Equal(Errno.EINVAL, v!.CheckNotAncestor(level1, level3));
            // A ".." chain that loops (level2's ".." made to point at level3) gives EIO, not a hang.
            var n2 = FatVolumeWalker.MustResolve(v, "/level1/level2");
            uint level2 = v.StartCluster(n2);
            long dotdot = v.Geometry.ClusterOffset(level2) + 32 + 26;
            dev.Dispose();
            var b = new byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)level3);
            Poke(img, dotdot, b);
            if (bits == 32)
                Poke(img, dotdot - 6, (byte)(level3 >> 16), (byte)(level3 >> 24));
        }
        Assert.Equal(0, Mount(img, true, out v, out dev));
        using (dev)
            Assert.Equal(Errno.EIO, v!.CheckNotAncestor(0xFFFFFFF, level3));
    }

    [Fact]
    public void ReadOnlyDevice_ReadWriteMountReturnsEROFS()
    {
        var img = CopyOf(12);
        using var dev = new FatImageDevice(img, readOnly: true);
        Assert.Equal(Errno.EROFS, FatVolume.Mount(dev, false, FatImageDevice.FixedClock(0), out _));
        Assert.Equal(0, FatVolume.Mount(dev, true, FatImageDevice.FixedClock(0), out var v));
        Assert.Equal(Errno.EROFS, v!.Create(v.RootStart, "x", 0, out _));
    }
}
