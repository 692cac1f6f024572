using System;

namespace Rump.Dev;

/// <summary>
/// One partition found in a partition table, in sectors of the disk. <see cref="Number"/> is the number
/// sfdisk/sgdisk give it: MBR 1–4 primary slots, 5+ logical partitions in chain order; GPT entry index + 1.
/// </summary>
internal readonly record struct Partition(int Number, long StartSector, long Sectors, string Scheme, string Type, string Name);

/// <summary>Reads one sector (LBA in sectors of the disk's sector size) into the span; 0 or errno.</summary>
internal delegate int SectorReader(long lba, Span<byte> sector);

/// <summary>What a scan of a partition table found.</summary>
internal enum TableKind
{
    /// <summary>No partition table (an unpartitioned disk, e.g. a bare file system).</summary>
    None,
    Mbr,
    Gpt,
    /// <summary>A table was there but unusable; the scanner logged why.</summary>
    Corrupt,
}
