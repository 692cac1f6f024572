using System;
using System.Buffers.Binary;
using System.Collections.Generic;

namespace Rump.Dev;

using Errno = Rump.Kern.Errno;

/// <summary>The GPT header (UEFI 2.x §5.3.2, struct gpt_hdr), decoded and checked.</summary>
internal readonly record struct GptHeader(
    uint Revision, uint HeaderSize, uint HeaderCrc32, ulong MyLba, ulong AlternateLba,
    ulong FirstUsableLba, ulong LastUsableLba, Guid DiskGuid, ulong PartitionEntryLba,
    uint NumberOfPartitionEntries, uint SizeOfPartitionEntry, uint PartitionEntryArrayCrc32)
{
    public const ulong Signature = 0x5452415020494645UL;   // "EFI PART"
    public const int MinSize = 92;
    /// <summary>Upper bound for the entry array we accept (sgdisk's default is 128 × 128 bytes).</summary>
    public const long MaxEntryArrayBytes = 1 << 20;

    public long EntryArrayBytes => (long)NumberOfPartitionEntries * SizeOfPartitionEntry;

    /// <summary>Decodes the header in <paramref name="sector"/>; null with a reason when it is not a valid header at <paramref name="lba"/>.</summary>
    public static GptHeader? Decode(ReadOnlySpan<byte> sector, long lba, long totalSectors, out string? reason)
    {
        reason = null;
        if (BinaryPrimitives.ReadUInt64LittleEndian(sector) != Signature)
        {
            reason = "no GPT signature";
            return null;
        }
        var h = new GptHeader(
            BinaryPrimitives.ReadUInt32LittleEndian(sector.Slice(8)),
            BinaryPrimitives.ReadUInt32LittleEndian(sector.Slice(12)),
            BinaryPrimitives.ReadUInt32LittleEndian(sector.Slice(16)),
            BinaryPrimitives.ReadUInt64LittleEndian(sector.Slice(24)),
            BinaryPrimitives.ReadUInt64LittleEndian(sector.Slice(32)),
            BinaryPrimitives.ReadUInt64LittleEndian(sector.Slice(40)),
            BinaryPrimitives.ReadUInt64LittleEndian(sector.Slice(48)),
            new Guid(sector.Slice(56, 16)),
            BinaryPrimitives.ReadUInt64LittleEndian(sector.Slice(72)),
            BinaryPrimitives.ReadUInt32LittleEndian(sector.Slice(80)),
            BinaryPrimitives.ReadUInt32LittleEndian(sector.Slice(84)),
            BinaryPrimitives.ReadUInt32LittleEndian(sector.Slice(88)));

        if (h.HeaderSize < MinSize || h.HeaderSize > sector.Length)
        {
            reason = "header size " + h.HeaderSize + " out of range";
            return null;
        }
        // The CRC covers HeaderSize bytes with the CRC field itself taken as zero.
        var crc = Crc32.Update(Crc32.Start, sector.Slice(0, 16));
        crc = Crc32.Update(crc, stackalloc byte[4]);
        crc = Crc32.Finish(Crc32.Update(crc, sector.Slice(20, (int)h.HeaderSize - 20)));
        if (crc != h.HeaderCrc32)
        {
            reason = "header CRC32 mismatch (stored 0x" + h.HeaderCrc32.ToString("x8") + ", computed 0x" + crc.ToString("x8") + ")";
            return null;
        }
        var total = (ulong)totalSectors;
        if (h.MyLba != (ulong)lba)
            reason = "header at sector " + lba + " says it is at " + h.MyLba;
        else if (h.SizeOfPartitionEntry < 128 || (h.SizeOfPartitionEntry & (h.SizeOfPartitionEntry - 1)) != 0)
            reason = "partition entry size " + h.SizeOfPartitionEntry + " invalid";
        else if (h.NumberOfPartitionEntries == 0 || h.EntryArrayBytes > MaxEntryArrayBytes)
            reason = h.NumberOfPartitionEntries + " partition entries out of range";
        else if (h.FirstUsableLba > h.LastUsableLba + 1 || h.LastUsableLba >= total)
            reason = "usable sectors " + h.FirstUsableLba + "-" + h.LastUsableLba + " outside the disk of " + totalSectors + " sectors";
        else if (h.PartitionEntryLba < 1 || h.PartitionEntryLba >= total
                 || (ulong)h.EntryArrayBytes > (total - h.PartitionEntryLba) * (ulong)sector.Length)
            reason = "partition entry array at sector " + h.PartitionEntryLba + " outside the disk";
        return reason is null ? h : null;
    }
}

/// <summary>One GPT partition entry (struct gpt_ent).</summary>
internal readonly record struct GptEntry(Guid TypeGuid, Guid UniqueGuid, ulong StartingLba, ulong EndingLba, ulong Attributes, string Name)
{
    public bool IsUnused => TypeGuid == Guid.Empty;

    public static GptEntry Decode(ReadOnlySpan<byte> e)
    {
        var nameBytes = e.Slice(56, 72);
        var chars = new char[36];
        var length = 0;
        for (; length < 36; length++)
        {
            var c = (char)BinaryPrimitives.ReadUInt16LittleEndian(nameBytes.Slice(length * 2));
            if (c == '\0')
                break;
            chars[length] = c;
        }
        return new GptEntry(new Guid(e.Slice(0, 16)), new Guid(e.Slice(16, 16)),
            BinaryPrimitives.ReadUInt64LittleEndian(e.Slice(32)), BinaryPrimitives.ReadUInt64LittleEndian(e.Slice(40)),
            BinaryPrimitives.ReadUInt64LittleEndian(e.Slice(48)), new string(chars, 0, length));
    }
}

/// <summary>
/// The GPT scheme (NetBSD's dkwedge_gpt.c): the primary header at LBA 1 with its entry array, both
/// CRC32-checked; when either is bad, the backup header at the primary's alternate LBA (or the last
/// sector). Entries outside the usable area are skipped with a log line.
/// </summary>
internal static class GptScheme
{
    /// <summary>
    /// Reads the GPT. Returns <see cref="TableKind.Gpt"/> with the partitions, <see cref="TableKind.None"/>
    /// when no header carries the signature and <paramref name="expectGpt"/> is false, otherwise
    /// <see cref="TableKind.Corrupt"/> (logged).
    /// </summary>
    public static TableKind Parse(int sectorSize, long totalSectors, SectorReader read, bool expectGpt, List<Partition> found, Action<string> log)
    {
        if (totalSectors < 3)
            return expectGpt ? Corrupt(log, "disk too small for a GPT") : TableKind.None;
        var sector = new byte[sectorSize];

        var primaryError = TryTable(1, sectorSize, totalSectors, read, sector, out var primary, out var entries, out var primaryReason);
        if (primaryError == 0 && primary is not null && entries is not null)
            return Collect(primary.Value, entries, found, log);

        if (primaryReason == "no GPT signature" && !expectGpt)
        {
            // No primary header: only a valid backup (with a signature) makes this a GPT disk.
            var quiet = TryTable(totalSectors - 1, sectorSize, totalSectors, read, sector, out var b, out var be, out var backupReason);
            if (backupReason == "no GPT signature")
                return TableKind.None;
            log("primary GPT header: " + primaryReason);
            if (quiet == 0 && b is not null && be is not null)
            {
                log("using the backup GPT at sector " + (totalSectors - 1));
                return Collect(b.Value, be, found, log);
            }
            return Corrupt(log, "backup GPT header at sector " + (totalSectors - 1) + ": " + backupReason);
        }

        log("primary GPT: " + primaryReason);
        // A primary header that checks out names its backup; otherwise look at the last sector.
        var backupLba = totalSectors - 1;
        if (primaryReason is not null && primaryReason.StartsWith("entry array", StringComparison.Ordinal)
            && primary is not null && primary.Value.AlternateLba < (ulong)totalSectors && primary.Value.AlternateLba > 1)
            backupLba = (long)primary.Value.AlternateLba;
        var backupError = TryTable(backupLba, sectorSize, totalSectors, read, sector, out var backup, out var backupEntries, out var reason);
        if (backupError == 0 && backup is not null && backupEntries is not null)
        {
            log("using the backup GPT at sector " + backupLba);
            return Collect(backup.Value, backupEntries, found, log);
        }
        return Corrupt(log, "backup GPT at sector " + backupLba + ": " + reason);
    }

    private static TableKind Corrupt(Action<string> log, string reason)
    {
        log(reason + "; no partitions");
        return TableKind.Corrupt;
    }

    /// <summary>Reads and checks the header at <paramref name="lba"/> and its entry array.</summary>
    private static int TryTable(long lba, int sectorSize, long totalSectors, SectorReader read, byte[] sector,
        out GptHeader? header, out byte[]? entries, out string? reason)
    {
        entries = null;
        header = null;
        var error = read(lba, sector);
        if (error != 0)
        {
            reason = "cannot read sector " + lba + " (error " + error + ")";
            return error;
        }
        header = GptHeader.Decode(sector, lba, totalSectors, out reason);
        if (header is null)
            return Rump.Kern.Errno.EFTYPE;

        var h = header.Value;
        var arrayBytes = (int)h.EntryArrayBytes;
        var arraySectors = (arrayBytes + sectorSize - 1) / sectorSize;
        var array = new byte[arraySectors * sectorSize];
        for (var i = 0; i < arraySectors; i++)
        {
            error = read((long)h.PartitionEntryLba + i, array.AsSpan(i * sectorSize, sectorSize));
            if (error != 0)
            {
                reason = "entry array: cannot read sector " + ((long)h.PartitionEntryLba + i) + " (error " + error + ")";
                return error;
            }
        }
        var crc = Crc32.Compute(array.AsSpan(0, arrayBytes));
        if (crc != h.PartitionEntryArrayCrc32)
        {
            reason = "entry array CRC32 mismatch (stored 0x" + h.PartitionEntryArrayCrc32.ToString("x8") + ", computed 0x" + crc.ToString("x8") + ")";
            return Rump.Kern.Errno.EFTYPE;
        }
        entries = array;
        return 0;
    }

    private static TableKind Collect(GptHeader h, byte[] array, List<Partition> found, Action<string> log)
    {
        for (var i = 0; i < (int)h.NumberOfPartitionEntries; i++)
        {
            var e = GptEntry.Decode(array.AsSpan(i * (int)h.SizeOfPartitionEntry, 128));
            if (e.IsUnused)
                continue;
            if (e.StartingLba < h.FirstUsableLba || e.EndingLba > h.LastUsableLba || e.StartingLba > e.EndingLba)
            {
                log("GPT partition " + (i + 1) + " (sectors " + e.StartingLba + "-" + e.EndingLba + ") lies outside the usable area "
                    + h.FirstUsableLba + "-" + h.LastUsableLba + "; skipped");
                continue;
            }
            found.Add(new Partition(i + 1, (long)e.StartingLba, (long)(e.EndingLba - e.StartingLba + 1), "gpt",
                e.TypeGuid.ToString("D"), e.Name));
        }
        return TableKind.Gpt;
    }
}
