using System;
using System.Buffers.Binary;

namespace Rump.Fs.Msdosfs;

using Errno = Rump.Kern.Errno;

/// <summary>FAT variant, decided by the cluster count (FAT32 by the BPB layout), as the specification says.</summary>
internal enum FatType
{
    Fat12 = 12,
    Fat16 = 16,
    Fat32 = 32,
}

/// <summary>
/// The boot sector with the BIOS parameter block (Microsoft FAT specification §3), including the FAT32
/// extended BPB. Field names are the specification's. <see cref="Parse"/> validates it and
/// <see cref="FatGeometry"/> derives the layout from it.
/// </summary>
internal sealed class FatBootSector
{
    public const int BootSignatureOffset = 510;
    public const byte ExtendedBootSignature = 0x29;

    // Common BPB (offsets 0..35).
    public byte[] BS_jmpBoot = new byte[3];     // 0
    public byte[] BS_OEMName = new byte[8];     // 3
    public ushort BPB_BytsPerSec;               // 11
    public byte BPB_SecPerClus;                 // 13
    public ushort BPB_RsvdSecCnt;               // 14
    public byte BPB_NumFATs;                    // 16
    public ushort BPB_RootEntCnt;               // 17
    public ushort BPB_TotSec16;                 // 19
    public byte BPB_Media;                      // 21
    public ushort BPB_FATSz16;                  // 22
    public ushort BPB_SecPerTrk;                // 24
    public ushort BPB_NumHeads;                 // 26
    public uint BPB_HiddSec;                    // 28
    public uint BPB_TotSec32;                   // 32

    // FAT32 extended BPB (offsets 36..63); zero on FAT12/16.
    public uint BPB_FATSz32;                    // 36
    public ushort BPB_ExtFlags;                 // 40
    public ushort BPB_FSVer;                    // 42
    public uint BPB_RootClus;                   // 44
    public ushort BPB_FSInfo;                   // 48
    public ushort BPB_BkBootSec;                // 50

    // Extended boot record: at 36 on FAT12/16, at 64 on FAT32.
    public byte BS_DrvNum;
    public byte BS_Reserved1;
    public byte BS_BootSig;
    public uint BS_VolID;
    public byte[] BS_VolLab = new byte[11];
    public byte[] BS_FilSysType = new byte[8];

    /// <summary>Bytes 510/511 are 0x55 0xAA.</summary>
    public bool HasSignature;

    /// <summary>True when the BPB has the FAT32 layout (BPB_FATSz16 == 0).</summary>
    public bool IsFat32Layout => BPB_FATSz16 == 0;

    /// <summary>Offset of the extended boot record (BS_DrvNum) for this layout.</summary>
    public int ExtendedRecordOffset => IsFat32Layout ? 64 : 36;

    /// <summary>Decodes the first sector (at least 512 bytes). Never fails: validation is <see cref="Validate"/>.</summary>
    public static FatBootSector Read(ReadOnlySpan<byte> sector)
    {
        var bs = new FatBootSector();
        sector.Slice(0, 3).CopyTo(bs.BS_jmpBoot);
        sector.Slice(3, 8).CopyTo(bs.BS_OEMName);
        bs.BPB_BytsPerSec = BinaryPrimitives.ReadUInt16LittleEndian(sector.Slice(11));
        bs.BPB_SecPerClus = sector[13];
        bs.BPB_RsvdSecCnt = BinaryPrimitives.ReadUInt16LittleEndian(sector.Slice(14));
        bs.BPB_NumFATs = sector[16];
        bs.BPB_RootEntCnt = BinaryPrimitives.ReadUInt16LittleEndian(sector.Slice(17));
        bs.BPB_TotSec16 = BinaryPrimitives.ReadUInt16LittleEndian(sector.Slice(19));
        bs.BPB_Media = sector[21];
        bs.BPB_FATSz16 = BinaryPrimitives.ReadUInt16LittleEndian(sector.Slice(22));
        bs.BPB_SecPerTrk = BinaryPrimitives.ReadUInt16LittleEndian(sector.Slice(24));
        bs.BPB_NumHeads = BinaryPrimitives.ReadUInt16LittleEndian(sector.Slice(26));
        bs.BPB_HiddSec = BinaryPrimitives.ReadUInt32LittleEndian(sector.Slice(28));
        bs.BPB_TotSec32 = BinaryPrimitives.ReadUInt32LittleEndian(sector.Slice(32));
        if (bs.IsFat32Layout)
        {
            bs.BPB_FATSz32 = BinaryPrimitives.ReadUInt32LittleEndian(sector.Slice(36));
            bs.BPB_ExtFlags = BinaryPrimitives.ReadUInt16LittleEndian(sector.Slice(40));
            bs.BPB_FSVer = BinaryPrimitives.ReadUInt16LittleEndian(sector.Slice(42));
            bs.BPB_RootClus = BinaryPrimitives.ReadUInt32LittleEndian(sector.Slice(44));
            bs.BPB_FSInfo = BinaryPrimitives.ReadUInt16LittleEndian(sector.Slice(48));
            bs.BPB_BkBootSec = BinaryPrimitives.ReadUInt16LittleEndian(sector.Slice(50));
        }
        int ext = bs.ExtendedRecordOffset;
        bs.BS_DrvNum = sector[ext];
        bs.BS_Reserved1 = sector[ext + 1];
        bs.BS_BootSig = sector[ext + 2];
        bs.BS_VolID = BinaryPrimitives.ReadUInt32LittleEndian(sector.Slice(ext + 3));
        sector.Slice(ext + 7, 11).CopyTo(bs.BS_VolLab);
        sector.Slice(ext + 18, 8).CopyTo(bs.BS_FilSysType);
        bs.HasSignature = sector[BootSignatureOffset] == 0x55 && sector[BootSignatureOffset + 1] == 0xAA;
        return bs;
    }

    /// <summary>
    /// Checks the BPB the way msdosfs_mountfs does: EFTYPE when the sector is not a FAT boot sector at all,
    /// EINVAL when it claims to be one but its numbers are inconsistent.
    /// </summary>
    public int Validate()
    {
        // A DOS 2.0+ boot sector starts with a jump (EB xx 90 or E9 xx xx) and ends with 55 AA.
        bool jump = BS_jmpBoot[0] == 0xEB || BS_jmpBoot[0] == 0xE9;
        if (!HasSignature && !jump)
            return Errno.EFTYPE;
        if (BPB_BytsPerSec < 512 || BPB_BytsPerSec > 4096 || (BPB_BytsPerSec & (BPB_BytsPerSec - 1)) != 0)
            return Errno.EINVAL;
        if (BPB_SecPerClus == 0 || (BPB_SecPerClus & (BPB_SecPerClus - 1)) != 0)
            return Errno.EINVAL;
        if (BPB_SecPerClus * BPB_BytsPerSec > 64 * 1024)
            return Errno.EINVAL;
        if (BPB_RsvdSecCnt == 0 || BPB_NumFATs == 0)
            return Errno.EINVAL;
        if (BPB_Media < 0xF0 && BPB_Media != 0)
            return Errno.EINVAL;
        if (IsFat32Layout)
        {
            if (BPB_FATSz32 == 0 || BPB_RootEntCnt != 0 || BPB_FSVer != 0 || BPB_TotSec16 != 0)
                return Errno.EINVAL;
        }
        else if (BPB_RootEntCnt == 0)
        {
            return Errno.EINVAL;
        }
        if (BPB_TotSec16 == 0 && BPB_TotSec32 == 0)
            return Errno.EINVAL;
        return 0;
    }
}

/// <summary>The volume layout derived from a valid boot sector (specification §3.5, §4).</summary>
internal sealed class FatGeometry
{
    public FatType Type;
    public int BytesPerSector;
    public int SectorsPerCluster;
    public int BytesPerCluster;
    public int ClusterShift;
    public long ReservedSectors;
    public int NumFats;
    public long FatSectors;            // sectors per FAT
    public long TotalSectors;
    public int RootEntryCount;         // FAT12/16 fixed root; 0 on FAT32
    public long RootDirSectors;        // FAT12/16 fixed root size in sectors
    public long FirstRootDirSector;    // FAT12/16
    public long FirstDataSector;
    public uint CountOfClusters;
    public uint MaxCluster;            // highest valid cluster number = CountOfClusters + 1
    public uint RootCluster;           // FAT32 only
    public int FsInfoSector;           // FAT32 only; 0 = none
    public int ActiveFat;              // FAT32 BPB_ExtFlags bits 0-3 when mirroring is off
    public bool Mirrored;

    /// <summary>Computes the layout; EINVAL when the numbers do not describe a volume.</summary>
    public static int Compute(FatBootSector bs, out FatGeometry geometry)
    {
        geometry = new FatGeometry();
        var g = geometry;
        try
        {
            checked
            {
                g.BytesPerSector = bs.BPB_BytsPerSec;
                g.SectorsPerCluster = bs.BPB_SecPerClus;
                g.BytesPerCluster = g.BytesPerSector * g.SectorsPerCluster;
                g.ClusterShift = System.Numerics.BitOperations.Log2((uint)g.BytesPerCluster);
                g.ReservedSectors = bs.BPB_RsvdSecCnt;
                g.NumFats = bs.BPB_NumFATs;
                g.FatSectors = bs.BPB_FATSz16 != 0 ? bs.BPB_FATSz16 : bs.BPB_FATSz32;
                g.TotalSectors = bs.BPB_TotSec16 != 0 ? bs.BPB_TotSec16 : bs.BPB_TotSec32;
                g.RootEntryCount = bs.BPB_RootEntCnt;
                g.RootDirSectors = ((long)g.RootEntryCount * FatDirEntry.Size + g.BytesPerSector - 1) / g.BytesPerSector;
                g.FirstRootDirSector = g.ReservedSectors + g.NumFats * g.FatSectors;
                g.FirstDataSector = g.FirstRootDirSector + g.RootDirSectors;
                if (g.FirstDataSector >= g.TotalSectors)
                    return Errno.EINVAL;
                long clusters = (g.TotalSectors - g.FirstDataSector) / g.SectorsPerCluster;
                if (clusters < 1 || clusters > 0x0FFFFFF5)
                    return Errno.EINVAL;
                g.CountOfClusters = (uint)clusters;
                g.MaxCluster = g.CountOfClusters + 1;
                if (bs.IsFat32Layout)
                    g.Type = FatType.Fat32;
                else if (g.CountOfClusters < 4085)
                    g.Type = FatType.Fat12;
                else if (g.CountOfClusters < 65525)
                    g.Type = FatType.Fat16;
                else
                    return Errno.EINVAL; // FAT16 layout with a FAT32 cluster count
                long fatBytesNeeded = g.Type switch
                {
                    FatType.Fat12 => ((long)g.MaxCluster + 1) * 3 / 2 + 1,
                    FatType.Fat16 => ((long)g.MaxCluster + 1) * 2,
                    _ => ((long)g.MaxCluster + 1) * 4,
                };
                if (g.FatSectors * g.BytesPerSector < fatBytesNeeded)
                    return Errno.EINVAL;
                if (g.Type == FatType.Fat32)
                {
                    g.RootCluster = bs.BPB_RootClus;
                    if (g.RootCluster < 2 || g.RootCluster > g.MaxCluster)
                        return Errno.EINVAL;
                    g.FsInfoSector = bs.BPB_FSInfo is > 0 and < ushort.MaxValue && bs.BPB_FSInfo < g.ReservedSectors ? bs.BPB_FSInfo : 0;
                    g.Mirrored = (bs.BPB_ExtFlags & 0x80) == 0;
                    g.ActiveFat = g.Mirrored ? 0 : bs.BPB_ExtFlags & 0x0F;
                    if (g.ActiveFat >= g.NumFats)
                        return Errno.EINVAL;
                }
                else
                {
                    g.Mirrored = true;
                }
            }
        }
        catch (OverflowException)
        {
            return Errno.EINVAL;
        }
        return 0;
    }

    /// <summary>Byte offset of the first sector of data cluster <paramref name="cluster"/> (2..MaxCluster).</summary>
    public long ClusterOffset(uint cluster)
        => checked((FirstDataSector + (long)(cluster - 2) * SectorsPerCluster) * BytesPerSector);

    /// <summary>Byte offset of FAT copy <paramref name="fat"/>.</summary>
    public long FatOffset(int fat) => checked((ReservedSectors + fat * FatSectors) * BytesPerSector);

    /// <summary>Byte offset of the FAT12/16 fixed root directory.</summary>
    public long RootDirOffset => checked(FirstRootDirSector * BytesPerSector);

    /// <summary>Bytes the volume claims (TotalSectors × BytesPerSector).</summary>
    public long VolumeBytes => checked(TotalSectors * BytesPerSector);
}
