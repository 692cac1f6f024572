using System;

namespace Rump.Kern;

/// <summary>
/// The portable physio (kern_physio.c): a synchronous transfer between a caller's memory and a block device
/// (or disk) that only has a strategy routine, through a kernel bounce buffer in chunks
/// of <see cref="Chunk"/> bytes. Drivers that can reach any memory override
/// <see cref="BlockDeviceSwitch.ReadDirect"/>/<see cref="BlockDeviceSwitch.WriteDirect"/> instead.
/// </summary>
internal static class Physio
{
    /// <summary>Bytes per bounced request.</summary>
    public const int Chunk = 64 * 1024;

    public static int Read(Action<Buf> strategy, DevT dev, long blkno, Span<byte> buffer, out int transferred)
        => Transfer(strategy, dev, blkno, buffer, default, write: false, out transferred);

    public static int Write(Action<Buf> strategy, DevT dev, long blkno, ReadOnlySpan<byte> data, out int transferred)
        => Transfer(strategy, dev, blkno, default, data, write: true, out transferred);

    private static int Transfer(Action<Buf> strategy, DevT dev, long blkno, Span<byte> readInto, ReadOnlySpan<byte> writeFrom, bool write, out int transferred)
    {
        transferred = 0;
        int total = write ? writeFrom.Length : readInto.Length;
        if (blkno < 0 || (total & (Buf.DEV_BSIZE - 1)) != 0)
            return Errno.EINVAL;
        if (total == 0)
            return 0;
        int error = Kmem.Alloc(Math.Min(total, Chunk), out var bounce);
        if (error != 0)
            return error;
        var bp = new Buf();
        try
        {
            while (transferred < total)
            {
                int n = Math.Min(bounce.Length, total - transferred);
                if (write)
                    writeFrom.Slice(transferred, n).CopyTo(bounce);
                bp.Reset(dev, write ? Buf.B_WRITE : Buf.B_READ, bounce, 0, n, checked(blkno + transferred / Buf.DEV_BSIZE));
                strategy(bp);
                if ((error = bp.Biowait()) != 0)
                    return error;
                int moved = n - bp.Resid;
                if (!write)
                    bounce.AsSpan(0, moved).CopyTo(readInto.Slice(transferred));
                transferred += moved;
                if (moved < n)
                    return 0;   // the end of the device
            }
            return 0;
        }
        finally
        {
            Kmem.Free(bounce);
        }
    }
}
