using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Rump;
using Rump.Fs.Tests.Support;

namespace Rump.Fs.Tests;

/// <summary>POSIX behaviour of msdosfs through the system calls, each ending with fsck.fat -n.</summary>
public sealed class MsdosfsKernelSemanticsTests : IClassFixture<FatFixtureImages>, IClassFixture<FatKernelFixture>
{
    private readonly FatFixtureImages _images;
    private readonly ISyscalls _sys;

    public MsdosfsKernelSemanticsTests(FatFixtureImages images, FatKernelFixture kernel)
    {
        _images = images;
        _sys = kernel.Sys;
    }

    private static void AssertClean(string image)
    {
        var r = FatTools.FsckNoChange(image);
        Assert.True(r.ExitCode == 0, "fsck.fat -n: " + r.Stdout + r.Stderr);
    }

    [Fact]
    public void GetDents_SmallBuffers_ResumeByCookieWithoutLossOrRepeat()
    {
        var img = _images.CopyOf(_images.Fat16);
        Assert.Equal(0, FatKernelHost.MountImage(_sys, img, true, out var mnt, out var key));
        try
        {
            foreach (var dir in new[] { "", "/spanning" })
            {
                var whole = FatKernelHost.ReadDir(_sys, mnt + dir, out int e).Select(x => x.Name).ToList();
                Assert.Equal(0, e);
                Assert.Equal(0, _sys.Open(mnt + dir, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0, out int fd));
                using var closer = new FdCloser(_sys, fd);
                var pieces = new List<string>();
                Assert.Equal((int)Errno.EINVAL, _sys.GetDents(fd, new byte[8], out _)); // not even "." (16 bytes) fits
                var buf = new byte[600]; // a few records per call; the longest (a 205-character name) fits
                while (true)
                {
                    Assert.Equal(0, _sys.GetDents(fd, buf, out int n));
                    if (n == 0)
                        break;
                    for (int off = 0; off < n;)
                    {
                        int len = Dirent.Read(buf.AsSpan(off, n - off), out _, out _, out string name);
                        Assert.True(len > 0);
                        pieces.Add(name);
                        off += len;
                    }
                }
                Assert.Equal(whole, pieces);
                Assert.Equal(pieces.Count, pieces.Distinct().Count());
                Assert.Contains(".", pieces);
                Assert.Contains("..", pieces);
            }
        }
        finally
        {
            FatKernelHost.Unmount(_sys, mnt, key);
        }
    }

    [Fact]
    public void DotDotAndTrailingSlash_AsNetBsdNamei_NothingRemovedOrRenamed()
    {
        var img = _images.CopyOf(_images.Fat16);
        Assert.Equal(0, FatKernelHost.MountImage(_sys, img, false, out var mnt, out var key));
        try
        {
            Assert.Equal(0, _sys.Mkdir(mnt + "/x", 0x1ED));
            Assert.Equal(0, _sys.Mkdir(mnt + "/x/sub", 0x1ED));
            FatKernelHost.WriteFile(_sys, mnt + "/x/file", Encoding.ASCII.GetBytes("data"));
            // rmdir: "." is EINVAL, ".." ENOTEMPTY (NetBSD vfs_lookup: DELETE of "." / "..").
            Assert.Equal((int)Errno.EINVAL, _sys.Rmdir(mnt + "/x/sub/."));
            Assert.Equal((int)Errno.ENOTEMPTY, _sys.Rmdir(mnt + "/x/sub/.."));
            // rename of "." or "..": EINVAL.
            Assert.Equal((int)Errno.EINVAL, _sys.Rename(mnt + "/x/sub/.", mnt + "/moved"));
            Assert.True(_sys.Rename(mnt + "/x/sub/..", mnt + "/moved") is (int)Errno.EINVAL or (int)Errno.ENOTEMPTY);
            // A trailing slash on a non-directory: ENOTDIR for every operation.
            Assert.Equal((int)Errno.ENOTDIR, _sys.Unlink(mnt + "/x/file/"));
            Assert.Equal((int)Errno.ENOTDIR, _sys.Stat(mnt + "/x/file/", out _));
            Assert.Equal((int)Errno.ENOTDIR, _sys.LStat(mnt + "/x/file/", out _));
            Assert.Equal((int)Errno.ENOTDIR, _sys.Open(mnt + "/x/file/", OpenFlags.O_RDONLY, 0, out _));
            Assert.Equal((int)Errno.ENOTDIR, _sys.Open(mnt + "/x/file/.", OpenFlags.O_RDONLY, 0, out _));
            Assert.Equal((int)Errno.ENOTDIR, _sys.Stat(mnt + "/x/file/../sub", out _));
            Assert.Equal((int)Errno.ENOTDIR, _sys.Rename(mnt + "/x/file/", mnt + "/moved"));
            Assert.Equal((int)Errno.ENOTDIR, _sys.Rename(mnt + "/x/file", mnt + "/moved/"));
            // Through ".." in the middle: the directory it names.
            Assert.Equal(0, _sys.Stat(mnt + "/x/sub/../file", out var st));
            Assert.Equal(4, st.Size);
            Assert.Equal(0, _sys.Rmdir(mnt + "/x/sub/"));
            Assert.Equal(0, _sys.Stat(mnt + "/x/file", out _));
        }
        finally
        {
            FatKernelHost.Unmount(_sys, mnt, key);
        }
        AssertClean(img);
        Assert.Equal("data", Encoding.ASCII.GetString(FatTools.McopyOut(img, "/x/file")));
    }

    [Fact]
    public void UnlinkedOpenFile_StaysReadableUntilClosed_ThenClustersFreed()
    {
        var img = _images.CopyOf(_images.Fat12);
        Assert.Equal(0, FatKernelHost.MountImage(_sys, img, false, out var mnt, out var key));
        try
        {
            Assert.Equal(0, _sys.StatVfs(mnt, out var before));
            Assert.Equal(0, _sys.Open(mnt + "/exact.bin", OpenFlags.O_RDONLY, 0, out int fd));
            Assert.Equal(0, _sys.Unlink(mnt + "/exact.bin"));
            Assert.Equal((int)Errno.ENOENT, _sys.Stat(mnt + "/exact.bin", out _));
            // The slot is free for a new name at once.
            FatKernelHost.WriteFile(_sys, mnt + "/exact.bin", Encoding.ASCII.GetBytes("new file in the old slot"));
            var buf = new byte[_images.FilesOf(_images.Fat12)["/exact.bin"].Length];
            Assert.Equal(0, _sys.PRead(fd, buf, 0, out long n));
            Assert.Equal(buf.Length, n);
            Assert.Equal(_images.FilesOf(_images.Fat12)["/exact.bin"], buf);
            Assert.Equal(0, _sys.Close(fd));
            Assert.Equal(0, FatKernelHost.ReadFile(_sys, mnt + "/exact.bin", out var fresh));
            Assert.Equal("new file in the old slot", Encoding.ASCII.GetString(fresh));
            Assert.Equal(0, _sys.StatVfs(mnt, out var after));
            Assert.Equal(before.BFree + 3 - 1, after.BFree); // three clusters freed, one taken
        }
        finally
        {
            FatKernelHost.Unmount(_sys, mnt, key);
        }
        AssertClean(img);
        Assert.Equal("new file in the old slot", Encoding.ASCII.GetString(FatTools.McopyOut(img, "/exact.bin")));
    }

    [Fact]
    public void CaseInsensitiveNames_CreateExclusiveOfOtherCaseIsEEXIST()
    {
        var img = _images.CopyOf(_images.Fat16);
        Assert.Equal(0, FatKernelHost.MountImage(_sys, img, false, out var mnt, out var key));
        try
        {
            Assert.Equal((int)Errno.EEXIST, _sys.Open(mnt + "/LOWER.TXT", OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_WRONLY, 0x1A4, out _));
            Assert.Equal((int)Errno.EEXIST, _sys.Mkdir(mnt + "/SPANNING", 0x1ED));
            // Opening another case without O_EXCL opens the same file.
            Assert.Equal(0, _sys.Open(mnt + "/Lower.Txt", OpenFlags.O_WRONLY | OpenFlags.O_APPEND, 0, out int fd));
            Assert.Equal(0, _sys.Write(fd, Encoding.ASCII.GetBytes("more\n"), out _));
            Assert.Equal(0, _sys.Close(fd));
            Assert.Equal(0, FatKernelHost.ReadFile(_sys, mnt + "/lower.txt", out var data));
            Assert.Equal("lower case 8.3 name\nmore\n", Encoding.ASCII.GetString(data));
            // Names FAT cannot hold.
            Assert.Equal((int)Errno.EINVAL, _sys.Open(mnt + "/a:b", OpenFlags.O_CREAT | OpenFlags.O_WRONLY, 0x1A4, out _));
            Assert.Equal((int)Errno.EOPNOTSUPP, _sys.Symlink("lower.txt", mnt + "/link"));
        }
        finally
        {
            FatKernelHost.Unmount(_sys, mnt, key);
        }
        AssertClean(img);
        var listing = FatTools.Listing(img);
        Assert.Contains("/lower.txt", listing);
        Assert.DoesNotContain("/LOWER.TXT", listing);
    }

    [Fact]
    public void RenameOverExisting_InFullFixedRoot_ENOSPCKeepsBothFiles()
    {
        var img = _images.CopyOf(_images.Fat12);
        Assert.Equal(0, FatKernelHost.MountImage(_sys, img, false, out var mnt, out var key));
        try
        {
            int i = 0;
            while (_sys.Open(mnt + $"/F{i}.TXT", OpenFlags.O_CREAT | OpenFlags.O_WRONLY, 0x1A4, out int fd) == 0)
            {
                _sys.Close(fd);
                i++;
            }
            Assert.True(i > 100);
            // A long name needs slots the full root does not have: the replace fails, nothing is lost.
            int e = _sys.Rename(mnt + "/level1/level2/level3/level4/level5/level6/level7/level8/level9/level10/level11/level12/leaf.txt",
                mnt + "/Mixed Case Name.txt");
            Assert.Equal((int)Errno.ENOSPC, e);
            Assert.Equal(0, FatKernelHost.ReadFile(_sys, mnt + "/Mixed Case Name.txt", out var kept));
            Assert.Equal("needs a long name\n", Encoding.ASCII.GetString(kept));
            // A short name replaces in place of... nothing: it still needs one free slot, and there is none.
            Assert.Equal(0, _sys.Unlink(mnt + "/F0.TXT"));
            Assert.Equal(0, _sys.Rename(mnt + "/level1/level2/level3/level4/level5/level6/level7/level8/level9/level10/level11/level12/leaf.txt",
                mnt + "/F1.TXT"));
            Assert.Equal(0, FatKernelHost.ReadFile(_sys, mnt + "/F1.TXT", out var moved));
            Assert.Equal("deep leaf\n", Encoding.ASCII.GetString(moved));
        }
        finally
        {
            FatKernelHost.Unmount(_sys, mnt, key);
        }
        AssertClean(img);
        Assert.Equal("deep leaf\n", Encoding.ASCII.GetString(FatTools.McopyOut(img, "/F1.TXT")));
    }

    private sealed class FdCloser(ISyscalls sys, int fd) : IDisposable
    {
        public void Dispose() => Assert.Equal(0, sys.Close(fd));
    }
}
