using System;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using Rump.Target.Xen.Abi;

namespace Rump.Xen.Host;

/// <summary>
/// xenconsoled's part for one guest: drains the out[] ring of struct xencons_interface and hands whole
/// lines to the host. Console input (the in[] ring) is not offered.
/// </summary>
public sealed class ConsoleBackend
{
    private readonly XenHypervisor _hv;
    private readonly byte[] _page;
    private readonly uint _port;
    private readonly Action<string>? _sink;
    // _gate protects _lines, _partial, _stopped.
    private readonly object _gate = new();
    private readonly List<string> _lines = [];
    private readonly List<byte> _partial = [];
    private bool _stopped;
    private int _posted;

    internal ConsoleBackend(XenHypervisor hv, XenDomain domain, byte[] page, uint guestPort, Action<string>? sink)
    {
        _hv = hv;
        _page = page;
        _sink = sink;
        int error = hv.BindInterdomain(hv.Dom0Domain, domain.Id, guestPort, OnEvent, out _port);
        if (error != 0)
            throw new InvalidOperationException("console: cannot bind the console event channel of domain " + domain.Id + " (Xen error " + error + ")");
    }

    /// <summary>Every complete line the guest wrote, in order.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
                return _lines.ToArray();
        }
    }

    /// <summary>Raised (on dom0's loop) for each complete line.</summary>
    public event Action<string>? LineWritten;

    /// <summary>Waits until dom0 has drained everything the guest notified so far.</summary>
    public void Flush() => _hv.Loop.Drain();

    private void OnEvent()
    {
        if (Interlocked.Exchange(ref _posted, 1) == 0)
            _hv.Loop.Post(Drain);
    }

    private void Drain()
    {
        Volatile.Write(ref _posted, 0);
        var page = _page.AsSpan();
        var complete = new List<string>();
        lock (_gate)
        {
            if (_stopped)
                return;
            uint cons = Shared.ReadU32(page, XenconsInterface.OutCons);
            uint prod = Shared.ReadU32(page, XenconsInterface.OutProd);
            Interlocked.MemoryBarrier();
            if (unchecked(prod - cons) > XenconsInterface.OutSize)
                cons = prod - XenconsInterface.OutSize;   // a confused guest: keep the newest bytes
            while (cons != prod)
            {
                byte b = page[XenconsInterface.Out + (int)(cons & (XenconsInterface.OutSize - 1))];
                cons++;
                if (b == (byte)'\n')
                {
                    var line = Encoding.UTF8.GetString(_partial.ToArray()).TrimEnd('\r');
                    _partial.Clear();
                    _lines.Add(line);
                    complete.Add(line);
                }
                else
                {
                    _partial.Add(b);
                }
            }
            Interlocked.MemoryBarrier();
            Shared.WriteU32(page, XenconsInterface.OutCons, cons);
            // Delivered under the gate: once Stop's final drain returns, every line has reached the host.
            foreach (var line in complete)
            {
                try
                {
                    _sink?.Invoke(line);
                    LineWritten?.Invoke(line);
                }
                catch (Exception e)
                {
                    _hv.BackendErrors.Add(e);
                }
            }
        }
        _hv.Send(_hv.Dom0Domain, _port);   // room in the ring for a writer that waits
    }

    internal void Stop()
    {
        Drain();
        lock (_gate)
            _stopped = true;
        _hv.Close(_hv.Dom0Domain, _port);
    }
}
