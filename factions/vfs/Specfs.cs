using System;
using Rump.Kern;
using static Rump.Kern.Errno;

namespace Rump.Vfs;

/// <summary>
/// specfs (spec_vnops.c): open, close, read and write of VBLK/VCHR vnodes go to the device switch.
/// Attributes stay with the file system that holds the device node. Block devices are read and written
/// directly with their strategy routine (whole DEV_BSIZE sectors, read-modify-write at the edges), after
/// flushing the buffer cache's delayed writes for the device.
/// </summary>
internal static class Specfs
{
    /// <summary>Largest single transfer to a block device.</summary>
    private const int MaxTransfer = 64 * 1024;

    public static int Open(Vnode vp, int fmode)
    {
        if (vp.Type == VType.VCHR)
        {
            var sw = DevSw.Char(vp.Rdev.Major);
            return sw is null ? ENXIO : sw.Open(vp.Rdev, fmode);
        }
        var bsw = DevSw.Block(vp.Rdev.Major);
        if (bsw is null)
            return ENXIO;
        if ((fmode & Vn.FWRITE) != 0)
        {
            // A mounted block device is not writable through its node (vfs_mountedon).
            foreach (var mp in Vfs.Mounts())
            {
                if (mp.DevVnode is { } devvp && devvp.Rdev == vp.Rdev)
                    return EBUSY;
            }
            if (bsw.IsReadOnly(vp.Rdev))
                return EROFS;
        }
        return bsw.Open(vp.Rdev, fmode);
    }

    public static int Close(Vnode vp, int fmode)
    {
        if (vp.Type == VType.VCHR)
        {
            var sw = DevSw.Char(vp.Rdev.Major);
            return sw is null ? ENXIO : sw.Close(vp.Rdev, fmode);
        }
        var bsw = DevSw.Block(vp.Rdev.Major);
        if (bsw is null)
            return ENXIO;
        if ((fmode & Vn.FWRITE) != 0)
            bsw.Sync(vp.Rdev);
        return bsw.Close(vp.Rdev, fmode);
    }

    /// <summary>Size of a block device in bytes (stat's st_size of a disk node is 0, as in NetBSD; lseek SEEK_END uses this).</summary>
    public static int Size(Vnode vp, out long bytes)
    {
        bytes = 0;
        if (vp.Type != VType.VBLK)
            return 0;
        var bsw = DevSw.Block(vp.Rdev.Major);
        return bsw is null ? ENXIO : bsw.GetSize(vp.Rdev, out bytes, out _);
    }

    public static int Read(Vnode vp, Span<byte> buffer, long offset, out int nread)
    {
        nread = 0;
        if (offset < 0)
            return EINVAL;
        if (vp.Type == VType.VCHR)
        {
            var sw = DevSw.Char(vp.Rdev.Major);
            return sw is null ? ENXIO : sw.Read(vp.Rdev, buffer, offset, out nread);
        }
        return BlockIo(vp, buffer, default, offset, write: false, out nread);
    }

    public static int Write(Vnode vp, ReadOnlySpan<byte> buffer, long offset, out int nwritten)
    {
        nwritten = 0;
        if (offset < 0)
            return EINVAL;
        if (vp.Type == VType.VCHR)
        {
            var sw = DevSw.Char(vp.Rdev.Major);
            return sw is null ? ENXIO : sw.Write(vp.Rdev, buffer, offset, out nwritten);
        }
        return BlockIo(vp, default, buffer, offset, write: true, out nwritten);
    }

    public static int Fsync(Vnode vp)
    {
        if (vp.Type != VType.VBLK)
            return 0;
        var bsw = DevSw.Block(vp.Rdev.Major);
        if (bsw is null)
            return ENXIO;
        var error = Bio.Flush(vp.Rdev, wait: true);
        return error != 0 ? error : bsw.Sync(vp.Rdev);
    }

    private static int BlockIo(Vnode vp, Span<byte> readBuf, ReadOnlySpan<byte> writeBuf, long offset, bool write, out int done)
    {
        done = 0;
        var bsw = DevSw.Block(vp.Rdev.Major);
        if (bsw is null)
            return ENXIO;
        var error = bsw.GetSize(vp.Rdev, out var devSize, out var sectorSize);
        if (error != 0)
            return error;
        if (sectorSize < Buf.DEV_BSIZE || sectorSize % Buf.DEV_BSIZE != 0)
            sectorSize = Buf.DEV_BSIZE;
        var total = write ? writeBuf.Length : readBuf.Length;
        if (offset >= devSize)
            return write && total > 0 ? ENOSPC : 0;
        total = (int)Math.Min(total, devSize - offset);
        if (total == 0)
            return 0;
        // Cached delayed writes must reach the device before we look at it directly.
        error = Bio.Flush(vp.Rdev, wait: false);
        if (error != 0)
            return error;

        var chunk = Math.Min(MaxTransfer, ((total + 2 * sectorSize - 1) / sectorSize) * sectorSize);
        error = Kmem.Alloc(chunk, out var bounce);
        if (error != 0)
            return error;
        try
        {
            var bp = new Buf();
            while (done < total)
            {
                var pos = offset + done;
                var start = pos / sectorSize * sectorSize;
                var inSector = (int)(pos - start);
                var want = Math.Min(total - done, chunk - inSector);
                var span = (int)Math.Min(((inSector + want + sectorSize - 1) / sectorSize) * (long)sectorSize, devSize - start);
                var blkno = start / Buf.DEV_BSIZE;
                if (!write || inSector != 0 || (want % sectorSize) != 0)
                {
                    bp.Reset(vp.Rdev, Buf.B_READ, bounce, 0, span, blkno);
                    bsw.Strategy(bp);
                    error = bp.Biowait();
                    if (error == 0 && bp.Resid != 0)
                        error = EIO;
                    if (error != 0)
                        return done > 0 ? 0 : error;
                }
                if (write)
                {
                    writeBuf.Slice(done, want).CopyTo(bounce.AsSpan(inSector));
                    bp.Reset(vp.Rdev, Buf.B_WRITE, bounce, 0, span, blkno);
                    bsw.Strategy(bp);
                    error = bp.Biowait();
                    if (error == 0 && bp.Resid != 0)
                        error = EIO;
                    if (error != 0)
                        return done > 0 ? 0 : error;
                }
                else
                {
                    bounce.AsSpan(inSector, want).CopyTo(readBuf.Slice(done));
                }
                done += want;
            }
            return 0;
        }
        finally
        {
            Kmem.Free(bounce);
        }
    }
}
