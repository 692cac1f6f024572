using System;
using Rump.Kern;
using Rump.Vfs;

namespace Rump.Fs.Msdosfs;

using Errno = Rump.Kern.Errno;

/// <summary>
/// The FAT code's block device: synchronous requests through the block device switch of the mounted
/// device (bdev_strategy + biowait), in whole DEV_BSIZE blocks, through one bounce buffer.
/// The FAT keeps its own copy of the table and writes file data straight through, so nothing of the
/// volume sits in the buffer cache (the VFS's flush and invalidate of devvp find nothing of ours).
/// Locking: used only under the mount's volume lock.
/// </summary>
internal sealed class MsdosfsDevice : IFatDevice
{
    private const int MaxTransfer = 1024 * 1024;

    private readonly BlockDeviceSwitch _sw;
    private readonly DevT _dev;
    private readonly Buf _buf = new();
    private byte[] _bounce = [];

    private MsdosfsDevice(BlockDeviceSwitch sw, DevT dev, long size, bool readOnly)
    {
        _sw = sw;
        _dev = dev;
        SizeBytes = size;
        IsReadOnly = readOnly;
    }

    public static int Open(Vnode devvp, out MsdosfsDevice? device)
    {
        device = null;
        var sw = DevSw.Block(devvp.Rdev.Major);
        if (sw is null)
            return Errno.ENXIO;
        int error = sw.GetSize(devvp.Rdev, out long bytes, out int sectorSize);
        if (error != 0)
            return error;
        if (sectorSize > 4096)
            return Errno.EINVAL;
        device = new MsdosfsDevice(sw, devvp.Rdev, bytes - bytes % Buf.DEV_BSIZE, sw.IsReadOnly(devvp.Rdev));
        return 0;
    }

    public long SizeBytes { get; }
    public bool IsReadOnly { get; }

    public int Read(long offset, Span<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            int n = Math.Min(buffer.Length, MaxTransfer);
            int error = Transfer(Buf.B_READ, offset, n);
            if (error != 0)
                return error;
            _bounce.AsSpan(0, n).CopyTo(buffer);
            buffer = buffer.Slice(n);
            offset += n;
        }
        return 0;
    }

    public int Write(long offset, ReadOnlySpan<byte> buffer)
    {
        if (IsReadOnly)
            return Errno.EROFS;
        while (buffer.Length > 0)
        {
            int n = Math.Min(buffer.Length, MaxTransfer);
            Bounce(n);
            buffer.Slice(0, n).CopyTo(_bounce);
            int error = Transfer(Buf.B_WRITE, offset, n);
            if (error != 0)
                return error;
            buffer = buffer.Slice(n);
            offset += n;
        }
        return 0;
    }

    public int Flush() => _sw.Sync(_dev);

    private void Bounce(int n)
    {
        if (_bounce.Length < n)
            _bounce = new byte[Math.Max(n, Math.Min(MaxTransfer, _bounce.Length * 2))];
    }

    private int Transfer(int flags, long offset, int count)
    {
        if (offset < 0 || offset % Buf.DEV_BSIZE != 0 || count % Buf.DEV_BSIZE != 0 || offset + count > SizeBytes)
            return Errno.EIO;
        Bounce(count);
        var bp = _buf;
        bp.Data = _bounce;
        bp.DataOffset = 0;
        bp.Count = count;
        bp.Blkno = offset / Buf.DEV_BSIZE;
        bp.RawBlkno = bp.Blkno;
        bp.Flags = flags;
        bp.Dev = _dev;
        bp.Error = 0;
        bp.Resid = 0;
        bp.Done = false;
        bp.IoDone = null;
        _sw.Strategy(bp);
        int error = bp.Biowait();
        if (error == 0 && bp.Resid != 0)
            error = Errno.EIO;
        return error;
    }
}
