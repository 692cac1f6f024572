using System;
using Rump.Kern;

namespace Rump.Dev.Vnd;

using Errno = Rump.Kern.Errno;

/// <summary>
/// vnd(4): a disk backed by a host file, through the asynchronous block I/O hypercalls. Units are
/// configured with <see cref="Configure"/> or at boot with the parameters <c>vnd0</c>…<c>vnd7</c> (host
/// path) and <c>vnd0.readonly</c> (<c>1</c>/<c>true</c>). Unit N appears as block device node "vndN";
/// its partitions as "vndNpM".
/// </summary>
[Component(InitLevel.Dev)]
internal static class Vnd
{
    public const string Driver = "vnd";
    private const int BootUnits = 8;

    /// <summary>Serializes configure and unconfigure (the vnd softc's sc_lock for VNDIOCSET/VNDIOCCLR).</summary>
    private static readonly KMutex s_configLock = new();
    private static DiskSwitch? s_sw;

    public static void Init()
    {
        var error = DiskSwitch.Create(Driver, out s_sw);
        if (error != 0)
        {
            KernelLog.Printf("vnd: cannot attach the block driver (error " + error + ")");
            return;
        }
        for (var unit = 0; unit < BootUnits; unit++)
        {
            var key = Driver + unit.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (Hyp.GetParam(key, out var path) != 0 || string.IsNullOrEmpty(path))
                continue;
            var readOnly = Hyp.GetParam(key + ".readonly", out var ro) == 0 && (ro == "1" || ro == "true");
            error = Configure(unit, path, readOnly);
            if (error != 0)
                KernelLog.Printf("vnd" + unit + ": cannot configure " + path + " (error " + error + ")");
        }
    }

    /// <summary>
    /// VNDIOCSET: backs unit <paramref name="unit"/> with the host file <paramref name="hostPath"/>.
    /// A host file that cannot be opened for writing is configured read-only (writes fail with EROFS).
    /// EBUSY when the unit is configured, ENXIO before init, EINVAL for a bad unit or an empty file,
    /// the host's errno when the file cannot be opened.
    /// </summary>
    public static int Configure(int unit, string hostPath, bool readOnly)
    {
        var sw = s_sw;
        if (sw is null)
            return Errno.ENXIO;
        if (unit < 0 || unit > 255 || string.IsNullOrEmpty(hostPath))
            return Errno.EINVAL;

        s_configLock.Enter();
        try
        {
            if (sw.Unit(unit) is not null)
                return Errno.EBUSY;
            var error = Hyp.GetFileInfo(hostPath, out var size, out var type);
            if (error != 0)
                return error;
            if (type != Hyp.FT_REG && type != Hyp.FT_BLK)
                return Errno.EFTYPE;

            var fd = -1;
            if (!readOnly)
            {
                error = Hyp.Open(hostPath, Hyp.OPEN_RDWR | Hyp.OPEN_BIO, out fd);
                if (error is Errno.EACCES or Errno.EROFS or Errno.EPERM)
                {
                    KernelLog.Printf("vnd" + unit + ": " + hostPath + " is not writable; configured read-only");
                    readOnly = true;
                }
                else if (error != 0)
                {
                    return error;
                }
            }
            if (readOnly)
            {
                error = Hyp.Open(hostPath, Hyp.OPEN_RDONLY | Hyp.OPEN_BIO, out fd);
                if (error != 0)
                    return error;
            }

            var sectors = size / Buf.DEV_BSIZE;
            if (sectors == 0)
            {
                Hyp.Close(fd);
                return Errno.EINVAL;
            }
            var name = Driver + unit.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var vnd = new VndDevice(new Disk(name, Buf.DEV_BSIZE, sectors, hostPath), fd, readOnly);
            error = sw.AttachUnit(vnd, unit, out var dev);
            if (error != 0)
            {
                Hyp.Close(fd);
                return error;
            }
            if (Rump.Dev.Autoconf.Attach(Rump.Dev.Autoconf.Driver(Driver), unit, null, vnd, out var device) == 0)
                vnd.Device = device;
            error = DevSw.AddNode(name, block: true, dev);   // the wedge layer scans it for partitions here
            if (error != 0)
            {
                Teardown(sw, unit, vnd);
                return error;
            }
            KernelLog.Debug(name + ": " + hostPath + ", " + sectors + " sectors" + (readOnly ? ", read-only" : ""));
            return 0;
        }
        finally
        {
            s_configLock.Exit();
        }
    }

    /// <summary>VNDIOCCLR: releases the unit; ENXIO when not configured, EBUSY while it is open or has I/O in flight.</summary>
    public static int Unconfigure(int unit)
    {
        var sw = s_sw;
        if (sw is null)
            return Errno.ENXIO;
        s_configLock.Enter();
        try
        {
            if (sw.Unit(unit) is not VndDevice vnd)
                return Errno.ENXIO;
            if (vnd.IsBusy)
                return Errno.EBUSY;
            var error = DevSw.RemoveNode(vnd.Disk.Name);   // wedges on it go away with the node
            if (error != 0 && error != Errno.ENOENT)
                return error;
            Teardown(sw, unit, vnd);
            return 0;
        }
        finally
        {
            s_configLock.Exit();
        }
    }

    private static void Teardown(DiskSwitch sw, int unit, VndDevice vnd)
    {
        sw.DetachUnit(unit);
        vnd.Drain();
        if (vnd.Device is not null)
            Rump.Dev.Autoconf.Detach(vnd.Device);
        vnd.CloseHostFile();
    }
}

/// <summary>One configured vnd unit: requests go to the host file (asynchronous block I/O for B_ASYNC bufs, synchronous positional I/O on the issuer's thread otherwise).</summary>
/// <remarks>Locking: <see cref="_opens"/> is protected by the DiskDevice lock; <see cref="_fd"/> is set at
/// configure time and cleared only at teardown, when no request is in flight.</remarks>
internal sealed class VndDevice : DiskDevice
{
    private const int MaxRequests = 16;

    private int _fd;
    private int _opens;
    private readonly BioDone _bioDone;

    public VndDevice(Disk disk, int fd, bool readOnly)
        : base(disk, BufQueue.Disksort, MaxRequests, readOnly)
    {
        _fd = fd;
        _bioDone = BioComplete;
    }

    public bool IsBusy
    {
        get
        {
            Lock.Enter();
            var opens = _opens;
            Lock.Exit();
            return opens > 0 || InFlight > 0;
        }
    }

    public override int Open(int flags)
    {
        Lock.Enter();
        _opens++;
        Lock.Exit();
        return 0;
    }

    public override int Close(int flags)
    {
        Lock.Enter();
        if (_opens > 0)
            _opens--;
        Lock.Exit();
        return 0;
    }

    public override int Sync() => _fd < 0 ? Errno.ENXIO : Hyp.SyncFd(_fd, Hyp.FSYNC_WRITE | Hyp.FSYNC_BARRIER);

    protected override int DiskStart(Buf bp)
    {
        if (_fd < 0)
            return Errno.ENXIO;
        var length = bp.Count - bp.Resid;
        var op = bp.IsRead ? Hyp.BIO_READ : Hyp.BIO_WRITE;
        if (!bp.IsRead && (bp.Flags & Buf.B_SYNC) != 0)
            op |= Hyp.BIO_SYNC;
        if ((bp.Flags & Buf.B_ASYNC) != 0)
        {
            Hyp.BioSubmit(_fd, op, bp.Data.AsMemory(bp.DataOffset, length), bp.ByteOffset, _bioDone, bp);
            return 0;
        }
        // The issuer waits right away: the I/O runs on its thread with the virtual CPU released, no host I/O
        // thread and no wake-ups in between.
        int transferred;
        int error = bp.IsRead
            ? Hyp.Read(_fd, bp.Data.AsSpan(bp.DataOffset, length), bp.ByteOffset, out transferred)
            : Hyp.Write(_fd, bp.Data.AsSpan(bp.DataOffset, length), bp.ByteOffset, out transferred);
        if (error == 0 && (op & Hyp.BIO_SYNC) != 0)
            error = Hyp.SyncFd(_fd, Hyp.FSYNC_WRITE);
        BioComplete(bp, error, error == 0 ? transferred : 0);
        return 0;
    }

    protected override int DiskReadDirect(long blkno, Span<byte> buffer, out int transferred)
    {
        transferred = 0;
        if (_fd < 0)
            return Errno.ENXIO;
        return Hyp.Read(_fd, buffer, checked(blkno * Buf.DEV_BSIZE), out transferred);
    }

    protected override int DiskWriteDirect(long blkno, ReadOnlySpan<byte> data, out int transferred)
    {
        transferred = 0;
        if (_fd < 0)
            return Errno.ENXIO;
        return Hyp.Write(_fd, data, checked(blkno * Buf.DEV_BSIZE), out transferred);
    }

    /// <summary>rumpuser_biodone: runs on a host I/O thread.</summary>
    private void BioComplete(object? arg, int error, int transferred)
    {
        var bp = (Buf)arg!;
        var length = bp.Count - bp.Resid;
        if (error == 0 && transferred < length)
        {
            // The host file shrank under us: reads past its end come back short.
            if (bp.IsRead)
            {
                bp.Data.AsSpan(bp.DataOffset + transferred, length - transferred).Clear();
                bp.Resid += length - transferred;
            }
            else
            {
                error = Errno.EIO;
            }
        }
        DiskDoneFromHost(bp, error);
    }

    internal void CloseHostFile()
    {
        var fd = _fd;
        _fd = -1;
        if (fd >= 0)
            Hyp.Close(fd);
    }
}
