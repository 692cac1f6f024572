using System;
using System.Buffers.Binary;

namespace Rump.Fs.Msdosfs;

/// <summary>DIR_Attr bits (specification §6).</summary>
internal static class FatAttr
{
    public const byte ATTR_READ_ONLY = 0x01, ATTR_HIDDEN = 0x02, ATTR_SYSTEM = 0x04, ATTR_VOLUME_ID = 0x08;
    public const byte ATTR_DIRECTORY = 0x10, ATTR_ARCHIVE = 0x20;
    public const byte ATTR_LONG_NAME = ATTR_READ_ONLY | ATTR_HIDDEN | ATTR_SYSTEM | ATTR_VOLUME_ID;
    public const byte ATTR_LONG_NAME_MASK = ATTR_LONG_NAME | ATTR_DIRECTORY | ATTR_ARCHIVE;
}

/// <summary>
/// A 32-byte short (8.3) directory entry (specification §6). DIR_NTRes carries the case bits Windows NT
/// and mtools use for names that differ from 8.3 only in case.
/// </summary>
internal struct FatDirEntry
{
    public const int Size = 32;
    public const byte FreeMarker = 0xE5, EndMarker = 0x00, KanjiE5 = 0x05;
    /// <summary>DIR_NTRes: base name is lower case / extension is lower case.</summary>
    public const byte NtLowerBase = 0x08, NtLowerExt = 0x10;

    public FatName83 DIR_Name;        // 0, 11 bytes
    public byte DIR_Attr;             // 11
    public byte DIR_NTRes;            // 12
    public byte DIR_CrtTimeTenth;     // 13
    public ushort DIR_CrtTime;        // 14
    public ushort DIR_CrtDate;        // 16
    public ushort DIR_LstAccDate;     // 18
    public ushort DIR_FstClusHI;      // 20
    public ushort DIR_WrtTime;        // 22
    public ushort DIR_WrtDate;        // 24
    public ushort DIR_FstClusLO;      // 26
    public uint DIR_FileSize;         // 28

    public readonly bool IsDirectory => (DIR_Attr & FatAttr.ATTR_DIRECTORY) != 0;
    public readonly bool IsVolumeLabel => (DIR_Attr & (FatAttr.ATTR_VOLUME_ID | FatAttr.ATTR_DIRECTORY)) == FatAttr.ATTR_VOLUME_ID;
    public readonly bool IsLongName => (DIR_Attr & FatAttr.ATTR_LONG_NAME_MASK) == FatAttr.ATTR_LONG_NAME;

    /// <summary>First cluster; DIR_FstClusHI only counts on FAT32.</summary>
    public readonly uint FirstCluster(FatType type)
        => type == FatType.Fat32 ? ((uint)DIR_FstClusHI << 16) | DIR_FstClusLO : DIR_FstClusLO;

    public void SetFirstCluster(uint cluster, FatType type)
    {
        DIR_FstClusLO = (ushort)cluster;
        DIR_FstClusHI = type == FatType.Fat32 ? (ushort)(cluster >> 16) : (ushort)0;
    }

    public static FatDirEntry Read(ReadOnlySpan<byte> e)
    {
        var d = new FatDirEntry();
        d.DIR_Name = FatName83.Read(e);
        d.DIR_Attr = e[11];
        d.DIR_NTRes = e[12];
        d.DIR_CrtTimeTenth = e[13];
        d.DIR_CrtTime = BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(14));
        d.DIR_CrtDate = BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(16));
        d.DIR_LstAccDate = BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(18));
        d.DIR_FstClusHI = BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(20));
        d.DIR_WrtTime = BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(22));
        d.DIR_WrtDate = BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(24));
        d.DIR_FstClusLO = BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(26));
        d.DIR_FileSize = BinaryPrimitives.ReadUInt32LittleEndian(e.Slice(28));
        return d;
    }

    public readonly void Write(Span<byte> e)
    {
        DIR_Name.Write(e);
        e[11] = DIR_Attr;
        e[12] = DIR_NTRes;
        e[13] = DIR_CrtTimeTenth;
        BinaryPrimitives.WriteUInt16LittleEndian(e.Slice(14), DIR_CrtTime);
        BinaryPrimitives.WriteUInt16LittleEndian(e.Slice(16), DIR_CrtDate);
        BinaryPrimitives.WriteUInt16LittleEndian(e.Slice(18), DIR_LstAccDate);
        BinaryPrimitives.WriteUInt16LittleEndian(e.Slice(20), DIR_FstClusHI);
        BinaryPrimitives.WriteUInt16LittleEndian(e.Slice(22), DIR_WrtTime);
        BinaryPrimitives.WriteUInt16LittleEndian(e.Slice(24), DIR_WrtDate);
        BinaryPrimitives.WriteUInt16LittleEndian(e.Slice(26), DIR_FstClusLO);
        BinaryPrimitives.WriteUInt32LittleEndian(e.Slice(28), DIR_FileSize);
    }
}

/// <summary>
/// A long-name directory entry (specification §7): 13 UCS-2 characters in three pieces, chained in
/// reverse order before the short entry, each carrying the short name's checksum.
/// </summary>
internal struct FatLfnEntry
{
    public const byte LastLongEntry = 0x40;
    public const int CharsPerEntry = 13;
    public const int MaxNameLength = 255;
    public const int MaxEntries = (MaxNameLength + CharsPerEntry - 1) / CharsPerEntry; // 20

    public byte LDIR_Ord;       // 0
    // LDIR_Name1: 1..10 (5 chars), LDIR_Attr: 11, LDIR_Type: 12, LDIR_Chksum: 13,
    // LDIR_Name2: 14..25 (6 chars), LDIR_FstClusLO: 26 (always 0), LDIR_Name3: 28..31 (2 chars).
    public byte LDIR_Attr;
    public byte LDIR_Type;
    public byte LDIR_Chksum;
    public ushort LDIR_FstClusLO;

    private static ReadOnlySpan<byte> CharOffsets => [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];

    public static FatLfnEntry Read(ReadOnlySpan<byte> e) => new()
    {
        LDIR_Ord = e[0],
        LDIR_Attr = e[11],
        LDIR_Type = e[12],
        LDIR_Chksum = e[13],
        LDIR_FstClusLO = BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(26)),
    };

    /// <summary>Character <paramref name="i"/> (0..12) of the entry's piece of the name.</summary>
    public static char GetChar(ReadOnlySpan<byte> e, int i)
        => (char)BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(CharOffsets[i]));

    /// <summary>
    /// Writes entry <paramref name="ordinal"/> (1-based) of <paramref name="name"/>: NUL after the last
    /// character, 0xFFFF padding after that.
    /// </summary>
    public static void Write(Span<byte> e, ReadOnlySpan<char> name, int ordinal, bool last, byte checksum)
    {
        e.Slice(0, FatDirEntry.Size).Clear();
        e[0] = (byte)(ordinal | (last ? LastLongEntry : 0));
        e[11] = FatAttr.ATTR_LONG_NAME;
        e[12] = 0;
        e[13] = checksum;
        int start = (ordinal - 1) * CharsPerEntry;
        for (int i = 0; i < CharsPerEntry; i++)
        {
            int k = start + i;
            ushort c = k < name.Length ? name[k] : k == name.Length ? (ushort)0 : (ushort)0xFFFF;
            BinaryPrimitives.WriteUInt16LittleEndian(e.Slice(CharOffsets[i]), c);
        }
    }

    /// <summary>The checksum of an 11-byte short name that ties long entries to it (specification §7.2).</summary>
    public static byte Checksum(ReadOnlySpan<byte> name11)
    {
        byte sum = 0;
        for (int i = 0; i < 11; i++)
            sum = (byte)((((sum & 1) != 0) ? 0x80 : 0) + (sum >> 1) + name11[i]);
        return sum;
    }
}
