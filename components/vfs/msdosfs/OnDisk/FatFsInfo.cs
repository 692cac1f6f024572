using System;
using System.Buffers.Binary;

namespace Rump.Fs.Msdosfs;

/// <summary>
/// The FAT32 FSInfo sector (specification §5). Free count and next free are hints: a reader must check
/// them against the volume and may ignore them.
/// </summary>
internal struct FatFsInfo
{
    public const uint LeadSig = 0x41615252, StrucSig = 0x61417272, TrailSig = 0xAA550000;
    public const uint Unknown = 0xFFFFFFFF;

    public uint FSI_LeadSig;      // 0
    public uint FSI_StrucSig;     // 484
    public uint FSI_Free_Count;   // 488
    public uint FSI_Nxt_Free;     // 492
    public uint FSI_TrailSig;     // 508

    public readonly bool HasSignatures => FSI_LeadSig == LeadSig && FSI_StrucSig == StrucSig && FSI_TrailSig == TrailSig;

    public static FatFsInfo Read(ReadOnlySpan<byte> sector) => new()
    {
        FSI_LeadSig = BinaryPrimitives.ReadUInt32LittleEndian(sector),
        FSI_StrucSig = BinaryPrimitives.ReadUInt32LittleEndian(sector.Slice(484)),
        FSI_Free_Count = BinaryPrimitives.ReadUInt32LittleEndian(sector.Slice(488)),
        FSI_Nxt_Free = BinaryPrimitives.ReadUInt32LittleEndian(sector.Slice(492)),
        FSI_TrailSig = BinaryPrimitives.ReadUInt32LittleEndian(sector.Slice(508)),
    };

    /// <summary>Writes the two hint fields into an existing FSInfo sector (signatures untouched).</summary>
    public readonly void WriteHints(Span<byte> sector)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(sector.Slice(488), FSI_Free_Count);
        BinaryPrimitives.WriteUInt32LittleEndian(sector.Slice(492), FSI_Nxt_Free);
    }

    /// <summary>The free-count hint when it is plausible for a volume of <paramref name="countOfClusters"/>.</summary>
    public readonly bool TryGetFreeCount(uint countOfClusters, out uint free)
    {
        free = FSI_Free_Count;
        return HasSignatures && FSI_Free_Count != Unknown && FSI_Free_Count <= countOfClusters;
    }

    /// <summary>The next-free hint when it names a valid cluster.</summary>
    public readonly bool TryGetNextFree(uint maxCluster, out uint next)
    {
        next = FSI_Nxt_Free;
        return HasSignatures && next >= 2 && next <= maxCluster;
    }
}
