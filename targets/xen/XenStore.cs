using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Threading;
using Rump.Kern;
using Rump.Target.Xen.Abi;
using Rump.Xen;


namespace Rump.Target.Xen;

using Errno = Rump.Kern.Errno;

/// <summary>
/// The xenstore client (xenbus): requests as xsd_sockmsg header + payload written into the req[] byte
/// ring of the store page; replies matched by req_id; XS_WATCH_EVENT messages go to the xenwatch
/// thread, which runs watch callbacks in order. Error replies carry the errno name as a string.
/// </summary>
internal static class XenStore
{
    private sealed class Pending
    {
        public uint Type;
        public byte[] Payload = [];
        public bool Done;
    }

    private static Memory<byte> s_page;
    private static uint s_port;
    // s_writeGate serializes writers of the request ring and their wait for room.
    private static readonly object s_writeGate = new();
    // s_gate protects s_pending, s_nextReqId, s_rx, s_watches, s_events, s_stopping.
    private static readonly object s_gate = new();
    private static readonly Dictionary<uint, Pending> s_pending = [];
    private static uint s_nextReqId;
    private static readonly List<byte> s_rx = [];
    private static readonly Dictionary<string, Action<string>> s_watches = new(StringComparer.Ordinal);
    private static readonly Queue<(string Path, string Token)> s_events = new();
    private static Thread? s_watchThread;
    private static bool s_stopping;

    public static int Start(IXenHypervisorPort port)
    {
        var info = port.StartInfo;
        int error = port.MapFrame(info.StoreFrame, out s_page);
        if (error != 0)
            return error;
        s_port = info.StoreEventChannel;
        lock (s_gate)
        {
            s_pending.Clear();
            s_rx.Clear();
            s_watches.Clear();
            s_events.Clear();
            s_stopping = false;
        }
        s_watchThread = new Thread(WatchLoop) { IsBackground = true, Name = "xen: xenwatch" };
        s_watchThread.Start();
        XenEvents.Bind(s_port, OnEvent);
        return 0;
    }

    public static void Stop()
    {
        lock (s_gate)
        {
            s_stopping = true;
            Monitor.PulseAll(s_gate);
        }
        lock (s_writeGate)
            Monitor.PulseAll(s_writeGate);
        var t = s_watchThread;
        if (t is not null && t != Thread.CurrentThread)
            t.Join(TimeSpan.FromSeconds(5));
    }

    // ---------------- operations ----------------

    public static int Read(string path, out string value, uint tx = 0)
    {
        int error = Request(XsdSockmsg.XS_READ, tx, Z(path), out var reply);
        value = error == 0 ? Encoding.UTF8.GetString(reply) : "";
        return error;
    }

    public static int Write(string path, string value, uint tx = 0)
    {
        var p = new List<byte>(Z(path));
        p.AddRange(Encoding.UTF8.GetBytes(value));
        return Request(XsdSockmsg.XS_WRITE, tx, p.ToArray(), out _);
    }

    public static int Directory(string path, out List<string> children, uint tx = 0)
    {
        children = [];
        int error = Request(XsdSockmsg.XS_DIRECTORY, tx, Z(path), out var reply);
        if (error != 0)
            return error;
        int start = 0;
        for (int i = 0; i < reply.Length; i++)
        {
            if (reply[i] == 0)
            {
                children.Add(Encoding.UTF8.GetString(reply, start, i - start));
                start = i + 1;
            }
        }
        return 0;
    }

    public static int Remove(string path, uint tx = 0) => Request(XsdSockmsg.XS_RM, tx, Z(path), out _);

    public static int TransactionStart(out uint tx)
    {
        tx = 0;
        int error = Request(XsdSockmsg.XS_TRANSACTION_START, 0, [0], out var reply);
        if (error != 0)
            return error;
        return uint.TryParse(Encoding.UTF8.GetString(reply).TrimEnd('\0'), NumberStyles.None, CultureInfo.InvariantCulture, out tx) ? 0 : Errno.EIO;
    }

    /// <summary>XS_TRANSACTION_END: EAGAIN when someone else changed the store meanwhile (retry the transaction).</summary>
    public static int TransactionEnd(uint tx, bool commit) => Request(XsdSockmsg.XS_TRANSACTION_END, tx, Z(commit ? "T" : "F"), out _);

    /// <summary>Registers a watch; <paramref name="callback"/> runs on the xenwatch thread, once at once and for every change.</summary>
    public static int Watch(string path, string token, Action<string> callback)
    {
        lock (s_gate)
            s_watches[token] = callback;
        int error = Request(XsdSockmsg.XS_WATCH, 0, Z2(path, token), out _);
        if (error != 0)
        {
            lock (s_gate)
                s_watches.Remove(token);
        }
        return error;
    }

    public static int Unwatch(string path, string token)
    {
        lock (s_gate)
            s_watches.Remove(token);
        return Request(XsdSockmsg.XS_UNWATCH, 0, Z2(path, token), out _);
    }

    /// <summary>One request, one reply. Returns 0 or the errno of the XS_ERROR reply.</summary>
    public static int Request(uint type, uint tx, byte[] payload, out byte[] reply)
    {
        reply = [];
        if (payload.Length > XsdSockmsg.PayloadMax)
            return Errno.E2BIG;
        var p = new Pending();
        uint id;
        lock (s_gate)
        {
            if (s_stopping)
                return Errno.ENXIO;
            id = ++s_nextReqId;
            s_pending[id] = p;
        }
        var msg = new byte[XsdSockmsg.Size + payload.Length];
        XsdSockmsg.WriteHeader(msg, type, id, tx, (uint)payload.Length);
        payload.CopyTo(msg, XsdSockmsg.Size);
        if (!Send(msg))
        {
            lock (s_gate)
                s_pending.Remove(id);
            return Errno.ENXIO;
        }
        lock (s_gate)
        {
            while (!p.Done && !s_stopping && !XenHypercalls.Dead)
                Monitor.Wait(s_gate);
            s_pending.Remove(id);
            if (!p.Done)
                return Errno.ENXIO;
        }
        if (p.Type == XsdSockmsg.XS_ERROR)
            return ErrnoOf(Encoding.UTF8.GetString(p.Payload).TrimEnd('\0'));
        reply = p.Payload;
        return 0;
    }

    /// <summary>The XS_ERROR string → errno (names as in xs_wire.h's xsd_errors).</summary>
    public static int ErrnoOf(string name) => name switch
    {
        "EINVAL" => Errno.EINVAL,
        "EACCES" => Errno.EACCES,
        "EEXIST" => Errno.EEXIST,
        "EISDIR" => Errno.EISDIR,
        "ENOENT" => Errno.ENOENT,
        "ENOMEM" => Errno.ENOMEM,
        "ENOSPC" => Errno.ENOSPC,
        "EIO" => Errno.EIO,
        "ENOTEMPTY" => Errno.ENOTEMPTY,
        "ENOSYS" => Errno.ENOSYS,
        "EROFS" => Errno.EROFS,
        "EBUSY" => Errno.EBUSY,
        "EAGAIN" => Errno.EAGAIN,
        "EISCONN" => Errno.EISCONN,
        "E2BIG" => Errno.E2BIG,
        "EPERM" => Errno.EPERM,
        _ => Errno.EIO,
    };

    // ---------------- the ring ----------------

    private static bool Send(byte[] msg)
    {
        lock (s_writeGate)
        {
            int sent = 0;
            while (sent < msg.Length)
            {
                var page = s_page.Span;
                uint cons = Shared.ReadU32(page, XenstoreDomainInterface.ReqCons);
                uint prod = Shared.ReadU32(page, XenstoreDomainInterface.ReqProd);
                Interlocked.MemoryBarrier();
                if (unchecked(prod - cons) > XenstoreDomainInterface.RingSize)
                    return false;   // corrupt indexes
                int room = XenstoreDomainInterface.RingSize - (int)(prod - cons);
                if (room == 0)
                {
                    if (s_stopping || XenHypercalls.Dead)
                        return false;
                    Monitor.Wait(s_writeGate);   // the store event wakes us when xenstored consumed
                    continue;
                }
                int n = Math.Min(room, msg.Length - sent);
                for (int i = 0; i < n; i++)
                    page[XenstoreDomainInterface.Req + (int)((prod + (uint)i) & (XenstoreDomainInterface.RingSize - 1))] = msg[sent + i];
                Interlocked.MemoryBarrier();   // bytes before the index
                Shared.WriteU32(page, XenstoreDomainInterface.ReqProd, prod + (uint)n);
                sent += n;
                XenEvents.Notify(s_port);
            }
            return true;
        }
    }

    /// <summary>Store event (upcall context): take what xenstored wrote, complete replies, queue watch events, wake writers.</summary>
    private static void OnEvent()
    {
        var page = s_page.Span;
        bool consumed = false;
        lock (s_gate)
        {
            uint cons = Shared.ReadU32(page, XenstoreDomainInterface.RspCons);
            uint prod = Shared.ReadU32(page, XenstoreDomainInterface.RspProd);
            Interlocked.MemoryBarrier();
            if (unchecked(prod - cons) <= XenstoreDomainInterface.RingSize)
            {
                while (cons != prod)
                {
                    s_rx.Add(page[XenstoreDomainInterface.Rsp + (int)(cons & (XenstoreDomainInterface.RingSize - 1))]);
                    cons++;
                    consumed = true;
                }
                Interlocked.MemoryBarrier();
                Shared.WriteU32(page, XenstoreDomainInterface.RspCons, cons);
            }
            while (s_rx.Count >= XsdSockmsg.Size)
            {
                var header = s_rx.GetRange(0, XsdSockmsg.Size).ToArray();
                XsdSockmsg.ReadHeader(header, out uint type, out uint reqId, out _, out uint len);
                int total = XsdSockmsg.Size + (int)Math.Min(len, (uint)XsdSockmsg.PayloadMax);
                if (s_rx.Count < total)
                    break;
                var payload = s_rx.GetRange(XsdSockmsg.Size, total - XsdSockmsg.Size).ToArray();
                s_rx.RemoveRange(0, total);
                if (type == XsdSockmsg.XS_WATCH_EVENT)
                {
                    var parts = Encoding.UTF8.GetString(payload).Split('\0');
                    if (parts.Length >= 2)
                        s_events.Enqueue((parts[0], parts[1]));
                }
                else if (s_pending.TryGetValue(reqId, out var p))
                {
                    p.Type = type;
                    p.Payload = payload;
                    p.Done = true;
                }
            }
            Monitor.PulseAll(s_gate);
        }
        if (consumed)
            XenEvents.Notify(s_port);   // room in rsp[] for xenstored
        lock (s_writeGate)
            Monitor.PulseAll(s_writeGate);   // xenstored may have consumed requests
    }

    private static void WatchLoop()
    {
        while (true)
        {
            (string Path, string Token) ev;
            Action<string>? callback;
            lock (s_gate)
            {
                while (s_events.Count == 0 && !s_stopping)
                    Monitor.Wait(s_gate);
                if (s_stopping)
                    return;
                ev = s_events.Dequeue();
                s_watches.TryGetValue(ev.Token, out callback);
            }
            try
            {
                callback?.Invoke(ev.Path);
            }
            catch (Exception e)
            {
                HypercallUpcalls.KernelCodeFailed("xenwatch " + ev.Token, e);
            }
        }
    }

    private static byte[] Z(string s)
    {
        var b = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, b);
        return b;
    }

    private static byte[] Z2(string a, string b)
    {
        var l = new List<byte>(Z(a));
        l.AddRange(Z(b));
        return l.ToArray();
    }
}

/// <summary>The console ring (struct xencons_interface): output bytes into out[], free-running indexes, event to the back end.</summary>
internal static class XenConsole
{
    private static Memory<byte> s_page;
    private static uint s_port;
    private static volatile bool s_up;
    // s_gate serializes writers and their wait for room.
    private static readonly object s_gate = new();

    public static int Start(IXenHypervisorPort port)
    {
        var info = port.StartInfo;
        int error = port.MapFrame(info.ConsoleFrame, out s_page);
        if (error != 0)
            return error;
        s_port = info.ConsoleEventChannel;
        XenEvents.Bind(s_port, OnEvent);
        s_up = true;
        return 0;
    }

    public static void Stop() => s_up = false;

    /// <summary>Writes one line ("\r\n"-terminated, as Mini-OS does) into the ring; waits for room when the back end lags.</summary>
    public static void WriteLine(string line)
    {
        if (!s_up)
            return;
        var bytes = Encoding.UTF8.GetBytes(line + "\r\n");
        lock (s_gate)
        {
            int sent = 0;
            while (sent < bytes.Length)
            {
                var page = s_page.Span;
                uint cons = Shared.ReadU32(page, XenconsInterface.OutCons);
                uint prod = Shared.ReadU32(page, XenconsInterface.OutProd);
                Interlocked.MemoryBarrier();
                int room = XenconsInterface.OutSize - (int)unchecked(prod - cons);
                if (room <= 0)
                {
                    if (!s_up || XenHypercalls.Dead)
                        return;
                    XenEvents.Notify(s_port);
                    Monitor.Wait(s_gate, 100);   // the console event wakes us; the timeout covers a dead back end
                    continue;
                }
                int n = Math.Min(room, bytes.Length - sent);
                for (int i = 0; i < n; i++)
                    page[XenconsInterface.Out + (int)((prod + (uint)i) & (XenconsInterface.OutSize - 1))] = bytes[sent + i];
                Interlocked.MemoryBarrier();
                Shared.WriteU32(page, XenconsInterface.OutProd, prod + (uint)n);
                sent += n;
            }
            XenEvents.Notify(s_port);
        }
    }

    private static void OnEvent()
    {
        lock (s_gate)
            Monitor.PulseAll(s_gate);
    }
}
