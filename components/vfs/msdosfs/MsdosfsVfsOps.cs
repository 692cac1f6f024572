using System.Collections.Generic;
using Rump.Kern;
using Rump.Vfs;

namespace Rump.Fs.Msdosfs;

using Errno = Rump.Kern.Errno;

/// <summary>
/// Per-mount state (struct msdosfsmount). <see cref="Lock"/> is the volume lock: it protects the volume,
/// its FAT, every <see cref="FatNode"/> of the mount and <see cref="Pending"/>.
/// Lock order: a vnode lock, then the volume lock; never call into the vcache holding it.
/// </summary>
internal sealed class MsdosfsMount
{
    public readonly FatVolume Volume;
    public readonly KMutex Lock = new();
    /// <summary>Nodes found by lookup/create, handed to LoadVnode by key (saves re-reading the directory).</summary>
    public readonly Dictionary<VnodeKey, FatNode> Pending = new();

    public MsdosfsMount(FatVolume volume) => Volume = volume;

    private long _deadKeys;

    /// <summary>
    /// A key nothing on disk has, for a removed file's vnode: its directory slot may be reused at once by
    /// another name, whose vnode must not be confused with the removed one. Caller holds <see cref="Lock"/>.
    /// </summary>
    public VnodeKey NextDeadKey() => new(-3, ++_deadKeys);

    /// <summary>The root directory's key.</summary>
    public static readonly VnodeKey RootKey = new(-1, 0);

    /// <summary>
    /// Directories are keyed by their first cluster (stable across rename, reachable from ".."), files by
    /// the place of their entry (directory start, entry offset), as NetBSD's deget does.
    /// </summary>
    public VnodeKey KeyOf(in FatDirSlot slot, uint dirStart)
        => slot.Entry.IsDirectory
            ? new VnodeKey(-2, slot.Entry.FirstCluster(Volume.Geometry.Type))
            : new VnodeKey(dirStart, slot.Offset);

    public VnodeKey KeyOf(FatNode node)
        => node.IsRoot ? RootKey
            : node.Entry.IsDirectory ? new VnodeKey(-2, Volume.StartCluster(node))
            : new VnodeKey(node.DirStart, node.DirOffset);

    /// <summary>st_ino: 1 for the root, the first cluster of a directory, above 2^32 for files (entry place).</summary>
    public static ulong FileId(VnodeKey key)
        => key.Hi == -1 ? 1UL : key.Hi == -2 ? (ulong)key.Lo : ((ulong)(key.Hi + 1) << 32) | (ulong)(key.Lo / FatDirEntry.Size);

    public uint DirStartOf(FatNode dir) => dir.IsRoot ? Volume.RootStart : Volume.StartCluster(dir);
}

/// <summary>The "msdos" file system type (msdosfs_vfsops.c).</summary>
internal sealed class MsdosfsVfsOps : VfsOps
{
    public override string Name => "msdos";

    public override bool NeedsDevice => true;

    /// <summary>FAT names compare without case: a rename to another spelling of a name rewrites the entry.</summary>
    public override bool CaseInsensitiveNames => true;

    public static readonly MsdosfsVnodeOps VnodeOps = new();

    public override int Mount(Mount mp, Vnode? devvp, string options, Cred cred)
    {
        if (devvp is null)
            return Errno.EINVAL;
        int error = MsdosfsDevice.Open(devvp, out var dev);
        if (error != 0)
            return error;
        error = FatVolume.Mount(dev!, mp.IsReadOnly, Clock.WallTime, out var volume);
        if (error != 0)
            return error;
        // A truncated image mounts (NetBSD's msdosfs does not compare the BPB's sector count with the device size
        // either): its metadata is there (FatVolume.Mount checked), clusters past the end read as EIO and are never
        // allocated. Say so once, naming both sizes, instead of letting the first EIO be the only hint.
        long fsBytes = volume!.Geometry.TotalSectors * volume.Geometry.BytesPerSector;
        if (dev!.SizeBytes < fsBytes)
            KernelLog.Printf("msdosfs: " + mp.FromName + ": truncated: the file system is " + fsBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)
                + " bytes, the device " + dev.SizeBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)
                + "; clusters past the end read as EIO and are not allocated");
        if (!volume.Fat.NoHardError)
            KernelLog.Printf("msdosfs: " + mp.FromName + ": the volume records a disk error (FAT[1] hard-error bit); run fsck");
        if (!mp.IsReadOnly && !volume.WasCleanAtMount)
            KernelLog.Printf("msdosfs: " + mp.FromName + ": not cleanly unmounted (FAT[1] clean bit); run fsck");
        mp.Data = new MsdosfsMount(volume);
        return 0;
    }

    public override int Unmount(Mount mp, int flags)
    {
        if (mp.Data is not MsdosfsMount m)
            return 0;
        m.Lock.Enter();
        int error = m.Volume.Unmount();
        m.Pending.Clear();
        m.Lock.Exit();
        if (error != 0 && (flags & Rump.Vfs.Mount.MNT_FORCE) == 0)
            return error;
        mp.Data = null;
        return error;
    }

    public override int Root(Mount mp, out Vnode? vp) => VCache.Get(mp, MsdosfsMount.RootKey, out vp);

    public override int StatVfs(Mount mp, ref RumpStatVfs sb)
    {
        if (mp.Data is not MsdosfsMount m)
            return Errno.EIO;
        m.Lock.Enter();
        var g = m.Volume.Geometry;
        sb.BSize = (ulong)g.BytesPerCluster;
        sb.FrSize = (ulong)g.BytesPerCluster;
        sb.IoSize = (ulong)g.BytesPerCluster;
        sb.Blocks = g.CountOfClusters;
        sb.BFree = m.Volume.Fat.FreeCount;
        sb.BAvail = m.Volume.Fat.FreeCount;
        // FAT has no inode table: the count of possible files is the count of free directory slots,
        // which grows with free clusters; report what NetBSD reports (files = free = 0 is "unknown").
        sb.Files = 0;
        sb.FFree = 0;
        sb.FAvail = 0;
        sb.NameMax = FatLfnEntry.MaxNameLength;
        m.Lock.Exit();
        return 0;
    }

    public override int Sync(Mount mp, bool wait, Cred cred)
    {
        if (mp.Data is not MsdosfsMount m)
            return 0;
        m.Lock.Enter();
        int error = m.Volume.Sync(flushDevice: wait);   // the syncer's periodic sync does not wait: no cache flush
        m.Lock.Exit();
        return error;
    }

    public override int LoadVnode(Mount mp, Vnode vp, VnodeKey key)
    {
        if (mp.Data is not MsdosfsMount m)
            return Errno.EIO;
        m.Lock.Enter();
        int error = FindNode(m, key, out var node);
        m.Lock.Exit();
        if (error != 0)
            return error;
        node!.Owner = vp;
        vp.Type = node.IsDirectory ? VType.VDIR : VType.VREG;
        vp.Op = VnodeOps;
        vp.Data = node;
        if (node.IsRoot)
            vp.VFlags |= Vnode.VV_ROOT;
        return 0;
    }

    /// <summary>The node behind a key: handed over by lookup, or found again on disk (msdosfs_loadvnode).</summary>
    private static int FindNode(MsdosfsMount m, VnodeKey key, out FatNode? node)
    {
        node = null;
        var v = m.Volume;
        if (key == MsdosfsMount.RootKey)
        {
            node = v.Root;
            return 0;
        }
        if (m.Pending.Remove(key, out node))
            return 0;
        int error;
        if (key.Hi == -2)
        {
            // A directory by cluster: its parent from "..", its entry by cluster in the parent.
            uint cluster = (uint)key.Lo;
            if ((error = v.DotDotCluster(cluster, out uint parent)) != 0)
                return error;
            if ((error = v.FindByCluster(parent, cluster, out var dslot)) != 0)
                return error == Errno.ENOENT ? Errno.EIO : error;
            node = v.NodeFromSlot(parent, dslot);
            return 0;
        }
        uint dirStart = (uint)key.Hi;
        long offset = key.Lo;
        FatDirSlot found = default;
        bool hit = false;
        error = v.ScanDir(dirStart, 0, (in FatDirSlot s) =>
        {
            if (s.Offset < offset)
                return true;
            if (s.Offset == offset)
            {
                found = s;
                hit = true;
            }
            return false;
        }, out _);
        if (error != 0)
            return error;
        if (!hit)
            return Errno.ENOENT;
        node = v.NodeFromSlot(dirStart, found);
        return 0;
    }
}
