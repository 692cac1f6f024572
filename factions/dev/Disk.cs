using System;
using Rump.Kern;

namespace Rump.Dev;

using Errno = Rump.Kern.Errno;

/// <summary>A disk's geometry and statistics (struct disk).</summary>
internal sealed class Disk
{
    public Disk(string name, int sectorSize, long sectors, string label)
    {
        Name = name;
        SectorSize = sectorSize;
        Sectors = sectors;
        Label = label;
    }

    /// <summary>The device node name: "vnd0", "md1", "vnd0p2".</summary>
    public string Name { get; }
    /// <summary>Bytes per sector (a power of two, ≥ DEV_BSIZE).</summary>
    public int SectorSize { get; }
    public long Sectors { get; }
    /// <summary>Free text describing the medium (the host path of a vnd, "memory" for md, the partition type of a wedge).</summary>
    public string Label { get; }
    public long Bytes => checked(Sectors * SectorSize);

    // Statistics (iostat); protected by the owning DiskDevice's lock.
    public long Transfers { get; internal set; }
    public long BytesRead { get; internal set; }
    public long BytesWritten { get; internal set; }

    public static bool IsValidSectorSize(int sectorSize)
        => sectorSize >= Buf.DEV_BSIZE && sectorSize <= 65536 && (sectorSize & (sectorSize - 1)) == 0;
}

/// <summary>
/// One disk unit of a driver (NetBSD's dk_softc with dksubr.c's strategy and start loop): bounds checks,
/// queues requests in a <see cref="BufQueue"/> and feeds them to <see cref="DiskStart"/> while fewer than
/// <see cref="MaxInFlight"/> are in flight. The driver completes each with <see cref="DiskDone"/>.
/// </summary>
/// <remarks>
/// A request moves the first <c>Count - Resid</c> bytes: the strategy routine sets <see cref="Buf.Resid"/>
/// to the part past the end of the disk (a truncated request) before the driver sees it.
/// Locking: <see cref="Lock"/> protects the queue, the in-flight count and the disk statistics.
/// </remarks>
internal abstract class DiskDevice
{
    protected readonly KMutex Lock = new();
    private readonly BufQueue _queue;
    private int _inFlight;
    private bool _gone;

    protected DiskDevice(Disk disk, string bufqStrategy, int maxInFlight, bool readOnly)
    {
        Disk = disk;
        MaxInFlight = maxInFlight;
        ReadOnly = readOnly;
        if (BufQueue.Alloc(bufqStrategy, out var queue) != 0 || queue is null)
            queue = new FcfsBufQueue();
        _queue = queue;
    }

    public Disk Disk { get; }
    public bool ReadOnly { get; }
    public int MaxInFlight { get; }
    /// <summary>The autoconf node of this unit, when it has one.</summary>
    public Device? Device { get; internal set; }

    /// <summary>Starts one request (d_diskstart): 0 when taken (it completes later through DiskDone), or an errno to fail it now.</summary>
    protected abstract int DiskStart(Buf bp);

    public virtual int Open(int flags) => 0;

    public virtual int Close(int flags) => 0;

    public virtual int Sync() => 0;

    /// <summary>dk_strategy: validates the request against the disk, queues it and runs the start loop.</summary>
    public void Strategy(Buf bp)
    {
        var error = Validate(bp, out var eof);
        if (error != 0 || eof)
        {
            bp.Biodone(error);
            return;
        }

        Lock.Enter();
        if (_gone)
        {
            Lock.Exit();
            bp.Resid = bp.Count;
            bp.Biodone(Errno.ENXIO);
            return;
        }
        _queue.Put(bp);
        Lock.Exit();
        Start();
    }

    /// <summary>
    /// physio into the caller's memory (<see cref="BlockDeviceSwitch.ReadDirect"/>): the bounds checks of
    /// <see cref="Strategy"/>, then the driver's <see cref="DiskReadDirect"/>; short only at the end of the disk.
    /// </summary>
    public int ReadDirect(long blkno, Span<byte> buffer, out int transferred)
    {
        transferred = 0;
        var error = DirectBounds(blkno, buffer.Length, write: false, out var count);
        if (error != 0 || count == 0)
            return error;
        error = DiskReadDirect(blkno, buffer.Slice(0, count), out transferred);
        Account(read: true, error == 0 ? transferred : 0);
        return error;
    }

    /// <summary>physio from the caller's memory (<see cref="BlockDeviceSwitch.WriteDirect"/>); see <see cref="ReadDirect"/>.</summary>
    public int WriteDirect(long blkno, ReadOnlySpan<byte> data, out int transferred)
    {
        transferred = 0;
        var error = DirectBounds(blkno, data.Length, write: true, out var count);
        if (error != 0 || count == 0)
            return error;
        error = DiskWriteDirect(blkno, data.Slice(0, count), out transferred);
        Account(read: false, error == 0 ? transferred : 0);
        return error;
    }

    /// <summary>
    /// A direct read of blocks already checked against the disk. The default bounces through
    /// <see cref="Strategy"/>; drivers that reach any memory override it.
    /// </summary>
    protected virtual int DiskReadDirect(long blkno, Span<byte> buffer, out int transferred)
        => Physio.Read(Strategy, DevT.NoDev, blkno, buffer, out transferred);

    /// <summary>A direct write of blocks already checked against the disk; see <see cref="DiskReadDirect"/>.</summary>
    protected virtual int DiskWriteDirect(long blkno, ReadOnlySpan<byte> data, out int transferred)
        => Physio.Write(Strategy, DevT.NoDev, blkno, data, out transferred);

    private int DirectBounds(long blkno, int length, bool write, out int count)
    {
        count = 0;
        if (blkno < 0 || length < 0 || (length & (Buf.DEV_BSIZE - 1)) != 0)
            return Errno.EINVAL;
        if (write && ReadOnly)
            return Errno.EROFS;
        Lock.Enter();
        var gone = _gone;
        Lock.Exit();
        if (gone)
            return Errno.ENXIO;
        var mediaBlocks = Disk.Bytes / Buf.DEV_BSIZE;
        if (blkno > mediaBlocks)
            return Errno.EINVAL;
        count = (int)(Math.Min(length / Buf.DEV_BSIZE, mediaBlocks - blkno) * Buf.DEV_BSIZE);
        return 0;
    }

    private void Account(bool read, int moved)
    {
        Lock.Enter();
        Disk.Transfers++;
        if (read)
            Disk.BytesRead += moved;
        else
            Disk.BytesWritten += moved;
        Lock.Exit();
    }

    /// <summary>dk_done: accounts and completes a request the driver finished, then starts more.</summary>
    protected void DiskDone(Buf bp, int error)
    {
        var moved = error == 0 ? bp.Count - bp.Resid : 0;
        if (error != 0)
            bp.Resid = bp.Count;
        Lock.Enter();
        _inFlight--;
        Disk.Transfers++;
        if (bp.IsRead)
            Disk.BytesRead += moved;
        else
            Disk.BytesWritten += moved;
        Lock.Exit();
        bp.Biodone(error);
        Start();
    }

    /// <summary>
    /// dk_done for a completion that arrives on a host I/O thread (rump_biodone): the thread is given an
    /// lwp and a virtual CPU for the completion, like any host thread entering the kernel. After a panic
    /// or shutdown the instance is gone; the completion is dropped rather than unwinding the host thread.
    /// </summary>
    protected void DiskDoneFromHost(Buf bp, int error)
    {
        if (Hyp.CurLwp() is not null || Kernel.Proc1 is null)
        {
            // Already in kernel context, or still booting (no process to lend an lwp yet; the boot
            // thread waits for this I/O with its CPU released).
            DiskDone(bp, error);
            return;
        }
        if (!Kernel.IsRunning)
            return;
        Lwp? l = null;
        try
        {
            SyscallEntry.Enter(out l);
            DiskDone(bp, error);
        }
        catch (Exception) when (!Kernel.IsRunning)
        {
            // The kernel panicked or stopped while this I/O was in flight: nobody waits for it any more.
        }
        finally
        {
            if (l is not null)
                SyscallEntry.Exit(l);
        }
    }

    /// <summary>Fails every queued request with ENXIO and refuses new ones (the unit is going away).</summary>
    public void Drain()
    {
        while (true)
        {
            Lock.Enter();
            _gone = true;
            var bp = _queue.Get();
            Lock.Exit();
            if (bp is null)
                return;
            bp.Resid = bp.Count;
            bp.Biodone(Errno.ENXIO);
        }
    }

    /// <summary>Requests in flight in the driver (not counting the queue).</summary>
    public int InFlight
    {
        get
        {
            Lock.Enter();
            var n = _inFlight;
            Lock.Exit();
            return n;
        }
    }

    private void Start()
    {
        while (true)
        {
            Lock.Enter();
            if (_inFlight >= MaxInFlight)
            {
                Lock.Exit();
                return;
            }
            var bp = _queue.Get();
            if (bp is null)
            {
                Lock.Exit();
                return;
            }
            _inFlight++;
            Lock.Exit();

            var error = DiskStart(bp);
            if (error != 0)
                DiskDone(bp, error);
        }
    }

    /// <summary>bounds_check_with_mediasize: EINVAL before the start, past the end or for partial blocks;
    /// EOF (no error, all residual) exactly at the end; truncation for a request that runs over the end.</summary>
    private int Validate(Buf bp, out bool eof)
    {
        eof = false;
        bp.Resid = bp.Count;
        bp.Error = 0;
        if (bp.Blkno < 0 || bp.Count < 0 || (bp.Count & (Buf.DEV_BSIZE - 1)) != 0
            || bp.DataOffset < 0 || bp.Data.Length - bp.DataOffset < bp.Count)
            return Errno.EINVAL;
        if (!bp.IsRead && ReadOnly)
            return Errno.EROFS;

        var mediaBlocks = Disk.Bytes / Buf.DEV_BSIZE;
        var blocks = bp.Count / Buf.DEV_BSIZE;
        if (bp.Blkno > mediaBlocks)
            return Errno.EINVAL;
        if (bp.Blkno == mediaBlocks || blocks == 0)
        {
            eof = true;
            return 0;
        }
        var fit = Math.Min(blocks, mediaBlocks - bp.Blkno);
        bp.Resid = bp.Count - (int)(fit * Buf.DEV_BSIZE);
        bp.RawBlkno = bp.Blkno;
        return 0;
    }
}

/// <summary>
/// The block switch of a disk driver: the minor number is the unit, each unit a <see cref="DiskDevice"/>.
/// </summary>
/// <remarks>Locking: the unit table is protected by <see cref="_lock"/>.</remarks>
internal sealed class DiskSwitch : BlockDeviceSwitch
{
    private readonly KMutex _lock = new();
    private DiskDevice?[] _units = new DiskDevice?[4];

    private DiskSwitch(string driver) => Driver = driver;

    public string Driver { get; }
    public int Major { get; private set; } = -1;

    /// <summary>Attaches a new disk switch for <paramref name="driver"/> (EEXIST when that driver is attached).</summary>
    public static int Create(string driver, out DiskSwitch? sw)
    {
        var s = new DiskSwitch(driver);
        var error = DevSw.AttachBlock(driver, s, out var major);
        if (error != 0)
        {
            sw = null;
            return error;
        }
        s.Major = major;
        sw = s;
        return 0;
    }

    /// <summary>Installs <paramref name="disk"/> as <paramref name="unit"/> (-1: the lowest free unit); EBUSY when taken.</summary>
    public int AttachUnit(DiskDevice disk, int unit, out DevT dev)
    {
        _lock.Enter();
        try
        {
            dev = DevT.NoDev;
            if (unit < 0)
            {
                unit = Array.IndexOf(_units, null);
                if (unit < 0)
                    unit = _units.Length;
            }
            if (unit >= _units.Length)
                Array.Resize(ref _units, Math.Max(unit + 1, _units.Length * 2));
            if (_units[unit] is not null)
                return Errno.EBUSY;
            _units[unit] = disk;
            dev = new DevT(Major, unit);
            return 0;
        }
        finally
        {
            _lock.Exit();
        }
    }

    /// <summary>Removes a unit; later requests to it fail with ENXIO.</summary>
    public DiskDevice? DetachUnit(int unit)
    {
        _lock.Enter();
        try
        {
            if ((uint)unit >= (uint)_units.Length)
                return null;
            var disk = _units[unit];
            _units[unit] = null;
            return disk;
        }
        finally
        {
            _lock.Exit();
        }
    }

    public DiskDevice? Unit(int unit)
    {
        _lock.Enter();
        var disk = (uint)unit < (uint)_units.Length ? _units[unit] : null;
        _lock.Exit();
        return disk;
    }

    public override int Open(DevT dev, int flags) => Unit(dev.Minor)?.Open(flags) ?? Errno.ENXIO;

    public override int Close(DevT dev, int flags) => Unit(dev.Minor)?.Close(flags) ?? Errno.ENXIO;

    public override void Strategy(Buf bp)
    {
        var disk = Unit(bp.Dev.Minor);
        if (disk is null)
        {
            bp.Resid = bp.Count;
            bp.Biodone(Errno.ENXIO);
            return;
        }
        disk.Strategy(bp);
    }

    public override int ReadDirect(DevT dev, long blkno, Span<byte> buffer, out int transferred)
    {
        var disk = Unit(dev.Minor);
        if (disk is null)
        {
            transferred = 0;
            return Errno.ENXIO;
        }
        return disk.ReadDirect(blkno, buffer, out transferred);
    }

    public override int WriteDirect(DevT dev, long blkno, ReadOnlySpan<byte> data, out int transferred)
    {
        var disk = Unit(dev.Minor);
        if (disk is null)
        {
            transferred = 0;
            return Errno.ENXIO;
        }
        return disk.WriteDirect(blkno, data, out transferred);
    }

    public override int GetSize(DevT dev, out long bytes, out int sectorSize)
    {
        var disk = Unit(dev.Minor);
        if (disk is null)
        {
            bytes = 0;
            sectorSize = 0;
            return Errno.ENXIO;
        }
        bytes = disk.Disk.Bytes;
        sectorSize = disk.Disk.SectorSize;
        return 0;
    }

    public override int Sync(DevT dev) => Unit(dev.Minor)?.Sync() ?? Errno.ENXIO;

    public override bool IsReadOnly(DevT dev) => Unit(dev.Minor)?.ReadOnly ?? false;
}
