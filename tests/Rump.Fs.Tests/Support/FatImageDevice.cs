using System;
using System.IO;
using Rump.Fs.Msdosfs;

namespace Rump.Fs.Tests.Support;

using Errno = Rump.Kern.Errno;

/// <summary>An image file as the block device of a <see cref="FatVolume"/>, for unit tests without a kernel.</summary>
internal sealed class FatImageDevice : IFatDevice, IDisposable
{
    private readonly FileStream _file;

    public FatImageDevice(string path, bool readOnly = false)
    {
        _file = new FileStream(path, System.IO.FileMode.Open, readOnly ? FileAccess.Read : FileAccess.ReadWrite, FileShare.ReadWrite);
        IsReadOnly = readOnly;
    }

    public long SizeBytes => _file.Length;
    public bool IsReadOnly { get; }
    public int Reads { get; private set; }
    public int Writes { get; private set; }

    public int Read(long offset, Span<byte> buffer)
    {
        Assert.Equal(0, offset % 512);
        Assert.Equal(0, buffer.Length % 512);
        if (offset + buffer.Length > _file.Length)
            return Errno.EIO;
        Reads++;
        return RandomAccess.Read(_file.SafeFileHandle, buffer, offset) == buffer.Length ? 0 : Errno.EIO;
    }

    public int Write(long offset, ReadOnlySpan<byte> buffer)
    {
        Assert.Equal(0, offset % 512);
        Assert.Equal(0, buffer.Length % 512);
        if (IsReadOnly)
            return Errno.EROFS;
        if (offset + buffer.Length > _file.Length)
            return Errno.EIO;
        Writes++;
        RandomAccess.Write(_file.SafeFileHandle, buffer, offset);
        return 0;
    }

    // No buffer cache under the on-disk unit tests: a cached read is a plain read of the part asked for.
    public void SetCacheBlocks(long start, int blockSize) => CacheBlock = blockSize;

    public int CacheBlock { get; private set; }

    public int ReadCached(long blockOffset, int skip, Span<byte> buffer)
    {
        Assert.True(CacheBlock > 0 && skip + buffer.Length <= CacheBlock);
        var block = new byte[CacheBlock];
        var error = Read(blockOffset, block);
        if (error == 0)
            block.AsSpan(skip, buffer.Length).CopyTo(buffer);
        return error;
    }

    public void ReadAhead(long blockOffset)
    {
    }

    public bool IsCached(long blockOffset) => false;

    public void FillCache(long blockOffset, ReadOnlySpan<byte> data)
    {
    }

    // Without a cache: a read-modify-write of the sectors around the change.
    public int WriteCached(long blockOffset, int skip, ReadOnlySpan<byte> data, int sectorSize)
    {
        Assert.True(CacheBlock > 0 && skip + data.Length <= CacheBlock);
        var from = skip / sectorSize * sectorSize;
        var to = (skip + data.Length + sectorSize - 1) / sectorSize * sectorSize;
        var sectors = new byte[to - from];
        var error = Read(blockOffset + from, sectors);
        if (error != 0)
            return error;
        data.CopyTo(sectors.AsSpan(skip - from));
        return Write(blockOffset + from, sectors);
    }

    public int Flush()
    {
        _file.Flush(true);
        return 0;
    }

    public void Dispose() => _file.Dispose();

    /// <summary>A fixed clock, so tests can check the timestamps they cause.</summary>
    public static FatClock FixedClock(long unixSeconds) => (out long s, out long ns) => { s = unixSeconds; ns = 0; };
}
