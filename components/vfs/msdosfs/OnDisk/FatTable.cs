using System;
using System.Buffers.Binary;

namespace Rump.Fs.Msdosfs;

using Errno = Rump.Kern.Errno;

/// <summary>
/// The file allocation table, held in memory (the part covering clusters 0..MaxCluster), with a map of the
/// sectors changed since the last <see cref="Flush"/> and NetBSD's in-use bitmap (pm_inusemap) for
/// allocation and an exact free count. Writes go to every FAT copy unless FAT32 mirroring is off.
/// Locking: the owning <see cref="FatVolume"/>'s caller holds the volume lock for every call.
/// </summary>
internal sealed class FatTable
{
    private readonly FatGeometry _g;
    private readonly IFatDevice _dev;
    private readonly byte[] _fat;            // active FAT copy, whole sectors
    private readonly ulong[] _dirtySectors;  // bit per FAT sector
    private readonly ulong[] _inUse;         // bit per cluster number (0..MaxCluster)
    private bool _anyDirty;

    /// <summary>Highest cluster the device really holds (less than MaxCluster on a truncated image).</summary>
    public uint UsableMaxCluster { get; }
    public uint FreeCount { get; private set; }
    /// <summary>Where the next allocation search starts (FSI_Nxt_Free).</summary>
    public uint NextFree { get; set; }

    public uint EocMin => _g.Type switch { FatType.Fat12 => 0xFF8, FatType.Fat16 => 0xFFF8, _ => 0x0FFFFFF8 };
    public uint Eoc => _g.Type switch { FatType.Fat12 => 0xFFF, FatType.Fat16 => 0xFFFF, _ => 0x0FFFFFFF };
    public uint Bad => _g.Type switch { FatType.Fat12 => 0xFF7, FatType.Fat16 => 0xFFF7, _ => 0x0FFFFFF7 };

    private FatTable(FatGeometry g, IFatDevice dev, byte[] fat, uint usableMax)
    {
        _g = g;
        _dev = dev;
        _fat = fat;
        _dirtySectors = new ulong[(fat.Length / g.BytesPerSector + 63) / 64];
        _inUse = new ulong[((long)g.MaxCluster + 1 + 63) / 64];
        UsableMaxCluster = usableMax;
        NextFree = 2;
    }

    /// <summary>Reads the active FAT and builds the in-use map (fillinusemap). EIO when unreadable.</summary>
    public static int Load(FatGeometry g, IFatDevice dev, out FatTable? table)
    {
        table = null;
        long needed = g.Type switch
        {
            FatType.Fat12 => ((long)g.MaxCluster + 1) * 3 / 2 + 2,
            FatType.Fat16 => ((long)g.MaxCluster + 1) * 2,
            _ => ((long)g.MaxCluster + 1) * 4,
        };
        long sectors = (needed + g.BytesPerSector - 1) / g.BytesPerSector;
        if (sectors > g.FatSectors)
            sectors = g.FatSectors;
        long bytes = sectors * g.BytesPerSector;
        if (bytes > int.MaxValue)
            return Errno.EFBIG;
        var fat = new byte[bytes];
        int error = dev.Read(g.FatOffset(g.ActiveFat), fat);
        if (error != 0)
            return error;
        // Clusters the device does not hold are never handed out (a truncated image stays readable in front).
        long devClusters = (dev.SizeBytes / g.BytesPerSector - g.FirstDataSector) / g.SectorsPerCluster;
        uint usableMax = devClusters + 1 < g.MaxCluster ? (uint)Math.Max(1, devClusters + 1) : g.MaxCluster;
        var t = new FatTable(g, dev, fat, usableMax);
        t._inUse[0] |= 3; // clusters 0 and 1 are reserved
        uint free = 0;
        for (uint c = 2; c <= g.MaxCluster; c++)
        {
            if (t.Get(c) != 0 || c > usableMax)
                t.MarkInUse(c);
            else
                free++;
        }
        t.FreeCount = free;
        table = t;
        return 0;
    }

    private bool IsInUse(uint c) => (_inUse[c >> 6] & (1UL << (int)(c & 63))) != 0;
    private void MarkInUse(uint c) => _inUse[c >> 6] |= 1UL << (int)(c & 63);
    private void MarkFree(uint c) => _inUse[c >> 6] &= ~(1UL << (int)(c & 63));

    /// <summary>Raw entry <paramref name="n"/> (FAT32: the low 28 bits).</summary>
    public uint Get(uint n)
    {
        switch (_g.Type)
        {
            case FatType.Fat12:
            {
                int off = checked((int)(n + n / 2));
                uint v = BinaryPrimitives.ReadUInt16LittleEndian(_fat.AsSpan(off));
                return (n & 1) != 0 ? v >> 4 : v & 0xFFF;
            }
            case FatType.Fat16:
                return BinaryPrimitives.ReadUInt16LittleEndian(_fat.AsSpan(checked((int)n * 2)));
            default:
                return BinaryPrimitives.ReadUInt32LittleEndian(_fat.AsSpan(checked((int)n * 4))) & 0x0FFFFFFF;
        }
    }

    /// <summary>Count of entries set to free (0) so far: a chain position remembered before a change of it stays valid.</summary>
    public ulong Frees { get; private set; }

    /// <summary>Sets entry <paramref name="n"/>; a FAT12 entry may straddle two sectors, both become dirty.</summary>
    public void Set(uint n, uint value)
    {
        if (value == 0)
            Frees++;
        switch (_g.Type)
        {
            case FatType.Fat12:
            {
                int off = checked((int)(n + n / 2));
                uint v = BinaryPrimitives.ReadUInt16LittleEndian(_fat.AsSpan(off));
                v = (n & 1) != 0 ? (v & 0x000F) | ((value & 0xFFF) << 4) : (v & 0xF000) | (value & 0xFFF);
                BinaryPrimitives.WriteUInt16LittleEndian(_fat.AsSpan(off), (ushort)v);
                MarkDirty(off, 2);
                break;
            }
            case FatType.Fat16:
                BinaryPrimitives.WriteUInt16LittleEndian(_fat.AsSpan(checked((int)n * 2)), (ushort)value);
                MarkDirty((int)n * 2, 2);
                break;
            default:
            {
                int off = checked((int)n * 4);
                uint old = BinaryPrimitives.ReadUInt32LittleEndian(_fat.AsSpan(off));
                BinaryPrimitives.WriteUInt32LittleEndian(_fat.AsSpan(off), (old & 0xF0000000) | (value & 0x0FFFFFFF));
                MarkDirty(off, 4);
                break;
            }
        }
    }

    private void MarkDirty(int offset, int length)
    {
        int first = offset / _g.BytesPerSector, last = (offset + length - 1) / _g.BytesPerSector;
        for (int s = first; s <= last; s++)
            _dirtySectors[s >> 6] |= 1UL << (s & 63);
        _anyDirty = true;
    }

    /// <summary>
    /// The cluster after <paramref name="cluster"/> in its chain: 0 with <paramref name="next"/> = 0 at the end,
    /// EIO when the entry is free, bad, reserved or out of range (a corrupt chain).
    /// </summary>
    public int Next(uint cluster, out uint next)
    {
        next = 0;
        if (cluster < 2 || cluster > _g.MaxCluster)
            return Errno.EIO;
        uint v = Get(cluster);
        if (v >= EocMin)
            return 0;
        if (v < 2 || v > _g.MaxCluster)
            return Errno.EIO;
        next = v;
        return 0;
    }

    public bool IsValidCluster(uint c) => c >= 2 && c <= _g.MaxCluster;

    /// <summary>Clean-shutdown bit of FAT[1] (FAT16/32; FAT12 has none and reads as clean).</summary>
    public bool CleanShutdown
    {
        get => _g.Type switch
        {
            FatType.Fat16 => (Get(1) & 0x8000) != 0,
            FatType.Fat32 => (Get(1) & 0x08000000) != 0,
            _ => true,
        };
        set
        {
            uint bit = _g.Type == FatType.Fat16 ? 0x8000u : _g.Type == FatType.Fat32 ? 0x08000000u : 0;
            if (bit != 0)
                Set(1, value ? Get(1) | bit : Get(1) & ~bit);
        }
    }

    /// <summary>Hard-error bit of FAT[1]: false when a disk error was recorded.</summary>
    public bool NoHardError => _g.Type switch
    {
        FatType.Fat16 => (Get(1) & 0x4000) != 0,
        FatType.Fat32 => (Get(1) & 0x04000000) != 0,
        _ => true,
    };

    /// <summary>
    /// Allocates <paramref name="count"/> clusters linked as a chain ending in EOC, and links it after
    /// <paramref name="after"/> (0: a new chain). Prefers the clusters right after <paramref name="after"/>,
    /// then the first free run long enough from the next-free hint, then any free clusters. ENOSPC before
    /// touching anything when there are not enough.
    /// </summary>
    public int Allocate(uint after, uint count, out uint first)
    {
        first = 0;
        if (count == 0)
            return Errno.EINVAL;
        if (count > FreeCount)
            return Errno.ENOSPC;
        uint start = 0;
        if (after != 0 && RunFree(after + 1, count))
            start = after + 1;
        else
            start = FindRun(count);
        uint prev = after;
        if (start != 0)
        {
            for (uint i = 0; i < count; i++)
                Link(ref prev, start + i, ref first);
        }
        else
        {
            uint c = NextFree;
            for (uint got = 0; got < count;)
            {
                if (c < 2 || c > UsableMaxCluster)
                    c = 2;
                if (!IsInUse(c))
                {
                    Link(ref prev, c, ref first);
                    got++;
                }
                c++;
            }
        }
        Set(prev, Eoc);
        NextFree = prev + 1 > UsableMaxCluster ? 2 : prev + 1;
        return 0;
    }

    private void Link(ref uint prev, uint c, ref uint first)
    {
        MarkInUse(c);
        FreeCount--;
        Set(c, Eoc);
        if (prev != 0)
            Set(prev, c);
        if (first == 0)
            first = c;
        prev = c;
    }

    private bool RunFree(uint start, uint count)
    {
        if (start < 2 || (ulong)start + count - 1 > UsableMaxCluster)
            return false;
        for (uint c = start; c < start + count; c++)
        {
            if (IsInUse(c))
                return false;
        }
        return true;
    }

    /// <summary>First cluster of a free run of <paramref name="count"/>, searching from NextFree and wrapping; 0 if none.</summary>
    private uint FindRun(uint count)
    {
        uint hint = NextFree is >= 2 ? NextFree : 2;
        if (hint > UsableMaxCluster)
            hint = 2;
        for (int pass = 0; pass < 2; pass++)
        {
            uint lo = pass == 0 ? hint : 2, hi = pass == 0 ? UsableMaxCluster : Math.Min(UsableMaxCluster, hint + count);
            uint run = 0;
            for (uint c = lo; c <= hi; c++)
            {
                if (IsInUse(c))
                {
                    run = 0;
                    continue;
                }
                if (++run == count)
                    return c - count + 1;
            }
        }
        return 0;
    }

    /// <summary>
    /// Frees the chain starting at <paramref name="start"/>. Stops with EIO at a corrupt link or a loop
    /// (more links than clusters), keeping what it freed so far freed.
    /// </summary>
    public int FreeChain(uint start)
    {
        uint c = start;
        for (uint steps = 0; c != 0; steps++)
        {
            if (steps > _g.CountOfClusters || !IsValidCluster(c) || Get(c) == 0)
                return Errno.EIO;
            int error = Next(c, out uint next);
            Set(c, 0);
            if (IsInUse(c) && c <= UsableMaxCluster)
            {
                MarkFree(c);
                FreeCount++;
            }
            if (error != 0)
                return error;
            c = next;
        }
        if (start < NextFree && start >= 2)
            NextFree = start;
        return 0;
    }

    /// <summary>Ends a chain after <paramref name="last"/> and frees the clusters that followed it.</summary>
    public int TruncateAfter(uint last)
    {
        int error = Next(last, out uint next);
        if (error != 0)
            return error;
        Set(last, Eoc);
        return next == 0 ? 0 : FreeChain(next);
    }

    /// <summary>Writes the changed FAT sectors to every FAT copy (or the active one only).</summary>
    public int Flush()
    {
        if (!_anyDirty)
            return 0;
        int bps = _g.BytesPerSector;
        int sectors = _fat.Length / bps;
        for (int s = 0; s < sectors; s++)
        {
            if (_dirtySectors[s >> 6] == 0)
            {
                s |= 63;   // no dirty sector in this word (a 2 MiB FAT32 FAT has 4096 sectors; an operation dirties few)
                continue;
            }
            if ((_dirtySectors[s >> 6] & (1UL << (s & 63))) == 0)
                continue;
            // Write runs of dirty sectors at once.
            int e = s;
            while (e + 1 < sectors && (_dirtySectors[(e + 1) >> 6] & (1UL << ((e + 1) & 63))) != 0)
                e++;
            var data = _fat.AsSpan(s * bps, (e - s + 1) * bps);
            for (int f = 0; f < _g.NumFats; f++)
            {
                if (!_g.Mirrored && f != _g.ActiveFat)
                    continue;
                int error = _dev.Write(_g.FatOffset(f) + (long)s * bps, data);
                if (error != 0)
                    return error;
            }
            for (int k = s; k <= e; k++)
                _dirtySectors[k >> 6] &= ~(1UL << (k & 63));
            s = e;
        }
        _anyDirty = false;
        return 0;
    }
}
