using System;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Rump.Tools;

/// <summary>
/// stat(2) of a host path through Linux's statx(2): the file type (.NET tells only directory or not, and a FIFO,
/// socket or device "exists" as a file), and the device and inode that identify a directory when a tree walk
/// follows symbolic links. statx's record has one layout on every Linux architecture, unlike struct stat.
/// Elsewhere <see cref="TryStat"/> answers false and callers use what .NET tells.
/// </summary>
internal static class HostStat
{
    public const int TypeMask = 0xF000;
    public const int TypeFifo = 0x1000;
    public const int TypeCharDevice = 0x2000;
    public const int TypeDirectory = 0x4000;
    public const int TypeBlockDevice = 0x6000;
    public const int TypeRegular = 0x8000;
    public const int TypeLink = 0xA000;
    public const int TypeSocket = 0xC000;

    public readonly record struct Result(int Mode, long Size, ulong Dev, ulong Ino, DateTimeOffset ModifiedUtc)
    {
        public int Type => Mode & TypeMask;
    }

    private static bool _unavailable = !OperatingSystem.IsLinux() || !BitConverter.IsLittleEndian;

    /// <summary>
    /// Stats <paramref name="fullPath"/> (following symbolic links). Returns false when statx is not available here
    /// (then <paramref name="linuxErrno"/> is 0); otherwise true with either the result or the Linux errno.
    /// </summary>
    public static bool TryStat(string fullPath, out Result result, out int linuxErrno)
    {
        result = default;
        linuxErrno = 0;
        if (_unavailable)
            return false;
        Span<byte> buffer = stackalloc byte[256];
        int rc;
        try
        {
            rc = statx(AtFdCwd, fullPath, 0, StatxBasicStats, ref MemoryMarshal.GetReference(buffer));
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            _unavailable = true;
            return false;
        }
        if (rc != 0)
        {
            linuxErrno = Marshal.GetLastPInvokeError();
            if (linuxErrno == LinuxEnosys)
            {
                _unavailable = true;
                linuxErrno = 0;
                return false;
            }
            return true;
        }
        // struct statx: stx_mode u16 @28, stx_ino u64 @32, stx_size u64 @40, stx_mtime {i64 sec, u32 nsec} @112,
        // stx_dev_major u32 @136, stx_dev_minor u32 @140.
        var mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer.Slice(28));
        var ino = BinaryPrimitives.ReadUInt64LittleEndian(buffer.Slice(32));
        var size = BinaryPrimitives.ReadInt64LittleEndian(buffer.Slice(40));
        var mtimeSec = BinaryPrimitives.ReadInt64LittleEndian(buffer.Slice(112));
        var mtimeNsec = BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(120));
        var dev = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(136)) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(140));
        DateTimeOffset modified;
        try
        {
            modified = DateTimeOffset.FromUnixTimeSeconds(mtimeSec).AddTicks(mtimeNsec / 100);
        }
        catch (ArgumentOutOfRangeException)
        {
            modified = DateTimeOffset.UnixEpoch;
        }
        result = new Result(mode, size, dev, ino, modified);
        return true;
    }

    private const int AtFdCwd = -100;
    private const uint StatxBasicStats = 0x7FF;
    private const int LinuxEnosys = 38;

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, ref byte buffer);
}
