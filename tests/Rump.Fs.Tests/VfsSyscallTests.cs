using System;
using System.Text;
using Rump;

namespace Rump.Fs.Tests;

/// <summary>
/// POSIX semantics of the vfs system calls, each errno case, on both in-memory file systems: rumpfs (the
/// root, under /work) and tmpfs (mounted at /mnt).
/// </summary>
public sealed class VfsSyscallTests
{
    public static TheoryData<string> FileSystems => new() { "rumpfs", "tmpfs" };

    private static (VfsKernel k, string dir) Boot(string fs)
    {
        var k = new VfsKernel();
        if (fs == "tmpfs")
            return (k, k.MountTmpfs("/mnt"));
        AssertErrno.Ok(k.Sys.Mkdir("/work", 0x1ED));
        return (k, "/work");
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void Open_MissingFileWithoutCreat_ReturnsENOENT(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Is(Errno.ENOENT, k.Sys.Open(d + "/nope", OpenFlags.O_RDONLY, 0, out _));
        AssertErrno.Is(Errno.ENOENT, k.Sys.Open(d + "/nodir/file", OpenFlags.O_CREAT | OpenFlags.O_RDWR, 0x1A4, out _));
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void Open_CreatExclOnExistingName_ReturnsEEXIST(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Ok(k.Create(d + "/f", "x"));
        AssertErrno.Is(Errno.EEXIST, k.Sys.Open(d + "/f", OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_RDWR, 0x1A4, out _));
        AssertErrno.Ok(k.Sys.Open(d + "/f", OpenFlags.O_CREAT | OpenFlags.O_RDWR, 0x1A4, out var fd));
        AssertErrno.Ok(k.Sys.Close(fd));
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void Open_DirectoryForWriting_ReturnsEISDIR(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Is(Errno.EISDIR, k.Sys.Open(d, OpenFlags.O_WRONLY, 0, out _));
        AssertErrno.Is(Errno.EISDIR, k.Sys.Open(d, OpenFlags.O_RDWR, 0, out _));
        AssertErrno.Ok(k.Sys.Open(d, OpenFlags.O_RDONLY, 0, out var fd));
        AssertErrno.Is(Errno.EISDIR, k.Sys.Read(fd, new byte[16], out _));
        AssertErrno.Ok(k.Sys.Close(fd));
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void Open_ODirectoryOnRegularFile_ReturnsENOTDIR(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Ok(k.Create(d + "/f", "x"));
        AssertErrno.Is(Errno.ENOTDIR, k.Sys.Open(d + "/f", OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0, out _));
        AssertErrno.Is(Errno.ENOTDIR, k.Sys.Open(d + "/f/g", OpenFlags.O_RDONLY, 0, out _));
        AssertErrno.Is(Errno.ENOTDIR, k.Sys.Stat(d + "/f/", out _));
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void Open_NoFollowOnSymlink_ReturnsELOOP(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Ok(k.Create(d + "/target", "hello"));
        AssertErrno.Ok(k.Sys.Symlink("target", d + "/link"));
        AssertErrno.Is(Errno.ELOOP, k.Sys.Open(d + "/link", OpenFlags.O_RDONLY | OpenFlags.O_NOFOLLOW, 0, out _));
        Assert.Equal("hello", k.ReadAll(d + "/link"));
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void Open_Trunc_EmptiesTheFile(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Ok(k.Create(d + "/f", "0123456789"));
        AssertErrno.Ok(k.Sys.Open(d + "/f", OpenFlags.O_WRONLY | OpenFlags.O_TRUNC, 0, out var fd));
        AssertErrno.Ok(k.Sys.Close(fd));
        Assert.Equal(0, k.Stat(d + "/f").Size);
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void Write_OAppend_WritesAtTheEndWhateverTheOffset(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Ok(k.Create(d + "/log", "abc"));
        AssertErrno.Ok(k.Sys.Open(d + "/log", OpenFlags.O_WRONLY | OpenFlags.O_APPEND, 0, out var fd));
        AssertErrno.Ok(k.Sys.LSeek(fd, 0, PosixConst.SEEK_SET, out _));
        AssertErrno.Ok(k.Sys.Write(fd, "def"u8, out var n));
        Assert.Equal(3, n);
        AssertErrno.Ok(k.Sys.LSeek(fd, 0, PosixConst.SEEK_CUR, out var pos));
        Assert.Equal(6, pos);
        AssertErrno.Ok(k.Sys.Close(fd));
        Assert.Equal("abcdef", k.ReadAll(d + "/log"));
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void ReadWrite_WrongAccessModeOrClosedFd_ReturnsEBADF(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Ok(k.Create(d + "/f", "data"));
        AssertErrno.Ok(k.Sys.Open(d + "/f", OpenFlags.O_WRONLY, 0, out var wfd));
        AssertErrno.Is(Errno.EBADF, k.Sys.Read(wfd, new byte[4], out _));
        AssertErrno.Ok(k.Sys.Open(d + "/f", OpenFlags.O_RDONLY, 0, out var rfd));
        AssertErrno.Is(Errno.EBADF, k.Sys.Write(rfd, "x"u8, out _));
        AssertErrno.Ok(k.Sys.Close(wfd));
        AssertErrno.Is(Errno.EBADF, k.Sys.Close(wfd));
        AssertErrno.Is(Errno.EBADF, k.Sys.Read(wfd, new byte[4], out _));
        AssertErrno.Is(Errno.EBADF, k.Sys.Read(12345, new byte[4], out _));
        AssertErrno.Ok(k.Sys.Close(rfd));
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void Open_AccmodeThree_ReturnsEINVAL(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Is(Errno.EINVAL, k.Sys.Open(d, 3, 0, out _));
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void Mkdir_ExistingName_ReturnsEEXIST(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Ok(k.Sys.Mkdir(d + "/a", 0x1ED));
        AssertErrno.Is(Errno.EEXIST, k.Sys.Mkdir(d + "/a", 0x1ED));
        AssertErrno.Ok(k.Create(d + "/f", ""));
        AssertErrno.Is(Errno.EEXIST, k.Sys.Mkdir(d + "/f", 0x1ED));
        AssertErrno.Ok(k.Sys.Mkdir(d + "/b/", 0x1ED));
        Assert.True(FileMode.IsDir(k.Stat(d + "/b").Mode));
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void Rmdir_NonEmptyDirectory_ReturnsENOTEMPTY(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Ok(k.Sys.Mkdir(d + "/a", 0x1ED));
        AssertErrno.Ok(k.Create(d + "/a/f", "x"));
        AssertErrno.Is(Errno.ENOTEMPTY, k.Sys.Rmdir(d + "/a"));
        AssertErrno.Ok(k.Sys.Unlink(d + "/a/f"));
        AssertErrno.Ok(k.Sys.Rmdir(d + "/a"));
        AssertErrno.Is(Errno.ENOENT, k.Sys.Stat(d + "/a", out _));
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void RmdirUnlink_WrongType_ReturnENOTDIRAndEPERM(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Ok(k.Sys.Mkdir(d + "/a", 0x1ED));
        AssertErrno.Ok(k.Create(d + "/f", "x"));
        AssertErrno.Is(Errno.ENOTDIR, k.Sys.Rmdir(d + "/f"));
        AssertErrno.Is(Errno.EPERM, k.Sys.Unlink(d + "/a"));
        AssertErrno.Is(Errno.EINVAL, k.Sys.Rmdir(d + "/a/."));
        AssertErrno.Is(Errno.ENOENT, k.Sys.Unlink(d + "/missing"));
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void Unlink_OpenFile_StaysReadableUntilClosed(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Ok(k.Create(d + "/f", "still here"));
        AssertErrno.Ok(k.Sys.Open(d + "/f", OpenFlags.O_RDONLY, 0, out var fd));
        AssertErrno.Ok(k.Sys.Unlink(d + "/f"));
        AssertErrno.Is(Errno.ENOENT, k.Sys.Stat(d + "/f", out _));
        Assert.Equal("still here", Encoding.UTF8.GetString(k.ReadFd(fd)));
        AssertErrno.Ok(k.Sys.FStat(fd, out var st));
        Assert.Equal(0u, st.Nlink);
        AssertErrno.Ok(k.Sys.Close(fd));
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void Rename_Errors_FollowPosix(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Ok(k.Sys.Mkdir(d + "/dir", 0x1ED));
        AssertErrno.Ok(k.Sys.Mkdir(d + "/full", 0x1ED));
        AssertErrno.Ok(k.Create(d + "/full/x", "x"));
        AssertErrno.Ok(k.Create(d + "/file", "f"));
        AssertErrno.Is(Errno.ENOTEMPTY, k.Sys.Rename(d + "/dir", d + "/full"));
        AssertErrno.Is(Errno.ENOTDIR, k.Sys.Rename(d + "/dir", d + "/file"));
        AssertErrno.Is(Errno.EISDIR, k.Sys.Rename(d + "/file", d + "/dir"));
        AssertErrno.Is(Errno.EINVAL, k.Sys.Rename(d + "/full", d + "/full/sub"));
        AssertErrno.Is(Errno.ENOENT, k.Sys.Rename(d + "/missing", d + "/other"));
        AssertErrno.Ok(k.Sys.Rename(d + "/file", d + "/file")); // same file: no-op
        Assert.Equal("f", k.ReadAll(d + "/file"));
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void Rename_ReplacesTargetAndMovesDirectories(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Ok(k.Create(d + "/a", "new"));
        AssertErrno.Ok(k.Create(d + "/b", "old"));
        AssertErrno.Ok(k.Sys.Rename(d + "/a", d + "/b"));
        Assert.Equal("new", k.ReadAll(d + "/b"));
        AssertErrno.Is(Errno.ENOENT, k.Sys.Stat(d + "/a", out _));

        AssertErrno.Ok(k.Sys.Mkdir(d + "/p", 0x1ED));
        AssertErrno.Ok(k.Sys.Mkdir(d + "/q", 0x1ED));
        AssertErrno.Ok(k.Sys.Mkdir(d + "/p/child", 0x1ED));
        AssertErrno.Ok(k.Create(d + "/p/child/f", "deep"));
        var pLinks = k.Stat(d + "/p").Nlink;
        AssertErrno.Ok(k.Sys.Rename(d + "/p/child", d + "/q/moved"));
        Assert.Equal("deep", k.ReadAll(d + "/q/moved/f"));
        Assert.Equal("deep", k.ReadAll(d + "/q/moved/../moved/f"));
        Assert.Equal(pLinks - 1, k.Stat(d + "/p").Nlink);
        Assert.Equal(3u, k.Stat(d + "/q").Nlink);
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void Link_HardLinkSharesDataAndCountsLinks(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Ok(k.Create(d + "/f", "shared"));
        AssertErrno.Ok(k.Sys.Link(d + "/f", d + "/g"));
        Assert.Equal(2u, k.Stat(d + "/f").Nlink);
        Assert.Equal(k.Stat(d + "/f").Ino, k.Stat(d + "/g").Ino);
        AssertErrno.Is(Errno.EEXIST, k.Sys.Link(d + "/f", d + "/g"));
        AssertErrno.Ok(k.Sys.Mkdir(d + "/dir", 0x1ED));
        AssertErrno.Is(Errno.EPERM, k.Sys.Link(d + "/dir", d + "/dirlink"));
        AssertErrno.Ok(k.Sys.Unlink(d + "/f"));
        Assert.Equal("shared", k.ReadAll(d + "/g"));
        Assert.Equal(1u, k.Stat(d + "/g").Nlink);
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void Names_TooLong_ReturnENAMETOOLONG(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        var name255 = new string('n', 255);
        AssertErrno.Ok(k.Create(d + "/" + name255, "ok"));
        AssertErrno.Is(Errno.ENAMETOOLONG, k.Sys.Open(d + "/" + new string('n', 256), OpenFlags.O_CREAT | OpenFlags.O_RDWR, 0x1A4, out _));
        var longPath = d + string.Concat(System.Linq.Enumerable.Repeat("/abcdefghij", 110));
        AssertErrno.Is(Errno.ENAMETOOLONG, k.Sys.Stat(longPath, out _));
        AssertErrno.Is(Errno.ENOENT, k.Sys.Stat("", out _));
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void Truncate_ExtendsWithZeroesAndShrinks(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Ok(k.Create(d + "/f", "abcdef"));
        AssertErrno.Ok(k.Sys.Truncate(d + "/f", 3));
        Assert.Equal("abc", k.ReadAll(d + "/f"));
        AssertErrno.Ok(k.Sys.Truncate(d + "/f", 10000));
        var all = k.ReadAll(d + "/f");
        Assert.Equal(10000, all.Length);
        Assert.Equal("abc" + new string('\0', 9997), all);
        AssertErrno.Is(Errno.EINVAL, k.Sys.Truncate(d + "/f", -1));
        AssertErrno.Is(Errno.EISDIR, k.Sys.Truncate(d, 0));
        AssertErrno.Ok(k.Sys.Open(d + "/f", OpenFlags.O_RDONLY, 0, out var fd));
        AssertErrno.Is(Errno.EINVAL, k.Sys.FTruncate(fd, 0));
        AssertErrno.Ok(k.Sys.Close(fd));
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void Lseek_WhenceAndErrors(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Ok(k.Create(d + "/f", "0123456789"));
        AssertErrno.Ok(k.Sys.Open(d + "/f", OpenFlags.O_RDWR, 0, out var fd));
        AssertErrno.Ok(k.Sys.LSeek(fd, -3, PosixConst.SEEK_END, out var pos));
        Assert.Equal(7, pos);
        var buf = new byte[8];
        AssertErrno.Ok(k.Sys.Read(fd, buf, out var n));
        Assert.Equal("789", Encoding.ASCII.GetString(buf, 0, (int)n));
        AssertErrno.Is(Errno.EINVAL, k.Sys.LSeek(fd, -1, PosixConst.SEEK_SET, out _));
        AssertErrno.Is(Errno.EINVAL, k.Sys.LSeek(fd, 0, 7, out _));
        // A write past the end leaves a hole of zeroes.
        AssertErrno.Ok(k.Sys.LSeek(fd, 20, PosixConst.SEEK_SET, out _));
        AssertErrno.Ok(k.Sys.Write(fd, "X"u8, out _));
        Assert.Equal(21, k.Stat(d + "/f").Size);
        // pread/pwrite leave the offset alone.
        AssertErrno.Ok(k.Sys.PRead(fd, buf.AsSpan(0, 2), 2, out n));
        Assert.Equal("23", Encoding.ASCII.GetString(buf, 0, 2));
        AssertErrno.Ok(k.Sys.PWrite(fd, "ab"u8, 0, out _));
        AssertErrno.Ok(k.Sys.LSeek(fd, 0, PosixConst.SEEK_CUR, out pos));
        Assert.Equal(21, pos);
        AssertErrno.Is(Errno.EINVAL, k.Sys.PRead(fd, buf, -1, out _));
        AssertErrno.Ok(k.Sys.Close(fd));
        Assert.Equal("ab23456789" + new string('\0', 10) + "X", k.ReadAll(d + "/f"));
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void ReadvWritev_UseBothBuffersInOrder(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Ok(k.Sys.Open(d + "/v", OpenFlags.O_CREAT | OpenFlags.O_RDWR, 0x1A4, out var fd));
        AssertErrno.Ok(k.Sys.WriteV(fd, "hello, "u8, "world"u8, out var n));
        Assert.Equal(12, n);
        AssertErrno.Ok(k.Sys.LSeek(fd, 0, PosixConst.SEEK_SET, out _));
        var a = new byte[5];
        var b = new byte[20];
        AssertErrno.Ok(k.Sys.ReadV(fd, a, b, out n));
        Assert.Equal(12, n);
        Assert.Equal("hello", Encoding.ASCII.GetString(a));
        Assert.Equal(", world", Encoding.ASCII.GetString(b, 0, 7));
        AssertErrno.Ok(k.Sys.Close(fd));
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void DupDup2Fcntl_ShareTheOpenFile(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Ok(k.Create(d + "/f", "0123456789"));
        AssertErrno.Ok(k.Sys.Open(d + "/f", OpenFlags.O_RDWR, 0, out var fd));
        AssertErrno.Ok(k.Sys.Dup(fd, out var fd2));
        Assert.NotEqual(fd, fd2);
        AssertErrno.Ok(k.Sys.LSeek(fd, 4, PosixConst.SEEK_SET, out _));
        AssertErrno.Ok(k.Sys.LSeek(fd2, 0, PosixConst.SEEK_CUR, out var pos));
        Assert.Equal(4, pos); // one open file, one offset

        AssertErrno.Ok(k.Sys.Dup2(fd, 20));
        var buf = new byte[2];
        AssertErrno.Ok(k.Sys.Read(20, buf, out _));
        Assert.Equal("45", Encoding.ASCII.GetString(buf));
        AssertErrno.Is(Errno.EBADF, k.Sys.Dup(999, out _));

        AssertErrno.Ok(k.Sys.Fcntl(fd, PosixConst.F_GETFL, 0, out var fl));
        Assert.Equal(OpenFlags.O_RDWR, fl & OpenFlags.O_ACCMODE);
        Assert.Equal(0, fl & OpenFlags.O_APPEND);
        AssertErrno.Ok(k.Sys.Fcntl(fd, PosixConst.F_SETFL, OpenFlags.O_APPEND, out _));
        AssertErrno.Ok(k.Sys.Fcntl(fd2, PosixConst.F_GETFL, 0, out fl));
        Assert.Equal(OpenFlags.O_APPEND, fl & OpenFlags.O_APPEND);
        AssertErrno.Ok(k.Sys.Write(fd2, "Z"u8, out _));
        Assert.Equal("0123456789Z", k.ReadAll(d + "/f"));

        AssertErrno.Ok(k.Sys.Fcntl(fd, PosixConst.F_GETFD, 0, out var fdfl));
        Assert.Equal(0, fdfl);
        AssertErrno.Ok(k.Sys.Fcntl(fd, PosixConst.F_SETFD, PosixConst.FD_CLOEXEC, out _));
        AssertErrno.Ok(k.Sys.Fcntl(fd, PosixConst.F_GETFD, 0, out fdfl));
        Assert.Equal(PosixConst.FD_CLOEXEC, fdfl);
        AssertErrno.Ok(k.Sys.Fcntl(fd, PosixConst.F_DUPFD, 30, out var fd3));
        Assert.True(fd3 >= 30);
        AssertErrno.Is(Errno.EINVAL, k.Sys.Fcntl(fd, 9999, 0, out _));
        foreach (var f in new[] { fd, fd2, 20, fd3 })
            AssertErrno.Ok(k.Sys.Close(f));
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void GetDents_ListsEveryEntryOnceAcrossSmallBuffers(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        var expected = new System.Collections.Generic.List<string>();
        for (var i = 0; i < 100; i++)
        {
            var name = "file-" + i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture) + "-ünïcode";
            AssertErrno.Ok(k.Create(d + "/" + name, ""));
            expected.Add(name);
        }
        AssertErrno.Ok(k.Sys.Mkdir(d + "/sub", 0x1ED));
        expected.Add("sub");
        expected.Sort(StringComparer.Ordinal);
        Assert.Equal(expected, k.List(d));
        AssertErrno.Ok(k.Sys.Open(d + "/file-000-ünïcode", OpenFlags.O_RDONLY, 0, out var fd));
        AssertErrno.Is(Errno.ENOTDIR, k.Sys.GetDents(fd, new byte[512], out _));
        AssertErrno.Ok(k.Sys.Close(fd));
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void Stat_ReportsTypeSizeLinksAndTimes(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Ok(k.Create(d + "/f", "12345"));
        AssertErrno.Ok(k.Sys.Mkdir(d + "/sub", 0x1C0));
        AssertErrno.Ok(k.Sys.Symlink("f", d + "/l"));
        var f = k.Stat(d + "/f");
        Assert.True(FileMode.IsReg(f.Mode));
        Assert.Equal(5, f.Size);
        Assert.Equal(1u, f.Nlink);
        Assert.True(f.MtimeSec > 1_600_000_000);
        var sub = k.Stat(d + "/sub");
        Assert.True(FileMode.IsDir(sub.Mode));
        Assert.Equal(0x1C0, sub.Mode & 0xFFF);
        Assert.Equal(2u, sub.Nlink);
        AssertErrno.Ok(k.Sys.LStat(d + "/l", out var l));
        Assert.True(FileMode.IsLnk(l.Mode));
        Assert.Equal(1, l.Size);
        Assert.True(FileMode.IsReg(k.Stat(d + "/l").Mode));
        var buf = new byte[64];
        AssertErrno.Ok(k.Sys.ReadLink(d + "/l", buf, out var len));
        Assert.Equal("f", Encoding.UTF8.GetString(buf, 0, len));
        AssertErrno.Is(Errno.EINVAL, k.Sys.ReadLink(d + "/f", buf, out _));
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void ChmodChownUtimesAccess_ChangeAndCheckAttributes(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Ok(k.Create(d + "/f", "x"));
        AssertErrno.Ok(k.Sys.Chmod(d + "/f", 0x180));
        Assert.Equal(0x180, k.Stat(d + "/f").Mode & 0xFFF);
        AssertErrno.Ok(k.Sys.Chown(d + "/f", 1000, 100));
        var st = k.Stat(d + "/f");
        Assert.Equal(1000u, st.Uid);
        Assert.Equal(100u, st.Gid);
        AssertErrno.Ok(k.Sys.Chown(d + "/f", -1, 7));
        Assert.Equal(1000u, k.Stat(d + "/f").Uid);
        AssertErrno.Ok(k.Sys.Utimes(d + "/f", 1_000_000, 5, 2_000_000, 7));
        st = k.Stat(d + "/f");
        Assert.Equal(1_000_000, st.AtimeSec);
        Assert.Equal(2_000_000, st.MtimeSec);
        Assert.Equal(7, st.MtimeNsec);
        AssertErrno.Is(Errno.EINVAL, k.Sys.Utimes(d + "/f", 0, 2_000_000_000, 0, 0));
        AssertErrno.Ok(k.Sys.Access(d + "/f", PosixConst.F_OK));
        AssertErrno.Ok(k.Sys.Access(d + "/f", PosixConst.R_OK | PosixConst.W_OK));
        AssertErrno.Is(Errno.EACCES, k.Sys.Access(d + "/f", PosixConst.X_OK)); // root, but no x bit at all
        AssertErrno.Is(Errno.ENOENT, k.Sys.Access(d + "/none", PosixConst.F_OK));
        AssertErrno.Is(Errno.EINVAL, k.Sys.Access(d + "/f", 0x40));
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void Chdir_RelativePathsStartThere(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Ok(k.Sys.Mkdir(d + "/a", 0x1ED));
        AssertErrno.Ok(k.Create(d + "/a/f", "rel"));
        AssertErrno.Ok(k.Sys.Chdir(d + "/a"));
        Assert.Equal("rel", k.ReadAll("f"));
        Assert.Equal("rel", k.ReadAll("./../a/f"));
        AssertErrno.Is(Errno.ENOTDIR, k.Sys.Chdir("f"));
        AssertErrno.Ok(k.Sys.Chdir("/"));
    }

    [Theory, MemberData(nameof(FileSystems))]
    public void OpenAt_RelativeToADirectoryDescriptor(string fs)
    {
        var (k, d) = Boot(fs);
        using var kernel = k;
        AssertErrno.Ok(k.Sys.Mkdir(d + "/a", 0x1ED));
        AssertErrno.Ok(k.Create(d + "/a/f", "at"));
        AssertErrno.Ok(k.Sys.Open(d + "/a", OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0, out var dfd));
        AssertErrno.Ok(k.Sys.OpenAt(dfd, "f", OpenFlags.O_RDONLY, 0, out var fd));
        Assert.Equal("at", Encoding.UTF8.GetString(k.ReadFd(fd)));
        AssertErrno.Ok(k.Sys.Close(fd));
        AssertErrno.Ok(k.Sys.Open(d + "/a/f", OpenFlags.O_RDONLY, 0, out var ffd));
        AssertErrno.Is(Errno.ENOTDIR, k.Sys.OpenAt(ffd, "x", OpenFlags.O_RDONLY, 0, out _));
        AssertErrno.Is(Errno.EBADF, k.Sys.OpenAt(777, "x", OpenFlags.O_RDONLY, 0, out _));
        AssertErrno.Ok(k.Sys.OpenAt(OpenFlags.AT_FDCWD, d + "/a/f", OpenFlags.O_RDONLY, 0, out fd));
        foreach (var f in new[] { dfd, ffd, fd })
            AssertErrno.Ok(k.Sys.Close(f));
    }
}
