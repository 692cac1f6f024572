using System;
using Rump.Kern;
using Rump.Vfs;

namespace Rump.Fs.Msdosfs;

using Errno = Rump.Kern.Errno;

/// <summary>
/// The FAT code's block device, in bytes, over the block device switch of the mounted device.
/// <list type="bullet">
/// <item><see cref="Read"/>/<see cref="Write"/> are physio: the device moves the bytes straight between the
/// caller's memory and the medium (<see cref="BlockDeviceSwitch.ReadDirect"/>), on the caller's thread with its
/// virtual CPU released — no bounce buffer, no completion thread. Large file reads and all writes use them.</item>
/// <item><see cref="ReadCached"/>/<see cref="ReadAhead"/> go through the VFS buffer cache (bread/breadn) in the
/// volume's cache blocks (one per data cluster): small file reads are served from memory when cached.</item>
/// </list>
/// Coherence: cache blocks are never dirty (file data is written through), and every <see cref="Write"/>
/// drops the cache blocks it overlaps, so a direct read or a bread never returns stale bytes.
/// Locking: used only under the mount's volume lock.
/// </summary>
internal sealed class MsdosfsDevice : IFatDevice
{
    private readonly BlockDeviceSwitch _sw;
    private readonly Vnode _devvp;
    private readonly DevT _dev;
    private long _cacheStart;
    private int _cacheBlock;   // 0 = no cache blocks declared yet

    private MsdosfsDevice(BlockDeviceSwitch sw, Vnode devvp, long size, bool readOnly)
    {
        _sw = sw;
        _devvp = devvp;
        _dev = devvp.Rdev;
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
        device = new MsdosfsDevice(sw, devvp, bytes - bytes % Buf.DEV_BSIZE, sw.IsReadOnly(devvp.Rdev));
        return 0;
    }

    public long SizeBytes { get; }
    public bool IsReadOnly { get; }

    public int Read(long offset, Span<byte> buffer)
    {
        if (!InDevice(offset, buffer.Length))
            return Errno.EIO;
        int error = _sw.ReadDirect(_dev, offset / Buf.DEV_BSIZE, buffer, out int n);
        return error != 0 ? error : n == buffer.Length ? 0 : Errno.EIO;
    }

    public int Write(long offset, ReadOnlySpan<byte> buffer)
    {
        if (IsReadOnly)
            return Errno.EROFS;
        if (!InDevice(offset, buffer.Length))
            return Errno.EIO;
        int error = _sw.WriteDirect(_dev, offset / Buf.DEV_BSIZE, buffer, out int n);
        PurgeCached(offset, buffer.Length);   // also after a failed write: the medium may hold part of it
        return error != 0 ? error : n == buffer.Length ? 0 : Errno.EIO;
    }

    public int Flush() => _sw.Sync(_dev);

    public void SetCacheBlocks(long start, int blockSize)
    {
        _cacheStart = start;
        _cacheBlock = blockSize;
    }

    public int ReadCached(long blockOffset, int skip, Span<byte> buffer)
    {
        if (!IsCacheBlock(blockOffset) || skip < 0 || skip + buffer.Length > _cacheBlock)
            return Errno.EIO;
        int error = Bio.Bread(_devvp, blockOffset / Buf.DEV_BSIZE, _cacheBlock, out var bp);
        if (error != 0)
            return error;
        bp.Data.AsSpan(bp.DataOffset + skip, buffer.Length).CopyTo(buffer);
        Bio.Brelse(bp);
        return 0;
    }

    public void ReadAhead(long blockOffset)
    {
        if (IsCacheBlock(blockOffset))
            Bio.ReadAhead(_devvp, blockOffset / Buf.DEV_BSIZE, _cacheBlock);
    }

    public bool IsCached(long blockOffset) => IsCacheBlock(blockOffset) && Bio.Incore(_dev, blockOffset / Buf.DEV_BSIZE);

    public void FillCache(long blockOffset, ReadOnlySpan<byte> data)
    {
        if (!IsCacheBlock(blockOffset) || data.Length != _cacheBlock)
            return;
        // getblk hands out the cached copy, or a new buffer: either way the device's bytes read just now are its contents.
        if (Bio.Getblk(_devvp, blockOffset / Buf.DEV_BSIZE, _cacheBlock, out var bp) != 0)
            return;   // no buffer memory: the block is just not cached
        data.CopyTo(bp.Data.AsSpan(bp.DataOffset, _cacheBlock));
        Bio.Brelse(bp);
    }

    public int WriteCached(long blockOffset, int skip, ReadOnlySpan<byte> data, int sectorSize)
    {
        if (IsReadOnly)
            return Errno.EROFS;
        if (!IsCacheBlock(blockOffset) || skip < 0 || skip + data.Length > _cacheBlock || sectorSize <= 0
            || sectorSize % Buf.DEV_BSIZE != 0 || _cacheBlock % sectorSize != 0)
            return Errno.EIO;
        int error = Bio.Bread(_devvp, blockOffset / Buf.DEV_BSIZE, _cacheBlock, out var bp);
        if (error != 0)
            return error;
        data.CopyTo(bp.Data.AsSpan(bp.DataOffset + skip, data.Length));
        int from = skip / sectorSize * sectorSize;
        int to = (skip + data.Length + sectorSize - 1) / sectorSize * sectorSize;
        error = _sw.WriteDirect(_dev, (blockOffset + from) / Buf.DEV_BSIZE, bp.Data.AsSpan(bp.DataOffset + from, to - from), out int n);
        if (error == 0 && n != to - from)
            error = Errno.EIO;
        // A failed write may have left the medium with part of it: drop the copy so the next read asks the device.
        Bio.Brelse(bp, error != 0 ? Bio.BC_INVAL : 0);
        return error;
    }

    private bool InDevice(long offset, int length)
        => offset >= 0 && offset % Buf.DEV_BSIZE == 0 && length % Buf.DEV_BSIZE == 0 && offset + length <= SizeBytes;

    private bool IsCacheBlock(long offset)
        => _cacheBlock != 0 && offset >= _cacheStart && (offset - _cacheStart) % _cacheBlock == 0 && offset + _cacheBlock <= SizeBytes;

    // Drops the cache blocks that [offset, offset + length) overlaps.
    private void PurgeCached(long offset, int length)
    {
        if (_cacheBlock == 0 || length == 0)
            return;
        long from = Math.Max(offset, _cacheStart);
        long to = offset + length;
        if (from >= to)
            return;
        long first = (from - _cacheStart) / _cacheBlock;
        long last = (to - 1 - _cacheStart) / _cacheBlock;
        Bio.PurgeBlocks(_dev, (_cacheStart + first * _cacheBlock) / Buf.DEV_BSIZE, _cacheBlock / Buf.DEV_BSIZE, last - first + 1);
    }
}
