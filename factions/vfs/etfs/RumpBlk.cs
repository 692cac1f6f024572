using System;
using System.Collections.Generic;
using Rump.Kern;
using static Rump.Kern.Errno;

namespace Rump.Vfs;

/// <summary>
/// rumpblk (sys/rump/librump/rumpvfs/rumpblk.c): host files as block devices, one minor per etfs
/// registration. Asynchronous bufs (B_ASYNC) go to the host through <see cref="Hyp.BioSubmit"/> and complete on
/// a host I/O thread; a buf its issuer waits for, and direct transfers, use the synchronous positional read and
/// write hypercalls on the issuer's thread.
/// </summary>
internal sealed class RumpBlk : BlockDeviceSwitch
{
    public const string DriverName = "rumpblk";

    private sealed class Unit
    {
        public int Fd;
        public long Begin;
        public long Size;
        public bool ReadOnly;
        public string HostPath = "";
        public int OpenCount;
    }

    public static readonly RumpBlk Instance = new();

    private static readonly BioDone s_done = Done;

    // _lock protects _units and each unit's OpenCount.
    private readonly KMutex _lock = new();
    private readonly Dictionary<int, Unit> _units = new();
    private int _major = -1;

    public int Major => _major;

    /// <summary>Attaches the switch at faction init, forgetting the units of an earlier instance (warm boot).</summary>
    public int Attach()
    {
        _lock.Enter();
        _units.Clear();
        _lock.Exit();
        return DevSw.AttachBlock(DriverName, this, out _major);
    }

    /// <summary>Adds a unit for an open host file; returns its device.</summary>
    public int AddUnit(string hostPath, int fd, long begin, long size, bool readOnly, out DevT dev)
    {
        _lock.Enter();
        var minor = 0;
        while (_units.ContainsKey(minor))
            minor++;
        _units.Add(minor, new Unit { Fd = fd, Begin = begin, Size = size, ReadOnly = readOnly, HostPath = hostPath });
        _lock.Exit();
        dev = new DevT(_major, minor);
        return 0;
    }

    /// <summary>Removes a unit; EBUSY while open. Returns the host fd to close.</summary>
    public int RemoveUnit(DevT dev, out int fd)
    {
        fd = -1;
        _lock.Enter();
        try
        {
            if (!_units.TryGetValue(dev.Minor, out var u))
                return ENXIO;
            if (u.OpenCount > 0)
                return EBUSY;
            _units.Remove(dev.Minor);
            fd = u.Fd;
            return 0;
        }
        finally
        {
            _lock.Exit();
        }
    }

    private Unit? Find(DevT dev)
    {
        _lock.Enter();
        _units.TryGetValue(dev.Minor, out var u);
        _lock.Exit();
        return dev.Major == _major ? u : null;
    }

    public override int Open(DevT dev, int flags)
    {
        _lock.Enter();
        try
        {
            if (dev.Major != _major || !_units.TryGetValue(dev.Minor, out var u))
                return ENXIO;
            if ((flags & Vn.FWRITE) != 0 && u.ReadOnly)
                return EROFS;
            u.OpenCount++;
            return 0;
        }
        finally
        {
            _lock.Exit();
        }
    }

    public override int Close(DevT dev, int flags)
    {
        _lock.Enter();
        try
        {
            if (dev.Major != _major || !_units.TryGetValue(dev.Minor, out var u))
                return ENXIO;
            if (u.OpenCount > 0)
                u.OpenCount--;
            return 0;
        }
        finally
        {
            _lock.Exit();
        }
    }

    public override int GetSize(DevT dev, out long bytes, out int sectorSize)
    {
        sectorSize = Buf.DEV_BSIZE;
        var u = Find(dev);
        bytes = u?.Size ?? 0;
        return u is null ? ENXIO : 0;
    }

    public override bool IsReadOnly(DevT dev) => Find(dev)?.ReadOnly ?? true;

    public override int Sync(DevT dev)
    {
        var u = Find(dev);
        if (u is null)
            return ENXIO;
        return u.ReadOnly ? 0 : Hyp.SyncFd(u.Fd, Hyp.FSYNC_WRITE);
    }

    public override void Strategy(Buf bp)
    {
        var u = Find(bp.Dev);
        var write = (bp.Flags & Buf.B_WRITE) != 0;
        var error = Bounds(u, write, bp.Blkno, bp.Count, wholeBlocks: false, out var offset, out var count);
        bp.Resid = bp.Count;
        if (error != 0 || count == 0)
        {
            // count == 0: at the end of the device nothing moves (NetBSD: b_resid = b_bcount, no error).
            bp.Biodone(error);
            return;
        }
        var op = (write ? Hyp.BIO_WRITE : Hyp.BIO_READ) | ((bp.Flags & Buf.B_SYNC) != 0 ? Hyp.BIO_SYNC : 0);
        if ((bp.Flags & Buf.B_ASYNC) != 0)
        {
            Hyp.BioSubmit(u!.Fd, op, bp.Data.AsMemory(bp.DataOffset, count), u.Begin + offset, s_done, bp);
            return;
        }
        // The issuer waits for this request right away (biowait): do the I/O on its thread, with its virtual
        // CPU released by the blocking hypercall, instead of a hand-off to a host I/O thread and back (two
        // thread wake-ups per request). Old rumpblk did the same for synchronous bufs.
        int transferred;
        if (write)
        {
            error = Hyp.Write(u!.Fd, bp.Data.AsSpan(bp.DataOffset, count), u.Begin + offset, out transferred);
            if (error == 0 && (op & Hyp.BIO_SYNC) != 0)
                error = Hyp.SyncFd(u.Fd, Hyp.FSYNC_WRITE);
        }
        else
        {
            error = Hyp.Read(u!.Fd, bp.Data.AsSpan(bp.DataOffset, count), u.Begin + offset, out transferred);
        }
        Done(bp, error, error == 0 ? transferred : 0);
    }

    public override int ReadDirect(DevT dev, long blkno, Span<byte> buffer, out int transferred)
    {
        transferred = 0;
        var u = Find(dev);
        var error = Bounds(u, write: false, blkno, buffer.Length, wholeBlocks: true, out var offset, out var count);
        if (error != 0 || count == 0)
            return error;
        return Hyp.Read(u!.Fd, buffer.Slice(0, count), u.Begin + offset, out transferred);
    }

    public override int WriteDirect(DevT dev, long blkno, ReadOnlySpan<byte> data, out int transferred)
    {
        transferred = 0;
        var u = Find(dev);
        var error = Bounds(u, write: true, blkno, data.Length, wholeBlocks: true, out var offset, out var count);
        if (error != 0 || count == 0)
            return error;
        return Hyp.Write(u!.Fd, data.Slice(0, count), u.Begin + offset, out transferred);
    }

    /// <summary>
    /// Checks a request of <paramref name="length"/> bytes at <paramref name="blkno"/> against the unit:
    /// ENXIO (no unit), EROFS, EINVAL (before the start, past the end, partial blocks when <paramref name="wholeBlocks"/>); <paramref name="count"/>
    /// is the part inside the device (0 exactly at its end).
    /// </summary>
    private static int Bounds(Unit? u, bool write, long blkno, int length, bool wholeBlocks, out long offset, out int count)
    {
        offset = 0;
        count = 0;
        if (u is null)
            return ENXIO;
        if (write && u.ReadOnly)
            return EROFS;
        if (blkno < 0 || length < 0 || (wholeBlocks && (length & (Buf.DEV_BSIZE - 1)) != 0) || blkno > u.Size / Buf.DEV_BSIZE)
            return EINVAL;
        offset = blkno * Buf.DEV_BSIZE;   // cannot overflow: blkno ≤ Size / DEV_BSIZE
        count = (int)Math.Min(length, u.Size - offset);
        return 0;
    }

    private static void Done(object? arg, int error, int transferred)
    {
        var bp = (Buf)arg!;
        bp.Resid = bp.Count - transferred;
        if (error == 0 && bp.Resid != 0 && (bp.Flags & Buf.B_WRITE) != 0)
            error = EIO;
        bp.Biodone(error);
    }
}

/// <summary>Host files as character devices (etfs RUMP_ETFS_CHR): positional reads and writes.</summary>
internal sealed class EtfsChr : CharDeviceSwitch
{
    public const string DriverName = "etfschr";

    public static readonly EtfsChr Instance = new();

    private readonly KMutex _lock = new();
    private readonly Dictionary<int, EtfsHostFile> _units = new();
    private int _major = -1;

    public int Attach()
    {
        _lock.Enter();
        _units.Clear();   // warm boot: units of an earlier instance are gone with it
        _lock.Exit();
        return DevSw.AttachChar(DriverName, this, out _major);
    }

    public DevT AddUnit(EtfsHostFile file)
    {
        _lock.Enter();
        var minor = 0;
        while (_units.ContainsKey(minor))
            minor++;
        _units.Add(minor, file);
        _lock.Exit();
        return new DevT(_major, minor);
    }

    public EtfsHostFile? RemoveUnit(DevT dev)
    {
        _lock.Enter();
        _units.Remove(dev.Minor, out var f);
        _lock.Exit();
        return f;
    }

    private EtfsHostFile? Find(DevT dev)
    {
        _lock.Enter();
        _units.TryGetValue(dev.Minor, out var f);
        _lock.Exit();
        return dev.Major == _major ? f : null;
    }

    public override int Open(DevT dev, int flags) => Find(dev) is null ? ENXIO : 0;

    public override int Close(DevT dev, int flags) => 0;

    public override int Read(DevT dev, Span<byte> buffer, long offset, out int nread)
    {
        nread = 0;
        var f = Find(dev);
        if (f is null)
            return ENXIO;
        var uio = Uio.ForRead(buffer, offset);
        var error = f.Read(ref uio);
        nread = uio.Done;
        return error;
    }

    public override int Write(DevT dev, ReadOnlySpan<byte> buffer, long offset, out int nwritten)
    {
        nwritten = 0;
        var f = Find(dev);
        if (f is null)
            return ENXIO;
        var uio = Uio.ForWrite(buffer, offset);
        var error = f.Write(ref uio);
        nwritten = uio.Done;
        return error;
    }
}
