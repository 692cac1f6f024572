using System;
using System.Collections.Generic;
using System.Threading;
using Rump.Target.Common;
using Rump.Target.Xen.Abi;
using Rump.Xen;

namespace Rump.Target.Xen;

/// <summary>
/// Time from shared info: system time from vcpu_time_info (read under its version seqlock, extrapolated
/// from the TSC with tsc_to_system_mul/tsc_shift), wall time = wc_sec/wc_nsec + system time. Timers
/// (sleeps, timed waits) sit in one queue; the earliest deadline is programmed with set_timer_op, and
/// VIRQ_TIMER runs the expired ones.
/// </summary>
internal static class XenClock
{
    internal sealed class TimerEntry(long deadline, long sequence, Action expire)
    {
        public long Deadline { get; } = deadline;
        public long Sequence { get; } = sequence;
        public Action Expire { get; } = expire;
    }

    private sealed class ByDeadline : IComparer<TimerEntry>
    {
        public int Compare(TimerEntry? a, TimerEntry? b)
        {
            int c = a!.Deadline.CompareTo(b!.Deadline);
            return c != 0 ? c : a.Sequence.CompareTo(b.Sequence);
        }
    }

    private static IXenHypervisorPort s_port = null!;
    // s_gate protects s_timers, s_sequence, s_armed.
    private static readonly object s_gate = new();
    private static readonly SortedSet<TimerEntry> s_timers = new(new ByDeadline());
    private static long s_sequence;
    private static long s_armed;
    private static uint s_virqPort;

    public static int Start(IXenHypervisorPort port)
    {
        s_port = port;
        lock (s_gate)
        {
            s_timers.Clear();
            s_armed = 0;
        }
        int error = port.EventChannelBindVirq(Virq.VIRQ_TIMER, out s_virqPort);
        if (error != 0)
            return error;
        XenEvents.Bind(s_virqPort, OnTimer);
        return 0;
    }

    public static void Stop()
    {
        lock (s_gate)
            s_timers.Clear();
        s_port.SetTimer(0);
    }

    /// <summary>Nanoseconds of Xen system time now.</summary>
    public static long SystemTime()
    {
        var page = XenEvents.SharedInfoPage;
        int t = SharedInfo.VcpuInfo + VcpuInfo.Time;
        while (true)
        {
            var si = page.Span;
            uint v1 = Volatile.Read(ref Shared.U32(si, t + VcpuTimeInfo.Version));
            if ((v1 & 1) != 0)
            {
                Thread.SpinWait(1);
                continue;
            }
            Interlocked.MemoryBarrier();
            ulong tscStamp = Shared.U64(si, t + VcpuTimeInfo.TscTimestamp);
            ulong system = Shared.U64(si, t + VcpuTimeInfo.SystemTime);
            uint mul = Shared.U32(si, t + VcpuTimeInfo.TscToSystemMul);
            sbyte shift = (sbyte)si[t + VcpuTimeInfo.TscShift];
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref Shared.U32(si, t + VcpuTimeInfo.Version)) != v1)
                continue;
            long tsc = s_port.ReadTimestampCounter();
            ulong delta = tsc > (long)tscStamp ? (ulong)tsc - tscStamp : 0;
            return (long)(system + VcpuTimeInfo.Scale(delta, mul, shift));
        }
    }

    /// <summary>Wall clock: the boot-time wall clock (wc_*) plus system time.</summary>
    public static void WallTime(out long seconds, out long nanoseconds)
    {
        var page = XenEvents.SharedInfoPage;
        long wcSec, wcNsec;
        while (true)
        {
            var si = page.Span;
            uint v1 = Volatile.Read(ref Shared.U32(si, SharedInfo.WcVersion));
            if ((v1 & 1) != 0)
                continue;
            Interlocked.MemoryBarrier();
            wcSec = Shared.U32(si, SharedInfo.WcSec) | ((long)Shared.U32(si, SharedInfo.WcSecHi) << 32);
            wcNsec = Shared.U32(si, SharedInfo.WcNsec);
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref Shared.U32(si, SharedInfo.WcVersion)) == v1)
                break;
        }
        long total = wcNsec + SystemTime();
        seconds = wcSec + total / 1_000_000_000;
        nanoseconds = total % 1_000_000_000;
    }

    public static TimerEntry AddTimer(long deadline, Action expire)
    {
        var entry = new TimerEntry(deadline, Interlocked.Increment(ref s_sequence), expire);
        // The hypervisor keeps one deadline per vcpu: program it under the lock so a later, earlier
        // deadline can never be overwritten by an older one.
        lock (s_gate)
        {
            s_timers.Add(entry);
            if (s_timers.Min == entry && (s_armed == 0 || deadline < s_armed))
            {
                s_armed = deadline;
                s_port.SetTimer(Math.Max(1, deadline));
            }
        }
        return entry;
    }

    public static void CancelTimer(TimerEntry entry)
    {
        lock (s_gate)
            s_timers.Remove(entry);
        // The hypervisor timer stays armed; when it fires, OnTimer re-arms for what is left.
    }

    /// <summary>VIRQ_TIMER: run the expired entries, program the next deadline.</summary>
    private static void OnTimer()
    {
        long now = SystemTime();
        var expired = new List<TimerEntry>();
        long next;
        lock (s_gate)
        {
            while (s_timers.Count > 0 && s_timers.Min!.Deadline <= now)
            {
                var e = s_timers.Min;
                s_timers.Remove(e);
                expired.Add(e);
            }
            next = s_timers.Count > 0 ? s_timers.Min!.Deadline : 0;
            s_armed = next;
            s_port.SetTimer(next);
        }
        foreach (var e in expired)
            e.Expire();
    }

    /// <summary>Blocks the caller until system time reaches <paramref name="deadline"/> (or the instance ends).</summary>
    public static void SleepUntil(long deadline)
    {
        if (deadline <= SystemTime())
            return;
        var gate = new WakeableGate();
        bool done = false;
        var entry = AddTimer(deadline, () =>
        {
            lock (gate)
            {
                done = true;
                Monitor.PulseAll(gate);
            }
        });
        lock (gate)
        {
            InstanceWaits.Register(gate);
            try
            {
                while (!done && !InstanceWaits.Dead)
                    Monitor.Wait(gate);
            }
            finally
            {
                InstanceWaits.Unregister(gate);
            }
        }
        CancelTimer(entry);
    }
}

/// <summary>Timed condition-variable waits on the domain's clock: the timer (VIRQ_TIMER) expires the waiter.</summary>
internal sealed class XenWaitClock : WaitClock
{
    public override long DeadlineAfter(long nanoseconds)
    {
        long now = XenClock.SystemTime();
        return nanoseconds >= Never - now ? Never : now + nanoseconds;
    }

    public override object? Arm(long deadline, Action expire) => XenClock.AddTimer(deadline, expire);

    public override void Disarm(object timer) => XenClock.CancelTimer((XenClock.TimerEntry)timer);
}
