using System;
using Rump.Kern;
using static Rump.Kern.Errno;

namespace Rump.Vfs;

/// <summary>The path system calls: names, attributes, mounts.</summary>
internal static partial class VfsSyscalls
{
    [Syscall("mkdir")]
    internal static int sys_mkdir(Lwp l, string path, int mode)
        => CreateNode(l, path, VType.VDIR, mode, null);

    [Syscall("symlink")]
    internal static int sys_symlink(Lwp l, string target, string link)
    {
        if (target is null)
            return EINVAL;
        if (Vn.Utf8Length(target) >= ComponentName.PATH_MAX)
            return ENAMETOOLONG;
        return CreateNode(l, link, VType.VLNK, 0x1FF, target);
    }

    private static int CreateNode(Lwp l, string path, VType type, int mode, string? target)
    {
        var cred = l.Proc.Cred;
        var error = Namei.Lookup(l, path, NameiOp.Create, 0, out var nd);
        if (error != 0)
            return error;
        try
        {
            if (nd.Vp is not null)
                return EEXIST;
            var dvp = nd.Dvp!;
            if (type != VType.VDIR && (nd.Cn!.Flags & ComponentName.REQUIREDIR) != 0)
                return ENOENT;
            error = CheckDirWrite(dvp, cred);
            if (error != 0)
                return error;
            var va = NewAttr(type, mode, cred, dvp);
            Vnode? vp;
            dvp.Lock();
            error = type == VType.VDIR
                ? dvp.Op.Mkdir(dvp, nd.Cn!, va, out vp)
                : dvp.Op.Symlink(dvp, nd.Cn!, va, target!, out vp);
            dvp.Unlock();
            if (vp is not null)
                VCache.Rele(vp);
            return error;
        }
        finally
        {
            nd.Release();
        }
    }

    [Syscall("unlink")]
    internal static int sys_unlink(Lwp l, string path) => RemoveNode(l, path, dir: false);

    [Syscall("rmdir")]
    internal static int sys_rmdir(Lwp l, string path) => RemoveNode(l, path, dir: true);

    private static int RemoveNode(Lwp l, string path, bool dir)
    {
        var cred = l.Proc.Cred;
        var error = Namei.Lookup(l, path, NameiOp.Delete, 0, out var nd);
        if (error != 0)
            return error;
        try
        {
            var vp = nd.Vp!;
            var dvp = nd.Dvp!;
            if (dir && vp.Type != VType.VDIR)
                return ENOTDIR;
            if (!dir && vp.Type == VType.VDIR)
                return EPERM;
            if (vp.IsRoot || ReferenceEquals(vp, dvp))
                return EBUSY;
            error = CheckDirWrite(dvp, cred);
            if (error != 0)
                return error;
            error = CheckSticky(dvp, vp, cred);
            if (error != 0)
                return error;
            Vn.LockMany(dvp, vp);
            error = dir ? dvp.Op.Rmdir(dvp, vp, nd.Cn!) : dvp.Op.Remove(dvp, vp, nd.Cn!);
            Vn.UnlockMany(dvp, vp);
            return error;
        }
        finally
        {
            nd.Release();
        }
    }

    // In a sticky directory only the owner of the file or of the directory (or root) removes or renames.
    private static int CheckSticky(Vnode dvp, Vnode vp, Cred cred)
    {
        if (cred.IsRoot)
            return 0;
        var dva = new Vattr();
        dvp.Lock();
        var error = dvp.Op.GetAttr(dvp, dva, cred);
        dvp.Unlock();
        if (error != 0 || (dva.Mode & Vn.S_ISVTX) == 0 || dva.Uid == cred.Uid)
            return error;
        var va = new Vattr();
        vp.Lock();
        error = vp.Op.GetAttr(vp, va, cred);
        vp.Unlock();
        if (error != 0)
            return error;
        return va.Uid == cred.Uid ? 0 : EPERM;
    }

    [Syscall("link")]
    internal static int sys_link(Lwp l, string path, string link)
    {
        var cred = l.Proc.Cred;
        var error = Namei.Lookup(l, path, NameiOp.Lookup, Namei.FOLLOW, out var src);
        if (error != 0)
            return error;
        var vp = src.Vp!;
        try
        {
            // Both names are resolved before the checks, as POSIX systems order their errors.
            error = Namei.Lookup(l, link, NameiOp.Create, 0, out var nd);
            if (error != 0)
                return error;
            try
            {
                if (nd.Vp is not null)
                    return EEXIST;
                if (vp.Type == VType.VDIR)
                    return EPERM;
                var dvp = nd.Dvp!;
                if ((nd.Cn!.Flags & ComponentName.REQUIREDIR) != 0)
                    return ENOENT;
                if (!ReferenceEquals(dvp.Mount, vp.Mount))
                    return EXDEV;
                error = CheckDirWrite(dvp, cred);
                if (error != 0)
                    return error;
                Vn.LockMany(dvp, vp);
                error = dvp.Op.Link(dvp, vp, nd.Cn!);
                Vn.UnlockMany(dvp, vp);
                return error;
            }
            finally
            {
                nd.Release();
            }
        }
        finally
        {
            VCache.Rele(vp);
        }
    }

    [Syscall("rename")]
    internal static int sys_rename(Lwp l, string from, string to)
    {
        var cred = l.Proc.Cred;
        // Both parent directories first, then the names in them (the order POSIX systems report errors in).
        var error = Namei.Lookup(l, from, NameiOp.Rename, 0, out var fnd);
        if (error != 0)
            return error;
        try
        {
            error = Namei.Lookup(l, to, NameiOp.Rename, 0, out var tnd);
            if (error != 0)
                return error;
            try
            {
                if (fnd.Vp is null)
                    return ENOENT;
                if (fnd.Vp.Type != VType.VDIR && (fnd.Cn!.Flags & ComponentName.REQUIREDIR) != 0)
                    return ENOTDIR;
                return DoRename(fnd.Dvp!, fnd.Vp, fnd.Cn!, tnd.Dvp!, tnd.Vp, tnd.Cn!, cred);
            }
            finally
            {
                tnd.Release();
            }
        }
        finally
        {
            fnd.Release();
        }
    }

    private static int DoRename(Vnode fdvp, Vnode fvp, ComponentName fcn, Vnode tdvp, Vnode? tvp, ComponentName tcn, Cred cred)
    {
        if (fvp.IsRoot || (tvp is not null && tvp.IsRoot))
            return EBUSY;
        if (!ReferenceEquals(fvp.Mount, tdvp.Mount) || (tvp is not null && !ReferenceEquals(fvp.Mount, tvp.Mount)))
            return EXDEV;
        if (tvp is not null && ReferenceEquals(fvp, tvp))
        {
            // The same file. POSIX: nothing to do (two links of one file). On a file system whose names ignore case,
            // the same entry found under another spelling is a request to store the new spelling.
            if (!ReferenceEquals(fdvp, tdvp) || !fvp.Mount.Op.CaseInsensitiveNames)
                return 0;
            tvp = null;
        }
        var isDir = fvp.Type == VType.VDIR;
        var error = CheckDirWrite(fdvp, cred);
        if (error == 0)
            error = CheckDirWrite(tdvp, cred);
        if (error == 0)
            error = CheckSticky(fdvp, fvp, cred);
        if (error == 0 && tvp is not null)
            error = CheckSticky(tdvp, tvp, cred);
        if (error != 0)
            return error;

        var mp = fvp.Mount;
        mp.RenameLock.Enter();
        try
        {
            if (isDir)
            {
                // A directory may not move below itself.
                error = IsAncestorOrSelf(fvp, tdvp, cred, out var below);
                if (error != 0)
                    return error;
                if (below)
                    return EINVAL;
            }
            if (tvp is not null)
            {
                if (isDir && tvp.Type != VType.VDIR)
                    return ENOTDIR;
                if (!isDir && tvp.Type == VType.VDIR)
                    return EISDIR;
            }
            else if (!isDir && (tcn.Flags & ComponentName.REQUIREDIR) != 0)
            {
                return ENOTDIR;
            }
            Vn.LockMany(fdvp, fvp, tdvp, tvp);
            error = fdvp.Op.Rename(fdvp, fvp, fcn, tdvp, tvp, tcn);
            Vn.UnlockMany(fdvp, fvp, tdvp, tvp);
            return error;
        }
        finally
        {
            mp.RenameLock.Exit();
        }
    }

    // Walks ".." from dir up to the root of its mount; below = it meets ancestor.
    private static int IsAncestorOrSelf(Vnode ancestor, Vnode dir, Cred cred, out bool below)
    {
        below = false;
        var cur = dir;
        VCache.Ref(cur);
        try
        {
            for (var depth = 0; depth < 4096; depth++)
            {
                if (ReferenceEquals(cur, ancestor))
                {
                    below = true;
                    return 0;
                }
                if (cur.IsRoot)
                    return 0;
                var cn = new ComponentName(NameiOp.Lookup, ComponentName.ISDOTDOT, "..", cred);
                cur.Lock();
                var error = cur.Op.Lookup(cur, cn, out var parent);
                cur.Unlock();
                if (error != 0)
                    return error;
                if (ReferenceEquals(parent, cur))
                {
                    VCache.Rele(parent!);
                    return 0;
                }
                VCache.Rele(cur);
                cur = parent!;
            }
            return ELOOP;
        }
        finally
        {
            VCache.Rele(cur);
        }
    }

    [Syscall("chdir")]
    internal static int sys_chdir(Lwp l, string path)
    {
        var error = Namei.Lookup(l, path, NameiOp.Lookup, Namei.FOLLOW, out var nd);
        if (error != 0)
            return error;
        var vp = nd.Vp!;
        if (vp.Type != VType.VDIR)
        {
            VCache.Rele(vp);
            return ENOTDIR;
        }
        vp.Lock();
        error = vp.Op.Access(vp, Vn.VEXEC, l.Proc.Cred);
        vp.Unlock();
        if (error != 0)
        {
            VCache.Rele(vp);
            return error;
        }
        Vfs.SetCwd(l.Proc, vp);
        return 0;
    }

    [Syscall("chmod")]
    internal static int sys_chmod(Lwp l, string path, int mode)
        => SetAttrPath(l, path, Namei.FOLLOW, va => va.Mode = mode & 0xFFF, ownerOnly: true);

    [Syscall("chown")]
    internal static int sys_chown(Lwp l, string path, int uid, int gid)
    {
        if (!l.Proc.Cred.IsRoot)
        {
            // Without privilege: only to one's own uid and to a group one is in.
            var cred = l.Proc.Cred;
            if ((uid != -1 && (uint)uid != cred.Uid) || (gid != -1 && !Vn.InGroup(cred, (uint)gid)))
                return EPERM;
        }
        return SetAttrPath(l, path, Namei.FOLLOW, va =>
        {
            if (uid != -1) va.Uid = (uint)uid;
            if (gid != -1) va.Gid = (uint)gid;
        }, ownerOnly: true);
    }

    [Syscall("utimes")]
    internal static int sys_utimes(Lwp l, string path, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec)
    {
        if (!ValidTime(atimeNsec) || !ValidTime(mtimeNsec))
            return EINVAL;
        var bothNow = atimeNsec == PosixConst.UTIME_NOW && mtimeNsec == PosixConst.UTIME_NOW;
        Vn.Now(out var nowSec, out var nowNsec);
        return SetAttrPath(l, path, Namei.FOLLOW, va =>
        {
            if (atimeNsec != PosixConst.UTIME_OMIT)
            {
                va.AtimeSec = atimeNsec == PosixConst.UTIME_NOW ? nowSec : atimeSec;
                va.AtimeNsec = atimeNsec == PosixConst.UTIME_NOW ? nowNsec : atimeNsec;
            }
            if (mtimeNsec != PosixConst.UTIME_OMIT)
            {
                va.MtimeSec = mtimeNsec == PosixConst.UTIME_NOW ? nowSec : mtimeSec;
                va.MtimeNsec = mtimeNsec == PosixConst.UTIME_NOW ? nowNsec : mtimeNsec;
            }
        }, ownerOnly: !bothNow, writeSuffices: bothNow);

        static bool ValidTime(long nsec) => nsec == PosixConst.UTIME_NOW || nsec == PosixConst.UTIME_OMIT || (nsec >= 0 && nsec < 1_000_000_000L);
    }

    [Syscall("truncate")]
    internal static int sys_truncate(Lwp l, string path, long length)
    {
        if (length < 0)
            return EINVAL;
        var error = Namei.Lookup(l, path, NameiOp.Lookup, Namei.FOLLOW, out var nd);
        if (error != 0)
            return error;
        var vp = nd.Vp!;
        try
        {
            if (vp.Type == VType.VDIR)
                return EISDIR;
            if (vp.Type != VType.VREG)
                return EINVAL;
            if (vp.Mount.IsReadOnly)
                return EROFS;
            vp.Lock();
            try
            {
                error = vp.Op.Access(vp, Vn.VWRITE, l.Proc.Cred);
                if (error != 0)
                    return error;
                return vp.Op.SetAttr(vp, new Vattr { Size = length }, l.Proc.Cred);
            }
            finally
            {
                vp.Unlock();
            }
        }
        finally
        {
            VCache.Rele(vp);
        }
    }

    private static int SetAttrPath(Lwp l, string path, int follow, Action<Vattr> fill, bool ownerOnly, bool writeSuffices = false)
    {
        var cred = l.Proc.Cred;
        var error = Namei.Lookup(l, path, NameiOp.Lookup, follow, out var nd);
        if (error != 0)
            return error;
        var vp = nd.Vp!;
        try
        {
            if (vp.Mount.IsReadOnly)
                return EROFS;
            vp.Lock();
            try
            {
                if (!cred.IsRoot)
                {
                    var cur = new Vattr();
                    error = vp.Op.GetAttr(vp, cur, cred);
                    if (error != 0)
                        return error;
                    if (cur.Uid != cred.Uid)
                    {
                        if (!writeSuffices)
                            return EPERM;
                        error = vp.Op.Access(vp, Vn.VWRITE, cred);
                        if (error != 0)
                            return error;
                    }
                }
                var va = new Vattr();
                fill(va);
                return vp.Op.SetAttr(vp, va, cred);
            }
            finally
            {
                vp.Unlock();
            }
        }
        finally
        {
            VCache.Rele(vp);
        }
    }

    [Syscall("access")]
    internal static int sys_access(Lwp l, string path, int mode)
    {
        if ((mode & ~(PosixConst.R_OK | PosixConst.W_OK | PosixConst.X_OK)) != 0)
            return EINVAL;
        var error = Namei.Lookup(l, path, NameiOp.Lookup, Namei.FOLLOW, out var nd);
        if (error != 0)
            return error;
        var vp = nd.Vp!;
        try
        {
            if (mode == PosixConst.F_OK)
                return 0;
            var acc = 0;
            if ((mode & PosixConst.R_OK) != 0) acc |= Vn.VREAD;
            if ((mode & PosixConst.W_OK) != 0) acc |= Vn.VWRITE;
            if ((mode & PosixConst.X_OK) != 0) acc |= Vn.VEXEC;
            if ((acc & Vn.VWRITE) != 0 && vp.Mount.IsReadOnly && vp.Type is VType.VREG or VType.VDIR or VType.VLNK)
                return EROFS;
            vp.Lock();
            error = vp.Op.Access(vp, acc, l.Proc.Cred);
            vp.Unlock();
            return error;
        }
        finally
        {
            VCache.Rele(vp);
        }
    }

    [Syscall("readlink")]
    internal static int sys_readlink(Lwp l, string path, Span<byte> buffer, out int length)
    {
        length = 0;
        var error = Namei.Lookup(l, path, NameiOp.Lookup, 0, out var nd);
        if (error != 0)
            return error;
        var vp = nd.Vp!;
        try
        {
            if (vp.Type != VType.VLNK)
                return EINVAL;
            var uio = Uio.ForRead(buffer, 0);
            vp.Lock();
            error = vp.Op.ReadLink(vp, ref uio, l.Proc.Cred);
            vp.Unlock();
            length = uio.Done;
            return error;
        }
        finally
        {
            VCache.Rele(vp);
        }
    }

    [Syscall("stat")]
    internal static int sys_stat(Lwp l, string path, out RumpStat stat) => StatPath(l, path, Namei.FOLLOW, out stat);

    [Syscall("lstat")]
    internal static int sys_lstat(Lwp l, string path, out RumpStat stat) => StatPath(l, path, 0, out stat);

    private static int StatPath(Lwp l, string path, int follow, out RumpStat stat)
    {
        stat = default;
        var error = Namei.Lookup(l, path, NameiOp.Lookup, follow, out var nd);
        if (error != 0)
            return error;
        error = StatVnode(nd.Vp!, l.Proc.Cred, out stat);
        VCache.Rele(nd.Vp!);
        return error;
    }

    [Syscall("statvfs")]
    internal static int sys_statvfs(Lwp l, string path, out RumpStatVfs stat)
    {
        stat = default;
        var error = Namei.Lookup(l, path, NameiOp.Lookup, Namei.FOLLOW, out var nd);
        if (error != 0)
            return error;
        error = Vfs.StatVfs(nd.Vp!.Mount, out stat);
        VCache.Rele(nd.Vp!);
        return error;
    }

    [Syscall("mount")]
    internal static int sys_mount(Lwp l, string fsType, string path, int flags, string source, string options)
    {
        if (string.IsNullOrEmpty(fsType))
            return EINVAL;
        return Vfs.DoMount(l, fsType, path, flags, source, options);
    }

    [Syscall("unmount")]
    internal static int sys_unmount(Lwp l, string path, int flags) => Vfs.DoUnmount(l, path, flags);
}
