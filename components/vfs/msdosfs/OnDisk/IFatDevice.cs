using System;

namespace Rump.Fs.Msdosfs;

/// <summary>
/// The block device under a FAT volume, in bytes. Every offset and length the FAT code passes is a multiple
/// of the volume's sector size (itself a multiple of 512). Returns 0 or an errno (EIO past the end).
/// The mount code adapts the device switch to this; tests adapt an image in memory.
/// </summary>
internal interface IFatDevice
{
    long SizeBytes { get; }
    bool IsReadOnly { get; }
    int Read(long offset, Span<byte> buffer);
    int Write(long offset, ReadOnlySpan<byte> buffer);
    /// <summary>Makes earlier writes durable (DIOCCACHESYNC).</summary>
    int Flush();
}
