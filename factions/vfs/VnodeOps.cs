using Rump.Kern;
using static Rump.Kern.Errno;

namespace Rump.Vfs;

/// <summary>
/// The vnode operations vector (vnode_if.src). A file system derives one class per kind of vnode it
/// makes (usually one) and sets <see cref="Vnode.Op"/> in LoadVnode. Every method returns 0 or an errno;
/// what is not overridden fails with EOPNOTSUPP. The VFS calls each with the locks noted ("dvp locked"
/// = held exclusively by the caller; the operation must not unlock or release anything it was given).
/// Vnodes handed out through <c>out Vnode</c> are referenced (the caller releases them) and unlocked.
/// Permission checks (VOP_ACCESS) and read-only mounts are checked by the VFS before each call;
/// a file system only checks what depends on its own state (ENOTEMPTY, ENOSPC, EMLINK, name rules…).
/// </summary>
internal abstract class VnodeOps
{
    /// <summary>Operations of a reclaimed (dead) vnode: everything fails with EBADF... or EIO.</summary>
    public static readonly VnodeOps Dead = new DeadVnodeOps();

    /// <summary>
    /// VOP_LOOKUP: dvp locked, a directory. Finds <c>cnp.Name</c> (never "."; ".." when
    /// <see cref="ComponentName.IsDotDot"/>: the parent, never asked at the mount root). ENOENT when absent
    /// (namei turns a missing last component of a Create/Rename into a create).
    /// </summary>
    public virtual int Lookup(Vnode dvp, ComponentName cnp, out Vnode? vp) { vp = null; return EOPNOTSUPP; }

    /// <summary>VOP_CREATE: dvp locked; the name is absent. Makes a regular file with <c>vap.Mode</c>, uid/gid from vap.</summary>
    public virtual int Create(Vnode dvp, ComponentName cnp, Vattr vap, out Vnode? vp) { vp = null; return EOPNOTSUPP; }

    /// <summary>VOP_MKNOD: dvp locked; the name is absent. vap.Type is VBLK/VCHR/VFIFO/VSOCK, vap.Rdev the device.</summary>
    public virtual int Mknod(Vnode dvp, ComponentName cnp, Vattr vap, out Vnode? vp) { vp = null; return EOPNOTSUPP; }

    /// <summary>VOP_MKDIR: dvp locked; the name is absent.</summary>
    public virtual int Mkdir(Vnode dvp, ComponentName cnp, Vattr vap, out Vnode? vp) { vp = null; return EOPNOTSUPP; }

    /// <summary>VOP_SYMLINK: dvp locked; the name is absent.</summary>
    public virtual int Symlink(Vnode dvp, ComponentName cnp, Vattr vap, string target, out Vnode? vp) { vp = null; return EOPNOTSUPP; }

    /// <summary>VOP_REMOVE: dvp and vp locked; vp is not a directory and is cnp.Name in dvp.</summary>
    public virtual int Remove(Vnode dvp, Vnode vp, ComponentName cnp) => EOPNOTSUPP;

    /// <summary>VOP_RMDIR: dvp and vp locked; vp is a directory, not ".", not a mount point. The file system answers ENOTEMPTY.</summary>
    public virtual int Rmdir(Vnode dvp, Vnode vp, ComponentName cnp) => EOPNOTSUPP;

    /// <summary>VOP_LINK: dvp and vp locked, same mount, vp not a directory; the name is absent.</summary>
    public virtual int Link(Vnode dvp, Vnode vp, ComponentName cnp) => EOPNOTSUPP;

    /// <summary>
    /// VOP_RENAME: fdvp, fvp, tdvp and tvp (if not null) locked, all on this mount. The VFS has checked:
    /// fvp is fcnp.Name in fdvp, tvp is tcnp.Name in tdvp (or absent), fvp != tvp, directory/non-directory
    /// compatibility (EISDIR/ENOTDIR), fvp is not an ancestor of tdvp (EINVAL), neither is a mount point.
    /// The file system answers ENOTEMPTY for a non-empty tvp directory and replaces tvp atomically.
    /// </summary>
    public virtual int Rename(Vnode fdvp, Vnode fvp, ComponentName fcnp, Vnode tdvp, Vnode? tvp, ComponentName tcnp) => EOPNOTSUPP;

    /// <summary>VOP_OPEN: vp locked. <paramref name="mode"/> is FREAD|FWRITE (|O_TRUNC…). Access was checked.</summary>
    public virtual int Open(Vnode vp, int mode, Cred cred) => 0;

    /// <summary>VOP_CLOSE: vp locked; the last close of one open.</summary>
    public virtual int Close(Vnode vp, int fflag, Cred cred) => 0;

    /// <summary>VOP_ACCESS: vp locked. Default: owner/group/other bits of GetAttr (genfs_can_access).</summary>
    public virtual int Access(Vnode vp, int accmode, Cred cred)
    {
        var va = new Vattr();
        var error = GetAttr(vp, va, cred);
        if (error != 0)
            return error;
        return Vn.CheckAccess(va.Type, (int)va.Mode, (uint)va.Uid, (uint)va.Gid, accmode, cred);
    }

    /// <summary>VOP_GETATTR: vp locked. Fill every field.</summary>
    public virtual int GetAttr(Vnode vp, Vattr vap, Cred cred) => EOPNOTSUPP;

    /// <summary>
    /// VOP_SETATTR: vp locked. Changes the fields that are not VNOVAL: Mode, Uid/Gid, Size (truncate or
    /// extend with zeroes; EISDIR for a directory), times. Ownership rules were checked by the VFS.
    /// </summary>
    public virtual int SetAttr(Vnode vp, Vattr vap, Cred cred) => EOPNOTSUPP;

    /// <summary>VOP_READ: vp locked, VREG (VDIR reads are EISDIR before this). Reads from uio.Offset; stops at end of file.</summary>
    public virtual int Read(Vnode vp, ref Uio uio, int ioflag, Cred cred) => EOPNOTSUPP;

    /// <summary>
    /// VOP_WRITE: vp locked, VREG. Writes at uio.Offset (for O_APPEND the VFS already set it to the size),
    /// extending the file. On ENOSPC after some bytes, return 0 with the bytes written (a short write).
    /// IO_SYNC: data and metadata on stable storage before returning.
    /// </summary>
    public virtual int Write(Vnode vp, ref Uio uio, int ioflag, Cred cred) => EOPNOTSUPP;

    /// <summary>
    /// VOP_FSYNC: vp locked. Writes the file's dirty data and metadata (FSYNC_WAIT: and waits). It need not flush the
    /// device's write cache: fsync(2) flushes the mount's device after it, sync and unmount once per mount (a flush per
    /// vnode would be one per cached vnode at every sync).
    /// </summary>
    public virtual int Fsync(Vnode vp, Cred cred, int flags) => 0;

    /// <summary>
    /// VOP_READDIR: vp locked, VDIR. Emits records with <see cref="Uio.AddDirent(ulong, byte, string, long)"/>
    /// starting at cookie uio.Offset (0 = first, including "." and ".."), until it does not fit or the end;
    /// <paramref name="eof"/> = no more entries.
    /// </summary>
    public virtual int ReadDir(Vnode vp, ref Uio uio, Cred cred, out bool eof) { eof = true; return EOPNOTSUPP; }

    /// <summary>VOP_READLINK: vp locked, VLNK. Moves the target (UTF-8) out.</summary>
    public virtual int ReadLink(Vnode vp, ref Uio uio, Cred cred) => EOPNOTSUPP;

    /// <summary>
    /// VOP_INACTIVE: vp locked, its last reference just went away. Set <paramref name="recycle"/> when the
    /// vnode should be reclaimed now (typically: the file was removed, link count 0).
    /// </summary>
    public virtual int Inactive(Vnode vp, out bool recycle) { recycle = false; return 0; }

    /// <summary>VOP_RECLAIM: vp locked, unreferenced, out of the cache: release the file system's node (vp.Data).</summary>
    public virtual int Reclaim(Vnode vp) { vp.Data = null; return 0; }

    /// <summary>VOP_PATHCONF subset: longest name in bytes.</summary>
    public virtual int NameMax => ComponentName.NAME_MAX;

    private sealed class DeadVnodeOps : VnodeOps
    {
        public override int Lookup(Vnode dvp, ComponentName cnp, out Vnode? vp) { vp = null; return ENOENT; }
        public override int GetAttr(Vnode vp, Vattr vap, Cred cred) => EBADF;
        public override int Read(Vnode vp, ref Uio uio, int ioflag, Cred cred) => EIO;
        public override int Write(Vnode vp, ref Uio uio, int ioflag, Cred cred) => EIO;
        public override int Reclaim(Vnode vp) => 0;
    }
}
