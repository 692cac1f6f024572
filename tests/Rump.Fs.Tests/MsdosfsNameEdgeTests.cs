using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Rump;
using Rump.Fs.Tests.Support;
using Rump.Testing;

namespace Rump.Fs.Tests;

/// <summary>
/// Edge cases a fresh user met (issue 5), at the system-call level: renames that only change a name's case, a file in
/// the middle of a path, a truncated image. Images by mkfs.fat and mtools; every write checked with fsck.fat -n and
/// read back by mtools.
/// </summary>
public sealed class MsdosfsNameEdgeTests : IClassFixture<FatKernelFixture>
{
    private readonly ISyscalls _sys;

    public MsdosfsNameEdgeTests(FatKernelFixture kernel) => _sys = kernel.Sys;

    private static string NewImage(string folder, int bits, int kib)
    {
        var image = Path.Combine(folder, "case.img");
        FatTools.MkFs(image, bits, kib);
        return image;
    }

    private static void AssertClean(string image)
    {
        var r = FatTools.FsckNoChange(image);
        Assert.True(r.ExitCode == 0, "fsck.fat -n: " + r.Stdout + r.Stderr);
    }

    /// <summary>The names mtools lists in the root (long name when there is one, else the 8.3 name with its case bits).</summary>
    private static List<string> RootNames(string image) => FatTools.Listing(image).Where(p => p.LastIndexOf('/') == 0).Select(p => p.Substring(1)).ToList();

    [Fact]
    public void ReadDir_LongNameOverNameMaxUtf8Bytes_GivesThe83AliasWhichLookupFinds()
    {
        var folder = Directory.CreateTempSubdirectory("rump-longname-").FullName;
        try
        {
            var image = NewImage(folder, 16, 16 * 1024);
            var hello = Path.Combine(folder, "hello.txt");
            File.WriteAllText(hello, "hello\n");
            // mcopy keeps 88 UTF-16 units of this 250-character name: 261 UTF-8 bytes, a legal FAT long name.
            FatTools.McopyIn(image, hello, "/" + string.Concat(Enumerable.Repeat("日", 250)));
            var fits = string.Concat(Enumerable.Repeat("日", 85));   // 255 UTF-8 bytes: listed as it is
            FatTools.McopyIn(image, hello, "/" + fits);
            var longName = RootNames(image).Single(n => n != fits);
            Assert.True(System.Text.Encoding.UTF8.GetByteCount(longName) > 255);
            Assert.Equal(0, FatKernelHost.MountImage(_sys, image, true, out var mnt, out var key));
            try
            {
                var names = FatKernelHost.ReadDir(_sys, mnt, out int e).Select(x => x.Name).Where(n => n is not "." and not "..").ToList();
                Assert.Equal(0, e);
                Assert.Equal(2, names.Count);
                Assert.Contains(fits, names);
                var alias = names.Single(n => n != fits);
                Assert.Matches(@"^[^.]{1,8}~\d+$", alias);
                Assert.Equal(0, _sys.Stat(mnt + "/" + alias, out var st));
                Assert.Equal(6, st.Size);
                Assert.Equal((int)Errno.ENAMETOOLONG, _sys.Stat(mnt + "/" + longName, out _));
            }
            finally
            {
                FatKernelHost.Unmount(_sys, mnt, key);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(12, "readme.txt", "README.TXT")]       // 8.3 name, case bits only
    [InlineData(16, "README.TXT", "Readme.txt")]       // needs a long name: mixed case in the base
    [InlineData(32, "My Long File.txt", "MY LONG FILE.TXT")]
    [InlineData(12, "Notes", "notes")]                 // a directory
    public void Rename_CaseOnly_StoresTheNewSpelling(int bits, string before, string after)
    {
        var folder = Directory.CreateTempSubdirectory("rump-case-").FullName;
        try
        {
            var image = NewImage(folder, bits, bits == 32 ? 40 * 1024 : bits == 16 ? 16 * 1024 : 1440);
            var isDirectory = !before.Contains('.');
            var content = "case-only rename\n"u8.ToArray();
            if (isDirectory)
            {
                FatTools.Mmd(image, "/" + before);
            }
            else
            {
                var host = Path.Combine(folder, "content");
                File.WriteAllBytes(host, content);
                FatTools.McopyIn(image, host, "/" + before);
            }
            FatTools.McopyIn(image, WriteHost(folder, "other.txt", "x"), "/other.txt");

            Assert.Equal(0, FatKernelHost.MountImage(_sys, image, false, out var mnt, out var key));
            try
            {
                Assert.Equal(0, _sys.Rename(mnt + "/" + before, mnt + "/" + after));
                var names = FatKernelHost.ReadDir(_sys, mnt, out var e).Select(x => x.Name).Where(n => n is not "." and not "..").ToList();
                Assert.Equal(0, e);
                Assert.Contains(after, names);
                Assert.DoesNotContain(before, names);
                // The same spelling again is a no-op, not an error.
                Assert.Equal(0, _sys.Rename(mnt + "/" + after, mnt + "/" + after));
            }
            finally
            {
                FatKernelHost.Unmount(_sys, mnt, key);
            }

            AssertClean(image);
            var listed = RootNames(image);
            Assert.Contains(after, listed);
            Assert.DoesNotContain(before, listed);
            Assert.Contains("other.txt", listed);
            if (!isDirectory)
                Assert.Equal(content, FatTools.McopyOut(image, "/" + after));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Rename_OntoAnotherFileDifferingInCase_StillReplacesIt()
    {
        // Not the same file: "A.TXT" and "a.txt" cannot both exist on FAT, so this is the ordinary replace of
        // rename(2) — only a rename of a file onto its own other spelling is a case change.
        var folder = Directory.CreateTempSubdirectory("rump-case-").FullName;
        try
        {
            var image = NewImage(folder, 12, 1440);
            FatTools.McopyIn(image, WriteHost(folder, "b", "bee"), "/b.txt");
            Assert.Equal(0, FatKernelHost.MountImage(_sys, image, false, out var mnt, out var key));
            try
            {
                FatKernelHost.WriteFile(_sys, mnt + "/A.TXT", "new"u8);
                Assert.Equal(0, _sys.Rename(mnt + "/A.TXT", mnt + "/B.TXT"));
                Assert.Equal((int)Errno.ENOENT, _sys.Stat(mnt + "/a.txt", out _));
            }
            finally
            {
                FatKernelHost.Unmount(_sys, mnt, key);
            }
            AssertClean(image);
            Assert.Equal(["B.TXT"], RootNames(image));
            Assert.Equal("new"u8.ToArray(), FatTools.McopyOut(image, "/B.TXT"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void FileInTheMiddleOfAPath_IsENOTDIR_ForEveryCall()
    {
        var folder = Directory.CreateTempSubdirectory("rump-notdir-").FullName;
        try
        {
            var image = NewImage(folder, 16, 16 * 1024);
            FatTools.McopyIn(image, WriteHost(folder, "f", "file"), "/file");
            Assert.Equal(0, FatKernelHost.MountImage(_sys, image, false, out var mnt, out var key));
            try
            {
                var below = mnt + "/file/x";
                Assert.Equal((int)Errno.ENOTDIR, _sys.Stat(below, out _));
                Assert.Equal((int)Errno.ENOTDIR, _sys.Open(below, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0x1A4, out _));
                Assert.Equal((int)Errno.ENOTDIR, _sys.Open(below, OpenFlags.O_RDONLY, 0, out _));
                Assert.Equal((int)Errno.ENOTDIR, _sys.Mkdir(below, 0x1ED));
                Assert.Equal((int)Errno.ENOTDIR, _sys.Unlink(below));
                Assert.Equal((int)Errno.ENOTDIR, _sys.Rename(mnt + "/file", below));
                Assert.Equal((int)Errno.ENOTDIR, _sys.Stat(mnt + "/file/", out _));
            }
            finally
            {
                FatKernelHost.Unmount(_sys, mnt, key);
            }
            AssertClean(image);
            Assert.Equal(["file"], RootNames(image));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Mount_TruncatedImage_MountsAndTheKernelSaysSoWithBothSizes()
    {
        var folder = Directory.CreateTempSubdirectory("rump-trunc-").FullName;
        var console = new List<string>();
        try
        {
            var image = NewImage(folder, 16, 16 * 1024);
            FatTools.McopyIn(image, WriteHost(folder, "front", "in front"), "/front.txt");
            var fullSize = new FileInfo(image).Length;
            using (var f = new FileStream(image, System.IO.FileMode.Open))
                f.SetLength(4 << 20);

            using var kernel = TestKernel.Boot(new BootOptions { Console = line => { lock (console) console.Add(line); } });
            var sys = kernel.Sys;
            Assert.Equal(0, FatKernelHost.MountImage(sys, image, false, out var mnt, out var key));
            try
            {
                lock (console)
                    Assert.Contains(console, l => l.Contains("truncated", StringComparison.Ordinal)
                                                   && l.Contains(fullSize.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
                                                   && l.Contains((4 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
                // What is on the device stays usable: read the front, write a new file (never past the end).
                Assert.Equal(0, FatKernelHost.ReadFile(sys, mnt + "/front.txt", out var front));
                Assert.Equal("in front"u8.ToArray(), front);
                FatKernelHost.WriteFile(sys, mnt + "/new.bin", new byte[200_000]);
            }
            finally
            {
                FatKernelHost.Unmount(sys, mnt, key);
            }
            // Given back its missing tail (zeros), the image is a clean file system holding both files.
            using (var f = new FileStream(image, System.IO.FileMode.Open))
                f.SetLength(fullSize);
            AssertClean(image);
            Assert.Equal(new byte[200_000], FatTools.McopyOut(image, "/new.bin"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Mount_WholeImage_SaysNothingAboutTruncation()
    {
        var folder = Directory.CreateTempSubdirectory("rump-trunc-").FullName;
        var console = new List<string>();
        try
        {
            var image = NewImage(folder, 12, 1440);
            using var kernel = TestKernel.Boot(new BootOptions { Console = line => { lock (console) console.Add(line); } });
            Assert.Equal(0, FatKernelHost.MountImage(kernel.Sys, image, true, out var mnt, out var key));
            FatKernelHost.Unmount(kernel.Sys, mnt, key);
            lock (console)
                Assert.DoesNotContain(console, l => l.Contains("truncated", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string WriteHost(string folder, string name, string text)
    {
        var path = Path.Combine(folder, "host-" + name);
        File.WriteAllText(path, text);
        return path;
    }
}
