using System;
using System.Buffers.Binary;
using System.Collections.Generic;

namespace Rump.Dev;

/// <summary>One 16-byte MBR partition entry (struct mbr_partition).</summary>
internal readonly record struct MbrEntry(byte Flag, byte Type, uint Start, uint Size)
{
    public const int PartitionTableOffset = 446;   // MBR_PART_OFFSET
    public const int EntrySize = 16;
    public const int SignatureOffset = 510;        // MBR_MAGIC_OFFSET
    public const ushort Signature = 0xAA55;        // MBR_MAGIC, little-endian 55 AA

    public const byte TypeUnused = 0x00, TypeExtended = 0x05, TypeExtendedLba = 0x0F, TypeExtendedLinux = 0x85, TypeGptProtective = 0xEE;

    public bool IsEmpty => Type == TypeUnused || Size == 0;
    public bool IsExtended => Type is TypeExtended or TypeExtendedLba or TypeExtendedLinux;

    /// <summary>Decodes entry <paramref name="index"/> (0–3) of an MBR or EBR sector.</summary>
    public static MbrEntry Read(ReadOnlySpan<byte> sector, int index)
    {
        var e = sector.Slice(PartitionTableOffset + index * EntrySize, EntrySize);
        // mbrp_flag, CHS start (3), mbrp_type, CHS end (3), mbrp_start, mbrp_size
        return new MbrEntry(e[0], e[4], BinaryPrimitives.ReadUInt32LittleEndian(e.Slice(8)), BinaryPrimitives.ReadUInt32LittleEndian(e.Slice(12)));
    }

    public static bool HasSignature(ReadOnlySpan<byte> sector)
        => sector.Length >= 512 && BinaryPrimitives.ReadUInt16LittleEndian(sector.Slice(SignatureOffset)) == Signature;
}

/// <summary>
/// The MBR partition scheme (NetBSD's dkwedge_mbr.c, numbering as Linux/sfdisk): primaries by slot,
/// logical partitions of the extended partition's EBR chain numbered from 5. Extended containers get no
/// wedge. Entries outside the disk are skipped with a log line; a looping or over-long EBR chain stops.
/// </summary>
internal static class MbrScheme
{
    private const int MaxLogical = 128;

    /// <summary>True when sector 0 holds a plausible MBR: signature and boot flags 0x00/0x80 only.</summary>
    public static bool Looks(ReadOnlySpan<byte> sector0)
    {
        if (!MbrEntry.HasSignature(sector0))
            return false;
        for (var i = 0; i < 4; i++)
        {
            var flag = MbrEntry.Read(sector0, i).Flag;
            if (flag != 0x00 && flag != 0x80)
                return false;
        }
        return true;
    }

    /// <summary>True when a primary entry is the GPT protective partition (type 0xEE).</summary>
    public static bool IsProtective(ReadOnlySpan<byte> sector0)
    {
        for (var i = 0; i < 4; i++)
        {
            if (MbrEntry.Read(sector0, i).Type == MbrEntry.TypeGptProtective)
                return true;
        }
        return false;
    }

    /// <summary>
    /// Collects the partitions of the MBR in <paramref name="sector0"/>. Returns the number of problems
    /// logged through <paramref name="log"/> (entries skipped, chain cut); partitions still found are kept.
    /// </summary>
    public static int Parse(ReadOnlySpan<byte> sector0, int sectorSize, long totalSectors, SectorReader read,
        List<Partition> found, Action<string> log)
    {
        var problems = 0;
        long extendedStart = -1, extendedSize = 0;
        for (var i = 0; i < 4; i++)
        {
            var e = MbrEntry.Read(sector0, i);
            if (e.IsEmpty)
                continue;
            if (e.Start >= 1 && e.Size > 0 && e.Start < totalSectors && e.Start + e.Size > totalSectors)
            {
                // A disk image cut short (or a table written for a larger disk). NetBSD's dkwedge_add refuses a wedge
                // that does not fit its disk (EINVAL), and so does this scan: no clipped wedge whose file system
                // would find its end missing.
                log("MBR partition " + (i + 1) + " (start " + e.Start + ", " + e.Size + " sectors = " + e.Size * sectorSize + " bytes) ends at sector "
                    + (e.Start + e.Size) + ", past the end of the disk of " + totalSectors + " sectors = " + totalSectors * sectorSize
                    + " bytes; not attached (a wedge must lie within its disk); skipped");
                problems++;
                continue;
            }
            if (!Fits(e.Start, e.Size, 1, totalSectors))
            {
                log("MBR partition " + (i + 1) + " (start " + e.Start + ", " + e.Size + " sectors) lies outside the disk of "
                    + totalSectors + " sectors; skipped");
                problems++;
                continue;
            }
            if (e.IsExtended)
            {
                if (extendedStart < 0)
                {
                    extendedStart = e.Start;
                    extendedSize = e.Size;
                }
                continue;
            }
            found.Add(new Partition(i + 1, e.Start, e.Size, "mbr", "0x" + e.Type.ToString("x2", System.Globalization.CultureInfo.InvariantCulture), ""));
        }

        if (extendedStart >= 0)
            problems += ParseLogical(extendedStart, extendedSize, sectorSize, read, found, log);
        return problems;
    }

    private static int ParseLogical(long extStart, long extSize, int sectorSize, SectorReader read, List<Partition> found, Action<string> log)
    {
        var ebr = new byte[sectorSize];
        var visited = new HashSet<long>();
        var number = 5;
        var ebrLba = extStart;
        var extEnd = extStart + extSize;
        var problems = 0;
        for (var n = 0; n < MaxLogical; n++)
        {
            if (!visited.Add(ebrLba))
            {
                log("EBR chain loops back to sector " + ebrLba + "; logical partitions after " + (number - 1) + " ignored");
                return problems + 1;
            }
            var error = read(ebrLba, ebr);
            if (error != 0)
            {
                log("cannot read EBR at sector " + ebrLba + " (error " + error + ")");
                return problems + 1;
            }
            if (!MbrEntry.HasSignature(ebr))
            {
                // An extended partition whose first EBR is blank simply holds no logical partitions.
                if (ebrLba == extStart)
                    return problems;
                log("EBR at sector " + ebrLba + " has no signature; chain cut");
                return problems + 1;
            }

            var data = MbrEntry.Read(ebr, 0);
            var link = MbrEntry.Read(ebr, 1);
            if (!data.IsEmpty)
            {
                var start = ebrLba + data.Start;
                if (data.Start == 0 || start + data.Size > extEnd)
                {
                    log("logical partition in EBR at sector " + ebrLba + " (start " + start + ", " + data.Size
                        + " sectors) lies outside the extended partition; skipped");
                    problems++;
                }
                else
                {
                    found.Add(new Partition(number, start, data.Size, "mbr",
                        "0x" + data.Type.ToString("x2", System.Globalization.CultureInfo.InvariantCulture), ""));
                }
                number++;
            }
            if (link.IsEmpty || !link.IsExtended)
                return problems;
            var next = extStart + link.Start;
            if (link.Start == 0 || next >= extEnd)
            {
                log("EBR link at sector " + ebrLba + " points outside the extended partition; chain cut");
                return problems + 1;
            }
            ebrLba = next;
        }
        log("more than " + MaxLogical + " logical partitions; the rest ignored");
        return problems + 1;
    }

    private static bool Fits(long start, long size, long firstUsable, long totalSectors)
        => start >= firstUsable && size > 0 && start + size <= totalSectors;
}
