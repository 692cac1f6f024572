using System;
using System.Globalization;
using System.IO;
using System.Threading;
using Microsoft.Win32.SafeHandles;
using Rump.Target.Xen.Abi;

namespace Rump.Xen.Host;

/// <summary>A request as blkback read it off the ring (for fault injection and statistics).</summary>
public readonly record struct BlkifRequestInfo(byte Operation, ulong SectorNumber, int Sectors);

/// <summary>
/// dom0's block back end for one virtual disk: the xenbus handshake in xenstore, the shared ring of
/// blkif requests and responses, segments in pages the guest granted, I/O on a host image file in
/// 512-byte sectors, and cache flushes (feature-flush-cache).
/// </summary>
public sealed class BlkBack
{
    private readonly XenHypervisor _hv;
    private readonly XenDomain _domain;
    private readonly SafeFileHandle _file;
    private readonly string _backendPath;
    private readonly string _frontendPath;
    // _gate protects the connection state below.
    private readonly object _gate = new();
    private IDisposable? _frontendWatch;
    private byte[]? _ring;
    private uint _ringRef;
    private uint _port;
    private Thread? _worker;
    private readonly SemaphoreSlim _kick = new(0, int.MaxValue);
    private volatile bool _stopWorker;
    private int _state = XenbusState.Initialising;
    private long _requests, _reads, _writes, _flushes, _errors;

    private BlkBack(XenHypervisor hv, XenDomain domain, XenDiskConfig config, int devid, SafeFileHandle file, long sectors)
    {
        _hv = hv;
        _domain = domain;
        _file = file;
        Config = config;
        DeviceId = devid;
        Sectors = sectors;
        var id = domain.Id.ToString(CultureInfo.InvariantCulture);
        var dev = devid.ToString(CultureInfo.InvariantCulture);
        _backendPath = "/local/domain/0/backend/vbd/" + id + "/" + dev;
        _frontendPath = domain.HomePath + "/device/vbd/" + dev;
    }

    public XenDiskConfig Config { get; }
    public int DeviceId { get; }
    public long Sectors { get; }
    public string BackendPath => _backendPath;
    public string FrontendPath => _frontendPath;
    public int State => Volatile.Read(ref _state);

    public long Requests => Interlocked.Read(ref _requests);
    public long Reads => Interlocked.Read(ref _reads);
    public long Writes => Interlocked.Read(ref _writes);
    public long Flushes => Interlocked.Read(ref _flushes);
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Fault injection: a request for which this returns true is answered BLKIF_RSP_ERROR without I/O.</summary>
    public Func<BlkifRequestInfo, bool>? FailWhen { get; set; }

    internal static BlkBack Create(XenHypervisor hv, XenDomain domain, XenDiskConfig config, int devid)
    {
        var full = Path.GetFullPath(config.Path);
        var file = File.OpenHandle(full, System.IO.FileMode.Open, config.Writable ? FileAccess.ReadWrite : FileAccess.Read, FileShare.ReadWrite);
        long sectors = RandomAccess.GetLength(file) / XenPage.SectorSize;
        var back = new BlkBack(hv, domain, config, devid, file, sectors);
        back.Publish(full);
        return back;
    }

    /// <summary>What the toolstack writes for a disk, then the back end's InitWait with its features.</summary>
    private void Publish(string fullPath)
    {
        var s = _hv.Store;
        var dom = _domain.Id.ToString(CultureInfo.InvariantCulture);
        var dev = DeviceId.ToString(CultureInfo.InvariantCulture);
        s.Write(_backendPath + "/frontend", _frontendPath);
        s.Write(_backendPath + "/frontend-id", dom);
        s.Write(_backendPath + "/params", fullPath);
        s.Write(_backendPath + "/type", "file");
        s.Write(_backendPath + "/mode", Config.Writable ? "w" : "r");
        s.Write(_backendPath + "/dev", Config.VirtualDevice);
        s.Write(_backendPath + "/online", "1");
        s.Write(_backendPath + "/removable", "0");
        s.Write(_backendPath + "/feature-flush-cache", "1");
        s.Write(_backendPath + "/feature-barrier", "0");
        SetState(XenbusState.Initialising);
        s.Write(_frontendPath + "/backend", _backendPath);
        s.Write(_frontendPath + "/backend-id", "0");
        s.Write(_frontendPath + "/virtual-device", dev);
        s.Write(_frontendPath + "/device-type", "disk");
        s.Write(_frontendPath + "/state", XenbusState.Initialising.ToString(CultureInfo.InvariantCulture));
        SetState(XenbusState.InitWait);
        _frontendWatch = s.Watch(_frontendPath + "/state", _ => FrontendChanged());
    }

    private void SetState(int state)
    {
        Volatile.Write(ref _state, state);
        _hv.Store.Write(_backendPath + "/state", state.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The front end's state moved (runs on dom0's loop).</summary>
    private void FrontendChanged()
    {
        var text = _hv.Store.Read(_frontendPath + "/state");
        if (text is null || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int fe))
            return;
        lock (_gate)
        {
            int me = State;
            switch (fe)
            {
                case XenbusState.Initialised:
                case XenbusState.Connected:
                    if (me == XenbusState.InitWait)
                        Connect();
                    break;
                case XenbusState.Closing:
                    Disconnect();
                    if (me != XenbusState.Closed)
                        SetState(XenbusState.Closing);
                    break;
                case XenbusState.Closed:
                    Disconnect();
                    if (me != XenbusState.Closed)
                        SetState(XenbusState.Closed);
                    break;
            }
        }
    }

    // Under _gate.
    private void Connect()
    {
        var s = _hv.Store;
        if (!uint.TryParse(s.Read(_frontendPath + "/ring-ref"), NumberStyles.None, CultureInfo.InvariantCulture, out var ringRef)
            || !uint.TryParse(s.Read(_frontendPath + "/event-channel"), NumberStyles.None, CultureInfo.InvariantCulture, out var evtchn))
        {
            s.Write(_backendPath + "/error", "ring-ref or event-channel missing");
            return;
        }
        var protocol = s.Read(_frontendPath + "/protocol");
        if (protocol is not null && protocol != "x86_64-abi")
        {
            s.Write(_backendPath + "/error", "protocol " + protocol + " not supported");
            return;
        }
        if (_hv.GrantMap(_domain.Id, ringRef, readOnly: false, out var ring) != 0)
        {
            s.Write(_backendPath + "/error", "cannot map ring-ref " + ringRef);
            return;
        }
        if (_hv.BindInterdomain(_hv.Dom0Domain, _domain.Id, evtchn, () => _kick.Release(), out var port) != 0)
        {
            _hv.GrantUnmap(_domain.Id, ringRef, readOnly: false);
            s.Write(_backendPath + "/error", "cannot bind event-channel " + evtchn);
            return;
        }
        _ring = ring;
        _ringRef = ringRef;
        _port = port;
        s.Write(_backendPath + "/sectors", Sectors.ToString(CultureInfo.InvariantCulture));
        s.Write(_backendPath + "/info", (Config.Writable ? 0 : Blkif.VDISK_READONLY).ToString(CultureInfo.InvariantCulture));
        s.Write(_backendPath + "/sector-size", XenPage.SectorSize.ToString(CultureInfo.InvariantCulture));
        s.Write(_backendPath + "/physical-sector-size", XenPage.SectorSize.ToString(CultureInfo.InvariantCulture));
        _stopWorker = false;
        _worker = new Thread(() => Serve(ring)) { IsBackground = true, Name = "xen: blkback " + _domain.Id + "/" + DeviceId };
        _worker.Start();
        SetState(XenbusState.Connected);
    }

    // Under _gate (or at teardown): the worker answers what it took, then the ring and port go.
    private void Disconnect()
    {
        if (_ring is null)
            return;
        _stopWorker = true;
        _kick.Release();
        if (_worker is not null && _worker != Thread.CurrentThread)
            _worker.Join(TimeSpan.FromSeconds(10));
        _worker = null;
        _hv.Close(_hv.Dom0Domain, _port);
        _hv.GrantUnmap(_domain.Id, _ringRef, readOnly: false);
        _ring = null;
    }

    /// <summary>The host takes the disk away: the back end stops taking requests and goes to Closing.</summary>
    public void Close()
    {
        lock (_gate)
        {
            Disconnect();
            SetState(XenbusState.Closing);
        }
    }

    internal void Destroy()
    {
        _frontendWatch?.Dispose();
        lock (_gate)
        {
            Disconnect();
            Volatile.Write(ref _state, XenbusState.Closed);
        }
        _file.Dispose();
    }

    // ---------------- the ring ----------------

    private void Serve(byte[] ring)
    {
        uint reqCons = 0, rspProdPvt = 0;
        var request = new byte[Blkif.Request.Size];
        while (true)
        {
            _kick.Wait();
            if (_stopWorker)
                return;
            while (true)
            {
                var page = ring.AsSpan();
                uint reqProd = Shared.ReadU32(page, SringHeader.ReqProd);
                Interlocked.MemoryBarrier();   // entries after the index
                if (unchecked(reqProd - reqCons) > (uint)Blkif.RingSize)
                    return;   // a broken front end: stop serving it
                uint oldRspProd = rspProdPvt;
                while (reqCons != reqProd && !_stopWorker)
                {
                    page.Slice(Blkif.EntryOffset(reqCons), Blkif.Request.Size).CopyTo(request);
                    reqCons++;
                    ulong id = BitConverter.ToUInt64(request, Blkif.Request.Id);
                    byte op = request[Blkif.Request.Operation];
                    short status = Handle(request);
                    int r = Blkif.EntryOffset(rspProdPvt);
                    page.Slice(r, Blkif.EntrySize).Clear();
                    BitConverter.TryWriteBytes(page.Slice(r + Blkif.Response.Id), id);
                    page[r + Blkif.Response.Operation] = op;
                    BitConverter.TryWriteBytes(page.Slice(r + Blkif.Response.Status), status);
                    rspProdPvt++;
                }
                // RING_PUSH_RESPONSES_AND_CHECK_NOTIFY
                Interlocked.MemoryBarrier();
                Shared.WriteU32(page, SringHeader.RspProd, rspProdPvt);
                Interlocked.MemoryBarrier();
                if (rspProdPvt != oldRspProd && SringHeader.NeedsNotify(oldRspProd, rspProdPvt, Shared.ReadU32(page, SringHeader.RspEvent)))
                    _hv.Send(_hv.Dom0Domain, _port);
                if (_stopWorker)
                    return;
                // RING_FINAL_CHECK_FOR_REQUESTS: ask for an event at the next request, then look once more.
                Shared.WriteU32(page, SringHeader.ReqEvent, reqCons + 1);
                Interlocked.MemoryBarrier();
                if (Shared.ReadU32(page, SringHeader.ReqProd) == reqCons)
                    break;
            }
        }
    }

    private short Handle(byte[] req)
    {
        Interlocked.Increment(ref _requests);
        byte op = req[Blkif.Request.Operation];
        int nseg = req[Blkif.Request.NrSegments];
        ulong sector = BitConverter.ToUInt64(req, Blkif.Request.SectorNumber);
        int sectors = 0;
        for (int i = 0; i < Math.Min(nseg, Blkif.BLKIF_MAX_SEGMENTS_PER_REQUEST); i++)
        {
            int s = Blkif.Request.Seg + i * Blkif.Segment.Size;
            sectors += req[s + Blkif.Segment.LastSect] - req[s + Blkif.Segment.FirstSect] + 1;
        }
        if (FailWhen is { } fail && fail(new BlkifRequestInfo(op, sector, sectors)))
            return Error();
        switch (op)
        {
            case Blkif.BLKIF_OP_FLUSH_DISKCACHE:
                Interlocked.Increment(ref _flushes);
                if (!Config.Writable)
                    return Blkif.BLKIF_RSP_OKAY;
                try
                {
                    RandomAccess.FlushToDisk(_file);
                    return Blkif.BLKIF_RSP_OKAY;
                }
                catch (IOException)
                {
                    return Error();
                }
            case Blkif.BLKIF_OP_READ:
            case Blkif.BLKIF_OP_WRITE:
                break;
            default:
                return Blkif.BLKIF_RSP_EOPNOTSUPP;   // no barriers, discard or indirect descriptors
        }
        bool write = op == Blkif.BLKIF_OP_WRITE;
        if (nseg < 1 || nseg > Blkif.BLKIF_MAX_SEGMENTS_PER_REQUEST || (write && !Config.Writable))
            return Error();
        if (sector > (ulong)Sectors || (ulong)sectors > (ulong)Sectors - sector)
            return Error();   // beyond the end of the disk
        long offset = (long)sector * XenPage.SectorSize;
        // Map every segment, then one vectored read or write (preadv/pwritev) for the whole request.
        var grefs = new uint[nseg];
        var slices = new Memory<byte>[nseg];
        int mapped = 0;
        try
        {
            for (; mapped < nseg; mapped++)
            {
                int s = Blkif.Request.Seg + mapped * Blkif.Segment.Size;
                uint gref = BitConverter.ToUInt32(req, s + Blkif.Segment.Gref);
                int first = req[s + Blkif.Segment.FirstSect], last = req[s + Blkif.Segment.LastSect];
                if (first > last || last >= XenPage.SectorsPerPage)
                    return Error();
                // A write only reads the guest's page: map it read-only (the guest may have granted it so).
                if (_hv.GrantMap(_domain.Id, gref, readOnly: write, out var page) != 0)
                    return Error();
                grefs[mapped] = gref;
                slices[mapped] = page.AsMemory(first * XenPage.SectorSize, (last - first + 1) * XenPage.SectorSize);
            }
            if (write)
            {
                var sources = new ReadOnlyMemory<byte>[nseg];
                for (int i = 0; i < nseg; i++)
                    sources[i] = slices[i];
                RandomAccess.Write(_file, sources, offset);
            }
            else
            {
                long want = 0;
                foreach (var m in slices)
                    want += m.Length;
                long done = RandomAccess.Read(_file, slices, offset);
                if (done < want)
                    return Error();   // the image shrank under the disk
            }
        }
        catch (IOException)
        {
            return Error();
        }
        finally
        {
            for (int i = 0; i < mapped; i++)
                _hv.GrantUnmap(_domain.Id, grefs[i], readOnly: write);
        }
        Interlocked.Increment(ref write ? ref _writes : ref _reads);
        return Blkif.BLKIF_RSP_OKAY;
    }

    private short Error()
    {
        Interlocked.Increment(ref _errors);
        return Blkif.BLKIF_RSP_ERROR;
    }
}
