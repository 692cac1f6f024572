using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using Rump;
using Rump.Fs.Tests.Support;

namespace Rump.Fs.Tests;

/// <summary>
/// msdosfs in a booted kernel, used like a host uses it: etfs_register of an mkfs.fat/mtools image as a block
/// device, mount("msdos"), the file system calls, unmount; then fsck.fat -n and mtools judge the image.
/// </summary>
public sealed class MsdosfsKernelTests : IClassFixture<FatFixtureImages>, IClassFixture<FatKernelFixture>
{
    private readonly FatFixtureImages _images;
    private readonly ISyscalls _sys;

    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public MsdosfsKernelTests(FatFixtureImages images, FatKernelFixture kernel, Xunit.Abstractions.ITestOutputHelper output)
    {
        _images = images;
        _sys = kernel.Sys;
        _output = output;
    }

    public static TheoryData<int> FatTypes => new() { 12, 16, 32 };

    private string ImageOf(int bits) => bits switch { 12 => _images.Fat12, 16 => _images.Fat16, _ => _images.Fat32 };

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
    public void Mount_ListingSizesTimesAndContentsEqualMtools(int bits)
    {
        var img = _images.CopyOf(ImageOf(bits));
        Assert.Equal(0, FatKernelHost.MountImage(_sys, img, readOnly: true, out var mnt, out var key));
        try
        {
            var ours = FatKernelHost.List(_sys, mnt);
            var theirs = FatTools.Listing(img);
            // mdir -b lower-cases only ASCII under the NT case bits ("cafÉ.txt"); NT and plain mdir say "café.txt".
            Assert.True(theirs.Remove("/cafÉ.txt"));
            Assert.True(ours.Remove("/café.txt"));
            Assert.Equal(theirs, ours);
            foreach (var (path, data) in _images.FilesOf(ImageOf(bits)))
            {
                Assert.Equal(0, _sys.Stat(mnt + path, out var st));
                Assert.True(FileMode.IsReg(st.Mode), path);
                Assert.Equal(data.Length, st.Size);
                Assert.Equal(FatFixtureImages.FileTime, st.MtimeSec);
                Assert.Equal(0, FatKernelHost.ReadFile(_sys, mnt + path, out var got));
                Assert.True(data.AsSpan().SequenceEqual(got), path);
            }
            Assert.Equal(FatTools.McopyOut(img, "/frag/fragmented.bin"), FatKernelHost.ReadFile(_sys, mnt + "/frag/fragmented.bin", out var frag) == 0 ? frag : null);
            Assert.Equal(0, _sys.Stat(mnt + "/level1/level2", out var dst));
            Assert.True(FileMode.IsDir(dst.Mode));
            // Names that differ only in case are one file.
            Assert.Equal(0, _sys.Stat(mnt + "/LOWER.TXT", out var upper));
            Assert.Equal(0, _sys.Stat(mnt + "/lower.txt", out var lower));
            Assert.Equal(lower.Ino, upper.Ino);
            // statvfs: free clusters as fsck counts them.
            Assert.Equal(0, _sys.StatVfs(mnt, out var vfs));
            var fsck = FatTools.Check("fsck.fat", "-n", img).Stdout;
            var counts = fsck.Split('\n').First(l => l.Contains(" clusters", StringComparison.Ordinal)).Split(',')[1].Trim().Split(' ')[0].Split('/');
            Assert.Equal(ulong.Parse(counts[1]) - ulong.Parse(counts[0]), vfs.BFree);
            Assert.Equal(ulong.Parse(counts[1]), vfs.Blocks);
            // A read-only mount refuses writes.
            Assert.Equal((int)Errno.EROFS, _sys.Open(mnt + "/new.txt", OpenFlags.O_CREAT | OpenFlags.O_WRONLY, 0x1A4, out _));
        }
        finally
        {
            FatKernelHost.Unmount(_sys, mnt, key);
        }
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void PRead_FragmentedFileBackwardsAndScattered_EqualsMtools(int bits)
    {
        var img = _images.CopyOf(ImageOf(bits));
        var want = FatTools.McopyOut(img, "/frag/fragmented.bin");
        Assert.Equal(0, FatKernelHost.MountImage(_sys, img, readOnly: true, out var mnt, out var key));
        try
        {
            Assert.Equal(0, _sys.Open(mnt + "/frag/fragmented.bin", OpenFlags.O_RDONLY, 0, out var fd));
            var got = new byte[want.Length];
            // Backwards in odd-sized pieces, then a scattered pass: every seek goes behind the last one,
            // so the cluster lookup cannot continue from where the previous read ended.
            const int piece = 1531;
            for (long off = (want.Length - 1) / piece * piece; off >= 0; off -= piece)
            {
                int n = (int)Math.Min(piece, want.Length - off);
                Assert.Equal(0, _sys.PRead(fd, got.AsSpan((int)off, n), off, out var nread));
                Assert.Equal(n, nread);
            }
            Assert.Equal(want, got);
            var rng = new Random(7);
            var one = new byte[700];
            for (int i = 0; i < 200; i++)
            {
                long off = rng.Next(want.Length);
                Assert.Equal(0, _sys.PRead(fd, one, off, out var nread));
                Assert.Equal(Math.Min(one.Length, want.Length - off), nread);
                Assert.True(want.AsSpan((int)off, (int)nread).SequenceEqual(one.AsSpan(0, (int)nread)), "offset " + off);
            }
            Assert.Equal(0, _sys.Close(fd));
        }
        finally
        {
            FatKernelHost.Unmount(_sys, mnt, key);
        }
    }

    /// <summary>
    /// Directory clusters live in the buffer cache once read and are changed there and written through: many names
    /// created, every third removed, new names filling the freed slots, names renamed between the directories and
    /// entries updated by writes — all in one mount — must leave what fsck.fat and mtools expect.
    /// </summary>
    [Theory, MemberData(nameof(FatTypes))]
    public void ManyNames_CreateRemoveReuseRename_InOneMount_FsckCleanAndMtoolsAgrees(int bits)
    {
        var img = _images.CopyOf(ImageOf(bits));
        var want = new Dictionary<string, byte[]>();
        Assert.Equal(0, FatKernelHost.MountImage(_sys, img, readOnly: false, out var mnt, out var key));
        try
        {
            Assert.Equal(0, _sys.Mkdir(mnt + "/many names", 0x1ED));
            Assert.Equal(0, _sys.Mkdir(mnt + "/other", 0x1ED));
            for (int i = 0; i < 120; i++)
            {
                var data = Pattern(i * 13 % 700, i);
                FatKernelHost.WriteFile(_sys, mnt + "/many names/entry with a long name " + i + ".txt", data);
                want["/many names/entry with a long name " + i + ".txt"] = data;
            }
            for (int i = 0; i < 120; i += 3)
            {
                Assert.Equal(0, _sys.Unlink(mnt + "/many names/entry with a long name " + i + ".txt"));
                want.Remove("/many names/entry with a long name " + i + ".txt");
            }
            for (int i = 0; i < 30; i++)
            {
                var data = Pattern(100 + i, 1000 + i);
                FatKernelHost.WriteFile(_sys, mnt + "/many names/R" + i + ".DAT", data);
                want["/many names/R" + i + ".DAT"] = data;
            }
            for (int i = 1; i < 120; i += 6)
            {
                var from = "/many names/entry with a long name " + i + ".txt";
                var to = "/other/moved name " + i + ".txt";
                Assert.Equal(0, _sys.Rename(mnt + from, mnt + to));
                want[to] = want[from];
                want.Remove(from);
            }
            // Rewrite one file larger: its entry (size, first cluster) changes in the cached cluster.
            var grown = Pattern(9000, 77);
            FatKernelHost.WriteFile(_sys, mnt + "/many names/entry with a long name 2.txt", grown);
            want["/many names/entry with a long name 2.txt"] = grown;
            var names = FatKernelHost.ReadDir(_sys, mnt + "/many names", out int error).Select(e => e.Name).Where(n => n is not "." and not "..").ToList();
            Assert.Equal(0, error);
            Assert.Equal(want.Keys.Where(k => k.StartsWith("/many names/", StringComparison.Ordinal)).Select(k => k.Substring(12)).OrderBy(n => n, StringComparer.Ordinal),
                names.OrderBy(n => n, StringComparer.Ordinal));
        }
        finally
        {
            FatKernelHost.Unmount(_sys, mnt, key);
        }
        AssertClean(img);
        var listing = FatTools.Listing(img);
        foreach (var (path, data) in want)
        {
            Assert.Contains(path, listing);
            Assert.Equal(data, FatTools.McopyOut(img, path));
        }
        Assert.Equal(want.Count, listing.Count(p => p.StartsWith("/many names/", StringComparison.Ordinal) || p.StartsWith("/other/", StringComparison.Ordinal)));
    }

    /// <summary>
    /// Directory scans go on from the last cluster found (forgotten when a FAT entry is freed) and directory clusters
    /// are cached: a directory removed and its clusters taken again by a new one of the same name, while another
    /// directory grows beside it, must list and check as the names written.
    /// </summary>
    [Theory, MemberData(nameof(FatTypes))]
    public void DirectoryRemoved_ItsClustersReusedByOthers_ListingsFollowTheNewChains(int bits)
    {
        var img = _images.CopyOf(ImageOf(bits));
        Assert.Equal(0, FatKernelHost.MountImage(_sys, img, readOnly: false, out var mnt, out var key));
        var want = new SortedSet<string>(StringComparer.Ordinal);
        try
        {
            for (int round = 0; round < 3; round++)
            {
                var dir = mnt + "/round dir";
                Assert.Equal(0, _sys.Mkdir(dir, 0x1ED));
                // Interleave a second growing directory so both chains are scattered and share freed clusters.
                Assert.Equal(0, _sys.Mkdir(mnt + "/keep " + round, 0x1ED));
                for (int i = 0; i < 60; i++)
                {
                    FatKernelHost.WriteFile(_sys, dir + "/a name long enough for long entries " + i, Pattern(10, i));
                    FatKernelHost.WriteFile(_sys, mnt + "/keep " + round + "/kept file with a long name " + i, Pattern(20, round * 100 + i));
                    want.Add("/keep " + round + "/kept file with a long name " + i);
                }
                var listed = FatKernelHost.ReadDir(_sys, dir, out int error).Count(e => e.Name is not "." and not "..");
                Assert.Equal(0, error);
                Assert.Equal(60, listed);
                for (int i = 0; i < 60; i++)
                    Assert.Equal(0, _sys.Unlink(dir + "/a name long enough for long entries " + i));
                Assert.Equal(0, _sys.Rmdir(dir));
                var kept = FatKernelHost.ReadDir(_sys, mnt + "/keep " + round, out error).Select(e => e.Name).Where(n => n is not "." and not "..").ToList();
                Assert.Equal(0, error);
                Assert.Equal(60, kept.Count);
            }
        }
        finally
        {
            FatKernelHost.Unmount(_sys, mnt, key);
        }
        AssertClean(img);
        var listing = FatTools.Listing(img);
        Assert.DoesNotContain("/round dir", listing);
        foreach (var path in want)
            Assert.Contains(path, listing);
        Assert.Equal(Pattern(20, 259), FatTools.McopyOut(img, "/keep 2/kept file with a long name 59"));
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void WritePaths_ThroughSyscalls_FsckCleanAndMtoolsReadsBack(int bits)
    {
        var img = _images.CopyOf(ImageOf(bits));
        var want = new Dictionary<string, byte[]>();
        Assert.Equal(0, FatKernelHost.MountImage(_sys, img, readOnly: false, out var mnt, out var key));
        try
        {
            Assert.Equal(0, _sys.Mkdir(mnt + "/Neuer Ordner", 0x1ED));
            Assert.Equal(0, _sys.Mkdir(mnt + "/Neuer Ordner/tief", 0x1ED));
            Assert.Equal((int)Errno.EEXIST, _sys.Mkdir(mnt + "/NEUER ORDNER", 0x1ED));
            foreach (var (name, size) in new[] { ("plain.txt", 10), ("UPPER.BIN", 4096), ("Grüße aus Köln.txt", 3), ("日本語.dat", 70_000), (new string('x', 255), 1), ("empty", 0) })
            {
                var data = Pattern(size, size + name.Length);
                FatKernelHost.WriteFile(_sys, mnt + "/Neuer Ordner/" + name, data, chunk: 4000);
                want["/Neuer Ordner/" + name] = data;
            }
            // rename: a file across directories, a directory into another (its ".." follows), a replace.
            Assert.Equal(0, _sys.Rename(mnt + "/Neuer Ordner/plain.txt", mnt + "/level1/plain renamed.txt"));
            want["/level1/plain renamed.txt"] = want["/Neuer Ordner/plain.txt"];
            want.Remove("/Neuer Ordner/plain.txt");
            Assert.Equal(0, _sys.Rename(mnt + "/Neuer Ordner/tief", mnt + "/level1/level2/tief"));
            Assert.Equal(0, _sys.Stat(mnt + "/level1/level2/tief/../../plain renamed.txt", out _));
            Assert.Equal(0, _sys.Rename(mnt + "/Neuer Ordner/UPPER.BIN", mnt + "/exact.bin"));
            want["/exact.bin"] = want["/Neuer Ordner/UPPER.BIN"];
            want.Remove("/Neuer Ordner/UPPER.BIN");
            Assert.Equal((int)Errno.EINVAL, _sys.Rename(mnt + "/level1", mnt + "/level1/level2/inside"));
            // unlink, rmdir (ENOTEMPTY first), truncate, ftruncate.
            Assert.Equal(0, _sys.Unlink(mnt + "/one-more.bin"));
            Assert.Equal((int)Errno.ENOTEMPTY, _sys.Rmdir(mnt + "/frag"));
            Assert.Equal(0, _sys.Unlink(mnt + "/frag/fragmented.bin"));
            foreach (var e in FatKernelHost.ReadDir(_sys, mnt + "/frag", out _).Where(e => e.Name is not "." and not ".."))
                Assert.Equal(0, _sys.Unlink(mnt + "/frag/" + e.Name));
            Assert.Equal(0, _sys.Rmdir(mnt + "/frag"));
            Assert.Equal(0, _sys.Truncate(mnt + "/lower.txt", 5));
            want["/lower.txt"] = Encoding.ASCII.GetBytes("lower");
            Assert.Equal(0, _sys.Open(mnt + "/BASE.txt", OpenFlags.O_RDWR, 0, out int fd));
            Assert.Equal(0, _sys.FTruncate(fd, 40_000));
            Assert.Equal(0, _sys.PWrite(fd, Encoding.ASCII.GetBytes("tail"), 39_996, out _));
            Assert.Equal(0, _sys.Fsync(fd));
            Assert.Equal(0, _sys.Close(fd));
            var based = new byte[40_000];
            Encoding.ASCII.GetBytes("upper base, lower extension\n").CopyTo(based, 0);
            Encoding.ASCII.GetBytes("tail").CopyTo(based, 39_996);
            want["/BASE.txt"] = based;
            // chmod a-w sets the read-only attribute; utimes sets the DOS modification time.
            Assert.Equal(0, _sys.Chmod(mnt + "/Neuer Ordner/empty", 0x124));
            Assert.Equal(0, _sys.Stat(mnt + "/Neuer Ordner/empty", out var ro));
            Assert.Equal(0x124, ro.Mode & 0xFFF);
            Assert.Equal(0, _sys.Utimes(mnt + "/lower.txt", 1_600_000_000, 0, 1_600_000_000, 0));
            Assert.Equal(0, _sys.Stat(mnt + "/lower.txt", out var timed));
            Assert.Equal(1_600_000_000, timed.MtimeSec);
            // What the kernel reads back before the image goes to the oracles.
            foreach (var (path, data) in want)
            {
                Assert.Equal(0, FatKernelHost.ReadFile(_sys, mnt + path, out var got));
                Assert.True(data.AsSpan().SequenceEqual(got), path);
            }
        }
        finally
        {
            FatKernelHost.Unmount(_sys, mnt, key);
        }
        AssertClean(img);
        var listing = FatTools.Listing(img);
        foreach (var (path, data) in want)
        {
            Assert.Contains(path, listing);
            Assert.Equal(data, FatTools.McopyOut(img, path));
        }
        Assert.Contains("/level1/level2/tief", listing);
        Assert.DoesNotContain("/frag", listing);
        Assert.DoesNotContain("/one-more.bin", listing);
        Assert.Contains("  R  ", FatTools.Check("mattrib", "-i", img, "::/Neuer Ordner/empty").Stdout.Replace("R ", "  R  "));
        Assert.Contains("2020-09-13", FatTools.Check("mdir", "-i", img, "::/lower.txt").Stdout);
    }

    [Fact]
    public void LargeFile_64MiBPlusOne_WrittenReadAndCheckedByTools()
    {
        var img = Path.Combine(_images.Dir, "large.img");
        FatTools.MkFs(img, 32, 80 * 1024, "-s", "1");
        const int size = 64 * 1024 * 1024 + 1;
        var data = Pattern(size, 64);
        Assert.Equal(0, FatKernelHost.MountImage(_sys, img, readOnly: false, out var mnt, out var key));
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            FatKernelHost.WriteFile(_sys, mnt + "/big.bin", data);
            var write = clock.Elapsed;
            Assert.Equal(0, _sys.Stat(mnt + "/big.bin", out var st));
            Assert.Equal(size, st.Size);
            clock.Restart();
            Assert.Equal(0, FatKernelHost.ReadFile(_sys, mnt + "/big.bin", out var back));
            _output.WriteLine($"64 MiB + 1 through msdosfs (FAT32, 512-byte clusters): write {write.TotalMilliseconds:F0} ms, read {clock.Elapsed.TotalMilliseconds:F0} ms");
            Assert.True(data.AsSpan().SequenceEqual(back));
        }
        finally
        {
            FatKernelHost.Unmount(_sys, mnt, key);
        }
        AssertClean(img);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(FatTools.McopyOut(img, "/big.bin")));
        File.Delete(img);
    }

    [Fact]
    public void CorruptBootSector_MountReturnsEINVALAndKernelStaysUsable()
    {
        var img = _images.CopyOf(_images.Fat16);
        using (var f = new FileStream(img, System.IO.FileMode.Open))
        {
            f.Position = 13;
            f.WriteByte(3); // BPB_SecPerClus = 3
        }
        Assert.Equal((int)Errno.EINVAL, FatKernelHost.MountImage(_sys, img, false, out _, out var key));
        Assert.Equal(0, _sys.EtfsRemove(key));
        var zero = _images.CopyOf(_images.Fat12);
        using (var f = new FileStream(zero, System.IO.FileMode.Open))
            f.Write(new byte[512]);
        Assert.Equal((int)Errno.EFTYPE, FatKernelHost.MountImage(_sys, zero, false, out _, out key));
        Assert.Equal(0, _sys.EtfsRemove(key));
        // Still usable: a good image mounts.
        Assert.Equal(0, FatKernelHost.MountImage(_sys, _images.CopyOf(_images.Fat12), true, out var mnt, out key));
        Assert.Equal(0, _sys.Stat(mnt + "/lower.txt", out _));
        FatKernelHost.Unmount(_sys, mnt, key);
    }

    [Fact]
    public void ReadOnlyImageFile_ReadWriteMountReturnsEROFSReadOnlyMountWorks()
    {
        var img = _images.CopyOf(_images.Fat12);
        File.SetUnixFileMode(img, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        // root opens 0444 files for writing anyway: make the file immutable as well (ext4 here).
        bool immutable = Environment.UserName == "root";
        if (immutable)
            FatTools.Check("chattr", "+i", img);
        try
        {
            Assert.Equal((int)Errno.EROFS, FatKernelHost.MountImage(_sys, img, false, out var mnt, out var key));
            Assert.Equal(0, _sys.Mount("msdos", mnt, PosixConst.MNT_RDONLY, key, ""));
            Assert.Equal(0, FatKernelHost.ReadFile(_sys, mnt + "/lower.txt", out var data));
            Assert.Equal("lower case 8.3 name\n", Encoding.ASCII.GetString(data));
            Assert.Equal((int)Errno.EROFS, _sys.Unlink(mnt + "/lower.txt"));
            FatKernelHost.Unmount(_sys, mnt, key);
        }
        finally
        {
            if (immutable)
                FatTools.Check("chattr", "-i", img);
        }
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void ClusterChainLoopAndBadLink_SyscallsReturnEIO(int bits)
    {
        var img = _images.CopyOf(ImageOf(bits));
        // Find /exact.bin's first cluster with the on-disk layer, then make its first link point outside the volume.
        using (var dev = new FatImageDevice(img))
        {
            Assert.Equal(0, Rump.Fs.Msdosfs.FatVolume.Mount(dev, false, FatImageDevice.FixedClock(0), out var v));
            var node = FatVolumeWalker.MustResolve(v!, "/exact.bin");
            uint start = v!.StartCluster(node);
            v.Fat.Set(start, v.Geometry.MaxCluster + 1);
            // and a loop in the spanning directory's chain: its last cluster points to its first.
            var dir = FatVolumeWalker.MustResolve(v, "/spanning");
            uint ds = v.StartCluster(dir);
            Assert.Equal(0, v.ChainLength(ds, out _, out uint last));
            v.Fat.Set(last, ds);
            Assert.Equal(0, v.Fat.Flush());
        }
        Assert.Equal(0, FatKernelHost.MountImage(_sys, img, readOnly: true, out var mnt, out var key));
        try
        {
            Assert.Equal((int)Errno.EIO, FatKernelHost.ReadFile(_sys, mnt + "/exact.bin", out _));
            FatKernelHost.ReadDir(_sys, mnt + "/spanning", out int error);
            Assert.Equal((int)Errno.EIO, error);
            Assert.Equal((int)Errno.EIO, _sys.Stat(mnt + "/spanning", out _));
            // The rest of the volume is fine.
            Assert.Equal(0, FatKernelHost.ReadFile(_sys, mnt + "/lower.txt", out var ok));
            Assert.Equal("lower case 8.3 name\n", Encoding.ASCII.GetString(ok));
        }
        finally
        {
            FatKernelHost.Unmount(_sys, mnt, key);
        }
    }
}
