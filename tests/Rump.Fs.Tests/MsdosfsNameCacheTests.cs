using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Rump;
using Rump.Fs.Msdosfs;
using Rump.Fs.Tests.Support;

namespace Rump.Fs.Tests;

/// <summary>
/// The name cache (negative entries included), the lookup hints and the directory read window must never change
/// an answer: every name looked up before a change answers as the image says after it (mtools and fsck.fat judge).
/// </summary>
public sealed class MsdosfsNameCacheTests : IClassFixture<FatFixtureImages>, IClassFixture<FatKernelFixture>
{
    private readonly FatFixtureImages _images;
    private readonly ISyscalls _sys;

    public MsdosfsNameCacheTests(FatFixtureImages images, FatKernelFixture kernel)
    {
        _images = images;
        _sys = kernel.Sys;
    }

    public static TheoryData<int> FatTypes => new() { 12, 16, 32 };

    private string ImageOf(int bits) => bits switch { 12 => _images.Fat12, 16 => _images.Fat16, _ => _images.Fat32 };

    private static void AssertClean(string image)
    {
        var r = FatTools.FsckNoChange(image);
        Assert.True(r.ExitCode == 0, "fsck.fat -n: " + r.Stdout + r.Stderr);
    }

    private void WithMounted(string image, bool readOnly, Action<string> body)
    {
        Assert.Equal(0, FatKernelHost.MountImage(_sys, image, readOnly, out var mnt, out var key));
        try
        {
            body(mnt);
        }
        finally
        {
            FatKernelHost.Unmount(_sys, mnt, key);
        }
    }

    private int Stat(string path) => _sys.Stat(path, out _);

    private string Text(string path)
    {
        Assert.Equal(0, FatKernelHost.ReadFile(_sys, path, out var data));
        return Encoding.UTF8.GetString(data);
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void AbsentName_ThenCreatedInAnotherCase_IsFoundUnderEveryCase(int bits)
    {
        var img = _images.CopyOf(ImageOf(bits));
        WithMounted(img, false, mnt =>
        {
            // Cached as absent, in two spellings and in the 8.3 alias the new long name will get.
            Assert.Equal((int)Errno.ENOENT, Stat(mnt + "/new file.txt"));
            Assert.Equal((int)Errno.ENOENT, Stat(mnt + "/NEW FILE.TXT"));
            Assert.Equal((int)Errno.ENOENT, Stat(mnt + "/NEWFIL~1.TXT"));
            FatKernelHost.WriteFile(_sys, mnt + "/New File.txt", "created"u8);
            Assert.Equal("created", Text(mnt + "/new file.txt"));
            Assert.Equal("created", Text(mnt + "/NEW FILE.TXT"));
            Assert.Equal(0, Stat(mnt + "/NEWFIL~1.TXT"));
            Assert.Equal((int)Errno.ENOENT, Stat(mnt + "/new file.txt.bak"));
        });
        AssertClean(img);
        Assert.Equal("created", Encoding.UTF8.GetString(FatTools.McopyOut(img, "/New File.txt")));
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void Unlink_AfterLookupsUnderSeveralNames_EveryNameIsGone_AndANewFileIsSeen(int bits)
    {
        var img = _images.CopyOf(ImageOf(bits));
        WithMounted(img, false, mnt =>
        {
            Assert.Equal("needs a long name\n", Text(mnt + "/Mixed Case Name.txt"));
            Assert.Equal(0, Stat(mnt + "/MIXED CASE NAME.TXT"));
            Assert.Equal(0, Stat(mnt + "/MIXEDC~1.TXT"));
            Assert.Equal(0, _sys.Unlink(mnt + "/mixed case name.txt"));
            Assert.Equal((int)Errno.ENOENT, Stat(mnt + "/Mixed Case Name.txt"));
            Assert.Equal((int)Errno.ENOENT, Stat(mnt + "/MIXED CASE NAME.TXT"));
            Assert.Equal((int)Errno.ENOENT, Stat(mnt + "/MIXEDC~1.TXT"));
            // The same name again is a new file (it may even take the freed slot).
            FatKernelHost.WriteFile(_sys, mnt + "/MIXED case name.txt", "second"u8);
            Assert.Equal("second", Text(mnt + "/Mixed Case Name.txt"));
        });
        AssertClean(img);
        Assert.Equal("second", Encoding.UTF8.GetString(FatTools.McopyOut(img, "/Mixed Case Name.txt")));
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void Rename_AfterLookups_OldNameGone_NewNameAndReplacedTargetAnswerTheMovedFile(int bits)
    {
        var img = _images.CopyOf(ImageOf(bits));
        WithMounted(img, false, mnt =>
        {
            Assert.Equal("lower case 8.3 name\n", Text(mnt + "/lower.txt"));
            Assert.Equal("upper base, lower extension\n", Text(mnt + "/BASE.txt"));
            Assert.Equal((int)Errno.ENOENT, Stat(mnt + "/moved.txt"));
            Assert.Equal((int)Errno.ENOENT, Stat(mnt + "/spanning/MOVED.TXT"));

            Assert.Equal(0, _sys.Rename(mnt + "/LOWER.TXT", mnt + "/spanning/Moved.txt"));
            Assert.Equal((int)Errno.ENOENT, Stat(mnt + "/lower.txt"));
            Assert.Equal((int)Errno.ENOENT, Stat(mnt + "/LOWER.TXT"));
            Assert.Equal("lower case 8.3 name\n", Text(mnt + "/spanning/MOVED.TXT"));

            // Over an existing file looked up before: the target name now answers the moved file.
            Assert.Equal(0, _sys.Rename(mnt + "/spanning/moved.txt", mnt + "/base.TXT"));
            Assert.Equal("lower case 8.3 name\n", Text(mnt + "/BASE.txt"));
            Assert.Equal((int)Errno.ENOENT, Stat(mnt + "/spanning/moved.txt"));
        });
        AssertClean(img);
        Assert.Equal("lower case 8.3 name\n", Encoding.UTF8.GetString(FatTools.McopyOut(img, "/BASE.txt")));
        Assert.DoesNotContain("/lower.txt", FatTools.Listing(img));
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void Rmdir_AfterLookupsInside_RecreatedDirectoryIsEmpty_AndSeesNewNames(int bits)
    {
        var img = _images.CopyOf(ImageOf(bits));
        WithMounted(img, false, mnt =>
        {
            Assert.Equal(0, _sys.Mkdir(mnt + "/d", 0x1ED));
            FatKernelHost.WriteFile(_sys, mnt + "/d/f.txt", "in d"u8);
            Assert.Equal("in d", Text(mnt + "/D/F.TXT"));
            Assert.Equal((int)Errno.ENOENT, Stat(mnt + "/d/g.txt"));
            Assert.Equal(0, _sys.Unlink(mnt + "/d/f.txt"));
            Assert.Equal(0, _sys.Rmdir(mnt + "/D"));
            Assert.Equal((int)Errno.ENOENT, Stat(mnt + "/d"));
            Assert.Equal((int)Errno.ENOENT, Stat(mnt + "/d/f.txt"));

            Assert.Equal(0, _sys.Mkdir(mnt + "/D", 0x1ED));
            Assert.Equal((int)Errno.ENOENT, Stat(mnt + "/d/f.txt"));
            Assert.Equal((int)Errno.ENOENT, Stat(mnt + "/d/g.txt"));
            FatKernelHost.WriteFile(_sys, mnt + "/d/G.TXT", "new g"u8);
            Assert.Equal("new g", Text(mnt + "/d/g.txt"));
        });
        AssertClean(img);
        Assert.Equal("new g", Encoding.UTF8.GetString(FatTools.McopyOut(img, "/D/G.TXT")));
    }

    [Fact]
    public void ChangesByAnotherMount_OfAnotherCopy_DoNotLeak_AndRemountSeesTheImage()
    {
        var img = _images.CopyOf(_images.Fat16);
        WithMounted(img, false, mnt =>
        {
            Assert.Equal((int)Errno.ENOENT, Stat(mnt + "/later.txt"));
            Assert.Equal(0, Stat(mnt + "/lower.txt"));
        });
        // Between mounts the image changes behind the kernel's back (mtools): the cache went with the mount.
        FatTools.Check("mdel", "-i", img, "::/lower.txt");
        var host = System.IO.Path.Combine(_images.Dir, Guid.NewGuid().ToString("N") + ".txt");
        System.IO.File.WriteAllText(host, "from mtools");
        FatTools.McopyIn(img, host, "/later.txt");
        WithMounted(img, true, mnt =>
        {
            Assert.Equal("from mtools", Text(mnt + "/later.txt"));
            Assert.Equal((int)Errno.ENOENT, Stat(mnt + "/lower.txt"));
        });
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void LongDirectory_LookedUpInShuffledAndReverseOrder_AfterReaddir_FindsEveryFileAndNoPhantom(int bits)
    {
        var img = ImageOf(bits);
        var expected = _images.FilesOf(img).Where(f => f.Key.StartsWith("/spanning/", StringComparison.Ordinal)).ToList();
        WithMounted(img, true, mnt =>
        {
            var listed = FatKernelHost.ReadDir(_sys, mnt + "/spanning", out int e).Select(x => x.Name).Where(n => n is not "." and not "..").ToList();
            Assert.Equal(0, e);
            Assert.Equal(expected.Count, listed.Count);
            var random = new Random(5);
            var orders = new[] { listed.AsEnumerable().Reverse().ToList(), listed.OrderBy(_ => random.Next()).ToList(), listed };
            foreach (var order in orders)
            {
                foreach (var name in order)
                {
                    Assert.Equal(0, _sys.Stat(mnt + "/spanning/" + name, out var st));
                    Assert.Equal(_images.FilesOf(img)["/spanning/" + name].Length, st.Size);
                    Assert.Equal(0, _sys.Stat(mnt + "/spanning/" + name.ToUpperInvariant(), out var upper));
                    Assert.Equal(st.Ino, upper.Ino);
                }
                Assert.Equal((int)Errno.ENOENT, Stat(mnt + "/spanning/entry number 999 with a long name.txt"));
            }
        });
    }

    [Theory, MemberData(nameof(FatTypes))]
    public void OnDisk_LookupWithHint_FindsNamesBeforeAndAfterTheHint_AndMovesIt(int bits)
    {
        using var dev = new FatImageDevice(ImageOf(bits), readOnly: true);
        Assert.Equal(0, FatVolume.Mount(dev, readOnly: true, FatImageDevice.FixedClock(0), out var v));
        Assert.Equal(0, v!.Lookup(v.RootStart, "spanning", out var spanning));
        uint dir = spanning.Entry.FirstCluster(v.Geometry.Type);
        long hint = 0;
        Assert.Equal(0, v.Lookup(dir, "entry number 040 with a long name.txt", ref hint, out var forty));
        Assert.Equal(forty.Offset + FatDirEntry.Size, hint);
        // Before the hint: found after wrapping around; the hint follows it.
        Assert.Equal(0, v.Lookup(dir, "ENTRY NUMBER 002 WITH A LONG NAME.TXT", ref hint, out var two));
        Assert.True(two.Offset < forty.Offset);
        Assert.Equal(two.Offset + FatDirEntry.Size, hint);
        // A hint inside a long name's records (not at a record's start) still finds that name whole.
        hint = forty.LfnOffset + FatDirEntry.Size;
        Assert.Equal(0, v.Lookup(dir, "entry number 040 with a long name.txt", ref hint, out var again));
        Assert.Equal(forty.Offset, again.Offset);
        // Absent: ENOENT after looking at every record, the hint unchanged; a hint past the end is harmless.
        long before = hint;
        Assert.Equal(Rump.Kern.Errno.ENOENT, v.Lookup(dir, "entry number 100 with a long name.txt", ref hint, out _));
        Assert.Equal(before, hint);
        hint = FatVolume.MaxDirBytes + 64;
        Assert.Equal(0, v.Lookup(dir, "entry number 059 with a long name.txt", ref hint, out _));
    }

    [Fact]
    public void OnDisk_ScanOfAContiguousDirectory_IsOneDeviceRead()
    {
        // FAT32 with 512-byte clusters; 60 empty files with long names take no data clusters, so mtools gives
        // the directory consecutive clusters as it grows.
        var img = System.IO.Path.Combine(_images.Dir, Guid.NewGuid().ToString("N") + ".img");
        FatTools.MkFs(img, 32, 40 * 1024, "-s", "1");
        FatTools.Mmd(img, "/d");
        var hostDir = System.IO.Path.Combine(_images.Dir, Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(hostDir);
        var args = new List<string> { "-i", img };
        for (int i = 0; i < 60; i++)
        {
            var file = System.IO.Path.Combine(hostDir, $"empty file number {i:D3} with a long name.txt");
            System.IO.File.WriteAllBytes(file, []);
            args.Add(file);
        }
        args.Add("::/d/");
        FatTools.Check("mcopy", args.ToArray());

        using var dev = new FatImageDevice(img, readOnly: true);
        Assert.Equal(0, FatVolume.Mount(dev, readOnly: true, FatImageDevice.FixedClock(0), out var v));
        Assert.Equal(0, v!.Lookup(v.RootStart, "d", out var d));
        uint dir = d.Entry.FirstCluster(v.Geometry.Type);
        Assert.Equal(0, v.ChainLength(dir, out uint clusters, out _));
        Assert.True(clusters > 4, "the directory should span several clusters, has " + clusters);
        var names = new List<string>();
        int readsBefore = dev.Reads;
        Assert.Equal(0, v.ScanDir(dir, 0, (in FatDirSlot s) => { names.Add(s.Name); return true; }, out _));
        Assert.Equal(62, names.Count);   // ".", ".." and the 60 files
        Assert.Equal(1, dev.Reads - readsBefore);
        Assert.Equal(FatTools.Listing(img).Where(p => p.StartsWith("/d/", StringComparison.Ordinal)).Select(p => p.Substring(3)).Order(StringComparer.Ordinal),
            names.Skip(2).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void OnDisk_ScanOfTheFixedRoot_IsOneDeviceRead()
    {
        using var dev = new FatImageDevice(_images.Fat16, readOnly: true);
        Assert.Equal(0, FatVolume.Mount(dev, readOnly: true, FatImageDevice.FixedClock(0), out var v));
        int readsBefore = dev.Reads;
        int count = 0;
        Assert.Equal(0, v!.ScanDir(v.RootStart, 0, (in FatDirSlot s) => { count++; return true; }, out _));
        Assert.True(count > 10);
        Assert.Equal(1, dev.Reads - readsBefore);   // 512 root entries = 16 KiB: one window
    }
}
