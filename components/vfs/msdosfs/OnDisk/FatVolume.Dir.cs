using System;
using System.Collections.Generic;

namespace Rump.Fs.Msdosfs;

using Errno = Rump.Kern.Errno;

/// <summary>One name found in a directory: its short entry, where it and its long-name entries are, its name.</summary>
internal struct FatDirSlot
{
    public long Offset;      // of the short entry
    public long LfnOffset;   // of the first long-name entry (== Offset when none)
    public FatDirEntry Entry;
    public string Name;      // the long name when valid, else the 8.3 name with the case bits applied
}

/// <summary>Return false to stop a directory scan.</summary>
internal delegate bool FatDirVisitor(in FatDirSlot slot);

/// <summary>Directories: iteration with long names, lookup, entry creation and removal, mkdir, rename.</summary>
internal sealed partial class FatVolume
{
    /// <summary>Most entries a directory may have (the specification's 65536 × 32 bytes = 2 MiB).</summary>
    public const long MaxDirBytes = 65536L * FatDirEntry.Size;

    private byte[]? _dirChunk;   // ".." reads
    private byte[]? _scanWindow; // ScanDir, AddEntry: several contiguous clusters of a directory per device read

    /// <summary>Most bytes of a directory <see cref="ScanDir"/> reads at once (when its clusters are contiguous).</summary>
    private const int DirWindowBytes = 32 * 1024;

    private int DirChunkSize(uint dirStart) => dirStart == 0 ? Geometry.BytesPerSector : Geometry.BytesPerCluster;

    /// <summary>
    /// Reads the chunk (root sector or cluster) of directory <paramref name="dirStart"/> holding
    /// <paramref name="offset"/>; ENOENT past the directory's end.
    /// </summary>
    private int ReadDirChunk(uint dirStart, long offset, Span<byte> chunk, out long deviceOffset)
    {
        deviceOffset = 0;
        if (offset >= MaxDirBytes)
            return Errno.ENOENT;
        if (dirStart == 0)
        {
            if (offset >= (long)Geometry.RootEntryCount * FatDirEntry.Size)
                return Errno.ENOENT;
            deviceOffset = Geometry.RootDirOffset + offset;
            return Device.Read(deviceOffset, chunk);
        }
        int error = ChainCluster(null, dirStart, (uint)(offset >> Geometry.ClusterShift), out uint cluster);
        if (error != 0)
            return error;
        deviceOffset = Geometry.ClusterOffset(cluster);
        return ReadClusterBytes(cluster, 0, chunk);
    }

    /// <summary>
    /// Reads directory bytes from <paramref name="offset"/> (a multiple of the chunk size) into
    /// <paramref name="window"/>: at least the chunk holding it, and the chunks after it as long as they are
    /// contiguous on the device (the fixed root always is; a cluster chain while each link is "next cluster") —
    /// one device request for a directory mcopy or this driver wrote in one piece. <paramref name="length"/> is
    /// what was read; ENOENT past the directory's end.
    /// </summary>
    private int ReadDirWindow(uint dirStart, long offset, Span<byte> window, out int length)
    {
        length = 0;
        if (offset >= MaxDirBytes)
            return Errno.ENOENT;
        int unit = DirChunkSize(dirStart);
        long limit = Math.Min(window.Length, MaxDirBytes - offset);
        if (dirStart == 0)
        {
            long rootBytes = (long)Geometry.RootEntryCount * FatDirEntry.Size;
            if (offset >= rootBytes)
                return Errno.ENOENT;
            long n = Math.Min(limit, rootBytes - offset);
            n -= n % unit;
            if (n < unit)
                n = unit;
            length = (int)n;
            return Device.Read(Geometry.RootDirOffset + offset, window.Slice(0, length));
        }
        int error = ChainCluster(null, dirStart, (uint)(offset >> Geometry.ClusterShift), out uint first);
        if (error != 0)
            return error;
        if (!Fat.IsValidCluster(first))
            return Errno.EIO;
        long firstDev = Geometry.ClusterOffset(first);
        if (firstDev + unit <= Device.SizeBytes && Device.IsCached(firstDev))
        {
            // Directory clusters stay in the buffer cache once read (or written): the scans of a create — the
            // lookup that finds the name absent, then AddEntry — cost no device request.
            length = unit;
            return Device.ReadCached(firstDev, 0, window.Slice(0, unit));
        }
        uint count = 1;
        while ((count + 1) * (long)unit <= limit && Fat.Next(first + count - 1, out uint next) == 0
               && next == first + count && Fat.IsValidCluster(next))
            count++;
        long dev = Geometry.ClusterOffset(first);
        length = checked((int)(count * (long)unit));
        if (dev + length > Device.SizeBytes)
        {
            // The chain runs past a truncated image: read what the device holds (whole clusters), EIO if none.
            length = (int)Math.Max(0, (Device.SizeBytes - dev) / unit * unit);
            if (length == 0)
                return Errno.EIO;
        }
        if ((error = Device.Read(dev, window.Slice(0, length))) != 0)
            return error;
        for (int done = 0; done + unit <= length; done += unit)
            Device.FillCache(dev + done, window.Slice(done, unit));
        return 0;
    }

    /// <summary>
    /// A directory's chain must end (a loop would make it endless) and stay within the 2 MiB a directory may
    /// have: EIO otherwise. The fixed root has no chain.
    /// </summary>
    private int CheckDirChain(uint dirStart)
    {
        if (dirStart == 0)
            return 0;
        int error = ChainLength(dirStart, out uint count, out _);
        if (error != 0)
            return error;
        return (long)count * Geometry.BytesPerCluster > MaxDirBytes ? Errno.EIO : 0;
    }

    /// <summary>Device byte offset of the entry at <paramref name="offset"/> of a directory; EIO past its end.</summary>
    private int DirEntryDeviceOffset(uint dirStart, long offset, out long dev)
    {
        dev = 0;
        if (dirStart == 0)
        {
            if (offset >= (long)Geometry.RootEntryCount * FatDirEntry.Size)
                return Errno.EIO;
            dev = Geometry.RootDirOffset + offset;
            return 0;
        }
        int e = ChainCluster(null, dirStart, (uint)(offset >> Geometry.ClusterShift), out uint cluster);
        if (e != 0)
            return e == Errno.ENOENT ? Errno.EIO : e;
        dev = Geometry.ClusterOffset(cluster) + (offset & (Geometry.BytesPerCluster - 1));
        return 0;
    }

    /// <summary>Writes one 32-byte entry at <paramref name="offset"/> of a directory.</summary>
    private int WriteDirEntryBytes(uint dirStart, long offset, ReadOnlySpan<byte> entry)
    {
        Span<byte> copy = stackalloc byte[FatDirEntry.Size];
        entry.CopyTo(copy);
        return WriteDirEntries(dirStart, offset, copy, markFree: false);
    }

    /// <summary>
    /// Writes consecutive 32-byte entries from <paramref name="offset"/> of a directory — or, with
    /// <paramref name="markFree"/>, marks the <c>entries.Length / 32</c> entries there free (0xE5, the rest of each
    /// entry kept; <paramref name="entries"/> is scratch then). Cluster-chain directories are changed in their cached
    /// clusters and the sectors changed written through (NetBSD's bread, change, bwrite of the directory block);
    /// the fixed FAT12/16 root with one read-modify-write per sector. A name's entries usually share one sector.
    /// </summary>
    private int WriteDirEntries(uint dirStart, long offset, Span<byte> entries, bool markFree)
    {
        int bps = Geometry.BytesPerSector;
        int bpc = Geometry.BytesPerCluster;
        while (!entries.IsEmpty)
        {
            int error = DirEntryDeviceOffset(dirStart, offset, out long dev);
            if (error != 0)
                return error;
            if (dirStart != 0)
            {
                // Entries within one cluster are contiguous on the device.
                long block = dev - (offset & (bpc - 1));
                int inCluster = (int)(offset & (bpc - 1));
                int count = Math.Min(entries.Length, bpc - inCluster);
                var part = entries.Slice(0, count);
                if (block + bpc > Device.SizeBytes)
                    return Errno.EIO;
                if (markFree)
                {
                    if ((error = Device.ReadCached(block, inCluster, part)) != 0)
                        return error;
                    for (int i = 0; i < count; i += FatDirEntry.Size)
                        part[i] = FatDirEntry.FreeMarker;
                }
                if ((error = Device.WriteCached(block, inCluster, part, bps)) != 0)
                    return error;
                entries = entries.Slice(count);
                offset += count;
                continue;
            }
            long sectorStart = dev & ~(long)(bps - 1);
            int inSector = (int)(dev - sectorStart);
            int n = Math.Min(entries.Length, bps - inSector);
            if ((error = Device.Read(sectorStart, _sector)) != 0)
                return error;
            if (markFree)
            {
                for (int i = 0; i < n; i += FatDirEntry.Size)
                    _sector[inSector + i] = FatDirEntry.FreeMarker;
            }
            else
            {
                entries.Slice(0, n).CopyTo(_sector.AsSpan(inSector));
            }
            if ((error = Device.Write(sectorStart, _sector)) != 0)
                return error;
            entries = entries.Slice(n);
            offset += n;
        }
        return 0;
    }

    /// <summary>
    /// Visits the names of a directory from byte <paramref name="offset"/> on, assembling long names
    /// (ordinals in sequence and checksum matching, else the entry counts as 8.3 as the specification says).
    /// Skips free entries and the volume label; stops at the end marker. <paramref name="next"/> is the
    /// offset to resume from. EIO on a corrupt directory chain.
    /// </summary>
    public int ScanDir(uint dirStart, long offset, FatDirVisitor visitor, out long next)
    {
        next = offset;
        int error0 = CheckDirChain(dirStart);
        if (error0 != 0)
            return error0;
        int chunkSize = DirChunkSize(dirStart);
        var window = (_scanWindow ??= new byte[Math.Max(Geometry.BytesPerCluster, DirWindowBytes)]).AsSpan();
        Span<char> lfn = stackalloc char[FatLfnEntry.MaxEntries * FatLfnEntry.CharsPerEntry];
        int expect = 0, total = 0;
        byte sum = 0;
        long lfnStart = -1;
        long windowBase = -1;
        int windowLength = 0;
        for (long pos = offset & ~31L; ; pos += FatDirEntry.Size)
        {
            if (pos < windowBase || pos >= windowBase + windowLength)
            {
                long cb = pos - pos % chunkSize;
                int error = ReadDirWindow(dirStart, cb, window, out windowLength);
                if (error == Errno.ENOENT)
                {
                    next = pos;
                    return 0;
                }
                if (error != 0)
                    return error;
                windowBase = cb;
            }
            ReadOnlySpan<byte> e = window.Slice((int)(pos - windowBase), FatDirEntry.Size);
            if (e[0] == FatDirEntry.EndMarker)
            {
                next = pos;
                return 0;
            }
            next = pos + FatDirEntry.Size;
            if (e[0] == FatDirEntry.FreeMarker)
            {
                expect = 0;
                continue;
            }
            byte attr = e[11];
            if ((attr & FatAttr.ATTR_LONG_NAME_MASK) == FatAttr.ATTR_LONG_NAME)
            {
                int ord = e[0] & 0x3F;
                if ((e[0] & FatLfnEntry.LastLongEntry) != 0 && ord is >= 1 and <= FatLfnEntry.MaxEntries)
                {
                    expect = ord;
                    total = ord;
                    sum = e[13];
                    lfnStart = pos;
                }
                else if (expect == 0 || ord != expect - 1 || e[13] != sum || (e[0] & FatLfnEntry.LastLongEntry) != 0)
                {
                    expect = 0;
                    continue;
                }
                else
                {
                    expect = ord;
                }
                for (int i = 0; i < FatLfnEntry.CharsPerEntry; i++)
                    lfn[(ord - 1) * FatLfnEntry.CharsPerEntry + i] = FatLfnEntry.GetChar(e, i);
                continue;
            }
            var entry = FatDirEntry.Read(e);
            if (entry.IsVolumeLabel)
            {
                expect = 0;
                continue;
            }
            var slot = new FatDirSlot { Offset = pos, LfnOffset = pos, Entry = entry };
            if (expect == 1 && entry.DIR_Name.Checksum() == sum)
            {
                int len = 0;
                int max = total * FatLfnEntry.CharsPerEntry;
                while (len < max && lfn[len] != '\0')
                    len++;
                if (len is > 0 and <= FatLfnEntry.MaxNameLength)
                {
                    slot.Name = new string(lfn.Slice(0, len));
                    slot.LfnOffset = lfnStart;
                }
            }
            expect = 0;
            slot.Name ??= entry.DIR_Name.ToDisplayName(entry.DIR_NTRes);
            if (!visitor(in slot))
                return 0;
        }
    }

    /// <summary>Finds <paramref name="name"/> (case-insensitive, long or 8.3 name). ENOENT when absent.</summary>
    public int Lookup(uint dirStart, string name, out FatDirSlot found)
    {
        long hint = 0;
        return Lookup(dirStart, name, ref hint, out found);
    }

    /// <summary>
    /// Finds <paramref name="name"/> starting at <paramref name="hint"/> (the record after the last name found in
    /// this directory: NetBSD's dd_diroff / de_fndoffset) and wrapping around to the start, so names looked up in
    /// directory order cost one record each instead of a scan from the start. The hint is only where to start:
    /// every record is still looked at before ENOENT. On a hit the hint moves past the record found.
    /// </summary>
    public int Lookup(uint dirStart, string name, ref long hint, out FatDirSlot found)
    {
        FatDirSlot result = default;
        bool hit = false;
        bool shortValid = FatNames.TryShortName(name, out var shortName, out _);
        long start = hint > 0 && hint < MaxDirBytes ? hint & ~31L : 0;
        bool Matches(in FatDirSlot s)
            => FatNames.NamesEqual(s.Name, name) ||
               (s.LfnOffset != s.Offset && FatNames.NamesEqual(s.Entry.DIR_Name.ToDisplayName(0), name)) ||
               (shortValid && s.Entry.DIR_Name.Equals(shortName));
        int error = ScanDir(dirStart, start, (in FatDirSlot s) =>
        {
            if (!Matches(s))
                return true;
            result = s;
            hit = true;
            return false;
        }, out _);
        if (error == 0 && !hit && start > 0)
        {
            // The records before the hint. One that begins before it and ends after it was seen above without its
            // long name (the scan began inside it): look at it again here, whole.
            error = ScanDir(dirStart, 0, (in FatDirSlot s) =>
            {
                if (s.LfnOffset >= start)
                    return false;
                if (!Matches(s))
                    return true;
                result = s;
                hit = true;
                return false;
            }, out _);
        }
        found = result;
        if (error != 0)
            return error;
        if (!hit)
            return Errno.ENOENT;
        hint = result.Offset + FatDirEntry.Size;
        return 0;
    }

    /// <summary>The entry whose first cluster is <paramref name="cluster"/> (".." lookups of a directory's own entry).</summary>
    public int FindByCluster(uint dirStart, uint cluster, out FatDirSlot found)
    {
        FatDirSlot result = default;
        bool hit = false;
        var type = Geometry.Type;
        int error = ScanDir(dirStart, 0, (in FatDirSlot s) =>
        {
            if (s.Entry.IsDirectory && !s.Entry.DIR_Name.IsDot && !s.Entry.DIR_Name.IsDotDot && s.Entry.FirstCluster(type) == cluster)
            {
                result = s;
                hit = true;
                return false;
            }
            return true;
        }, out _);
        found = result;
        if (error != 0)
            return error;
        return hit ? 0 : Errno.ENOENT;
    }

    /// <summary>The parent directory's start cluster as the ".." entry of <paramref name="dirStart"/> says (0 = root).</summary>
    public int DotDotCluster(uint dirStart, out uint parent)
    {
        parent = 0;
        if (dirStart == 0 || dirStart == RootStart)
            return 0;
        var chunk = _dirChunk ??= new byte[Geometry.BytesPerCluster];
        int error = ReadDirChunk(dirStart, 0, chunk, out _);
        if (error != 0)
            return error == Errno.ENOENT ? Errno.EIO : error;
        var dotdot = FatDirEntry.Read(chunk.AsSpan(FatDirEntry.Size));
        if (!dotdot.DIR_Name.IsDotDot)
            return Errno.EIO;
        parent = dotdot.FirstCluster(Geometry.Type);
        if (parent != 0 && !Fat.IsValidCluster(parent))
            return Errno.EIO;
        if (parent == 0)
            parent = RootStart;
        return 0;
    }

    /// <summary>True when the directory has only ".", ".." and free entries (ENOTEMPTY test of rmdir).</summary>
    public int IsEmptyDir(uint dirStart, out bool empty)
    {
        bool any = false;
        int error = ScanDir(dirStart, 0, (in FatDirSlot s) =>
        {
            if (s.Entry.DIR_Name.IsDot || s.Entry.DIR_Name.IsDotDot)
                return true;
            any = true;
            return false;
        }, out _);
        empty = !any;
        return error;
    }

    /// <summary>
    /// Adds <paramref name="name"/> to a directory with the fields of <paramref name="entry"/> (its name is
    /// chosen here): a plain 8.3 entry when the name allows (case bits as mtools), else long-name entries and
    /// a unique "~N" alias. Grows a cluster-chain directory by zeroed clusters; ENOSPC when the fixed root is
    /// full. The caller has checked the name does not exist (EEXIST). The 8.3 name of the entry at
    /// <paramref name="ignoreShortNameAt"/> (a file being renamed to another spelling of its name) is not counted as taken.
    /// </summary>
    public int AddEntry(uint dirStart, string name, FatDirEntry entry, out FatDirSlot slot, long ignoreShortNameAt = -1)
    {
        slot = default;
        if (ReadOnly)
            return Errno.EROFS;
        int error = FatNames.ValidateLongName(name);
        if (error != 0)
            return error;
        if ((error = CheckDirChain(dirStart)) != 0)
            return error;
        bool needLfn = !FatNames.TryShortName(name, out var shortName, out byte ntRes);
        int lfnEntries = needLfn ? (name.Length + FatLfnEntry.CharsPerEntry - 1) / FatLfnEntry.CharsPerEntry : 0;
        int needed = lfnEntries + 1;

        // One pass: existing short names (for the alias) and the first run of free slots. The directory is read in
        // windows of contiguous clusters (one device request per window, like ScanDir), not a request per cluster.
        var shortNames = new HashSet<ulong>();
        var window = (_scanWindow ??= new byte[Math.Max(Geometry.BytesPerCluster, DirWindowBytes)]).AsSpan();
        long windowBase = 0;
        int windowLength = 0;
        long runStart = -1;
        int run = 0;
        long pos = 0;
        bool atEnd = false;
        for (; ; pos += FatDirEntry.Size)
        {
            if (pos >= windowBase + windowLength)
            {
                error = ReadDirWindow(dirStart, pos, window, out windowLength);
                if (error == Errno.ENOENT)
                    break;
                if (error != 0)
                    return error;
                windowBase = pos;
            }
            var e = window.Slice((int)(pos - windowBase), FatDirEntry.Size);
            if (atEnd || e[0] == FatDirEntry.EndMarker || e[0] == FatDirEntry.FreeMarker)
            {
                atEnd |= e[0] == FatDirEntry.EndMarker;
                if (run == 0)
                    runStart = pos;
                if (run < needed)
                    run++;
                if (atEnd && run >= needed)
                    break;
                continue;
            }
            if (run < needed)
                run = 0;
            if ((e[11] & FatAttr.ATTR_LONG_NAME_MASK) != FatAttr.ATTR_LONG_NAME && pos != ignoreShortNameAt)
                shortNames.Add(ShortKey(e));
        }
        if (run < needed)
        {
            // Grow the directory so the run (possibly begun at its tail) fits.
            if (dirStart == 0)
                return Errno.ENOSPC;
            if (run == 0)
                runStart = pos;
            long missing = (long)(needed - run) * FatDirEntry.Size;
            uint add = (uint)((missing + Geometry.BytesPerCluster - 1) >> Geometry.ClusterShift);
            if (pos + (long)add * Geometry.BytesPerCluster > MaxDirBytes)
                return Errno.ENOSPC;
            if ((error = ChainLength(dirStart, out _, out uint last)) != 0)
                return error;
            if ((error = Fat.Allocate(last, add, out uint first)) != 0)
                return error;
            for (uint c = first, i = 0; i < add; i++)
            {
                if ((error = ZeroCluster(c)) != 0)
                    return error;
                if ((error = Fat.Next(c, out c)) != 0)
                    return error;
            }
        }
        else if (runStart < 0)
        {
            return Errno.EIO;
        }

        if (needLfn)
        {
            Span<char> b = stackalloc char[8];
            Span<char> x = stackalloc char[3];
            FatNames.BasisName(name, b, out int bl, x, out int xl, out bool lossy);
            shortName = FatName83.FromParts(b.Slice(0, bl), x.Slice(0, xl));
            if (lossy || shortNames.Contains(ShortKey(shortName.Bytes)))
            {
                int n = 1;
                for (; n < 1_000_000; n++)
                {
                    shortName = FatNames.WithTail(b.Slice(0, bl), x.Slice(0, xl), n);
                    if (!shortNames.Contains(ShortKey(shortName.Bytes)))
                        break;
                }
                if (n == 1_000_000)
                    return Errno.EEXIST;
            }
            ntRes = 0;
        }
        entry.DIR_Name = shortName;
        entry.DIR_NTRes = ntRes;

        // The long-name entries and the short entry, written together (at most 21 entries: 672 bytes).
        Span<byte> entries = stackalloc byte[needed * FatDirEntry.Size];
        entries.Clear();
        byte checksum = shortName.Checksum();
        for (int ord = lfnEntries, i = 0; ord >= 1; ord--, i++)
            FatLfnEntry.Write(entries.Slice(i * FatDirEntry.Size, FatDirEntry.Size), name, ord, ord == lfnEntries, checksum);
        long at = runStart + (long)lfnEntries * FatDirEntry.Size;
        entry.Write(entries.Slice(lfnEntries * FatDirEntry.Size, FatDirEntry.Size));
        if ((error = WriteDirEntries(dirStart, runStart, entries, markFree: false)) != 0)
            return error;
        slot = new FatDirSlot { Offset = at, LfnOffset = runStart, Entry = entry, Name = name };
        return 0;
    }

    private static ulong ShortKey(ReadOnlySpan<byte> name11)
    {
        ulong k = 0;
        for (int i = 0; i < 11; i++)
            k = k * 131 + name11[i];
        return k ^ ((ulong)name11[10] << 56);
    }

    /// <summary>Marks a name's long-name entries and short entry free (0xE5).</summary>
    public int RemoveEntry(uint dirStart, long lfnOffset, long offset)
    {
        if (ReadOnly)
            return Errno.EROFS;
        if (lfnOffset > offset || offset - lfnOffset > FatLfnEntry.MaxEntries * FatDirEntry.Size)
            return Errno.EIO;
        // Only the length matters when marking free: one read-modify-write per sector the name occupies.
        Span<byte> span = stackalloc byte[(int)(offset - lfnOffset) + FatDirEntry.Size];
        return WriteDirEntries(dirStart, lfnOffset, span, markFree: true);
    }

    /// <summary>Writes a node's in-memory entry back to its directory (deupdat).</summary>
    public int UpdateEntry(FatNode node)
    {
        if (node.IsRoot || node.Unlinked || !node.EntryDirty || ReadOnly)
        {
            node.EntryDirty = false;
            return 0;
        }
        Span<byte> raw = stackalloc byte[FatDirEntry.Size];
        node.Entry.Write(raw);
        int error = WriteDirEntryBytes(node.DirStart, node.DirOffset, raw);
        if (error == 0)
            node.EntryDirty = false;
        return error;
    }

    /// <summary>A fresh entry with the current time as creation, modification and access time.</summary>
    public FatDirEntry NewEntry(byte attr)
    {
        Now(out var d, out var t, out var tenths);
        return new FatDirEntry
        {
            DIR_Attr = attr,
            DIR_CrtDate = d,
            DIR_CrtTime = t,
            DIR_CrtTimeTenth = tenths,
            DIR_WrtDate = d,
            DIR_WrtTime = t,
            DIR_LstAccDate = d,
        };
    }

    /// <summary>Creates a regular file entry (no clusters yet).</summary>
    public int Create(uint dirStart, string name, byte attr, out FatNode? node)
    {
        node = null;
        int error = AddEntry(dirStart, name, NewEntry((byte)(attr | FatAttr.ATTR_ARCHIVE)), out var slot);
        if (error != 0)
            return error;
        node = NodeFromSlot(dirStart, slot);
        return 0;
    }

    public FatNode NodeFromSlot(uint dirStart, in FatDirSlot slot)
        => new() { DirStart = dirStart, DirOffset = slot.Offset, LfnOffset = slot.LfnOffset, Entry = slot.Entry };

    /// <summary>Creates a directory: one zeroed cluster with "." and ".." (cluster 0 when the parent is the root).</summary>
    public int Mkdir(uint dirStart, string name, out FatNode? node)
    {
        node = null;
        if (ReadOnly)
            return Errno.EROFS;
        int error = Fat.Allocate(0, 1, out uint cluster);
        if (error != 0)
            return error;
        var entry = NewEntry(FatAttr.ATTR_DIRECTORY);
        entry.SetFirstCluster(cluster, Geometry.Type);
        _cluster.AsSpan().Clear();
        var dot = entry;
        dot.DIR_Name = FatName83.FromParts(".", "");
        dot.Write(_cluster.AsSpan(0, FatDirEntry.Size));
        var dotdot = entry;
        dotdot.DIR_Name = FatName83.FromParts("..", "");
        dotdot.SetFirstCluster(dirStart == RootStart ? 0 : dirStart, Geometry.Type);
        dotdot.Write(_cluster.AsSpan(FatDirEntry.Size, FatDirEntry.Size));
        if ((error = WriteClusterBytes(cluster, 0, _cluster)) != 0 ||
            (error = AddEntry(dirStart, name, entry, out var slot)) != 0)
        {
            Fat.FreeChain(cluster);
            return error;
        }
        node = NodeFromSlot(dirStart, slot);
        return 0;
    }

    /// <summary>
    /// Moves <paramref name="node"/>'s entry to <paramref name="newName"/> in directory <paramref name="toDir"/>,
    /// removing the entry of <paramref name="replace"/> (the existing target) once the new one is written. The
    /// caller checked a directory is not moved below itself and a replaced directory is empty. A moved
    /// directory's ".." is pointed at its new parent.
    /// </summary>
    public int Rename(FatNode node, uint toDir, string newName, FatNode? replace = null)
    {
        if (ReadOnly)
            return Errno.EROFS;
        var entry = node.Entry;
        long ownShortEntry = -1;
        if (replace is null && toDir == node.DirStart)
        {
            // The new name may be the node's own name in another spelling (names compare without case): store the
            // new spelling, or do nothing when it is the same. Its own 8.3 name does not count as taken.
            int error0 = OwnName(node, newName, out bool isOwn, out bool sameSpelling);
            if (error0 != 0)
                return error0;
            if (sameSpelling)
                return 0;
            if (isOwn)
                ownShortEntry = node.DirOffset;
        }
        // The new name first, then the replaced entry and the old one go: a full directory (ENOSPC) leaves
        // both files as they were.
        int error = AddEntry(toDir, newName, entry, out var slot, ownShortEntry);
        if (error != 0)
            return error;
        if (replace is not null)
        {
            if ((error = RemoveEntry(replace.DirStart, replace.LfnOffset, replace.DirOffset)) != 0)
                return error;
            replace.Unlinked = true;
        }
        if ((error = RemoveEntry(node.DirStart, node.LfnOffset, node.DirOffset)) != 0)
            return error;
        uint oldDir = node.DirStart;
        node.DirStart = toDir;
        node.DirOffset = slot.Offset;
        node.LfnOffset = slot.LfnOffset;
        node.Entry = slot.Entry;
        if (node.Entry.IsDirectory && oldDir != toDir)
        {
            uint self = StartCluster(node);
            var chunk = _dirChunk ??= new byte[Geometry.BytesPerCluster];
            if ((error = ReadDirChunk(self, 0, chunk, out _)) != 0)
                return error == Errno.ENOENT ? Errno.EIO : error;
            var dotdot = FatDirEntry.Read(chunk.AsSpan(FatDirEntry.Size));
            if (!dotdot.DIR_Name.IsDotDot)
                return Errno.EIO;
            dotdot.SetFirstCluster(toDir == RootStart ? 0 : toDir, Geometry.Type);
            Span<byte> raw = stackalloc byte[FatDirEntry.Size];
            dotdot.Write(raw);
            if ((error = WriteDirEntryBytes(self, FatDirEntry.Size, raw)) != 0)
                return error;
        }
        return 0;
    }

    /// <summary>
    /// Whether <paramref name="name"/> finds <paramref name="node"/>'s own entry in its directory (names compare without
    /// case), and whether it is spelled exactly as stored (long name, or 8.3 name with its case bits).
    /// </summary>
    public int OwnName(FatNode node, string name, out bool isOwn, out bool sameSpelling)
    {
        isOwn = sameSpelling = false;
        int found = Lookup(node.DirStart, name, out var existing);
        if (found == Errno.ENOENT)
            return 0;
        if (found != 0)
            return found;
        isOwn = existing.Offset == node.DirOffset;
        sameSpelling = isOwn && string.Equals(existing.Name, name, StringComparison.Ordinal);
        return 0;
    }

    /// <summary>
    /// EINVAL when directory <paramref name="ancestor"/> is <paramref name="dir"/> or above it (rename of a
    /// directory into its own subtree); EIO when the ".." chain loops or is corrupt.
    /// </summary>
    public int CheckNotAncestor(uint ancestor, uint dir)
    {
        uint c = dir;
        for (uint steps = 0; ; steps++)
        {
            if (c == ancestor)
                return Errno.EINVAL;
            if (c == RootStart)
                return 0;
            if (steps > Geometry.CountOfClusters)
                return Errno.EIO;
            int error = DotDotCluster(c, out uint parent);
            if (error != 0)
                return error;
            if (parent == c)
                return Errno.EIO;
            c = parent;
        }
    }

    /// <summary>Bytes a directory occupies (st_size): its chain's length, or the fixed root's size.</summary>
    public int DirSize(FatNode dir, out long size)
    {
        size = 0;
        uint start = dir.IsRoot ? RootStart : StartCluster(dir);
        if (start == 0)
        {
            size = (long)Geometry.RootEntryCount * FatDirEntry.Size;
            return 0;
        }
        int error = ChainLength(start, out uint count, out _);
        size = (long)count * Geometry.BytesPerCluster;
        return error;
    }
}
