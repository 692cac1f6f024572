using System;

namespace Rump.Fs.Msdosfs;

/// <summary>
/// The block device under a FAT volume, in bytes. Every offset and length the FAT code passes to
/// <see cref="Read"/>/<see cref="Write"/> is a multiple of the volume's sector size (itself a multiple of 512).
/// Returns 0 or an errno (EIO past the end). The mount code adapts the device switch to this; tests adapt an
/// image in memory.
/// </summary>
internal interface IFatDevice
{
    long SizeBytes { get; }
    bool IsReadOnly { get; }
    /// <summary>Reads straight into <paramref name="buffer"/> (a direct transfer, nothing cached).</summary>
    int Read(long offset, Span<byte> buffer);
    /// <summary>Writes straight from <paramref name="buffer"/>; cached blocks it overlaps are dropped.</summary>
    int Write(long offset, ReadOnlySpan<byte> buffer);
    /// <summary>Makes earlier writes durable (DIOCCACHESYNC).</summary>
    int Flush();

    /// <summary>
    /// Declares the volume's cache blocks: <paramref name="blockSize"/> bytes each, from byte
    /// <paramref name="start"/> on (the data clusters). Called once at mount.
    /// </summary>
    void SetCacheBlocks(long start, int blockSize);
    /// <summary>
    /// Reads <c>buffer.Length</c> bytes from <paramref name="skip"/> inside the cache block at
    /// <paramref name="blockOffset"/> through the buffer cache (bread): a cached block costs no device request.
    /// </summary>
    int ReadCached(long blockOffset, int skip, Span<byte> buffer);
    /// <summary>Starts reading the cache block at <paramref name="blockOffset"/> without waiting (breadn's read-ahead); a hint.</summary>
    void ReadAhead(long blockOffset);
    /// <summary>True when the cache block at <paramref name="blockOffset"/> is cached (reading it costs no device request).</summary>
    bool IsCached(long blockOffset);
    /// <summary>
    /// Keeps <paramref name="data"/>, the whole cache block at <paramref name="blockOffset"/> just read from the device
    /// with <see cref="Read"/>, in the cache (a multi-block read filling several buffers); a hint.
    /// </summary>
    void FillCache(long blockOffset, ReadOnlySpan<byte> data);
    /// <summary>
    /// Writes <paramref name="data"/> at <paramref name="skip"/> inside the cache block at <paramref name="blockOffset"/>:
    /// the block is read through the cache, changed there, and the <paramref name="sectorSize"/>-aligned range around
    /// the change is written to the device at once (write-through). The cached copy stays valid.
    /// </summary>
    int WriteCached(long blockOffset, int skip, ReadOnlySpan<byte> data, int sectorSize);
}
