using System;

namespace Rump.Kern;

/// <summary>
/// A block device driver's entry points (struct bdevsw). I/O goes through <see cref="Strategy"/> only,
/// in whole DEV_BSIZE blocks.
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
