using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using Rump.Target.Xen.Abi;

namespace Rump.Xen.Host;

/// <summary>
/// A software Xen hypervisor with dom0 in the same process ("dom0 in a box"): machine memory in 4 KiB
/// frames, event channels (2-level ABI in each guest's shared-info page), grant tables v1, one-shot
/// timers, xenstored speaking the real wire protocol over each guest's store ring, and dom0 back ends
/// (console, blkback over host image files). Guests are xen-target kernels booted with
/// <c>BootOptions.Xen = domain.Port</c>.
/// </summary>
public sealed class XenHypervisor : IDisposable
{
    public const ushort Dom0 = 0;

    // _gate protects _domains, _nextDomainId, every domain's event channel table and grant map counts.
    internal readonly object Gate = new();
    private readonly Dictionary<ushort, Domain> _domains = [];
    private ushort _nextDomainId = 1;
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private bool _disposed;

    /// <param name="machineMemoryBytes">Size of the machine's memory (frames for every domain).</param>
    public XenHypervisor(long machineMemoryBytes = 1L << 30)
    {
        Memory = new MachineMemory(machineMemoryBytes);
        Loop = new Dom0Loop { OnError = e => BackendErrors.Add(e) };
        Store = new Xenstored(this);
        ComputeTscScale(Stopwatch.Frequency, out TscToSystemMul, out TscShift);
        Dom0Domain = new Domain(this, Dom0, guest: false);
        lock (Gate)
            _domains[Dom0] = Dom0Domain;
    }

    internal MachineMemory Memory { get; }
    internal Dom0Loop Loop { get; }
    internal Domain Dom0Domain { get; }
    internal readonly uint TscToSystemMul;
    internal readonly sbyte TscShift;

    /// <summary>xenstored: dom0's view of the store (back ends and tools use it directly, guests over their rings).</summary>
    public Xenstored Store { get; }

    /// <summary>Exceptions thrown by back-end code on dom0's loop (a bug; tests assert this stays empty).</summary>
    public List<Exception> BackendErrors { get; } = [];

    /// <summary>Xen system time: nanoseconds since the hypervisor started.</summary>
    public long SystemTimeNanoseconds => (long)VcpuTimeInfo.Scale((ulong)(Stopwatch.GetTimestamp() - _startTimestamp), TscToSystemMul, TscShift);

    internal long TimestampAtStart => _startTimestamp;

    /// <summary>Machine frames in use by all domains.</summary>
    public long FramesInUse => Memory.FramesInUse;

    /// <summary>Builds and starts a guest domain: memory, shared info, store and console rings, xenstore entries, disks.</summary>
    public XenDomain CreateDomain(XenDomainConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        ushort id;
        lock (Gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            id = _nextDomainId++;
        }
        var domain = new Domain(this, id, guest: true);
        lock (Gate)
            _domains[id] = domain;
        var xd = new XenDomain(this, domain, config);
        try
        {
            xd.Build();
        }
        catch
        {
            xd.Destroy();
            throw;
        }
        return xd;
    }

    internal Domain? FindDomain(ushort id)
    {
        lock (Gate)
            return _domains.TryGetValue(id, out var d) ? d : null;
    }

    internal void RemoveDomain(ushort id)
    {
        lock (Gate)
            _domains.Remove(id);
    }

    // ---------------- event channels ----------------

    internal int AllocUnbound(Domain owner, ushort remote, Action? handler, out uint port)
    {
        lock (Gate)
        {
            port = 0;
            if (owner.Dying)
                return XenErrno.ESRCH;
            int p = owner.FreePort();
            if (p < 0)
                return XenErrno.ENOSPC;
            owner.Ports[p] = new Channel { State = ChannelState.Unbound, RemoteDomain = remote, Handler = handler };
            port = (uint)p;
            return 0;
        }
    }

    internal int BindInterdomain(Domain owner, ushort remoteDomain, uint remotePort, Action? handler, out uint port)
    {
        lock (Gate)
        {
            port = 0;
            var remote = _domains.TryGetValue(remoteDomain, out var r) ? r : null;
            if (remote is null || remote.Dying || owner.Dying)
                return XenErrno.ESRCH;
            var rc = remote.Channel(remotePort);
            if (rc is null || rc.State != ChannelState.Unbound || rc.RemoteDomain != owner.Id)
                return XenErrno.EINVAL;
            int p = owner.FreePort();
            if (p < 0)
                return XenErrno.ENOSPC;
            owner.Ports[p] = new Channel { State = ChannelState.Interdomain, RemoteDomain = remoteDomain, RemotePort = remotePort, Handler = handler };
            rc.State = ChannelState.Interdomain;
            rc.RemotePort = (uint)p;
            port = (uint)p;
            return 0;
        }
    }

    internal int BindVirq(Domain owner, uint virq, out uint port)
    {
        lock (Gate)
        {
            port = 0;
            if (virq != Virq.VIRQ_TIMER)
                return XenErrno.EINVAL;
            if (owner.VirqPorts.ContainsKey(virq))
                return XenErrno.EEXIST;
            int p = owner.FreePort();
            if (p < 0)
                return XenErrno.ENOSPC;
            owner.Ports[p] = new Channel { State = ChannelState.Virq, Virq = virq };
            owner.VirqPorts[virq] = (uint)p;
            port = (uint)p;
            return 0;
        }
    }

    internal int Send(Domain sender, uint port)
    {
        Domain? target;
        uint targetPort;
        lock (Gate)
        {
            var c = sender.Channel(port);
            if (c is null)
                return XenErrno.EINVAL;
            if (c.State != ChannelState.Interdomain)
                return 0;   // unbound: the event is dropped, as Xen does
            target = _domains.TryGetValue(c.RemoteDomain, out var t) ? t : null;
            targetPort = c.RemotePort;
        }
        target?.Raise(targetPort);
        return 0;
    }

    internal int Close(Domain owner, uint port)
    {
        lock (Gate)
        {
            var c = owner.Channel(port);
            if (c is null)
                return XenErrno.EINVAL;
            if (c.State == ChannelState.Interdomain && _domains.TryGetValue(c.RemoteDomain, out var remote))
            {
                var rc = remote.Channel(c.RemotePort);
                if (rc is not null && rc.State == ChannelState.Interdomain && rc.RemoteDomain == owner.Id)
                    rc.State = ChannelState.Unbound;   // the other end may be bound again
            }
            if (c.State == ChannelState.Virq)
                owner.VirqPorts.Remove(c.Virq);
            owner.Ports[(int)port] = null;
            return 0;
        }
    }

    // ---------------- grant tables ----------------

    /// <summary>
    /// GNTTABOP_map_grant_ref for dom0: checks the granter's v1 entry (permit_access, this domain, writable
    /// unless <paramref name="readOnly"/>), marks it GTF_reading/GTF_writing and returns the granted frame.
    /// </summary>
    internal int GrantMap(ushort granterId, uint gref, bool readOnly, out byte[] page)
    {
        page = [];
        var granter = FindDomain(granterId);
        if (granter is null || granter.Dying)
            return XenErrno.ESRCH;
        lock (Gate)
        {
            if (!granter.TryGrantEntry(gref, out var table, out int offset))
                return XenErrno.EINVAL;
            var span = table.AsSpan();
            ref uint word = ref Shared.U32(span, offset);   // flags (low 16 bits) and domid (high 16)
            while (true)
            {
                uint old = Volatile.Read(ref word);
                ushort flags = (ushort)old;
                ushort domid = (ushort)(old >> 16);
                if ((flags & GrantEntryV1.GTF_type_mask) != GrantEntryV1.GTF_permit_access || domid != Dom0)
                    return XenErrno.EPERM;
                if (!readOnly && (flags & GrantEntryV1.GTF_readonly) != 0)
                    return XenErrno.EPERM;
                ushort newFlags = (ushort)(flags | GrantEntryV1.GTF_reading | (readOnly ? 0 : GrantEntryV1.GTF_writing));
                uint updated = (old & 0xFFFF0000u) | newFlags;
                if (Interlocked.CompareExchange(ref word, updated, old) == old)
                    break;
            }
            uint frame = Shared.ReadU32(span, offset + GrantEntryV1.Frame);
            if (Memory.OwnerOf(frame) != granterId || Memory.Get(frame) is not byte[] p)
            {
                ReleaseGrantFlags(granter, gref, readOnly, table, offset);
                return XenErrno.EFAULT;
            }
            granter.GrantMaps.TryGetValue(gref, out var counts);
            granter.GrantMaps[gref] = readOnly ? (counts.Readers + 1, counts.Writers) : (counts.Readers, counts.Writers + 1);
            page = p;
            return 0;
        }
    }

    /// <summary>GNTTABOP_unmap_grant_ref: the last mapping clears GTF_reading/GTF_writing.</summary>
    internal void GrantUnmap(ushort granterId, uint gref, bool readOnly)
    {
        var granter = FindDomain(granterId);
        if (granter is null)
            return;
        lock (Gate)
        {
            if (!granter.GrantMaps.TryGetValue(gref, out var counts))
                return;
            counts = readOnly ? (counts.Readers - 1, counts.Writers) : (counts.Readers, counts.Writers - 1);
            if (counts.Readers <= 0 && counts.Writers <= 0)
                granter.GrantMaps.Remove(gref);
            else
                granter.GrantMaps[gref] = counts;
            if (granter.TryGrantEntry(gref, out var table, out int offset))
            {
                ushort clear = 0;
                if (counts.Writers <= 0)
                    clear |= GrantEntryV1.GTF_writing;
                if (counts.Readers <= 0 && counts.Writers <= 0)
                    clear |= GrantEntryV1.GTF_reading;
                Interlocked.And(ref Shared.U32(table.AsSpan(), offset), ~(uint)clear);
            }
        }
    }

    private static void ReleaseGrantFlags(Domain granter, uint gref, bool readOnly, byte[] table, int offset)
    {
        if (granter.GrantMaps.ContainsKey(gref))
            return;
        Interlocked.And(ref Shared.U32(table.AsSpan(), offset), ~(uint)(GrantEntryV1.GTF_reading | GrantEntryV1.GTF_writing));
    }

    internal static void ComputeTscScale(long frequency, out uint mul, out sbyte shift)
    {
        // ns = ((tsc << shift) * mul) >> 32 with mul in [2^31, 2^32): pvclock's scaling.
        double factor = 1e9 / frequency;
        int s = 0;
        while (factor * Math.Pow(2, 32 - s) >= 4294967296.0)
            s++;
        while (factor * Math.Pow(2, 32 - s) < 2147483648.0)
            s--;
        shift = (sbyte)s;
        mul = (uint)(factor * Math.Pow(2, 32 - s));
    }

    public void Dispose()
    {
        List<Domain> domains;
        lock (Gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            domains = [.. _domains.Values];
        }
        foreach (var d in domains)
        {
            if (d.Guest && d.Owner is XenDomain xd)
                xd.Destroy();
        }
        Loop.Dispose();
    }
}

internal enum ChannelState { Unbound, Interdomain, Virq }

/// <summary>One event channel port of a domain. Protected by the hypervisor's gate.</summary>
internal sealed class Channel
{
    public ChannelState State;
    public ushort RemoteDomain;
    public uint RemotePort;
    public uint Virq;
    /// <summary>dom0 ports: run when the port is raised, on the raiser's thread; must not block.</summary>
    public Action? Handler;
}
