using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using Rump.Kern;
using Rump.Target.Xen.Abi;


namespace Rump.Target.Xen;

using Errno = Rump.Kern.Errno;

/// <summary>One block I/O as the kernel asked for it; split into ring requests of at most 11 pages.</summary>
internal sealed class BlkIo
{
    public Memory<byte> Data;
    public bool Write;
    public bool Flush;                 // a cache flush, no data
    public bool SyncAfter;             // BIO_SYNC write: a flush follows before completion
    public long Offset;
    public BioDone? Done;
    public object? Arg;
    public int PartsLeft;              // under the device's gate
    public int Error;
    public int Transferred;
    public bool Completed;
    // Synchronous callers (Read/Write/SyncFd hypercalls) wait on this instead of a BioDone.
    public object? WaitGate;
}

/// <summary>One ring request: a slice of a <see cref="BlkIo"/>.</summary>
internal sealed class BlkPart
{
    public required BlkIo Io;
    public byte Operation;
    public int DataOffset;             // into Io.Data
    public int Length;                 // bytes of Io.Data this part moves
    public ulong Sector;
    public int Sectors;                // 512-byte sectors on the ring (reads round up)
}

/// <summary>
/// A xenbus block front end for one virtual disk (device/vbd/&lt;id&gt;): the state machine with its back
/// end, a one-page shared ring of blkif requests and responses, and per ring slot 11 pages granted to
/// the back end for the data (the kernel's buffers are copied in and out of them, as with persistent
/// grants). Responses are handled on the device's own interrupt thread, which also completes the I/O.
/// </summary>
internal sealed class BlkfrontDevice
{
    private const int SegmentsPerSlot = Blkif.BLKIF_MAX_SEGMENTS_PER_REQUEST;
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(15);

    private sealed class Slot
    {
        public ulong[] Frames = new ulong[SegmentsPerSlot];
        public uint[] Grefs = new uint[SegmentsPerSlot];
        public Memory<byte>[] Pages = new Memory<byte>[SegmentsPerSlot];
        public BlkPart? Part;
    }

    // _gate protects everything below that changes after Connect, and the parts of every BlkIo.
    private readonly object _gate = new();
    private readonly Slot[] _slots;
    private readonly Stack<int> _freeSlots = new();
    private readonly Queue<BlkPart> _queue = new();
    private readonly Queue<(BlkIo Io, int Error)> _failed = new();
    private readonly Queue<(BlkIo Io, int Error)> _done = new();   // finished I/O whose biodone the interrupt thread runs
    private Memory<byte> _ring;
    private ulong _ringFrame;
    private uint _ringRef;
    private uint _port;
    private uint _reqProdPvt, _rspCons;
    private bool _connected;
    private bool _gone;
    private int _inFlightWrites;
    private Thread? _irqThread;
    private readonly SemaphoreSlim _irq = new(0, int.MaxValue);
    private volatile bool _stopIrq;
    private int _backendState;

    public BlkfrontDevice(string nodePath, string backendPath, ushort backendId, string name)
    {
        NodePath = nodePath;
        BackendPath = backendPath;
        BackendId = backendId;
        Name = name;
        _slots = new Slot[Blkif.RingSize];
    }

    public string NodePath { get; }
    public string BackendPath { get; }
    public ushort BackendId { get; }
    public string Name { get; }
    public long Sectors { get; private set; }
    public bool ReadOnly { get; private set; }
    public bool FlushCache { get; private set; }
    public bool Barrier { get; private set; }
    public long SizeBytes => Sectors * XenPage.SectorSize;

    public bool Usable
    {
        get
        {
            lock (_gate)
                return _connected && !_gone;
        }
    }

    // ---------------- xenbus handshake ----------------

    /// <summary>Initialising → (back end InitWait) → ring, grants, event channel → Initialised → (back end Connected) → Connected.</summary>
    public int Connect()
    {
        int error = XenStore.Watch(BackendPath + "/state", "blkfront:" + NodePath, _ => BackendStateChanged());
        if (error != 0)
            return error;
        error = WaitBackend(s => s >= XenbusState.InitWait, out int state);
        if (error != 0)
            return error;
        if (state > XenbusState.Connected)
            return Errno.ENXIO;
        error = SetupRing();
        if (error != 0)
            return error;
        while (true)
        {
            error = XenStore.TransactionStart(out uint tx);
            if (error != 0)
                return error;
            error = XenStore.Write(NodePath + "/ring-ref", _ringRef.ToString(CultureInfo.InvariantCulture), tx);
            if (error == 0)
                error = XenStore.Write(NodePath + "/event-channel", _port.ToString(CultureInfo.InvariantCulture), tx);
            if (error == 0)
                error = XenStore.Write(NodePath + "/protocol", "x86_64-abi", tx);
            if (error == 0)
                error = XenStore.Write(NodePath + "/state", XenbusState.Initialised.ToString(CultureInfo.InvariantCulture), tx);
            if (error != 0)
            {
                XenStore.TransactionEnd(tx, commit: false);
                return error;
            }
            error = XenStore.TransactionEnd(tx, commit: true);
            if (error == Errno.EAGAIN)
                continue;
            if (error != 0)
                return error;
            break;
        }
        error = WaitBackend(s => s >= XenbusState.Connected, out state);
        if (error != 0)
            return error;
        if (state != XenbusState.Connected)
            return Errno.ENXIO;
        if (XenStore.Read(BackendPath + "/sectors", out var sectors) != 0 || !long.TryParse(sectors, NumberStyles.None, CultureInfo.InvariantCulture, out long n))
            return Errno.ENXIO;
        Sectors = n;
        ReadOnly = XenStore.Read(BackendPath + "/info", out var info) == 0 && int.TryParse(info, NumberStyles.None, CultureInfo.InvariantCulture, out int i)
            && (i & Blkif.VDISK_READONLY) != 0;
        FlushCache = XenStore.Read(BackendPath + "/feature-flush-cache", out var f) == 0 && f == "1";
        Barrier = XenStore.Read(BackendPath + "/feature-barrier", out var b) == 0 && b == "1";
        lock (_gate)
            _connected = true;
        return XenStore.Write(NodePath + "/state", XenbusState.Connected.ToString(CultureInfo.InvariantCulture));
    }

    private int WaitBackend(Func<int, bool> until, out int state)
    {
        long deadline = XenClock.SystemTime() + (long)HandshakeTimeout.TotalMilliseconds * 1_000_000;
        lock (_gate)
        {
            while (true)
            {
                state = _backendState;
                if (until(state))
                    return 0;
                if (XenHypercalls.Dead || XenClock.SystemTime() >= deadline)
                    return Errno.ETIMEDOUT;
                Monitor.Wait(_gate, 50);
            }
        }
    }

    /// <summary>xenwatch: the back end's state changed.</summary>
    private void BackendStateChanged()
    {
        int state = XenStore.Read(BackendPath + "/state", out var text) == 0 && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int s) ? s : XenbusState.Closed;
        bool gone;
        lock (_gate)
        {
            _backendState = state;
            gone = _connected && !_gone && state >= XenbusState.Closing;
            Monitor.PulseAll(_gate);
        }
        if (gone)
            BackendGone();
    }

    /// <summary>The back end went to Closing/Closed: every request not answered fails, the front end closes.</summary>
    private void BackendGone()
    {
        lock (_gate)
        {
            _gone = true;
            foreach (var slot in _slots)
            {
                if (slot?.Part is { } part)
                {
                    slot.Part = null;
                    _failed.Enqueue((part.Io, Errno.EIO));
                }
            }
            while (_queue.TryDequeue(out var q))
                _failed.Enqueue((q.Io, Errno.ENXIO));
        }
        _irq.Release();
        XenStore.Write(NodePath + "/state", XenbusState.Closing.ToString(CultureInfo.InvariantCulture));
        XenStore.Write(NodePath + "/state", XenbusState.Closed.ToString(CultureInfo.InvariantCulture));
    }

    private int SetupRing()
    {
        int error = XenPages.Allocate(out _ringFrame, out _ring);
        if (error != 0)
            return error;
        var ring = _ring.Span;
        Shared.WriteU32(ring, SringHeader.ReqEvent, 1);   // SHARED_RING_INIT
        Shared.WriteU32(ring, SringHeader.RspEvent, 1);
        error = XenGrants.GrantAccess(BackendId, _ringFrame, readOnly: false, out _ringRef);
        if (error != 0)
            return error;
        for (int s = 0; s < _slots.Length; s++)
        {
            var slot = new Slot();
            for (int g = 0; g < SegmentsPerSlot; g++)
            {
                error = XenPages.Allocate(out slot.Frames[g], out slot.Pages[g]);
                if (error == 0)
                    error = XenGrants.GrantAccess(BackendId, slot.Frames[g], readOnly: false, out slot.Grefs[g]);
                if (error != 0)
                    return error;
            }
            _slots[s] = slot;
            _freeSlots.Push(s);
        }
        var port = XenHypercalls.Port;
        error = port.EventChannelAllocUnbound(BackendId, out _port);
        if (error != 0)
            return XenHypercalls.FromXen(error);
        _stopIrq = false;
        _irqThread = new Thread(InterruptLoop) { IsBackground = true, Name = "xen: blkfront " + Name };
        _irqThread.Start();
        XenEvents.Bind(_port, OnEvent);
        return 0;
    }

    /// <summary>Instance exit: the front end closes; the back end lets go of the ring.</summary>
    public void Shutdown()
    {
        bool wasConnected;
        lock (_gate)
        {
            wasConnected = _connected && !_gone;
            _gone = true;
        }
        if (wasConnected)
            XenStore.Write(NodePath + "/state", XenbusState.Closing.ToString(CultureInfo.InvariantCulture));
        _stopIrq = true;
        _irq.Release();
        var t = _irqThread;
        if (t is not null && t != Thread.CurrentThread)
            t.Join(TimeSpan.FromSeconds(5));
    }

    // ---------------- I/O ----------------

    /// <summary>Queues <paramref name="io"/>; the interrupt thread completes it (never the caller's thread).</summary>
    public void Submit(BlkIo io)
    {
        lock (_gate)
        {
            int error = 0;
            if (!_connected || _gone)
                error = Errno.ENXIO;
            else if (io.Write && ReadOnly)
                error = Errno.EROFS;
            else if (io.Offset < 0 || io.Offset % XenPage.SectorSize != 0 || (io.Write && io.Data.Length % XenPage.SectorSize != 0))
                error = Errno.EINVAL;
            if (error != 0)
            {
                _failed.Enqueue((io, error));
                _irq.Release();
                return;
            }
            if (io.Flush)
            {
                QueueFlush(io);
            }
            else
            {
                int max = SegmentsPerSlot * XenPage.Size;
                int parts = Math.Max(1, (io.Data.Length + max - 1) / max);
                io.PartsLeft = parts;
                for (int p = 0; p < parts; p++)
                {
                    int off = p * max;
                    int len = Math.Min(max, io.Data.Length - off);
                    _queue.Enqueue(new BlkPart
                    {
                        Io = io,
                        Operation = io.Write ? Blkif.BLKIF_OP_WRITE : Blkif.BLKIF_OP_READ,
                        DataOffset = off,
                        Length = len,
                        Sector = (ulong)((io.Offset + off) / XenPage.SectorSize),
                        Sectors = (len + XenPage.SectorSize - 1) / XenPage.SectorSize,
                    });
                }
                if (io.Write)
                    _inFlightWrites++;
            }
            Push();
        }
    }

    // Under _gate.
    private void QueueFlush(BlkIo io)
    {
        io.PartsLeft = 1;
        if (!FlushCache && !Barrier)
        {
            io.PartsLeft = 0;
            _failed.Enqueue((io, 0));   // nothing to flush: the back end writes through
            _irq.Release();
            return;
        }
        _queue.Enqueue(new BlkPart { Io = io, Operation = FlushCache ? Blkif.BLKIF_OP_FLUSH_DISKCACHE : Blkif.BLKIF_OP_WRITE_BARRIER });
    }

    /// <summary>Moves queued parts into free ring slots and publishes them (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY). Under _gate.</summary>
    private void Push()
    {
        var ring = _ring.Span;
        uint old = _reqProdPvt;
        while (_queue.Count > 0 && _freeSlots.Count > 0 && !_gone)
        {
            var part = _queue.Dequeue();
            int id = _freeSlots.Pop();
            var slot = _slots[id];
            slot.Part = part;
            int e = Blkif.EntryOffset(_reqProdPvt);
            var entry = ring.Slice(e, Blkif.EntrySize);
            entry.Clear();
            entry[Blkif.Request.Operation] = part.Operation;
            BitConverter.TryWriteBytes(entry.Slice(Blkif.Request.Handle), (ushort)0);
            BitConverter.TryWriteBytes(entry.Slice(Blkif.Request.Id), (ulong)id);
            BitConverter.TryWriteBytes(entry.Slice(Blkif.Request.SectorNumber), part.Sector);
            int segs = 0;
            if (part.Operation is Blkif.BLKIF_OP_READ or Blkif.BLKIF_OP_WRITE)
            {
                var data = part.Io.Data.Span.Slice(part.DataOffset, part.Length);
                int sectorsLeft = part.Sectors;
                for (int g = 0; sectorsLeft > 0; g++)
                {
                    int n = Math.Min(sectorsLeft, XenPage.SectorsPerPage);
                    if (part.Operation == Blkif.BLKIF_OP_WRITE)
                        data.Slice(g * XenPage.Size, n * XenPage.SectorSize).CopyTo(slot.Pages[g].Span);
                    int s = Blkif.Request.Seg + g * Blkif.Segment.Size;
                    BitConverter.TryWriteBytes(entry.Slice(s + Blkif.Segment.Gref), slot.Grefs[g]);
                    entry[s + Blkif.Segment.FirstSect] = 0;
                    entry[s + Blkif.Segment.LastSect] = (byte)(n - 1);
                    sectorsLeft -= n;
                    segs++;
                }
            }
            entry[Blkif.Request.NrSegments] = (byte)segs;
            _reqProdPvt++;
        }
        if (_reqProdPvt == old)
            return;
        Interlocked.MemoryBarrier();   // requests before the index
        Shared.WriteU32(ring, SringHeader.ReqProd, _reqProdPvt);
        Interlocked.MemoryBarrier();
        if (SringHeader.NeedsNotify(old, _reqProdPvt, Shared.ReadU32(ring, SringHeader.ReqEvent)))
            XenEvents.Notify(_port);
    }

    /// <summary>
    /// The ring's event (upcall context): take the responses now — copying data out of the granted pages
    /// never blocks — and wake synchronous callers directly; kernel completions (biodone) go to the
    /// interrupt thread, which may block on kernel locks.
    /// </summary>
    private void OnEvent()
    {
        List<(BlkIo Io, int Error)>? direct = null;
        bool kick = false;
        lock (_gate)
        {
            if (!_connected || _gone)
            {
                kick = true;
            }
            else
            {
                var taken = new List<(BlkIo Io, int Error)>();
                TakeResponses(taken);
                foreach (var c in taken)
                {
                    if (c.Io.WaitGate is not null)
                    {
                        (direct ??= []).Add(c);
                    }
                    else
                    {
                        _done.Enqueue(c);
                        kick = true;
                    }
                }
            }
        }
        if (direct is not null)
        {
            foreach (var (io, error) in direct)
                Complete(io, error);
        }
        if (kick)
            _irq.Release();
    }

    private void InterruptLoop()
    {
        var completions = new List<(BlkIo Io, int Error)>();
        while (true)
        {
            _irq.Wait();
            if (_stopIrq)
            {
                FailAllForExit();
                return;
            }
            completions.Clear();
            lock (_gate)
            {
                while (_failed.TryDequeue(out var f))
                    Finish(f.Io, f.Error, completions);
                while (_done.TryDequeue(out var d))
                    completions.Add(d);
                if (_connected && !_gone)
                    TakeResponses(completions);
            }
            foreach (var (io, error) in completions)
                Complete(io, error);
        }
    }

    // Under _gate: every response up to rsp_prod, then RING_FINAL_CHECK_FOR_RESPONSES.
    private void TakeResponses(List<(BlkIo, int)> completions)
    {
        var ring = _ring.Span;
        while (true)
        {
            uint rp = Shared.ReadU32(ring, SringHeader.RspProd);
            Interlocked.MemoryBarrier();   // responses after the index
            for (; _rspCons != rp; _rspCons++)
            {
                int e = Blkif.EntryOffset(_rspCons);
                ulong id = BitConverter.ToUInt64(ring.Slice(e + Blkif.Response.Id));
                short status = BitConverter.ToInt16(ring.Slice(e + Blkif.Response.Status));
                if (id >= (ulong)_slots.Length || _slots[id].Part is not { } part)
                    continue;   // failed already (back end gone) or a confused back end
                var slot = _slots[id];
                slot.Part = null;
                _freeSlots.Push((int)id);
                int error = status switch
                {
                    Blkif.BLKIF_RSP_OKAY => 0,
                    Blkif.BLKIF_RSP_EOPNOTSUPP => Errno.EOPNOTSUPP,
                    _ => Errno.EIO,
                };
                if (error == 0 && part.Operation == Blkif.BLKIF_OP_READ)
                {
                    var data = part.Io.Data.Span.Slice(part.DataOffset, part.Length);
                    for (int g = 0, copied = 0; copied < part.Length; g++)
                    {
                        int n = Math.Min(XenPage.Size, part.Length - copied);
                        slot.Pages[g].Span.Slice(0, n).CopyTo(data.Slice(copied));
                        copied += n;
                    }
                }
                if (error == 0)
                    part.Io.Transferred += part.Length;
                else if (part.Io.Error == 0)
                    part.Io.Error = error;
                if (--part.Io.PartsLeft == 0)
                    Finish(part.Io, part.Io.Error, completions);
            }
            Shared.WriteU32(ring, SringHeader.RspEvent, _rspCons + 1);
            Interlocked.MemoryBarrier();
            if (Shared.ReadU32(ring, SringHeader.RspProd) == _rspCons)
                break;
        }
        Push();   // slots came free
    }

    // Under _gate: a data I/O whose parts are all done; a BIO_SYNC write gets its flush first.
    private void Finish(BlkIo io, int error, List<(BlkIo, int)> completions)
    {
        if (io.Completed)
            return;
        if (io.Write && !io.Flush)
        {
            _inFlightWrites--;
            Monitor.PulseAll(_gate);
        }
        if (error == 0 && io.SyncAfter && !io.Flush && !_gone)
        {
            io.Flush = true;   // the same I/O completes when its flush does
            QueueFlush(io);
            Push();
            return;
        }
        io.Completed = true;
        if (io.Error == 0)
            io.Error = error;
        completions.Add((io, io.Error));
    }

    private void Complete(BlkIo io, int error)
    {
        if (io.WaitGate is { } gate)
        {
            lock (gate)
                Monitor.PulseAll(gate);
            return;
        }
        // biodone is kernel code: it needs an lwp and the virtual CPU.
        try
        {
            if (HypercallUpcalls.EnterKernel(out var token))
            {
                try
                {
                    io.Done!(io.Arg, error, error == 0 ? io.Data.Length : Math.Min(io.Transferred, io.Data.Length));
                }
                catch (Exception e)
                {
                    HypercallUpcalls.KernelCodeFailed("blkfront completion", e);
                }
                finally
                {
                    HypercallUpcalls.LeaveKernel(token);
                }
            }
        }
        catch (Exception e)
        {
            HypercallUpcalls.KernelCodeFailed("blkfront completion", e);
        }
    }

    private void FailAllForExit()
    {
        var completions = new List<(BlkIo, int)>();
        lock (_gate)
        {
            foreach (var slot in _slots)
            {
                if (slot?.Part is { } part)
                {
                    slot.Part = null;
                    Finish(part.Io, Errno.ENXIO, completions);
                }
            }
            while (_queue.TryDequeue(out var q))
                Finish(q.Io, Errno.ENXIO, completions);
            while (_failed.TryDequeue(out var f))
                Finish(f.Io, f.Error, completions);
            _done.Clear();
        }
        foreach (var (io, error) in completions)
        {
            if (io.WaitGate is { } gate)
            {
                lock (gate)
                    Monitor.PulseAll(gate);
            }
        }
    }

    /// <summary>Runs an I/O and waits for it (the synchronous hypercalls).</summary>
    public int RunSync(BlkIo io)
    {
        var gate = new object();
        io.WaitGate = gate;
        lock (gate)
        {
            Submit(io);
            while (!IsDone(io) && !XenHypercalls.Dead)
                Monitor.Wait(gate, 1000);
        }
        lock (_gate)
            return io.Completed ? io.Error : Errno.ENXIO;
    }

    private bool IsDone(BlkIo io)
    {
        lock (_gate)
            return io.Completed;
    }

    /// <summary>SyncFd: wait for the writes in flight, then flush the back end's cache.</summary>
    public int Sync()
    {
        lock (_gate)
        {
            while (_inFlightWrites > 0 && _connected && !_gone && !XenHypercalls.Dead)
                Monitor.Wait(_gate, 1000);
            if (_gone)
                return Errno.ENXIO;
        }
        return RunSync(new BlkIo { Flush = true, Write = true });
    }
}
