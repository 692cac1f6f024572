using System;
using Rump.Kern;
using static Rump.Kern.Errno;

namespace Rump.Vfs;

/// <summary>
/// The vfs system calls (vfs_syscalls.c, sys_generic.c, sys_descrip.c): every "vfs" line of
/// base/syscalls.master. POSIX errno semantics; NetBSD numbers.
/// </summary>
internal static partial class VfsSyscalls
{
    private const int O_ACCMODE = OpenFlags.O_ACCMODE;

    // ---------------------------------------------------------------- open, close, descriptors

    [Syscall("open")]
    internal static int sys_open(Lwp l, string path, int flags, int mode, out int fd)
        => OpenCommon(l, null, path, flags, mode, out fd);

    [Syscall("openat")]
    internal static int sys_openat(Lwp l, int dirfd, string path, int flags, int mode, out int fd)
    {
        fd = -1;
        if (dirfd == OpenFlags.AT_FDCWD || (path is { Length: > 0 } && path[0] == '/'))
            return OpenCommon(l, null, path, flags, mode, out fd);
        var error = GetVnodeFile(l, dirfd, out var dfp, out var kfp);
        if (error != 0)
            return error;
        try
        {
            if (dfp!.Vp.Type != VType.VDIR)
                return ENOTDIR;
            return OpenCommon(l, dfp.Vp, path, flags, mode, out fd);
        }
        finally
        {
            kfp!.Release(l);
        }
    }

    /// <summary>vn_open + fd_alloc.</summary>
    private static int OpenCommon(Lwp l, Vnode? startDir, string path, int flags, int mode, out int fd)
    {
        fd = -1;
        if ((flags & O_ACCMODE) == O_ACCMODE)
            return EINVAL;
        var error = VnOpen(l, startDir, path, flags, mode, out var vp, out var fmode);
        if (error != 0)
            return error;
        var fp = new VnodeFile(vp!, fmode | (flags & (OpenFlags.O_APPEND | OpenFlags.O_NONBLOCK | OpenFlags.O_DSYNC)));
        error = l.Proc.Fd.Alloc(fp, out fd);
        if (error != 0)
        {
            fp.Release(l);
            fd = -1;
            return error;
        }
        if ((flags & OpenFlags.O_CLOEXEC) != 0)
            l.Proc.Fd.SetFlags(fd, FileDesc.FD_CLOEXEC);
        return 0;
    }

    /// <summary>vn_open: looks up or creates, checks, truncates and opens; returns the vnode referenced.</summary>
    internal static int VnOpen(Lwp l, Vnode? startDir, string path, int flags, int mode, out Vnode? result, out int fmode)
    {
        result = null;
        fmode = (flags & O_ACCMODE) + 1; // FREAD/FWRITE
        var cred = l.Proc.Cred;
        var created = false;
        Vnode vp;
        int error;
        if ((flags & OpenFlags.O_CREAT) != 0)
        {
            var follow = (flags & (OpenFlags.O_EXCL | OpenFlags.O_NOFOLLOW)) == 0 ? Namei.FOLLOW : 0;
            error = Namei.Lookup(l, path, NameiOp.Create, follow, out var nd, startDir);
            if (error != 0)
                return error;
            if (nd.Vp is null)
            {
                var dvp = nd.Dvp!;
                if ((nd.Cn!.Flags & ComponentName.REQUIREDIR) != 0)
                {
                    nd.Release();
                    return EISDIR;
                }
                error = CheckDirWrite(dvp, cred);
                if (error != 0)
                {
                    nd.Release();
                    return error;
                }
                var va = NewAttr(VType.VREG, mode, cred, dvp);
                dvp.Lock();
                error = dvp.Op.Create(dvp, nd.Cn!, va, out var nvp);
                dvp.Unlock();
                nd.Release();
                if (error != 0)
                    return error;
                vp = nvp!;
                created = true;
            }
            else
            {
                if (nd.Dvp is not null)
                    VCache.Rele(nd.Dvp);
                vp = nd.Vp;
                if ((flags & OpenFlags.O_EXCL) != 0)
                {
                    VCache.Rele(vp);
                    return EEXIST;
                }
            }
        }
        else
        {
            var follow = (flags & OpenFlags.O_NOFOLLOW) == 0 ? Namei.FOLLOW : 0;
            error = Namei.Lookup(l, path, NameiOp.Lookup, follow, out var nd, startDir);
            if (error != 0)
                return error;
            vp = nd.Vp!;
        }

        error = OpenChecks(l, vp, flags, fmode, created);
        if (error != 0)
        {
            VCache.Rele(vp);
            return error;
        }
        result = vp;
        return 0;
    }

    private static int OpenChecks(Lwp l, Vnode vp, int flags, int fmode, bool created)
    {
        var cred = l.Proc.Cred;
        if (vp.Type == VType.VLNK)
            return ELOOP; // O_NOFOLLOW met a symbolic link (POSIX; NetBSD says EFTYPE)
        if ((flags & OpenFlags.O_DIRECTORY) != 0 && vp.Type != VType.VDIR)
            return ENOTDIR;
        if (vp.Type is VType.VSOCK or VType.VFIFO)
            return EOPNOTSUPP;
        var wantsWrite = (fmode & Vn.FWRITE) != 0;
        if (vp.Type == VType.VDIR && wantsWrite)
            return EISDIR;
        if (!created)
        {
            var acc = 0;
            if ((fmode & Vn.FREAD) != 0) acc |= Vn.VREAD;
            if (wantsWrite || (flags & OpenFlags.O_TRUNC) != 0) acc |= Vn.VWRITE;
            if ((wantsWrite || (flags & OpenFlags.O_TRUNC) != 0) && vp.Mount.IsReadOnly && vp.Type is VType.VREG or VType.VDIR or VType.VLNK)
                return EROFS;
            if (acc != 0)
            {
                vp.Lock();
                var e = vp.Op.Access(vp, acc, cred);
                vp.Unlock();
                if (e != 0)
                    return e;
            }
        }
        int error;
        if (vp.Type is VType.VBLK or VType.VCHR)
            return Specfs.Open(vp, fmode);
        vp.Lock();
        try
        {
            if ((flags & OpenFlags.O_TRUNC) != 0 && wantsWrite && vp.Type == VType.VREG && !created)
            {
                var va = new Vattr { Size = 0 };
                error = vp.Op.SetAttr(vp, va, cred);
                if (error != 0)
                    return error;
            }
            return vp.Op.Open(vp, fmode, cred);
        }
        finally
        {
            vp.Unlock();
        }
    }

    [Syscall("close")]
    internal static int sys_close(Lwp l, int fd) => l.Proc.Fd.Close(l, fd);

    [Syscall("dup")]
    internal static int sys_dup(Lwp l, int fd, out int newfd) => l.Proc.Fd.Dup(fd, out newfd);

    [Syscall("dup2")]
    internal static int sys_dup2(Lwp l, int fd, int newfd) => l.Proc.Fd.Dup2(fd, newfd);

    [Syscall("fcntl")]
    internal static int sys_fcntl(Lwp l, int fd, int cmd, int arg, out int result)
    {
        result = 0;
        var fdt = l.Proc.Fd;
        switch (cmd)
        {
            case PosixConst.F_DUPFD:
                if (arg < 0)
                    return EINVAL;
                return fdt.DupFrom(fd, arg, out result);
            case PosixConst.F_GETFD:
                return fdt.GetFlags(fd, out result);
            case PosixConst.F_SETFD:
                return fdt.SetFlags(fd, arg & PosixConst.FD_CLOEXEC);
            case PosixConst.F_GETFL:
            case PosixConst.F_SETFL:
            {
                var error = fdt.Get(fd, out var fp);
                if (error != 0)
                    return error;
                fp!.OffsetLock.Enter();
                if (cmd == PosixConst.F_GETFL)
                {
                    result = ((fp.Flags & (KFile.FREAD | KFile.FWRITE)) - 1) | (fp.Flags & ~(KFile.FREAD | KFile.FWRITE) & (OpenFlags.O_APPEND | OpenFlags.O_NONBLOCK | OpenFlags.O_DSYNC));
                }
                else
                {
                    const int settable = OpenFlags.O_APPEND | OpenFlags.O_NONBLOCK | OpenFlags.O_DSYNC;
                    fp.Flags = (fp.Flags & ~settable) | (arg & settable);
                }
                fp.OffsetLock.Exit();
                fp.Release(l);
                return 0;
            }
            default:
                return EINVAL;
        }
    }

    // ---------------------------------------------------------------- read and write

    [Syscall("read")]
    internal static int sys_read(Lwp l, int fd, Span<byte> buffer, out long nread)
    {
        nread = 0;
        var error = l.Proc.Fd.Get(fd, out var fp);
        if (error != 0)
            return error;
        fp!.OffsetLock.Enter();
        try
        {
            error = fp.Read(l, buffer, fp.Offset, out var n);
            fp.Offset += n;
            nread = n;
            return n > 0 ? 0 : error;
        }
        finally
        {
            fp.OffsetLock.Exit();
            fp.Release(l);
        }
    }

    [Syscall("write")]
    internal static int sys_write(Lwp l, int fd, ReadOnlySpan<byte> buffer, out long nwritten)
    {
        nwritten = 0;
        var error = l.Proc.Fd.Get(fd, out var fp);
        if (error != 0)
            return error;
        fp!.OffsetLock.Enter();
        try
        {
            error = WriteAdvance(l, fp, buffer, out var n);
            nwritten = n;
            return n > 0 ? 0 : error;
        }
        finally
        {
            fp.OffsetLock.Exit();
            fp.Release(l);
        }
    }

    // Called with fp.OffsetLock held: writes at the offset (or the end, O_APPEND) and moves the offset.
    private static int WriteAdvance(Lwp l, KFile fp, ReadOnlySpan<byte> buffer, out int n)
    {
        if (fp is VnodeFile vf)
        {
            var off = fp.Offset;
            var error = vf.WriteAt(l, buffer, ref off, (fp.Flags & OpenFlags.O_APPEND) != 0, out n);
            if (n > 0 || error == 0)
                fp.Offset = off;
            return error;
        }
        var e = fp.Write(l, buffer, fp.Offset, out n);
        fp.Offset += n;
        return e;
    }

    [Syscall("readv")]
    internal static int sys_readv(Lwp l, int fd, Span<byte> buffer0, Span<byte> buffer1, out long nread)
    {
        nread = 0;
        var error = l.Proc.Fd.Get(fd, out var fp);
        if (error != 0)
            return error;
        fp!.OffsetLock.Enter();
        try
        {
            error = fp.Read(l, buffer0, fp.Offset, out var n0);
            fp.Offset += n0;
            nread = n0;
            if (error != 0)
                return n0 > 0 ? 0 : error;
            if (n0 < buffer0.Length || buffer1.Length == 0)
                return 0;
            error = fp.Read(l, buffer1, fp.Offset, out var n1);
            fp.Offset += n1;
            nread += n1;
            return nread > 0 ? 0 : error;
        }
        finally
        {
            fp.OffsetLock.Exit();
            fp.Release(l);
        }
    }

    [Syscall("writev")]
    internal static int sys_writev(Lwp l, int fd, ReadOnlySpan<byte> buffer0, ReadOnlySpan<byte> buffer1, out long nwritten)
    {
        nwritten = 0;
        var error = l.Proc.Fd.Get(fd, out var fp);
        if (error != 0)
            return error;
        fp!.OffsetLock.Enter();
        try
        {
            error = WriteAdvance(l, fp, buffer0, out var n0);
            nwritten = n0;
            if (error != 0)
                return n0 > 0 ? 0 : error;
            if (n0 < buffer0.Length || buffer1.Length == 0)
                return 0;
            error = WriteAdvance(l, fp, buffer1, out var n1);
            nwritten += n1;
            return nwritten > 0 ? 0 : error;
        }
        finally
        {
            fp.OffsetLock.Exit();
            fp.Release(l);
        }
    }

    [Syscall("pread")]
    internal static int sys_pread(Lwp l, int fd, Span<byte> buffer, long offset, out long nread)
    {
        nread = 0;
        var error = l.Proc.Fd.Get(fd, out var fp);
        if (error != 0)
            return error;
        try
        {
            if (fp is VnodeFile { Vp.Type: VType.VCHR })
                return ESPIPE;
            if (offset < 0)
                return EINVAL;
            error = fp!.Read(l, buffer, offset, out var n);
            nread = n;
            return n > 0 ? 0 : error;
        }
        finally
        {
            fp!.Release(l);
        }
    }

    [Syscall("pwrite")]
    internal static int sys_pwrite(Lwp l, int fd, ReadOnlySpan<byte> buffer, long offset, out long nwritten)
    {
        nwritten = 0;
        var error = l.Proc.Fd.Get(fd, out var fp);
        if (error != 0)
            return error;
        try
        {
            if (fp is VnodeFile { Vp.Type: VType.VCHR })
                return ESPIPE;
            if (offset < 0)
                return EINVAL;
            error = fp!.Write(l, buffer, offset, out var n);
            nwritten = n;
            return n > 0 ? 0 : error;
        }
        finally
        {
            fp!.Release(l);
        }
    }

    [Syscall("lseek")]
    internal static int sys_lseek(Lwp l, int fd, long offset, int whence, out long position)
    {
        position = -1;
        var error = l.Proc.Fd.Get(fd, out var fp);
        if (error != 0)
            return error;
        fp!.OffsetLock.Enter();
        try
        {
            error = fp.Seek(l, offset, whence, fp.Offset, out var pos);
            if (error != 0)
                return error;
            fp.Offset = pos;
            position = pos;
            return 0;
        }
        finally
        {
            fp.OffsetLock.Exit();
            fp.Release(l);
        }
    }

    [Syscall("getdents")]
    internal static int sys_getdents(Lwp l, int fd, Span<byte> buffer, out int nread)
    {
        nread = 0;
        var error = l.Proc.Fd.Get(fd, out var fp);
        if (error != 0)
            return error;
        fp!.OffsetLock.Enter();
        try
        {
            var cookie = fp.Offset;
            error = fp.GetDents(l, buffer, ref cookie, out nread);
            if (error == 0)
                fp.Offset = cookie;
            return error;
        }
        finally
        {
            fp.OffsetLock.Exit();
            fp.Release(l);
        }
    }

    [Syscall("fsync")]
    internal static int sys_fsync(Lwp l, int fd)
    {
        var error = l.Proc.Fd.Get(fd, out var fp);
        if (error != 0)
            return error;
        error = fp!.Fsync(l);
        fp.Release(l);
        return error;
    }

    [Syscall("ftruncate")]
    internal static int sys_ftruncate(Lwp l, int fd, long length)
    {
        var error = l.Proc.Fd.Get(fd, out var fp);
        if (error != 0)
            return error;
        error = length < 0 ? EINVAL : fp!.Truncate(l, length);
        fp!.Release(l);
        return error;
    }

    [Syscall("fstat")]
    internal static int sys_fstat(Lwp l, int fd, out RumpStat stat)
    {
        stat = default;
        var error = l.Proc.Fd.Get(fd, out var fp);
        if (error != 0)
            return error;
        error = fp!.Stat(l, out stat);
        fp.Release(l);
        return error;
    }

    [Syscall("fstatvfs")]
    internal static int sys_fstatvfs(Lwp l, int fd, out RumpStatVfs stat)
    {
        stat = default;
        var error = l.Proc.Fd.Get(fd, out var fp);
        if (error != 0)
            return error;
        error = fp!.StatVfs(l, out stat);
        fp.Release(l);
        return error;
    }

    [Syscall("sync")]
    internal static int sys_sync(Lwp l)
    {
        Vfs.SyncAll(wait: true, l.Proc.Cred);
        return 0; // sync(2) does not fail
    }

    // ---------------------------------------------------------------- helpers

    private static int GetVnodeFile(Lwp l, int fd, out VnodeFile? vf, out KFile? fp)
    {
        vf = null;
        var error = l.Proc.Fd.Get(fd, out fp);
        if (error != 0)
            return error;
        if (fp is not VnodeFile v)
        {
            fp!.Release(l);
            fp = null;
            return ENOTDIR;
        }
        vf = v;
        return 0;
    }

    /// <summary>Attributes of a new node: type, mode bits, owner = caller, group = the directory's.</summary>
    internal static Vattr NewAttr(VType type, int mode, Cred cred, Vnode dvp)
    {
        var va = new Vattr { Type = type, Mode = mode & 0xFFF, Uid = cred.Uid };
        var dva = new Vattr();
        dvp.Lock();
        var error = dvp.Op.GetAttr(dvp, dva, cred);
        dvp.Unlock();
        va.Gid = error == 0 && dva.Gid != Vattr.VNOVAL ? dva.Gid : cred.Gid;
        return va;
    }

    /// <summary>May the caller add or remove names in dvp: EROFS, EACCES.</summary>
    internal static int CheckDirWrite(Vnode dvp, Cred cred)
    {
        if (dvp.Mount.IsReadOnly)
            return EROFS;
        dvp.Lock();
        var error = dvp.Op.Access(dvp, Vn.VWRITE | Vn.VEXEC, cred);
        dvp.Unlock();
        return error;
    }

    /// <summary>stat(2) of a vnode.</summary>
    internal static int StatVnode(Vnode vp, Cred cred, out RumpStat st)
    {
        st = default;
        var va = new Vattr();
        vp.Lock();
        var error = vp.Op.GetAttr(vp, va, cred);
        vp.Unlock();
        if (error != 0)
            return error;
        st.Dev = (ulong)vp.Mount.FsId;
        st.Ino = (ulong)va.FileId;
        st.Mode = Vn.TypeToIfmt(va.Type == VType.VNON ? vp.Type : va.Type) | (int)(va.Mode & 0xFFF);
        st.Nlink = (uint)va.Nlink;
        st.Uid = (uint)va.Uid;
        st.Gid = (uint)va.Gid;
        st.Rdev = vp.Type is VType.VBLK or VType.VCHR ? MakeDev(vp.Rdev) : 0;
        st.Size = va.Size;
        st.Blocks = va.Bytes == Vattr.VNOVAL ? (va.Size + 511) / 512 : (va.Bytes + 511) / 512;
        st.BlkSize = (int)(va.BlockSize == Vattr.VNOVAL ? 4096 : va.BlockSize);
        st.Flags = va.Flags == Vattr.VNOVAL ? 0 : (uint)va.Flags;
        st.AtimeSec = va.AtimeSec; st.AtimeNsec = va.AtimeNsec;
        st.MtimeSec = va.MtimeSec; st.MtimeNsec = va.MtimeNsec;
        st.CtimeSec = va.CtimeSec; st.CtimeNsec = va.CtimeNsec;
        st.BirthtimeSec = va.BirthtimeSec == Vattr.VNOVAL ? va.CtimeSec : va.BirthtimeSec;
        st.BirthtimeNsec = va.BirthtimeNsec == Vattr.VNOVAL ? va.CtimeNsec : va.BirthtimeNsec;
        return 0;
    }

    /// <summary>NetBSD makedev(major, minor).</summary>
    internal static ulong MakeDev(DevT dev)
        => (ulong)((((uint)dev.Major << 8) & 0x000fff00u) | ((uint)dev.Minor & 0x000000ffu) | (((uint)dev.Minor << 12) & 0xfff00000u));
}
