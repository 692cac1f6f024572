using System;

namespace Rump.Fs.Msdosfs;

using Errno = Rump.Kern.Errno;

/// <summary>File data: read, write, truncate over cluster chains (msdosfs_read/write, detrunc, extendfile).</summary>
internal sealed partial class FatVolume
{
    public const long MaxFileSize = 0xFFFFFFFFL;

    public uint StartCluster(FatNode node) => node.Entry.FirstCluster(Geometry.Type);

    /// <summary>
    /// Reads of at least this many bytes go straight from the device into the caller's buffer, a contiguous run
    /// of clusters per device request (physio); smaller reads go through the buffer cache, a cluster per buffer,
    /// with read-ahead while the file is read sequentially.
    /// </summary>
    public const int DirectReadMin = 64 * 1024;

    /// <summary>Read-ahead window while reading sequentially through the cache, in bytes (at least <see cref="ReadAheadMinClusters"/> clusters).</summary>
    public const int ReadAheadBytes = 64 * 1024;
    public const int ReadAheadMinClusters = 4;

    /// <summary>Reads file data; <paramref name="nread"/> is short at end of file. EIO on a chain shorter than the size.</summary>
    public int Read(FatNode node, long offset, Span<byte> buffer, out int nread)
    {
        nread = 0;
        if (offset < 0)
            return Errno.EINVAL;
        long size = node.Entry.DIR_FileSize;
        if (offset >= size || buffer.Length == 0)
            return 0;
        int want = (int)Math.Min(buffer.Length, size - offset);
        bool direct = want >= DirectReadMin;
        int error = direct
            ? Transfer(node, offset, buffer.Slice(0, want), default, write: false)
            : ReadThroughCache(node, offset, buffer.Slice(0, want));
        if (error != 0)
            return error;
        nread = want;
        bool sequential = offset == node.NextReadOffset;
        node.NextReadOffset = offset + want;
        if (!sequential)
            node.ReadAheadEnd = 0;   // a seek: the next sequential run starts its own window
        else if (!direct)
            StartReadAhead(node, offset + want, size);
        return 0;
    }

    /// <summary>A small read: each cluster through the buffer cache (bread of the cluster's cache block).</summary>
    private int ReadThroughCache(FatNode node, long offset, Span<byte> buffer)
    {
        int bpc = Geometry.BytesPerCluster;
        uint start = StartCluster(node);
        int done = 0;
        while (done < buffer.Length)
        {
            long pos = offset + done;
            int error = ChainCluster(node, start, (uint)(pos >> Geometry.ClusterShift), out uint cluster);
            if (error != 0)
                return error == Errno.ENOENT ? Errno.EIO : error;
            if (!Fat.IsValidCluster(cluster))
                return Errno.EIO;
            int inCluster = (int)(pos & (bpc - 1));
            int n = Math.Min(bpc - inCluster, buffer.Length - done);
            long block = Geometry.ClusterOffset(cluster);
            // A cluster cut off by the end of a truncated image is not a whole cache block: read what is there.
            error = block + bpc <= Device.SizeBytes
                ? Device.ReadCached(block, inCluster, buffer.Slice(done, n))
                : ReadDevice(block + inCluster, buffer.Slice(done, n));
            if (error != 0)
                return error;
            done += n;
        }
        return 0;
    }

    /// <summary>
    /// breadn's read-ahead for a sequential reader: starts reading the clusters of the window after
    /// <paramref name="end"/> that were not started before. Errors end the read-ahead quietly (the read that
    /// needs the data meets them).
    /// </summary>
    private void StartReadAhead(FatNode node, long end, long size)
    {
        int bpc = Geometry.BytesPerCluster;
        long window = Math.Max(ReadAheadBytes, (long)ReadAheadMinClusters * bpc);
        long to = Math.Min(size, end + window);
        long from = Math.Max(end, node.ReadAheadEnd) & ~(long)(bpc - 1);
        if (from >= to)
            return;
        uint start = StartCluster(node);
        for (long pos = from; pos < to; pos += bpc)
        {
            if (ChainCluster(node, start, (uint)(pos >> Geometry.ClusterShift), out uint cluster) != 0 || !Fat.IsValidCluster(cluster))
                return;
            long block = Geometry.ClusterOffset(cluster);
            if (block + bpc > Device.SizeBytes)
                return;
            Device.ReadAhead(block);
            node.ReadAheadEnd = pos + bpc;
        }
    }

    /// <summary>
    /// Writes file data at <paramref name="offset"/>, growing the chain (contiguously when it can) and zero
    /// filling a gap past the old end. EFBIG past 4 GiB − 1, ENOSPC when the volume is full (nothing written).
    /// </summary>
    public int Write(FatNode node, long offset, ReadOnlySpan<byte> data, out int nwritten)
    {
        nwritten = 0;
        if (ReadOnly)
            return Errno.EROFS;
        if (offset < 0)
            return Errno.EINVAL;
        if (data.Length == 0)
            return 0;
        long end = checked(offset + data.Length);
        if (end > MaxFileSize)
            return Errno.EFBIG;
        long size = node.Entry.DIR_FileSize;
        int error = EnsureClusters(node, end);
        if (error != 0)
            return error;
        if (offset > size && (error = ZeroRange(node, size, offset)) != 0)
            return error;
        // Nothing of the file lies past this write's end (end >= old size): the rest of its last sector is past EOF,
        // where no byte is ever read (growth zero fills), so that sector is written zero padded without reading it
        // first — NetBSD's msdosfs_write takes a fresh cleared block (getblk + clrbuf) for a write that reaches EOF.
        if ((error = Transfer(node, offset, default, data, write: true, tailPastEof: end >= size)) != 0)
            return error;
        nwritten = data.Length;
        if (end > size)
            node.Entry.DIR_FileSize = (uint)end;
        Now(out var d, out var t, out _);
        node.Entry.DIR_WrtDate = d;
        node.Entry.DIR_WrtTime = t;
        node.Entry.DIR_LstAccDate = d;
        node.Entry.DIR_Attr |= FatAttr.ATTR_ARCHIVE;
        node.EntryDirty = true;
        return 0;
    }

    /// <summary>Sets the file size (detrunc / extend): frees clusters past the new end or zero fills the growth.</summary>
    public int Truncate(FatNode node, long length)
    {
        if (ReadOnly)
            return Errno.EROFS;
        if (length < 0)
            return Errno.EINVAL;
        if (length > MaxFileSize)
            return Errno.EFBIG;
        long size = node.Entry.DIR_FileSize;
        int error;
        if (length > size)
        {
            if ((error = EnsureClusters(node, length)) != 0)
                return error;
            if ((error = ZeroRange(node, size, length)) != 0)
                return error;
        }
        else if (length < size || length == 0)
        {
            uint keep = (uint)((length + Geometry.BytesPerCluster - 1) >> Geometry.ClusterShift);
            uint start = StartCluster(node);
            node.ForgetChainCache();
            if (keep == 0)
            {
                if (start != 0)
                {
                    node.Entry.SetFirstCluster(0, Geometry.Type);
                    error = Fat.FreeChain(start);
                    if (error != 0)
                        return error;
                }
            }
            else
            {
                if ((error = ChainCluster(null, start, keep - 1, out uint last)) != 0)
                    return error == Errno.ENOENT ? Errno.EIO : error;
                if ((error = Fat.TruncateAfter(last)) != 0)
                    return error;
            }
        }
        node.Entry.DIR_FileSize = (uint)length;
        Now(out var d, out var t, out _);
        node.Entry.DIR_WrtDate = d;
        node.Entry.DIR_WrtTime = t;
        node.Entry.DIR_Attr |= FatAttr.ATTR_ARCHIVE;
        node.EntryDirty = true;
        return 0;
    }

    /// <summary>Makes the chain long enough for <paramref name="length"/> bytes.</summary>
    private int EnsureClusters(FatNode node, long length)
    {
        uint needed = (uint)((length + Geometry.BytesPerCluster - 1) >> Geometry.ClusterShift);
        uint start = StartCluster(node);
        uint have = 0, last = 0;
        long size = node.Entry.DIR_FileSize;
        uint sizeClusters = (uint)((size + Geometry.BytesPerCluster - 1) >> Geometry.ClusterShift);
        bool chainChecked = false;
        if (start != 0)
        {
            // Walk from the cache to the end of the chain.
            uint index = node.CachedCluster != 0 ? node.CachedIndex : 0;
            uint c = node.CachedCluster != 0 ? node.CachedCluster : start;
            if (!Fat.IsValidCluster(c))
                return Errno.EIO;
            for (uint steps = 0; ; steps++)
            {
                if (steps > Geometry.CountOfClusters)
                    return Errno.EIO;
                int error = Fat.Next(c, out uint next);
                if (error != 0)
                    return error;
                if (next == 0 || index + 1 >= needed)
                {
                    if (next == 0)
                    {
                        have = index + 1;
                        last = c;
                    }
                    else
                    {
                        have = needed;
                    }
                    node.CachedIndex = index;
                    node.CachedCluster = c;
                    break;
                }
                if (index + 1 >= sizeClusters && !chainChecked)
                {
                    // The chain goes on past the file's size: it must end somewhere (a loop here would
                    // hand the file its own clusters again).
                    if ((error = ChainLength(start, out _, out _)) != 0)
                        return error;
                    chainChecked = true;
                }
                c = next;
                index++;
            }
        }
        if (have >= needed)
            return 0;
        int err = Fat.Allocate(last, needed - have, out uint first);
        if (err != 0)
            return err;
        node.Extents = null;   // the run map no longer covers the whole chain
        if (start == 0)
        {
            node.Entry.SetFirstCluster(first, Geometry.Type);
            node.EntryDirty = true;
        }
        return 0;
    }

    private int ZeroRange(FatNode node, long from, long to)
    {
        _cluster.AsSpan().Clear();
        while (from < to)
        {
            int n = (int)Math.Min(to - from, _cluster.Length);
            int error = Transfer(node, from, default, _cluster.AsSpan(0, n), write: true);
            if (error != 0)
                return error;
            from += n;
        }
        return 0;
    }

    /// <summary>
    /// Moves bytes between the caller and the file's clusters, merging physically contiguous clusters into
    /// one device request; unaligned sector heads and tails go through the scratch sector.
    /// </summary>
    private int Transfer(FatNode node, long offset, Span<byte> readInto, ReadOnlySpan<byte> writeFrom, bool write, bool tailPastEof = false)
    {
        int total = write ? writeFrom.Length : readInto.Length;
        int done = 0;
        int bpc = Geometry.BytesPerCluster;
        uint start = StartCluster(node);
        while (done < total)
        {
            long pos = offset + done;
            uint index = (uint)(pos >> Geometry.ClusterShift);
            int error = ChainCluster(node, start, index, out uint cluster);
            if (error != 0)
                return error == Errno.ENOENT ? Errno.EIO : error;
            int inCluster = (int)(pos & (bpc - 1));
            // Extend the run over contiguous clusters.
            long runBytes = bpc - inCluster;
            uint runLast = cluster;
            while (runBytes < total - done)
            {
                if ((error = Fat.Next(runLast, out uint next)) != 0)
                    return error;
                if (next != runLast + 1)
                    break;
                runLast = next;
                runBytes += bpc;
                node.CachedIndex++;
                node.CachedCluster = runLast;
            }
            int n = (int)Math.Min(runBytes, total - done);
            long dev = Geometry.ClusterOffset(cluster) + inCluster;
            error = write ? WriteDevice(dev, writeFrom.Slice(done, n), tailPastEof && done + n == total) : ReadDevice(dev, readInto.Slice(done, n));
            if (error != 0)
                return error;
            done += n;
        }
        return 0;
    }

    /// <summary>Reads any byte range of the device, bouncing unaligned sector parts through the scratch sector.</summary>
    private int ReadDevice(long dev, Span<byte> buffer)
    {
        int bps = Geometry.BytesPerSector;
        if (dev + buffer.Length > Device.SizeBytes)
            return Errno.EIO;
        while (buffer.Length > 0)
        {
            int inSector = (int)(dev & (bps - 1));
            int error;
            if (inSector != 0 || buffer.Length < bps)
            {
                int n = Math.Min(bps - inSector, buffer.Length);
                if ((error = Device.Read(dev - inSector, _sector)) != 0)
                    return error;
                _sector.AsSpan(inSector, n).CopyTo(buffer);
                dev += n;
                buffer = buffer.Slice(n);
                continue;
            }
            int aligned = buffer.Length & ~(bps - 1);
            if ((error = Device.Read(dev, buffer.Slice(0, aligned))) != 0)
                return error;
            dev += aligned;
            buffer = buffer.Slice(aligned);
        }
        return 0;
    }

    /// <summary>
    /// Writes any byte range of the device; unaligned sector parts are merged into the sector read through the scratch
    /// sector, except a last partial sector whose rest is past EOF (<paramref name="zeroTail"/>): that one is zero padded
    /// without a read, and a short write (a small file) goes out as one request through the bounce buffer.
    /// </summary>
    private int WriteDevice(long dev, ReadOnlySpan<byte> data, bool zeroTail = false)
    {
        int bps = Geometry.BytesPerSector;
        if (dev + data.Length > Device.SizeBytes)
            return Errno.EIO;
        if (zeroTail && (dev & (bps - 1)) == 0 && (data.Length & (bps - 1)) != 0)
        {
            int padded = (data.Length + bps - 1) & ~(bps - 1);
            if (dev + padded <= Device.SizeBytes)
            {
                if (padded <= TailBounceBytes)
                {
                    var bounce = _tailBounce ??= new byte[TailBounceBytes];
                    data.CopyTo(bounce);
                    bounce.AsSpan(data.Length, padded - data.Length).Clear();
                    return Device.Write(dev, bounce.AsSpan(0, padded));
                }
                int aligned = data.Length & ~(bps - 1);
                int error = Device.Write(dev, data.Slice(0, aligned));
                if (error != 0)
                    return error;
                _sector.AsSpan().Clear();
                data.Slice(aligned).CopyTo(_sector);
                return Device.Write(dev + aligned, _sector);
            }
        }
        while (data.Length > 0)
        {
            int inSector = (int)(dev & (bps - 1));
            int error;
            if (inSector != 0 || data.Length < bps)
            {
                int n = Math.Min(bps - inSector, data.Length);
                long sectorStart = dev - inSector;
                if ((error = Device.Read(sectorStart, _sector)) != 0)
                    return error;
                data.Slice(0, n).CopyTo(_sector.AsSpan(inSector));
                if ((error = Device.Write(sectorStart, _sector)) != 0)
                    return error;
                dev += n;
                data = data.Slice(n);
                continue;
            }
            int aligned = data.Length & ~(bps - 1);
            if ((error = Device.Write(dev, data.Slice(0, aligned))) != 0)
                return error;
            dev += aligned;
            data = data.Slice(aligned);
        }
        return 0;
    }

    /// <summary>Largest write sent as one zero-padded request through <see cref="_tailBounce"/> (bigger ones: two requests).</summary>
    private const int TailBounceBytes = 64 * 1024;

    private byte[]? _tailBounce;

    /// <summary>Frees an unlinked node's clusters (NetBSD: msdosfs_inactive of a removed file).</summary>
    public int ReleaseClusters(FatNode node)
    {
        uint start = StartCluster(node);
        if (start == 0 || ReadOnly)
            return 0;
        node.Entry.SetFirstCluster(0, Geometry.Type);
        node.ForgetChainCache();
        return Fat.FreeChain(start);
    }
}
