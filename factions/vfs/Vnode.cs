using Rump.Kern;

namespace Rump.Vfs;

/// <summary>Vnode types (enum vtype).</summary>
internal enum VType
{
    VNON = 0, VREG, VDIR, VBLK, VCHR, VLNK, VSOCK, VFIFO, VBAD,
}

/// <summary>
/// The key a file system gives a vnode in the vnode cache (vcache_get's key): unique per mount.
/// tmpfs uses its node number in <see cref="Hi"/>; msdosfs uses (directory cluster, entry offset).
/// </summary>
internal readonly record struct VnodeKey(long Hi, long Lo);

/// <summary>
/// struct vnode. Created and cached by <see cref="VCache"/>, filled in by the file system's
/// <see cref="VfsOps.LoadVnode"/>. A vnode is used by holding a reference (<see cref="VCache.Ref"/> /
/// <see cref="VCache.Rele"/>); operations that read or change it hold its lock (<see cref="Lock"/>).
/// </summary>
internal sealed class Vnode
{
    /// <summary>v_vflag: this vnode is the root of its mount (VV_ROOT).</summary>
    public const int VV_ROOT = 0x1;

    // Lock: a sleepable exclusive lock (vn_lock LK_EXCLUSIVE). A thread holds at most one vnode lock,
    // except the multi-vnode operations (remove, rmdir, link, rename) which take all of theirs at once
    // in increasing Id order (Vn.LockMany); that order makes deadlock impossible.
    private readonly KRwLock _lock = new();

    internal Vnode(long id, Mount mount, VnodeKey key)
    {
        Id = id;
        Mount = mount;
        Key = key;
    }

    /// <summary>Unique, increasing: the vnode lock order.</summary>
    public long Id { get; }

    /// <summary>v_mount: the mount this vnode belongs to. Fixed.</summary>
    public Mount Mount { get; }

    /// <summary>The vcache key. Changed only by <see cref="VCache.Rekey"/>.</summary>
    public VnodeKey Key { get; internal set; }

    /// <summary>v_type. Set by LoadVnode; fixed afterwards.</summary>
    public VType Type;

    /// <summary>v_op: the file system's operations vector. Set by LoadVnode.</summary>
    public VnodeOps Op = VnodeOps.Dead;

    /// <summary>v_data: the file system's node. Set by LoadVnode, cleared by Reclaim.</summary>
    public object? Data;

    /// <summary>v_rdev: the device of a VBLK/VCHR vnode. Set by LoadVnode.</summary>
    public DevT Rdev;

    /// <summary>v_vflag (VV_ROOT). Set by LoadVnode.</summary>
    public int VFlags;

    /// <summary>v_mountedhere: the mount covering this directory; protected by the mount list lock.</summary>
    public Mount? MountedHere { get; internal set; }

    // ---- vcache state, protected by VCache's lock ----
    internal int UseCount;
    internal VnodeState State;
    internal Vnode? FreeNext, FreePrev;
    internal bool OnFreeList;

    public bool IsRoot => (VFlags & VV_ROOT) != 0;

    /// <summary>vn_lock(vp, LK_EXCLUSIVE).</summary>
    public void Lock() => _lock.Enter(true);

    /// <summary>VOP_UNLOCK.</summary>
    public void Unlock() => _lock.Exit();

    /// <summary>VOP_ISLOCKED (held for writing, by anyone).</summary>
    public bool IsLocked => _lock.WriteHeld;

    public override string ToString() => "vnode " + Id + " " + Type + " on " + Mount.OnName;
}

internal enum VnodeState
{
    Loading,
    Loaded,
    Reclaiming,
    Reclaimed,
}
