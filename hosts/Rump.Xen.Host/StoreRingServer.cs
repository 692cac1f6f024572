using System;
using System.Collections.Generic;
using System.Threading;
using Rump.Target.Xen.Abi;

namespace Rump.Xen.Host;

/// <summary>
/// xenstored's end of one guest's store ring (struct xenstore_domain_interface): requests are a byte
/// stream in req[], replies and watch events a byte stream in rsp[]; free-running indexes, one event
/// channel for both directions.
/// </summary>
internal sealed class StoreRingServer
{
    private readonly XenHypervisor _hv;
    private readonly byte[] _page;
    private readonly uint _port;                 // dom0's end of the store event channel
    private readonly XenstoreConnection _conn;
    // _gate protects _in, _out, _outOffset, _stopped.
    private readonly object _gate = new();
    private readonly List<byte> _in = [];
    private readonly Queue<byte[]> _out = new();
    private int _outOffset;
    private bool _stopped;
    private int _posted;                         // 1 while a Process is queued on dom0's loop; atomic

    public StoreRingServer(XenHypervisor hv, XenDomain domain, byte[] page, uint guestPort)
    {
        _hv = hv;
        _page = page;
        Shared.WriteU32(page, XenstoreDomainInterface.ServerFeatures, XenstoreDomainInterface.XENSTORE_SERVER_FEATURE_ERROR);
        _conn = hv.Store.Connect(domain.Id, Send);
        int error = hv.BindInterdomain(hv.Dom0Domain, domain.Id, guestPort, OnEvent, out _port);
        if (error != 0)
            throw new InvalidOperationException("xenstored: cannot bind the store event channel of domain " + domain.Id + " (Xen error " + error + ")");
    }

    private void OnEvent()
    {
        if (Interlocked.Exchange(ref _posted, 1) == 0)
            _hv.Loop.Post(Process);
    }

    private void Process()
    {
        Volatile.Write(ref _posted, 0);
        var messages = new List<byte[]>();
        var page = _page.AsSpan();
        lock (_gate)
        {
            if (_stopped)
                return;
            uint cons = Shared.ReadU32(page, XenstoreDomainInterface.ReqCons);
            uint prod = Shared.ReadU32(page, XenstoreDomainInterface.ReqProd);
            Interlocked.MemoryBarrier();   // read the bytes only after the producer index
            if (unchecked(prod - cons) > XenstoreDomainInterface.RingSize)
            {
                Shared.WriteU32(page, XenstoreDomainInterface.Error, 2);   // XENSTORE_ERROR_RINGIDX
                _stopped = true;
                return;
            }
            while (cons != prod)
            {
                _in.Add(page[XenstoreDomainInterface.Req + (int)(cons & (XenstoreDomainInterface.RingSize - 1))]);
                cons++;
            }
            Interlocked.MemoryBarrier();
            Shared.WriteU32(page, XenstoreDomainInterface.ReqCons, cons);
            while (_in.Count >= XsdSockmsg.Size)
            {
                var header = _in.GetRange(0, XsdSockmsg.Size).ToArray();
                XsdSockmsg.ReadHeader(header, out _, out _, out _, out uint len);
                if (len > XsdSockmsg.PayloadMax)
                {
                    Shared.WriteU32(page, XenstoreDomainInterface.Error, 3);   // XENSTORE_ERROR_PROTO
                    _stopped = true;
                    return;
                }
                int total = XsdSockmsg.Size + (int)len;
                if (_in.Count < total)
                    break;
                messages.Add(_in.GetRange(0, total).ToArray());
                _in.RemoveRange(0, total);
            }
        }
        foreach (var m in messages)
            _conn.Process(m);
        Flush();   // the guest may have made room for replies waiting
        if (messages.Count > 0)
            _hv.Send(_hv.Dom0Domain, _port);   // it consumed requests: a writer waiting for room may go on
    }

    private void Send(byte[] message)
    {
        lock (_gate)
        {
            if (_stopped)
                return;
            _out.Enqueue(message);
        }
        Flush();
    }

    private void Flush()
    {
        bool wrote = false;
        var page = _page.AsSpan();
        lock (_gate)
        {
            if (_stopped)
                return;
            uint cons = Shared.ReadU32(page, XenstoreDomainInterface.RspCons);
            uint prod = Shared.ReadU32(page, XenstoreDomainInterface.RspProd);
            Interlocked.MemoryBarrier();
            while (_out.Count > 0 && unchecked(prod - cons) < XenstoreDomainInterface.RingSize)
            {
                var head = _out.Peek();
                while (_outOffset < head.Length && unchecked(prod - cons) < XenstoreDomainInterface.RingSize)
                {
                    page[XenstoreDomainInterface.Rsp + (int)(prod & (XenstoreDomainInterface.RingSize - 1))] = head[_outOffset++];
                    prod++;
                    wrote = true;
                }
                if (_outOffset == head.Length)
                {
                    _out.Dequeue();
                    _outOffset = 0;
                }
            }
            if (wrote)
            {
                Interlocked.MemoryBarrier();   // bytes before the index
                Shared.WriteU32(page, XenstoreDomainInterface.RspProd, prod);
            }
        }
        if (wrote)
            _hv.Send(_hv.Dom0Domain, _port);
    }

    public void Stop()
    {
        lock (_gate)
            _stopped = true;
        _conn.Close();
        _hv.Close(_hv.Dom0Domain, _port);
    }
}
