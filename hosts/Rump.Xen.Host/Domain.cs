using System;
using System.Collections.Generic;
using System.Threading;
using Rump.Target.Xen.Abi;

namespace Rump.Xen.Host;

/// <summary>
/// A domain as the hypervisor keeps it: event channel table, shared-info page (guests), grant-table
/// frames, the one-shot timer and the blocked-vcpu gate. Tables are protected by the hypervisor's gate.
/// </summary>
internal sealed class Domain
{
    private readonly XenHypervisor _hv;
    // _blockGate: vcpu 0 blocked in SCHEDOP_block waits on it; raising an upcall pulses it.
    private readonly object _blockGate = new();
    private readonly Timer _timer;
    private volatile bool _dying;

    public Domain(XenHypervisor hv, ushort id, bool guest)
    {
        _hv = hv;
        Id = id;
        Guest = guest;
        _timer = new Timer(static s => ((Domain)s!).TimerFired(), this, Timeout.Infinite, Timeout.Infinite);
    }

    public ushort Id { get; }
    public bool Guest { get; }
    public object? Owner { get; set; }
    public bool Dying => _dying;

    public Channel?[] Ports { get; } = new Channel?[SharedInfo.EventChannels];
    public Dictionary<uint, uint> VirqPorts { get; } = [];
    public Dictionary<uint, (int Readers, int Writers)> GrantMaps { get; } = [];
    public List<ulong> GrantFrames { get; } = [];
    public byte[] SharedInfoPage { get; set; } = [];
    public ulong SharedInfoFrame { get; set; }
    public long TimerDeadline;   // system time ns, 0 = none; under the gate

    public Channel? Channel(uint port) => port > 0 && port < Ports.Length ? Ports[port] : null;

    /// <summary>The lowest free port; port 0 is reserved (never valid), as in Xen.</summary>
    public int FreePort()
    {
        for (int i = 1; i < Ports.Length; i++)
        {
            if (Ports[i] is null)
                return i;
        }
        return -1;
    }

    public bool TryGrantEntry(uint gref, out byte[] table, out int offset)
    {
        table = [];
        offset = 0;
        int frameIndex = (int)(gref / GrantEntryV1.EntriesPerFrame);
        if (frameIndex >= GrantFrames.Count || _hv.Memory.Get(GrantFrames[frameIndex]) is not byte[] t)
            return false;
        table = t;
        offset = (int)(gref % GrantEntryV1.EntriesPerFrame) * GrantEntryV1.Size;
        return true;
    }

    /// <summary>
    /// An event arrives on <paramref name="port"/>. dom0: the port's handler runs now. Guest: the 2-level
    /// ABI: set the pending bit; unless masked or already pending, set the selector bit and
    /// evtchn_upcall_pending and wake the vcpu.
    /// </summary>
    public void Raise(uint port)
    {
        if (!Guest)
        {
            Action? handler;
            lock (_hv.Gate)
                handler = Channel(port)?.Handler;
            handler?.Invoke();
            return;
        }
        if (_dying || port == 0 || port >= SharedInfo.EventChannels)
            return;
        var si = SharedInfoPage.AsSpan();
        int word = (int)(port / 64), bit = (int)(port % 64);
        if (Shared.TestAndSetBit(si, SharedInfo.EvtchnPending + word * 8, bit))
            return;
        if (Shared.TestBit(si, SharedInfo.EvtchnMask + word * 8, bit))
            return;
        RaiseSelector(word);
    }

    /// <summary>EVTCHNOP_unmask after the guest cleared the mask bit: a pending event raises the upcall now.</summary>
    public void Unmasked(uint port)
    {
        var si = SharedInfoPage.AsSpan();
        int word = (int)(port / 64), bit = (int)(port % 64);
        if (Shared.TestBit(si, SharedInfo.EvtchnPending + word * 8, bit) && !Shared.TestBit(si, SharedInfo.EvtchnMask + word * 8, bit))
            RaiseSelector(word);
    }

    private void RaiseSelector(int word)
    {
        var si = SharedInfoPage.AsSpan();
        if (Shared.TestAndSetBit(si, SharedInfo.VcpuInfo + VcpuInfo.EvtchnPendingSel, word))
            return;
        Volatile.Write(ref si[SharedInfo.VcpuInfo + VcpuInfo.EvtchnUpcallPending], (byte)1);
        Kick();
    }

    private void Kick()
    {
        lock (_blockGate)
            Monitor.PulseAll(_blockGate);
    }

    /// <summary>SCHEDOP_block for vcpu 0.</summary>
    public void Block()
    {
        lock (_blockGate)
        {
            while (!_dying && Volatile.Read(ref SharedInfoPage[SharedInfo.VcpuInfo + VcpuInfo.EvtchnUpcallPending]) == 0)
                Monitor.Wait(_blockGate);
        }
    }

    public void SetTimer(long deadline)
    {
        lock (_hv.Gate)
            TimerDeadline = deadline;
        if (deadline == 0)
        {
            _timer.Change(Timeout.Infinite, Timeout.Infinite);
            return;
        }
        long delay = deadline - _hv.SystemTimeNanoseconds;
        if (delay <= 0)
        {
            TimerFired();
            return;
        }
        // Host timers tick in milliseconds: round up so VIRQ_TIMER never fires before the deadline.
        long ms = (delay + 999_999) / 1_000_000;
        _timer.Change(ms, Timeout.Infinite);
    }

    private void TimerFired()
    {
        uint port;
        lock (_hv.Gate)
        {
            if (TimerDeadline == 0 || !VirqPorts.TryGetValue(Virq.VIRQ_TIMER, out port))
                return;
            if (TimerDeadline > _hv.SystemTimeNanoseconds)
            {
                // The host timer ran early (clock granularity): wait out the rest.
                long rest = TimerDeadline - _hv.SystemTimeNanoseconds;
                _timer.Change(Math.Max(1, (rest + 999_999) / 1_000_000), Timeout.Infinite);
                return;
            }
            TimerDeadline = 0;
        }
        UpdateTime();
        Raise(port);
    }

    /// <summary>Writes vcpu_time_info (seqlock: version odd while writing) and the wall clock.</summary>
    public void UpdateTime()
    {
        if (!Guest)
            return;
        var si = SharedInfoPage.AsSpan();
        int t = SharedInfo.VcpuInfo + VcpuInfo.Time;
        lock (_blockGate)
        {
            ref uint version = ref Shared.U32(si, t + VcpuTimeInfo.Version);
            Volatile.Write(ref version, version + 1);
            Interlocked.MemoryBarrier();
            long tsc = System.Diagnostics.Stopwatch.GetTimestamp();
            Shared.U64(si, t + VcpuTimeInfo.TscTimestamp) = (ulong)tsc;
            Shared.U64(si, t + VcpuTimeInfo.SystemTime) = VcpuTimeInfo.Scale((ulong)(tsc - _hv.TimestampAtStart), _hv.TscToSystemMul, _hv.TscShift);
            Shared.U32(si, t + VcpuTimeInfo.TscToSystemMul) = _hv.TscToSystemMul;
            si[t + VcpuTimeInfo.TscShift] = (byte)_hv.TscShift;
            Interlocked.MemoryBarrier();
            Volatile.Write(ref version, version + 1);
        }
    }

    /// <summary>Wall clock at system time 0 (shared_info.wc_*), written once at domain creation.</summary>
    public void SetWallClock()
    {
        var si = SharedInfoPage.AsSpan();
        long nowNs = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100 - _hv.SystemTimeNanoseconds;
        ref uint version = ref Shared.U32(si, SharedInfo.WcVersion);
        Volatile.Write(ref version, version + 1);
        Interlocked.MemoryBarrier();
        long sec = nowNs / 1_000_000_000;
        Shared.U32(si, SharedInfo.WcSec) = (uint)sec;
        Shared.U32(si, SharedInfo.WcSecHi) = (uint)(sec >> 32);
        Shared.U32(si, SharedInfo.WcNsec) = (uint)(nowNs % 1_000_000_000);
        Interlocked.MemoryBarrier();
        Volatile.Write(ref version, version + 1);
    }

    /// <summary>The domain is going away: blocked vcpus return, timers stop.</summary>
    public void MarkDying()
    {
        _dying = true;
        _timer.Change(Timeout.Infinite, Timeout.Infinite);
        Kick();
    }

    public void DisposeTimer() => _timer.Dispose();
}
