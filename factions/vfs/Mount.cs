using Rump.Kern;

namespace Rump.Vfs;

/// <summary>
/// struct mount: one mounted file system. Made by <see cref="Vfs.DoMount"/>; the file system keeps its
/// per-mount state in <see cref="Data"/>.
/// </summary>
internal sealed class Mount
{
    // mnt_flag (NetBSD values; MNT_RDONLY and MNT_SYNCHRONOUS come from mount(2)).
    public const int MNT_RDONLY = 0x1, MNT_SYNCHRONOUS = 0x2, MNT_NOEXEC = 0x4, MNT_LOCAL = 0x1000;
    public const int MNT_ROOTFS = 0x4000, MNT_UPDATE = 0x10000, MNT_FORCE = 0x80000;

    internal Mount(VfsOps op, int flags, long fsId)
    {
        Op = op;
        Flags = flags;
        FsId = fsId;
    }

    /// <summary>mnt_op: the file system type. Fixed.</summary>
    public VfsOps Op { get; }

    /// <summary>mnt_data: the file system's per-mount state. Set by VfsOps.Mount.</summary>
    public object? Data;

    /// <summary>mnt_flag (MNT_*). Fixed after mount (MNT_RDONLY may be set by VfsOps.Mount for a read-only device).</summary>
    public int Flags;

    /// <summary>The file system id (st_dev of its files). Fixed.</summary>
    public long FsId { get; }

    /// <summary>mnt_vnodecovered: the directory this mount covers (referenced by the mount); null for the root.</summary>
    public Vnode? CoveredVnode { get; internal set; }

    /// <summary>The opened block device a disk file system was mounted from (referenced, open); null otherwise.</summary>
    public Vnode? DevVnode { get; internal set; }

    /// <summary>f_mntonname: where it is mounted.</summary>
    public string OnName { get; internal set; } = "/";

    /// <summary>f_mntfromname: the device path or the file system name.</summary>
    public string FromName { get; internal set; } = "";

    /// <summary>Options string passed to mount(2).</summary>
    public string Options { get; internal set; } = "";

    public bool IsReadOnly => (Flags & MNT_RDONLY) != 0;

    // ---- VFS state ----
    /// <summary>Serializes renames on this mount (the topology check must not race another rename).</summary>
    internal readonly KMutex RenameLock = new();

    /// <summary>Set while unmounting: namei does not enter it, VCache loads nothing new. Protected by Vfs's mount lock.</summary>
    internal bool Unmounting;

    public override string ToString() => Op.Name + " on " + OnName;
}
