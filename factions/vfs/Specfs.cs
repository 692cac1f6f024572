using System;
using Rump.Kern;
using static Rump.Kern.Errno;

namespace Rump.Vfs;

/// <summary>
/// specfs (spec_vnops.c): open, close, read and write of VBLK/VCHR vnodes go to the device switch.
/// Attributes stay with the file system that holds the device node. Block devices are read and written
/// through the buffer cache in 4 KiB blocks (spec_read/spec_write): reads with bread, writes as delayed
/// writes, which fsync, sync, the syncer and the last close of a writer push to the device.
/// </summary>
internal static class Specfs
{
    /// <summary>Buffer size for block device I/O through the buffer cache (BLKDEV_IOSIZE).</summary>
    private const int BlockSize = 4096;

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
        var error = 0;
        if ((fmode & Vn.FWRITE) != 0)
            error = Bio.Flush(vp.Rdev, wait: true);
        var closeError = bsw.Close(vp.Rdev, fmode);
        return error != 0 ? error : closeError;
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
        if (sectorSize < Buf.DEV_BSIZE || BlockSize % sectorSize != 0)
            sectorSize = Buf.DEV_BSIZE;
        devSize -= devSize % sectorSize;
        var total = write ? writeBuf.Length : readBuf.Length;
        if (offset >= devSize)
            return write && total > 0 ? ENOSPC : 0;
        total = (int)Math.Min(total, devSize - offset);
        while (done < total)
        {
            var pos = offset + done;
            var blockStart = pos / BlockSize * BlockSize;
            var size = (int)Math.Min(BlockSize, devSize - blockStart);
            var inBlock = (int)(pos - blockStart);
            var n = Math.Min(total - done, size - inBlock);
            var blkno = blockStart / Buf.DEV_BSIZE;
            Buf bp;
            if (write && inBlock == 0 && n == size)
                error = Bio.Getblk(vp, blkno, size, out bp);   // overwritten whole: no read
            else
                error = Bio.Bread(vp, blkno, size, out bp);
            if (error != 0)
                return done > 0 ? 0 : error;
            if (write)
            {
                writeBuf.Slice(done, n).CopyTo(bp.Data.AsSpan(bp.DataOffset + inBlock, n));
                Bio.Bdwrite(bp);
            }
            else
            {
                bp.Data.AsSpan(bp.DataOffset + inBlock, n).CopyTo(readBuf.Slice(done));
                Bio.Brelse(bp);
            }
            done += n;
        }
        return 0;
    }
}
