using System.Collections.Generic;
using Rump.Kern;
using static Rump.Kern.Errno;

namespace Rump.Vfs;

/// <summary>
/// File system types and the mount list (vfs_init.c, vfs_mount.c): register a type, mount, unmount,
/// sync, the root directory.
/// </summary>
internal static class Vfs
{
    // s_lock protects s_types, s_mounts, s_nextFsId, Mount.Unmounting, Vnode.MountedHere.
    private static readonly KMutex s_lock = new();
    private static readonly Dictionary<string, VfsOps> s_types = new();
    private static readonly List<Mount> s_mounts = new();
    private static long s_nextFsId = 1;
    private static Vnode? s_rootVnode;

    /// <summary>rootvnode: the root directory of the kernel (referenced for the kernel's lifetime).</summary>
    public static Vnode RootVnode => s_rootVnode ?? throw new System.InvalidOperationException("vfs: no root file system");

    /// <summary>Forgets the file system types and mounts of an earlier instance (warm boot: statics outlive shutdown).</summary>
    internal static void Reset()
    {
        s_lock.Enter();
        s_types.Clear();
        s_mounts.Clear();
        s_nextFsId = 1;
        s_rootVnode = null;
        s_lock.Exit();
    }

    /// <summary>vfs_attach: makes a file system type available to mount(2). EEXIST when the name is taken.</summary>
    public static int Register(VfsOps ops)
    {
        s_lock.Enter();
        try
        {
            if (s_types.ContainsKey(ops.Name))
                return EEXIST;
            s_types.Add(ops.Name, ops);
            return 0;
        }
        finally
        {
            s_lock.Exit();
        }
    }

    /// <summary>vfs_detach. EBUSY while mounted.</summary>
    public static int Unregister(string name)
    {
        s_lock.Enter();
        try
        {
            foreach (var mp in s_mounts)
            {
                if (mp.Op.Name == name)
                    return EBUSY;
            }
            return s_types.Remove(name) ? 0 : ENOENT;
        }
        finally
        {
            s_lock.Exit();
        }
    }

    /// <summary>The registered type <paramref name="name"/>, or null.</summary>
    public static VfsOps? FindType(string name)
    {
        s_lock.Enter();
        s_types.TryGetValue(name, out var ops);
        s_lock.Exit();
        return ops;
    }

    /// <summary>Names of the registered types.</summary>
    public static string[] TypeNames()
    {
        s_lock.Enter();
        var names = new string[s_types.Count];
        s_types.Keys.CopyTo(names, 0);
        s_lock.Exit();
        System.Array.Sort(names, System.StringComparer.Ordinal);
        return names;
    }

    /// <summary>The mounts, root first, in mount order.</summary>
    public static Mount[] Mounts()
    {
        s_lock.Enter();
        var list = s_mounts.ToArray();
        s_lock.Exit();
        return list;
    }

    /// <summary>The root directory of the process (chroot is not supported: the kernel's root).</summary>
    public static Vnode RootOf(Lwp l) => l.Proc.Root as Vnode ?? RootVnode;

    /// <summary>The current directory of the process.</summary>
    public static Vnode CwdOf(Lwp l) => l.Proc.Cwd as Vnode ?? RootOf(l);

    /// <summary>vfs_mountroot: mounts <paramref name="fsType"/> as "/". Called once by the faction init.</summary>
    public static int MountRoot(string fsType)
    {
        var ops = FindType(fsType);
        if (ops is null)
            return ENODEV;
        var mp = NewMount(ops, Mount.MNT_ROOTFS | Mount.MNT_LOCAL);
        mp.OnName = "/";
        mp.FromName = fsType;
        var error = ops.Mount(mp, null, "", Cred.Root);
        if (error != 0)
            return error;
        error = ops.Root(mp, out var root);
        if (error != 0)
            return error;
        s_lock.Enter();
        s_mounts.Add(mp);
        s_rootVnode = root;
        s_lock.Exit();
        return 0;
    }

    /// <summary>
    /// mount(2): mounts a <paramref name="fsType"/> file system on the directory <paramref name="path"/>.
    /// For a disk file system <paramref name="source"/> is the block device path (/dev/disk0p1).
    /// EPERM (not root), ENODEV (unknown type), ENOTDIR, EBUSY (already a mount point or device in use),
    /// ENOTBLK, ENXIO, EROFS, and what the file system answers.
    /// </summary>
    public static int DoMount(Lwp l, string fsType, string path, int flags, string? source, string? options)
    {
        var cred = l.Proc.Cred;
        if (!cred.IsRoot)
            return EPERM;
        if ((flags & Mount.MNT_UPDATE) != 0)
            return EOPNOTSUPP;
        var ops = FindType(fsType);
        if (ops is null)
            return ENODEV;

        var error = Namei.Lookup(l, path, NameiOp.Lookup, Namei.FOLLOW, out var nd);
        if (error != 0)
            return error;
        var covered = nd.Vp!;
        if (covered.Type != VType.VDIR)
        {
            VCache.Rele(covered);
            return ENOTDIR;
        }

        Vnode? devvp = null;
        BlockDeviceSwitch? bdev = null;
        var rdonly = (flags & Mount.MNT_RDONLY) != 0;
        if (ops.NeedsDevice)
        {
            error = OpenMountDevice(l, source, rdonly, out devvp, out bdev);
            if (error != 0)
            {
                VCache.Rele(covered);
                return error;
            }
        }

        var mp = NewMount(ops, (flags & (Mount.MNT_RDONLY | Mount.MNT_SYNCHRONOUS | Mount.MNT_NOEXEC)) | Mount.MNT_LOCAL);
        mp.OnName = AbsoluteName(l, path);
        mp.FromName = string.IsNullOrEmpty(source) ? fsType : source!;
        mp.Options = options ?? "";
        mp.DevVnode = devvp;
        error = ops.Mount(mp, devvp, mp.Options, cred);
        if (error == 0)
        {
            s_lock.Enter();
            if (covered.MountedHere is not null || covered.Mount.Unmounting)
            {
                error = EBUSY;
            }
            else
            {
                covered.MountedHere = mp;
                mp.CoveredVnode = covered;
                s_mounts.Add(mp);
            }
            s_lock.Exit();
            if (error != 0)
            {
                ops.Unmount(mp, Mount.MNT_FORCE);
                VCache.Flush(mp, force: true);
            }
        }
        if (error != 0)
        {
            if (devvp is not null)
                CloseMountDevice(devvp, bdev!, rdonly);
            VCache.Rele(covered);
            return error;
        }
        return 0;
    }

    /// <summary>
    /// unmount(2): <paramref name="path"/> must be the root of a mount (EINVAL otherwise; EBUSY for "/").
    /// Syncs, then EBUSY while a vnode of it is in use (open file, current directory, a mount inside it)
    /// unless MNT_FORCE; then the file system's unmount, buffer flush and device close.
    /// </summary>
    public static int DoUnmount(Lwp l, string path, int flags)
    {
        if (!l.Proc.Cred.IsRoot)
            return EPERM;
        var error = Namei.Lookup(l, path, NameiOp.Lookup, Namei.FOLLOW, out var nd);
        if (error != 0)
            return error;
        var vp = nd.Vp!;
        var mp = vp.Mount;
        var isMountRoot = vp.IsRoot;
        VCache.Rele(vp);
        if (!isMountRoot)
            return EINVAL;
        if (mp.CoveredVnode is null)
            return EBUSY;
        return Unmount(mp, flags, l.Proc.Cred);
    }

    /// <summary>dounmount.</summary>
    public static int Unmount(Mount mp, int flags, Cred cred)
    {
        var force = (flags & Mount.MNT_FORCE) != 0;
        s_lock.Enter();
        if (mp.Unmounting || !s_mounts.Contains(mp))
        {
            s_lock.Exit();
            return EBUSY;
        }
        foreach (var other in s_mounts)
        {
            if (other.CoveredVnode is not null && ReferenceEquals(other.CoveredVnode.Mount, mp))
            {
                s_lock.Exit();
                return EBUSY;
            }
        }
        mp.Unmounting = true;
        s_lock.Exit();

        var error = SyncMount(mp, wait: true, cred);
        if (error != 0 && !force)
        {
            ClearUnmounting(mp);
            return error;
        }
        error = VCache.Flush(mp, force);
        if (error != 0)
        {
            ClearUnmounting(mp);
            return error;
        }
        error = mp.Op.Unmount(mp, flags);
        if (error != 0 && !force)
        {
            ClearUnmounting(mp);
            return error;
        }
        if (mp.DevVnode is { } devvp)
        {
            var bdev = DevSw.Block(devvp.Rdev.Major);
            var ioError = Bio.Invalidate(devvp.Rdev);
            if (bdev is not null)
                CloseMountDevice(devvp, bdev, mp.IsReadOnly);
            else
                VCache.Rele(devvp);
            mp.DevVnode = null;
            if (error == 0)
                error = ioError;
        }
        s_lock.Enter();
        s_mounts.Remove(mp);
        var covered = mp.CoveredVnode!;
        covered.MountedHere = null;
        mp.CoveredVnode = null;
        s_lock.Exit();
        VCache.Rele(covered);
        // The file system is gone either way; a write-back error is still worth reporting.
        return error;
    }

    /// <summary>
    /// Writes a mount's dirty state: VOP_FSYNC of its vnodes, VFS_SYNC, then the delayed writes of its
    /// device. Read-only mounts have nothing to write.
    /// </summary>
    public static int SyncMount(Mount mp, bool wait, Cred cred)
    {
        if (mp.IsReadOnly)
            return 0;
        var first = 0;
        foreach (var vp in VCache.Snapshot(mp))
        {
            vp.Lock();
            var e = vp.Op.Fsync(vp, cred, wait ? Vn.FSYNC_WAIT : 0);
            vp.Unlock();
            VCache.Rele(vp);
            if (e != 0 && first == 0)
                first = e;
        }
        var error = mp.Op.Sync(mp, wait, cred);
        if (error != 0 && first == 0)
            first = error;
        if (mp.DevVnode is { } devvp)
        {
            error = Bio.Flush(devvp.Rdev, wait);
            if (error != 0 && first == 0)
                first = error;
        }
        return first;
    }

    /// <summary>sync(2): every mount, then every device's delayed writes.</summary>
    public static int SyncAll(bool wait, Cred cred)
    {
        var first = 0;
        foreach (var mp in Mounts())
        {
            if (mp.Unmounting)
                continue;
            var error = SyncMount(mp, wait, cred);
            if (error != 0 && first == 0)
                first = error;
        }
        var e2 = Bio.FlushAll(wait);
        return first != 0 ? first : e2;
    }

    /// <summary>Makes <paramref name="vp"/> (its reference handed over, or null) the process's current directory and releases the old one.</summary>
    public static void SetCwd(Proc p, Vnode? vp)
    {
        p.Lock.Enter();
        var old = p.Cwd as Vnode;
        p.Cwd = vp;
        p.Lock.Exit();
        if (old is not null)
            VCache.Rele(old);
    }

    /// <summary>
    /// vfs_shutdown (a clean halt, not a panic): syncs every file system, then unmounts them newest first with
    /// MNT_FORCE, as NetBSD's vfs_shutdown1/vfs_unmountall do, so a host that disposes the kernel without unmounting
    /// leaves its disks clean (msdosfs clears the dirty flag at unmount). The caller has closed the process's
    /// descriptors; its current directory is released here so it holds no vnode of a mount.
    /// </summary>
    public static void Shutdown(Proc p, Cred cred)
    {
        SyncAll(wait: true, cred);
        SetCwd(p, null);
        var mounts = Mounts();
        for (int i = mounts.Length - 1; i >= 0; i--)
        {
            var mp = mounts[i];
            if (mp.CoveredVnode is null)
                continue;   // the root file system stays until the instance is gone
            var error = Unmount(mp, Mount.MNT_FORCE, cred);
            if (error != 0)
                KernelLog.Printf("vfs: " + mp.OnName + ": unmount at shutdown: error " + error);
        }
    }

    /// <summary>statvfs of a mount: the file system's numbers plus the names and flags.</summary>
    public static int StatVfs(Mount mp, out RumpStatVfs sb)
    {
        sb = default;
        var error = mp.Op.StatVfs(mp, ref sb);
        if (error != 0)
            return error;
        sb.Flag = (ulong)(mp.Flags & (Mount.MNT_RDONLY | Mount.MNT_SYNCHRONOUS | Mount.MNT_NOEXEC | Mount.MNT_LOCAL | Mount.MNT_ROOTFS));
        sb.FsId = (ulong)mp.FsId;
        sb.FsTypeName = mp.Op.Name;
        sb.MntOnName = mp.OnName;
        sb.MntFromName = mp.FromName;
        if (sb.NameMax == 0)
            sb.NameMax = ComponentName.NAME_MAX;
        return 0;
    }

    private static Mount NewMount(VfsOps ops, int flags)
    {
        s_lock.Enter();
        var mp = new Mount(ops, flags, s_nextFsId++);
        s_lock.Exit();
        return mp;
    }

    private static void ClearUnmounting(Mount mp)
    {
        s_lock.Enter();
        mp.Unmounting = false;
        s_lock.Exit();
    }

    private static int OpenMountDevice(Lwp l, string? source, bool rdonly, out Vnode? devvp, out BlockDeviceSwitch? bdev)
    {
        devvp = null;
        bdev = null;
        if (string.IsNullOrEmpty(source))
            return EINVAL;
        var error = Namei.Lookup(l, source, NameiOp.Lookup, Namei.FOLLOW, out var nd);
        if (error != 0)
            return error;
        var vp = nd.Vp!;
        if (vp.Type != VType.VBLK)
        {
            VCache.Rele(vp);
            return ENOTBLK;
        }
        var sw = DevSw.Block(vp.Rdev.Major);
        if (sw is null)
        {
            VCache.Rele(vp);
            return ENXIO;
        }
        foreach (var mp in Mounts())
        {
            if (mp.DevVnode is { } other && other.Rdev == vp.Rdev)
            {
                VCache.Rele(vp);
                return EBUSY;
            }
        }
        if (!rdonly && sw.IsReadOnly(vp.Rdev))
        {
            VCache.Rele(vp);
            return EROFS;
        }
        error = sw.Open(vp.Rdev, Vn.FREAD | (rdonly ? 0 : Vn.FWRITE));
        if (error != 0)
        {
            VCache.Rele(vp);
            return error;
        }
        // Writes made through device nodes (this one or the whole disk it is a partition of) reach the
        // device before the file system reads it, and nothing stale stays cached for this device.
        Bio.FlushAll(wait: true);
        Bio.Invalidate(vp.Rdev);
        devvp = vp;
        bdev = sw;
        return 0;
    }

    private static void CloseMountDevice(Vnode devvp, BlockDeviceSwitch bdev, bool rdonly)
    {
        Bio.Invalidate(devvp.Rdev);
        bdev.Close(devvp.Rdev, Vn.FREAD | (rdonly ? 0 : Vn.FWRITE));
        VCache.Rele(devvp);
    }

    private static string AbsoluteName(Lwp l, string path)
    {
        if (path.StartsWith('/'))
            return path.Length > 1 ? path.TrimEnd('/') : path;
        var cwd = CwdOf(l);
        var prefix = cwd.Mount.CoveredVnode is null && cwd.IsRoot ? "" : cwd.Mount.OnName;
        return prefix + "/" + path.TrimEnd('/');
    }
}
