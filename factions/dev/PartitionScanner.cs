using System;
using System.Collections.Generic;
using Rump.Kern;

namespace Rump.Dev;

using Errno = Rump.Kern.Errno;

/// <summary>
/// Finds the partitions of a block device (dkwedge_discover): GPT first when the MBR is protective or
/// absent, otherwise the MBR. Reads through the device's strategy routine like any other consumer.
/// </summary>
internal static class PartitionScanner
{
    /// <summary>Scans the disk behind <paramref name="sw"/>/<paramref name="dev"/>; problems go to the kernel log prefixed with <paramref name="name"/>.</summary>
    public static TableKind Scan(string name, BlockDeviceSwitch sw, DevT dev, List<Partition> found)
    {
        void Log(string line) => KernelLog.Printf("dk: " + name + ": " + line);

        var error = sw.GetSize(dev, out var bytes, out var sectorSize);
        if (error != 0)
        {
            Log("cannot get size (error " + error + "); not scanned");
            return TableKind.None;
        }
        if (!Disk.IsValidSectorSize(sectorSize))
        {
            Log("sector size " + sectorSize + " unsupported; not scanned");
            return TableKind.None;
        }
        var totalSectors = bytes / sectorSize;
        if (totalSectors < 1)
            return TableKind.None;

        var reader = new SyncReader(sw, dev, sectorSize);
        var sector0 = new byte[sectorSize];
        error = reader.Read(0, sector0);
        if (error != 0)
        {
            Log("cannot read sector 0 (error " + error + "); not scanned");
            return TableKind.None;
        }

        var isMbr = MbrScheme.Looks(sector0);
        if (!isMbr || MbrScheme.IsProtective(sector0))
        {
            var kind = GptScheme.Parse(sectorSize, totalSectors, reader.Read, expectGpt: isMbr, found, Log);
            if (kind != TableKind.None || !isMbr)
                return kind;
        }
        MbrScheme.Parse(sector0, sectorSize, totalSectors, reader.Read, found, Log);
        return TableKind.Mbr;
    }

    /// <summary>Synchronous sector reads through a block switch (bread without the cache).</summary>
    private sealed class SyncReader
    {
        private readonly BlockDeviceSwitch _sw;
        private readonly DevT _dev;
        private readonly int _sectorSize;
        private readonly byte[] _buffer;
        private readonly Buf _buf = new();

        public SyncReader(BlockDeviceSwitch sw, DevT dev, int sectorSize)
        {
            _sw = sw;
            _dev = dev;
            _sectorSize = sectorSize;
            _buffer = new byte[sectorSize];
        }

        public int Read(long lba, Span<byte> sector)
        {
            if (lba < 0 || sector.Length != _sectorSize)
                return Errno.EINVAL;
            long blkno;
            try
            {
                blkno = checked(lba * (_sectorSize / Buf.DEV_BSIZE));
            }
            catch (OverflowException)
            {
                return Errno.EINVAL;
            }
            _buf.Reset(_dev, Buf.B_READ, _buffer, 0, _sectorSize, blkno);
            _sw.Strategy(_buf);
            var error = _buf.Biowait();
            if (error == 0 && _buf.Resid != 0)
                error = Errno.EIO;
            if (error != 0)
                return error;
            _buffer.AsSpan().CopyTo(sector);
            return 0;
        }
    }
}
