using System;
using System.Text;
using Rump;

namespace Rump.Fs.Tests;

/// <summary>namei (., .., symbolic links and their limits) and mounts (inside mounts, busy, read-only).</summary>
public sealed class VfsNameiMountTests
{
    [Fact]
    public void Namei_DotDotAtMountRoot_LeavesTheMount()
    {
        using var k = new VfsKernel();
        AssertErrno.Ok(k.Sys.Mkdir("/top", 0x1ED));
        AssertErrno.Ok(k.Create("/top/marker", "rumpfs"));
        k.MountTmpfs("/top/m");
        AssertErrno.Ok(k.Create("/top/m/inside", "tmpfs"));
        Assert.Equal("rumpfs", k.ReadAll("/top/m/../marker"));
        Assert.Equal("tmpfs", k.ReadAll("/top/m/./inside"));
        Assert.Equal("rumpfs", k.ReadAll("/top/m/../m/../marker"));
        AssertErrno.Ok(k.Sys.Chdir("/top/m"));
        Assert.Equal("rumpfs", k.ReadAll("../marker"));
        // ".." of "/" is "/".
        Assert.Equal("rumpfs", k.ReadAll("/../../top/marker"));
    }

    [Fact]
    public void Mount_InsideAMount_BothVisibleAndUnmountOrderEnforced()
    {
        using var k = new VfsKernel();
        k.MountTmpfs("/outer");
        AssertErrno.Ok(k.Sys.Mkdir("/outer/inner", 0x1ED));
        AssertErrno.Ok(k.Create("/outer/inner/hidden", "covered"));
        k.MountTmpfs("/outer/inner");
        AssertErrno.Is(Errno.ENOENT, k.Sys.Stat("/outer/inner/hidden", out _)); // covered by the new mount
        AssertErrno.Ok(k.Create("/outer/inner/new", "on inner"));
        Assert.NotEqual(k.Stat("/outer").Dev, k.Stat("/outer/inner").Dev);

        AssertErrno.Is(Errno.EBUSY, k.Sys.Unmount("/outer", 0));    // a mount inside it
        AssertErrno.Is(Errno.EXDEV, k.Sys.Rename("/outer/inner/new", "/outer/moved"));
        AssertErrno.Is(Errno.EXDEV, k.Sys.Link("/outer/inner/new", "/outer/linked"));
        AssertErrno.Ok(k.Sys.Unmount("/outer/inner", 0));
        Assert.Equal("covered", k.ReadAll("/outer/inner/hidden"));  // visible again
        AssertErrno.Ok(k.Sys.Unmount("/outer", 0));
        Assert.Empty(k.List("/outer"));
    }

    [Fact]
    public void Unmount_WhileAFileIsOpenOrItIsTheCwd_ReturnsEBUSY()
    {
        using var k = new VfsKernel();
        k.MountTmpfs("/m");
        AssertErrno.Ok(k.Create("/m/f", "x"));
        AssertErrno.Ok(k.Sys.Open("/m/f", OpenFlags.O_RDONLY, 0, out var fd));
        AssertErrno.Is(Errno.EBUSY, k.Sys.Unmount("/m", 0));
        AssertErrno.Ok(k.Sys.Close(fd));
        AssertErrno.Ok(k.Sys.Chdir("/m"));
        AssertErrno.Is(Errno.EBUSY, k.Sys.Unmount("/m", 0));
        AssertErrno.Ok(k.Sys.Chdir("/"));
        AssertErrno.Ok(k.Sys.Unmount("/m", 0));
        AssertErrno.Is(Errno.ENOENT, k.Sys.Stat("/m/f", out _));
    }

    [Fact]
    public void Unmount_NotAMountPointOrRoot_ReturnsEINVALOrEBUSY()
    {
        using var k = new VfsKernel();
        AssertErrno.Ok(k.Sys.Mkdir("/plain", 0x1ED));
        AssertErrno.Is(Errno.EINVAL, k.Sys.Unmount("/plain", 0));
        AssertErrno.Is(Errno.EBUSY, k.Sys.Unmount("/", 0));
        AssertErrno.Is(Errno.ENOENT, k.Sys.Unmount("/absent", 0));
    }

    [Fact]
    public void Mount_Errors_UnknownTypeNotADirectoryNotRoot()
    {
        using var k = new VfsKernel();
        AssertErrno.Ok(k.Sys.Mkdir("/m", 0x1ED));
        AssertErrno.Is(Errno.ENODEV, k.Sys.Mount("nosuchfs", "/m", 0, "", ""));
        AssertErrno.Ok(k.Create("/file", ""));
        AssertErrno.Is(Errno.ENOTDIR, k.Sys.Mount("tmpfs", "/file", 0, "tmpfs", ""));
        AssertErrno.Is(Errno.ENOENT, k.Sys.Mount("tmpfs", "/nope", 0, "tmpfs", ""));
        AssertErrno.Is(Errno.EINVAL, k.Sys.Mount("", "/m", 0, "", ""));
    }

    [Fact]
    public void Mount_OnAMountPoint_StacksAndUnmountUncovers()
    {
        // As in NetBSD: namei crosses into the mounted file system, so a second mount covers its root.
        using var k = new VfsKernel();
        k.MountTmpfs("/m");
        AssertErrno.Ok(k.Create("/m/first", "1"));
        AssertErrno.Ok(k.Sys.Mount("tmpfs", "/m", 0, "tmpfs", ""));
        Assert.Empty(k.List("/m"));
        AssertErrno.Ok(k.Sys.Unmount("/m", 0));
        Assert.Equal("1", k.ReadAll("/m/first"));
        AssertErrno.Ok(k.Sys.Unmount("/m", 0));
        AssertErrno.Is(Errno.EINVAL, k.Sys.Unmount("/m", 0));
    }

    [Fact]
    public void Mount_ReadOnly_EveryChangeReturnsEROFS()
    {
        using var k = new VfsKernel();
        k.MountTmpfs("/ro", flags: PosixConst.MNT_RDONLY);
        AssertErrno.Is(Errno.EROFS, k.Sys.Open("/ro/f", OpenFlags.O_CREAT | OpenFlags.O_RDWR, 0x1A4, out _));
        AssertErrno.Is(Errno.EROFS, k.Sys.Mkdir("/ro/d", 0x1ED));
        AssertErrno.Is(Errno.EROFS, k.Sys.Symlink("x", "/ro/l"));
        AssertErrno.Is(Errno.EROFS, k.Sys.Chmod("/ro", 0x1FF));
        AssertErrno.Is(Errno.EROFS, k.Sys.Access("/ro", PosixConst.W_OK));
        AssertErrno.Ok(k.Sys.Access("/ro", PosixConst.R_OK));
        AssertErrno.Ok(k.Sys.StatVfs("/ro", out var sv));
        Assert.Equal((ulong)PosixConst.MNT_RDONLY, sv.Flag & (ulong)PosixConst.MNT_RDONLY);
        Assert.Equal("tmpfs", sv.FsTypeName);
        Assert.Equal("/ro", sv.MntOnName);
    }

    [Fact]
    public void Symlinks_RelativeAbsoluteAndChained_Resolve()
    {
        using var k = new VfsKernel();
        AssertErrno.Ok(k.Sys.Mkdir("/a", 0x1ED));
        AssertErrno.Ok(k.Sys.Mkdir("/a/b", 0x1ED));
        AssertErrno.Ok(k.Create("/a/b/file", "found"));
        AssertErrno.Ok(k.Sys.Symlink("b", "/a/rel"));
        AssertErrno.Ok(k.Sys.Symlink("/a/b/file", "/abs"));
        AssertErrno.Ok(k.Sys.Symlink("../rel/file", "/a/b/up"));
        AssertErrno.Ok(k.Sys.Symlink("/abs", "/chain"));
        Assert.Equal("found", k.ReadAll("/a/rel/file"));
        Assert.Equal("found", k.ReadAll("/abs"));
        Assert.Equal("found", k.ReadAll("/a/b/up"));
        Assert.Equal("found", k.ReadAll("/chain"));
        // A trailing slash follows a link to a directory.
        Assert.True(FileMode.IsDir(k.Stat("/a/rel/").Mode));
        AssertErrno.Ok(k.Sys.LStat("/a/rel", out var st));
        Assert.True(FileMode.IsLnk(st.Mode));
        // Dangling link: lstat works, stat does not; O_CREAT through it creates the target.
        AssertErrno.Ok(k.Sys.Symlink("/a/missing", "/dangling"));
        AssertErrno.Is(Errno.ENOENT, k.Sys.Stat("/dangling", out _));
        AssertErrno.Ok(k.Sys.LStat("/dangling", out _));
        AssertErrno.Ok(k.Create("/dangling", "made"));
        Assert.Equal("made", k.ReadAll("/a/missing"));
        // Unlink removes the link, not the target.
        AssertErrno.Ok(k.Sys.Unlink("/abs"));
        Assert.Equal("found", k.ReadAll("/a/b/file"));
    }

    [Fact]
    public void Symlinks_LoopOrChainPastTheLimit_ReturnELOOP()
    {
        using var k = new VfsKernel();
        AssertErrno.Ok(k.Sys.Symlink("/loop2", "/loop1"));
        AssertErrno.Ok(k.Sys.Symlink("/loop1", "/loop2"));
        AssertErrno.Is(Errno.ELOOP, k.Sys.Stat("/loop1", out _));
        AssertErrno.Is(Errno.ELOOP, k.Sys.Open("/loop1/x", OpenFlags.O_RDONLY, 0, out _));
        AssertErrno.Ok(k.Sys.Symlink("self", "/self"));
        AssertErrno.Is(Errno.ELOOP, k.Sys.Stat("/self", out _));

        // 32 links in a chain resolve (MAXSYMLINKS), 33 do not.
        AssertErrno.Ok(k.Create("/end", "end"));
        AssertErrno.Ok(k.Sys.Symlink("/end", "/c0"));
        for (var i = 1; i <= 32; i++)
            AssertErrno.Ok(k.Sys.Symlink("/c" + (i - 1), "/c" + i));
        Assert.Equal("end", k.ReadAll("/c31"));
        AssertErrno.Is(Errno.ELOOP, k.Sys.Stat("/c32", out _));
    }

    [Fact]
    public void Namei_EmptyComponentsAndDots_AreHarmless()
    {
        using var k = new VfsKernel();
        AssertErrno.Ok(k.Sys.Mkdir("/d", 0x1ED));
        AssertErrno.Ok(k.Create("/d/f", "ok"));
        Assert.Equal("ok", k.ReadAll("//d///./f"));
        Assert.Equal("ok", k.ReadAll("/d/./../d/f"));
        AssertErrno.Is(Errno.EEXIST, k.Sys.Mkdir("/", 0x1ED));
        AssertErrno.Is(Errno.EEXIST, k.Sys.Mkdir("/d/.", 0x1ED));
        AssertErrno.Is(Errno.EBUSY, k.Sys.Rmdir("/"));
    }

    [Fact]
    public void Dev_ListsTheDeviceSwitchNodes()
    {
        using var k = new VfsKernel();
        var names = k.List("/dev");
        Assert.Contains("null", names);
        Assert.Contains("zero", names);
        var st = k.Stat("/dev/zero");
        Assert.Equal(FileMode.S_IFCHR, st.Mode & FileMode.S_IFMT);
        AssertErrno.Ok(k.Sys.Open("/dev/zero", OpenFlags.O_RDONLY, 0, out var fd));
        var buf = new byte[100];
        Array.Fill(buf, (byte)7);
        AssertErrno.Ok(k.Sys.Read(fd, buf, out var n));
        Assert.Equal(100, n);
        Assert.All(buf, b => Assert.Equal(0, b));
        AssertErrno.Ok(k.Sys.Close(fd));
        AssertErrno.Ok(k.Sys.Open("/dev/null", OpenFlags.O_WRONLY, 0, out fd));
        AssertErrno.Ok(k.Sys.Write(fd, new byte[1000], out n));
        Assert.Equal(1000, n);
        AssertErrno.Ok(k.Sys.Close(fd));
    }
}
