using System;

namespace Rump.Kern;

/// <summary>
/// A block device driver's entry points (struct bdevsw). I/O goes through <see cref="Strategy"/> (a buf,
/// possibly asynchronous) or, for a caller that waits for bytes in its own memory, <see cref="ReadDirect"/> /
/// <see cref="WriteDirect"/>; always in whole DEV_BSIZE blocks.
/// </summary>
internal abstract class BlockDeviceSwitch
{
    /// <summary>Open flags: FREAD=0x1, FWRITE=0x2 (as in KFile.Flags).</summary>
    public const int FREAD = 0x1, FWRITE = 0x2;

    public abstract int Open(DevT dev, int flags);

    public abstract int Close(DevT dev, int flags);

    /// <summary>
    /// Starts the I/O described by <paramref name="bp"/> and returns at once; the driver completes it
    /// with <see cref="Buf.Biodone"/> (with EINVAL/ENXIO/EROFS/EIO on failure), possibly before returning.
    /// </summary>
    public abstract void Strategy(Buf bp);

    /// <summary>
    /// physio for a caller that waits: reads <c>buffer.Length</c> bytes (whole DEV_BSIZE blocks) from block
    /// <paramref name="blkno"/> straight into the caller's memory. <paramref name="transferred"/> is short only
    /// at the end of the device. The default bounces through a buf and <see cref="Strategy"/>; a driver that can
    /// move bytes into any memory overrides it (no copy, no completion hand-off).
    /// </summary>
    public virtual int ReadDirect(DevT dev, long blkno, Span<byte> buffer, out int transferred)
        => Physio.Read(Strategy, dev, blkno, buffer, out transferred);

    /// <summary>
    /// physio for a caller that waits: writes <paramref name="data"/> (whole DEV_BSIZE blocks) at block
    /// <paramref name="blkno"/> from the caller's memory; <paramref name="transferred"/> is short only at the end
    /// of the device. Durable only after <see cref="Sync"/>, like a write through <see cref="Strategy"/>.
    /// </summary>
    public virtual int WriteDirect(DevT dev, long blkno, ReadOnlySpan<byte> data, out int transferred)
        => Physio.Write(Strategy, dev, blkno, data, out transferred);

    /// <summary>Size of the device in bytes and its sector size (DIOCGMEDIASIZE / DIOCGSECTORSIZE).</summary>
    public abstract int GetSize(DevT dev, out long bytes, out int sectorSize);

    /// <summary>Flushes the device's write cache (DIOCCACHESYNC).</summary>
    public virtual int Sync(DevT dev) => 0;

    /// <summary>True when writes will fail with EROFS.</summary>
    public virtual bool IsReadOnly(DevT dev) => false;
}

/// <summary>A character device driver's entry points (struct cdevsw).</summary>
internal abstract class CharDeviceSwitch
{
    public abstract int Open(DevT dev, int flags);

    public abstract int Close(DevT dev, int flags);

    public abstract int Read(DevT dev, Span<byte> buffer, long offset, out int nread);

    public abstract int Write(DevT dev, ReadOnlySpan<byte> buffer, long offset, out int nwritten);
}
