using System;
using System.Buffers.Binary;
using System.Text;

namespace Rump;

/// <summary>open(2) flags, NetBSD values.</summary>
public static class OpenFlags
{
    public const int O_RDONLY = 0x0000, O_WRONLY = 0x0001, O_RDWR = 0x0002, O_ACCMODE = 0x0003;
    public const int O_NONBLOCK = 0x0004, O_APPEND = 0x0008, O_NOFOLLOW = 0x0100, O_CREAT = 0x0200;
    public const int O_TRUNC = 0x0400, O_EXCL = 0x0800, O_DSYNC = 0x10000, O_DIRECTORY = 0x200000;
    public const int O_CLOEXEC = 0x400000;
    /// <summary>openat(2): the directory argument meaning "the current directory".</summary>
    public const int AT_FDCWD = -100;
}

/// <summary>File types and permission bits of st_mode.</summary>
public static class FileMode
{
    public const int S_IFMT = 0xF000, S_IFIFO = 0x1000, S_IFCHR = 0x2000, S_IFDIR = 0x4000;
    public const int S_IFBLK = 0x6000, S_IFREG = 0x8000, S_IFLNK = 0xA000, S_IFSOCK = 0xC000;
    public static bool IsDir(int mode) => (mode & S_IFMT) == S_IFDIR;
    public static bool IsReg(int mode) => (mode & S_IFMT) == S_IFREG;
    public static bool IsLnk(int mode) => (mode & S_IFMT) == S_IFLNK;
}

/// <summary>lseek(2) whence, access(2) modes, fcntl(2) commands, mount(2) flags, unmount flags.</summary>
public static class PosixConst
{
    public const int SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2;
    public const int F_OK = 0, X_OK = 1, W_OK = 2, R_OK = 4;
    public const int F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, FD_CLOEXEC = 1;
    public const int MNT_RDONLY = 0x1, MNT_SYNCHRONOUS = 0x2, MNT_NOEXEC = 0x4, MNT_FORCE = 0x80000;
    public const int MNT_UPDATE = 0x10000;
    /// <summary>unlinkat/fstatat/linkat flags.</summary>
    public const int AT_SYMLINK_NOFOLLOW = 0x200, AT_REMOVEDIR = 0x800, AT_SYMLINK_FOLLOW = 0x400;
    /// <summary>Keep the timestamp / set it to now, in utimes-like calls (tv_nsec).</summary>
    public const long UTIME_NOW = (1L << 30) - 1, UTIME_OMIT = (1L << 30) - 2;
}

/// <summary>etfs key types (rump_etfs_type).</summary>
public enum EtfsType
{
    /// <summary>Host file appears as a regular file.</summary>
    Regular = 0,
    /// <summary>Host file appears as a block device (a disk).</summary>
    Block = 1,
    /// <summary>Host file appears as a character device.</summary>
    Char = 2,
    /// <summary>Host directory appears as a directory (one level).</summary>
    Directory = 3,
    /// <summary>Host directory appears as a directory subtree.</summary>
    DirectorySubtree = 4,
    /// <summary>Host file appears as a read-only block device (opened read-only: other readers may share it).</summary>
    BlockReadOnly = 5,
}

/// <summary>struct stat.</summary>
public struct RumpStat
{
    public ulong Dev;
    public ulong Ino;
    public int Mode;
    public uint Nlink;
    public uint Uid;
    public uint Gid;
    public ulong Rdev;
    public long Size;
    public long Blocks;
    public int BlkSize;
    public uint Flags;
    public long AtimeSec; public long AtimeNsec;
    public long MtimeSec; public long MtimeNsec;
    public long CtimeSec; public long CtimeNsec;
    public long BirthtimeSec; public long BirthtimeNsec;

    public readonly DateTimeOffset Mtime => DateTimeOffset.FromUnixTimeSeconds(MtimeSec).AddTicks(MtimeNsec / 100);
    public readonly DateTimeOffset Atime => DateTimeOffset.FromUnixTimeSeconds(AtimeSec).AddTicks(AtimeNsec / 100);
    public readonly DateTimeOffset Ctime => DateTimeOffset.FromUnixTimeSeconds(CtimeSec).AddTicks(CtimeNsec / 100);
}

/// <summary>struct statvfs.</summary>
public struct RumpStatVfs
{
    public ulong Flag;
    public ulong BSize;
    public ulong FrSize;
    public ulong IoSize;
    public ulong Blocks;
    public ulong BFree;
    public ulong BAvail;
    public ulong Files;
    public ulong FFree;
    public ulong FAvail;
    public ulong FsId;
    public ulong NameMax;
    public string FsTypeName;
    public string MntOnName;
    public string MntFromName;
}

/// <summary>
/// getdents(2) records, NetBSD struct dirent layout: d_fileno (u64), d_reclen (u16), d_namlen (u16),
/// d_type (u8), d_name (UTF-8, NUL terminated), padded to 8 bytes.
/// </summary>
public static class Dirent
{
    public const byte DT_UNKNOWN = 0, DT_FIFO = 1, DT_CHR = 2, DT_DIR = 4, DT_BLK = 6, DT_REG = 8, DT_LNK = 10, DT_SOCK = 12;
    public const int HeaderSize = 13;

    /// <summary>Bytes one record for a name of <paramref name="nameBytes"/> UTF-8 bytes takes.</summary>
    public static int RecordLength(int nameBytes) => (HeaderSize + nameBytes + 1 + 7) & ~7;

    /// <summary>Writes one record; returns its length, or 0 when it does not fit.</summary>
    public static int Write(Span<byte> buffer, ulong fileno, byte type, ReadOnlySpan<byte> utf8Name)
    {
        var reclen = RecordLength(utf8Name.Length);
        if (reclen > buffer.Length)
            return 0;
        var rec = buffer.Slice(0, reclen);
        rec.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(rec, fileno);
        BinaryPrimitives.WriteUInt16LittleEndian(rec.Slice(8), (ushort)reclen);
        BinaryPrimitives.WriteUInt16LittleEndian(rec.Slice(10), (ushort)utf8Name.Length);
        rec[12] = type;
        utf8Name.CopyTo(rec.Slice(HeaderSize));
        return reclen;
    }

    /// <summary>Reads the record at the start of <paramref name="buffer"/>; returns its length (0 at the end).</summary>
    public static int Read(ReadOnlySpan<byte> buffer, out ulong fileno, out byte type, out string name)
    {
        fileno = 0; type = 0; name = "";
        if (buffer.Length < HeaderSize)
            return 0;
        fileno = BinaryPrimitives.ReadUInt64LittleEndian(buffer);
        int reclen = BinaryPrimitives.ReadUInt16LittleEndian(buffer.Slice(8));
        int namlen = BinaryPrimitives.ReadUInt16LittleEndian(buffer.Slice(10));
        type = buffer[12];
        if (reclen < HeaderSize || reclen > buffer.Length || HeaderSize + namlen > reclen)
            return 0;
        name = Encoding.UTF8.GetString(buffer.Slice(HeaderSize, namlen));
        return reclen;
    }
}
