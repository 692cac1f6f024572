using System;

namespace Rump.Fs.Msdosfs;

using Errno = Rump.Kern.Errno;

/// <summary>The wall clock as Unix seconds and nanoseconds (UTC); the mount glue passes Clock.WallTime.</summary>
internal delegate void FatClock(out long seconds, out long nanoseconds);

/// <summary>
/// A mounted FAT volume (NetBSD's msdosfsmount): geometry, the FAT, the device, and the operations on
/// directories and file data that the vnode operations are built from. Every method returns 0 or an errno
/// and never throws on bad on-disk data.
/// Locking: one lock per volume, held by the caller (the vnode layer's volume lock) around every call;
/// it protects all fields here, the FAT and every <see cref="FatNode"/> of the volume.
/// </summary>
internal sealed partial class FatVolume
{
    public readonly FatBootSector Boot;
    public readonly FatGeometry Geometry;
    public readonly FatTable Fat;
    public readonly IFatDevice Device;
    public readonly bool ReadOnly;
    public readonly FatNode Root;
    public FatClock Clock;

    private readonly byte[] _sector;      // scratch: one sector (read-modify-write)
    private readonly byte[] _cluster;     // scratch: one cluster (directory chunks, zeroing)
    private FatFsInfo _fsInfo;
    private bool _fsInfoWritten;   // the hints in _fsInfo are on the device (written by this mount)
    private byte[] _fsInfoSector = [];   // the FSInfo sector as read at mount (FAT32 with FSInfo only)
    private bool _hadCleanBit;

    /// <summary>Start "cluster" of the root directory as DirStart values use it: 0 on FAT12/16.</summary>
    public uint RootStart => Geometry.Type == FatType.Fat32 ? Geometry.RootCluster : 0;

    private FatVolume(FatBootSector boot, FatGeometry g, FatTable fat, IFatDevice dev, bool readOnly, FatClock clock)
    {
        Boot = boot;
        Geometry = g;
        Fat = fat;
        Device = dev;
        ReadOnly = readOnly;
        Clock = clock;
        _sector = new byte[g.BytesPerSector];
        _cluster = new byte[g.BytesPerCluster];
        Root = new FatNode { IsRoot = true, DirStart = 0, DirOffset = -1, LfnOffset = -1 };
        Root.Entry.DIR_Attr = FatAttr.ATTR_DIRECTORY;
        Root.Entry.SetFirstCluster(RootStart, g.Type);
    }

    /// <summary>
    /// Reads and checks the boot sector and the FAT (msdosfs_mountfs). EFTYPE: not a FAT volume;
    /// EINVAL: inconsistent BPB or a device too small for the volume's metadata; EIO: unreadable;
    /// EROFS: read-write mount of a read-only device.
    /// </summary>
    public static int Mount(IFatDevice dev, bool readOnly, FatClock clock, out FatVolume? volume)
    {
        volume = null;
        if (!readOnly && dev.IsReadOnly)
            return Errno.EROFS;
        if (dev.SizeBytes < 512)
            return Errno.EINVAL;
        var first = new byte[512];
        int error = dev.Read(0, first);
        if (error != 0)
            return error;
        var boot = FatBootSector.Read(first);
        if ((error = boot.Validate()) != 0)
            return error;
        if ((error = FatGeometry.Compute(boot, out var g)) != 0)
            return error;
        // Reserved sectors, FATs and the fixed root must be on the device; data clusters past its end
        // (a truncated image) are never allocated and read as EIO.
        if (dev.SizeBytes < checked(g.FirstDataSector * g.BytesPerSector))
            return Errno.EINVAL;
        if ((error = FatTable.Load(g, dev, out var fat)) != 0)
            return error;
        var v = new FatVolume(boot, g, fat!, dev, readOnly, clock);
        dev.SetCacheBlocks(g.ClusterOffset(2), g.BytesPerCluster);   // file data is cached a cluster per buffer
        if (g.Type == FatType.Fat32 && g.FsInfoSector != 0)
        {
            if ((error = dev.Read((long)g.FsInfoSector * g.BytesPerSector, v._sector)) != 0)
                return error;
            v._fsInfo = FatFsInfo.Read(v._sector);
            v._fsInfoSector = (byte[])v._sector.Clone();
            if (v._fsInfo.TryGetNextFree(g.MaxCluster, out uint next))
                fat!.NextFree = next;
        }
        if (!readOnly)
        {
            // Mark the volume in use: cleared clean-shutdown bit until unmount sets it again.
            v._hadCleanBit = fat!.CleanShutdown;
            if (v._hadCleanBit)
            {
                fat.CleanShutdown = false;
                if ((error = fat.Flush()) != 0)
                    return error;
            }
        }
        volume = v;
        return 0;
    }

    /// <summary>FAT[1]'s clean-shutdown bit was set when a read-write mount began (always true on FAT12).</summary>
    public bool WasCleanAtMount => _hadCleanBit;

    /// <summary>The FSInfo free count as found at mount (a hint; the FAT is the truth).</summary>
    public bool FsInfoFreeCountHint(out uint free) => _fsInfo.TryGetFreeCount(Geometry.CountOfClusters, out free);

    /// <summary>
    /// Writes the FAT, the FSInfo hints and, when <paramref name="flushDevice"/>, asks the device to flush its write
    /// cache (VFS_SYNC; the syncer's lazy sync writes without the flush, like MNT_LAZY).
    /// </summary>
    public int Sync(bool flushDevice = true)
    {
        int error = Commit();
        if (error == 0)
            error = WriteFsInfo();
        if (error != 0)
            return error;
        return flushDevice && !ReadOnly ? Device.Flush() : 0;
    }

    /// <summary>
    /// The end of a changing operation: the changed FAT sectors go to the device, so the image is consistent between
    /// operations, but the device's write cache is not flushed — like NetBSD's msdosfs, which writes metadata with
    /// bwrite and leaves the cache flush to fsync, sync and unmount. (A flush per operation was an fsync of the image
    /// file per created or removed file on the posix target.) The FSInfo hints wait for <see cref="Sync"/> (sync(2),
    /// the syncer, O_SYNC writes, unmount), as NetBSD's msdosfs_fsiflush does: they are hints, and fsck.fat recounts them.
    /// </summary>
    public int Commit() => ReadOnly ? 0 : Fat.Flush();

    /// <summary>msdosfs_fsiflush: the FSInfo free-count and next-free hints, when they changed since last written.</summary>
    private int WriteFsInfo()
    {
        if (ReadOnly)
            return 0;
        if (Geometry.Type == FatType.Fat32 && Geometry.FsInfoSector != 0 && _fsInfo.HasSignatures
            && (_fsInfo.FSI_Free_Count != Fat.FreeCount || _fsInfo.FSI_Nxt_Free != Fat.NextFree || !_fsInfoWritten))
        {
            // The sector as read at mount with the new hints: nothing else in it changes while the volume is mounted.
            long off = (long)Geometry.FsInfoSector * Geometry.BytesPerSector;
            _fsInfo.FSI_Free_Count = Fat.FreeCount;
            _fsInfo.FSI_Nxt_Free = Fat.NextFree;
            _fsInfo.WriteHints(_fsInfoSector);
            int error = Device.Write(off, _fsInfoSector);
            if (error != 0)
                return error;
            _fsInfoWritten = true;
        }
        return 0;
    }

    /// <summary>Final sync; sets the clean-shutdown bit again when the volume had it at mount.</summary>
    public int Unmount()
    {
        if (ReadOnly)
            return 0;
        if (_hadCleanBit)
            Fat.CleanShutdown = true;
        return Sync();
    }

    public void Now(out ushort date, out ushort time, out byte tenths)
    {
        Clock(out long s, out long ns);
        DosTime.FromUnix(s, ns, out date, out time, out tenths);
    }

    // ---- cluster I/O ----

    /// <summary>Reads bytes of cluster <paramref name="cluster"/> from <paramref name="offset"/> (sector aligned).</summary>
    private int ReadClusterBytes(uint cluster, int offset, Span<byte> buffer)
    {
        if (!Fat.IsValidCluster(cluster))
            return Errno.EIO;
        long dev = Geometry.ClusterOffset(cluster) + offset;
        if (dev + buffer.Length > Device.SizeBytes)
            return Errno.EIO;
        return Device.Read(dev, buffer);
    }

    private int WriteClusterBytes(uint cluster, int offset, ReadOnlySpan<byte> buffer)
    {
        if (!Fat.IsValidCluster(cluster))
            return Errno.EIO;
        long dev = Geometry.ClusterOffset(cluster) + offset;
        if (dev + buffer.Length > Device.SizeBytes)
            return Errno.EIO;
        return Device.Write(dev, buffer);
    }

    private int ZeroCluster(uint cluster)
    {
        _cluster.AsSpan().Clear();
        return WriteClusterBytes(cluster, 0, _cluster);
    }

    // The last cluster found by a node-less ChainCluster (directories): valid while no FAT entry was freed since
    // (Fat.Frees unchanged) — a free may end or reuse the chain; allocation only appends to chains.
    private uint _chainCursorStart, _chainCursorIndex, _chainCursorCluster;
    private ulong _chainCursorFrees;

    /// <summary>Clusters a forward lookup walks from the node's cached cluster before it uses the run map.</summary>
    private const uint ForwardWalkMax = 64;

    /// <summary>
    /// Cluster number <paramref name="index"/> (0-based) of the chain starting at <paramref name="start"/>,
    /// using and updating the node's last-lookup cache. ENOENT when the chain is shorter, EIO when it is
    /// corrupt or loops.
    /// </summary>
    private int ChainCluster(FatNode? node, uint start, uint index, out uint cluster)
    {
        cluster = 0;
        uint c = start, i = 0;
        bool fromCache = node is not null && node.CachedCluster != 0 && node.CachedIndex <= index;
        if (fromCache)
        {
            c = node!.CachedCluster;
            i = node.CachedIndex;
        }
        else if (node is null && start != 0 && start == _chainCursorStart && _chainCursorIndex <= index
                 && _chainCursorFrees == Fat.Frees)
        {
            // Directory scans ask for cluster 0, 1, 2, … of one chain in turn: go on from the last answer instead of
            // walking from the start each time (a scan of an n-cluster directory was n²/2 FAT lookups).
            c = _chainCursorCluster;
            i = _chainCursorIndex;
        }
        if (node is not null && index > 0 && start != 0 && !node.IsDirectory && (!fromCache || index - i > ForwardWalkMax))
        {
            // A backward or far forward seek (or a first, far one): look the cluster up in the run map
            // instead of walking the FAT. A chain the map cannot describe (loop, bad link) takes the walk
            // below, which reports the error.
            if (node.Extents is null)
                node.Extents = BuildExtents(start);
            if (node.Extents.Length > 0 && FatExtent.Find(node.Extents, index, out uint found))
            {
                node.CachedIndex = index;
                node.CachedCluster = found;
                cluster = found;
                return 0;
            }
        }
        if (!Fat.IsValidCluster(c))
            return c == 0 ? Errno.ENOENT : Errno.EIO;
        uint limit = Geometry.CountOfClusters;
        for (; i < index; i++)
        {
            if (i >= limit)
                return Errno.EIO; // longer than the volume: a loop
            int error = Fat.Next(c, out uint next);
            if (error != 0)
                return error;
            if (next == 0)
                return Errno.ENOENT;
            c = next;
        }
        if (node is not null)
        {
            node.CachedIndex = index;
            node.CachedCluster = c;
        }
        else if (start != 0)
        {
            _chainCursorStart = start;
            _chainCursorIndex = index;
            _chainCursorCluster = c;
            _chainCursorFrees = Fat.Frees;
        }
        cluster = c;
        return 0;
    }

    /// <summary>The chain from <paramref name="start"/> as contiguous runs; empty when the chain is corrupt.</summary>
    private FatExtent[] BuildExtents(uint start)
    {
        var runs = new System.Collections.Generic.List<FatExtent>();
        uint runStart = start, runCount = 1, fileIndex = 0, c = start;
        for (uint steps = 0; ; steps++)
        {
            if (steps > Geometry.CountOfClusters || !Fat.IsValidCluster(c) || Fat.Next(c, out uint next) != 0)
                return [];
            if (next == 0)
                break;
            if (next == c + 1)
            {
                runCount++;
            }
            else
            {
                runs.Add(new FatExtent(fileIndex, runStart, runCount));
                fileIndex += runCount;
                runStart = next;
                runCount = 1;
            }
            c = next;
        }
        runs.Add(new FatExtent(fileIndex, runStart, runCount));
        return runs.ToArray();
    }

    /// <summary>Counts the chain's clusters (EIO on a loop or corrupt link), and returns its last one.</summary>
    public int ChainLength(uint start, out uint count, out uint last)
    {
        count = 0;
        last = 0;
        for (uint c = start; c != 0;)
        {
            if (count >= Geometry.CountOfClusters || !Fat.IsValidCluster(c))
                return Errno.EIO;
            count++;
            last = c;
            int error = Fat.Next(c, out c);
            if (error != 0)
                return error;
        }
        return 0;
    }
}
