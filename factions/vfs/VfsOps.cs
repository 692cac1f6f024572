using Rump.Kern;

namespace Rump.Vfs;

/// <summary>
/// struct vfsops: one file system type, registered once by name with <see cref="Vfs.Register"/>
/// (its component's Init). The VFS calls these; all return 0 or an errno.
/// </summary>
internal abstract class VfsOps
{
    /// <summary>Type name used by mount(2): "msdos", "tmpfs", "rumpfs".</summary>
    public abstract string Name { get; }

    /// <summary>
    /// True when mount(2)'s source names a block device: the VFS then looks it up, checks it is VBLK
    /// (ENOTBLK), opens it (FREAD, | FWRITE unless read-only; EROFS when a read-write mount meets a
    /// read-only device) and passes it as devvp; it closes and releases it after Unmount.
    /// </summary>
    public virtual bool NeedsDevice => false;

    /// <summary>
    /// True when names are compared without case (FAT): rename(2) of a file onto a name that finds the same file
    /// in the same directory is then passed to the file system (with tvp null) instead of being a no-op, so that
    /// <c>mv readme.txt README.TXT</c> can change the stored spelling. The file system keeps the name as it is when
    /// the spelling does not differ.
    /// </summary>
    public virtual bool CaseInsensitiveNames => false;

    /// <summary>
    /// VFS_MOUNT: set up <paramref name="mp"/> (mp.Data), reading the device through <see cref="Bio"/>.
    /// Answer EINVAL/EFTYPE for a device that does not hold this file system. devvp is null unless NeedsDevice.
    /// </summary>
    public abstract int Mount(Mount mp, Vnode? devvp, string options, Cred cred);

    /// <summary>
    /// VFS_UNMOUNT: the VFS has synced and reclaimed every vnode of mp (or answered EBUSY). Write final
    /// metadata (clean flag), through Bio; the VFS then flushes and invalidates devvp's buffers and closes it.
    /// </summary>
    public abstract int Unmount(Mount mp, int flags);

    /// <summary>VFS_ROOT: the root directory, referenced (use VCache.Get). Set VV_ROOT in LoadVnode.</summary>
    public abstract int Root(Mount mp, out Vnode? vp);

    /// <summary>VFS_STATVFS: fill sizes and counts (BSize, FrSize, IoSize, Blocks, BFree, BAvail, Files, FFree, FAvail, NameMax). The VFS fills the names, flags and fsid.</summary>
    public abstract int StatVfs(Mount mp, ref RumpStatVfs sb);

    /// <summary>VFS_SYNC: write the file system's dirty metadata (e.g. FAT, FSInfo) into Bio buffers or the device. The VFS fsyncs the vnodes first and flushes devvp's delayed writes after.</summary>
    public virtual int Sync(Mount mp, bool wait, Cred cred) => 0;

    /// <summary>
    /// VFS_LOADVNODE: a vcache miss for <paramref name="key"/>: find the node and fill vp.Type, vp.Op,
    /// vp.Data (and vp.Rdev, VV_ROOT). ENOENT when the node is gone. Called without vnode locks.
    /// </summary>
    public abstract int LoadVnode(Mount mp, Vnode vp, VnodeKey key);

    public override string ToString() => Name;
}
