using System;
using System.Collections.Generic;

namespace Rump.Xen;

/// <summary>
/// The start-of-day data a PV domain gets from its domain builder (struct start_info): its identity,
/// its memory and the frames and event channels of the two rings every domain has.
/// </summary>
public sealed record XenStartInfo
{
    /// <summary>"xen-3.0-x86_64" (start_info.magic).</summary>
    public string Magic { get; init; } = "xen-3.0-x86_64";

    /// <summary>This domain's id (a real guest reads it from xenstore's "domid"; here the builder tells).</summary>
    public ushort DomainId { get; init; }

    /// <summary>The domain's memory: machine frame of each pseudo-physical page (start_info.mfn_list).</summary>
    public IReadOnlyList<ulong> Frames { get; init; } = [];

    /// <summary>Machine frame of the shared-info page (start_info.shared_info).</summary>
    public ulong SharedInfoFrame { get; init; }

    /// <summary>The xenstore ring page (start_info.store_mfn) and its event channel (store_evtchn).</summary>
    public ulong StoreFrame { get; init; }
    public uint StoreEventChannel { get; init; }

    /// <summary>The console ring page (start_info.console.domU.mfn) and its event channel.</summary>
    public ulong ConsoleFrame { get; init; }
    public uint ConsoleEventChannel { get; init; }

    /// <summary>The kernel command line (start_info.cmd_line): space-separated NAME=value boot parameters.</summary>
    public string CommandLine { get; init; } = "";
}

/// <summary>Reasons for <see cref="IXenHypervisorPort.Shutdown"/> (SHUTDOWN_* in sched.h).</summary>
public enum XenShutdownReason
{
    PowerOff = 0,
    Reboot = 1,
    Suspend = 2,
    Crash = 3,
}

/// <summary>
/// The hypervisor port: what the xen target is written against, one instance per domain. On a real Xen
/// each member is a hypercall (or, for <see cref="ReadTimestampCounter"/>, the rdtsc instruction); here a
/// software hypervisor implements it. Results are 0 or a Xen error number (Linux values, xen/errno.h),
/// never exceptions.
/// </summary>
public interface IXenHypervisorPort
{
    /// <summary>start_info of this domain.</summary>
    XenStartInfo StartInfo { get; }

    /// <summary>
    /// Maps a machine frame this domain may access: its own pages, its shared-info page and its grant-table
    /// frames (what a PV guest's page tables would map). EPERM for any other frame.
    /// </summary>
    int MapFrame(ulong frame, out Memory<byte> page);

    /// <summary>GNTTABOP_setup_table: <paramref name="frames"/> grant-table frames (v1 entries) for this domain.</summary>
    int GrantTableSetup(int frames, out ulong[] frameList);

    /// <summary>EVTCHNOP_alloc_unbound: a port that <paramref name="remoteDomain"/> may bind.</summary>
    int EventChannelAllocUnbound(ushort remoteDomain, out uint port);

    /// <summary>EVTCHNOP_bind_virq on vcpu 0.</summary>
    int EventChannelBindVirq(uint virq, out uint port);

    /// <summary>EVTCHNOP_send: notifies the other end.</summary>
    int EventChannelSend(uint port);

    /// <summary>EVTCHNOP_close.</summary>
    int EventChannelClose(uint port);

    /// <summary>EVTCHNOP_unmask: the guest cleared the mask bit; re-raises the upcall if the port is pending.</summary>
    int EventChannelUnmask(uint port);

    /// <summary>set_timer_op: VIRQ_TIMER fires once system time reaches the deadline (ns); 0 cancels.</summary>
    int SetTimer(long systemTimeNanoseconds);

    /// <summary>rdtsc: the counter vcpu_time_info.tsc_timestamp is taken from.</summary>
    long ReadTimestampCounter();

    /// <summary>SCHEDOP_block: returns once vcpu 0 has an upcall pending, or the domain is shutting down.</summary>
    void Block();

    /// <summary>SCHEDOP_shutdown: the domain ends; back ends are torn down, <see cref="Block"/> returns.</summary>
    void Shutdown(XenShutdownReason reason);
}

/// <summary>Xen's error numbers (xen/errno.h, the Linux values) as the port returns them.</summary>
public static class XenErrno
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EIO = 5, E2BIG = 7, EAGAIN = 11, ENOMEM = 12, EACCES = 13,
        EFAULT = 14, EBUSY = 16, EEXIST = 17, EINVAL = 22, ENOSPC = 28, ENOSYS = 38;
}
