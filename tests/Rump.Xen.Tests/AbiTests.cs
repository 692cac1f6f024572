using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Rump.Target.Xen.Abi;

namespace Rump.Xen.Tests;

/// <summary>
/// The C# view of the shared structures against the Xen public headers (libxen-dev): a C program
/// compiled with gcc prints sizeof/offsetof on x86_64, and every number must match ours.
/// </summary>
public class AbiTests
{
    private static readonly Lazy<(Dictionary<string, long>? Values, string Why)> s_c = new(CompileAndRun);

    public static IEnumerable<object[]> Expected() =>
    [
        ["blkif_request.size", Blkif.Request.Size],
        ["blkif_request.operation", Blkif.Request.Operation],
        ["blkif_request.nr_segments", Blkif.Request.NrSegments],
        ["blkif_request.handle", Blkif.Request.Handle],
        ["blkif_request.id", Blkif.Request.Id],
        ["blkif_request.sector_number", Blkif.Request.SectorNumber],
        ["blkif_request.seg", Blkif.Request.Seg],
        ["blkif_request_segment.size", Blkif.Segment.Size],
        ["blkif_request_segment.gref", Blkif.Segment.Gref],
        ["blkif_request_segment.first_sect", Blkif.Segment.FirstSect],
        ["blkif_request_segment.last_sect", Blkif.Segment.LastSect],
        ["blkif_response.size", Blkif.Response.Size],
        ["blkif_response.id", Blkif.Response.Id],
        ["blkif_response.operation", Blkif.Response.Operation],
        ["blkif_response.status", Blkif.Response.Status],
        ["BLKIF_MAX_SEGMENTS_PER_REQUEST", Blkif.BLKIF_MAX_SEGMENTS_PER_REQUEST],
        ["BLKIF_OP_READ", Blkif.BLKIF_OP_READ],
        ["BLKIF_OP_WRITE", Blkif.BLKIF_OP_WRITE],
        ["BLKIF_OP_WRITE_BARRIER", Blkif.BLKIF_OP_WRITE_BARRIER],
        ["BLKIF_OP_FLUSH_DISKCACHE", Blkif.BLKIF_OP_FLUSH_DISKCACHE],
        ["BLKIF_RSP_OKAY", Blkif.BLKIF_RSP_OKAY],
        ["BLKIF_RSP_ERROR", Blkif.BLKIF_RSP_ERROR],
        ["BLKIF_RSP_EOPNOTSUPP", Blkif.BLKIF_RSP_EOPNOTSUPP],
        ["VDISK_READONLY", Blkif.VDISK_READONLY],
        ["blkif_sring.size_header", SringHeader.Ring],
        ["blkif_sring.req_prod", SringHeader.ReqProd],
        ["blkif_sring.req_event", SringHeader.ReqEvent],
        ["blkif_sring.rsp_prod", SringHeader.RspProd],
        ["blkif_sring.rsp_event", SringHeader.RspEvent],
        ["blkif_sring.entry", Blkif.EntrySize],
        ["BLK_RING_SIZE", Blkif.RingSize],
        ["xsd_sockmsg.size", XsdSockmsg.Size],
        ["xsd_sockmsg.type", XsdSockmsg.Type],
        ["xsd_sockmsg.req_id", XsdSockmsg.ReqId],
        ["xsd_sockmsg.tx_id", XsdSockmsg.TxId],
        ["xsd_sockmsg.len", XsdSockmsg.Len],
        ["XENSTORE_RING_SIZE", XenstoreDomainInterface.RingSize],
        ["XENSTORE_PAYLOAD_MAX", XsdSockmsg.PayloadMax],
        ["XENSTORE_ABS_PATH_MAX", XsdSockmsg.AbsPathMax],
        ["XENSTORE_REL_PATH_MAX", XsdSockmsg.RelPathMax],
        ["xenstore_domain_interface.req", XenstoreDomainInterface.Req],
        ["xenstore_domain_interface.rsp", XenstoreDomainInterface.Rsp],
        ["xenstore_domain_interface.req_cons", XenstoreDomainInterface.ReqCons],
        ["xenstore_domain_interface.req_prod", XenstoreDomainInterface.ReqProd],
        ["xenstore_domain_interface.rsp_cons", XenstoreDomainInterface.RspCons],
        ["xenstore_domain_interface.rsp_prod", XenstoreDomainInterface.RspProd],
        ["xenstore_domain_interface.server_features", XenstoreDomainInterface.ServerFeatures],
        ["xenstore_domain_interface.connection", XenstoreDomainInterface.Connection],
        ["xenstore_domain_interface.error", XenstoreDomainInterface.Error],
        ["XENSTORE_SERVER_FEATURE_ERROR", XenstoreDomainInterface.XENSTORE_SERVER_FEATURE_ERROR],
        ["xencons_interface.size", XenconsInterface.Size],
        ["xencons_interface.in", XenconsInterface.In],
        ["xencons_interface.out", XenconsInterface.Out],
        ["xencons_interface.in_size", XenconsInterface.InSize],
        ["xencons_interface.out_size", XenconsInterface.OutSize],
        ["xencons_interface.in_cons", XenconsInterface.InCons],
        ["xencons_interface.in_prod", XenconsInterface.InProd],
        ["xencons_interface.out_cons", XenconsInterface.OutCons],
        ["xencons_interface.out_prod", XenconsInterface.OutProd],
        ["grant_entry_v1.size", GrantEntryV1.Size],
        ["grant_entry_v1.flags", GrantEntryV1.Flags],
        ["grant_entry_v1.domid", GrantEntryV1.DomId],
        ["grant_entry_v1.frame", GrantEntryV1.Frame],
        ["GTF_permit_access", GrantEntryV1.GTF_permit_access],
        ["GTF_type_mask", GrantEntryV1.GTF_type_mask],
        ["GTF_readonly", GrantEntryV1.GTF_readonly],
        ["GTF_reading", GrantEntryV1.GTF_reading],
        ["GTF_writing", GrantEntryV1.GTF_writing],
        ["GNTTAB_NR_RESERVED_ENTRIES", GrantEntryV1.NrReservedEntries],
        ["shared_info.vcpu_info", SharedInfo.VcpuInfo],
        ["shared_info.evtchn_pending", SharedInfo.EvtchnPending],
        ["shared_info.evtchn_mask", SharedInfo.EvtchnMask],
        ["shared_info.wc_version", SharedInfo.WcVersion],
        ["shared_info.wc_sec", SharedInfo.WcSec],
        ["shared_info.wc_nsec", SharedInfo.WcNsec],
        ["shared_info.wc_sec_hi", SharedInfo.WcSecHi],
        ["EVTCHN_2L_NR_CHANNELS", SharedInfo.EventChannels],
        ["vcpu_info.size", VcpuInfo.Size],
        ["vcpu_info.evtchn_upcall_pending", VcpuInfo.EvtchnUpcallPending],
        ["vcpu_info.evtchn_upcall_mask", VcpuInfo.EvtchnUpcallMask],
        ["vcpu_info.evtchn_pending_sel", VcpuInfo.EvtchnPendingSel],
        ["vcpu_info.time", VcpuInfo.Time],
        ["vcpu_time_info.version", VcpuTimeInfo.Version],
        ["vcpu_time_info.tsc_timestamp", VcpuTimeInfo.TscTimestamp],
        ["vcpu_time_info.system_time", VcpuTimeInfo.SystemTime],
        ["vcpu_time_info.tsc_to_system_mul", VcpuTimeInfo.TscToSystemMul],
        ["vcpu_time_info.tsc_shift", VcpuTimeInfo.TscShift],
        ["VIRQ_TIMER", Virq.VIRQ_TIMER],
        ["XenbusStateUnknown", XenbusState.Unknown],
        ["XenbusStateInitialising", XenbusState.Initialising],
        ["XenbusStateInitWait", XenbusState.InitWait],
        ["XenbusStateInitialised", XenbusState.Initialised],
        ["XenbusStateConnected", XenbusState.Connected],
        ["XenbusStateClosing", XenbusState.Closing],
        ["XenbusStateClosed", XenbusState.Closed],
        ["XS_CONTROL", XsdSockmsg.XS_CONTROL],
        ["XS_DIRECTORY", XsdSockmsg.XS_DIRECTORY],
        ["XS_READ", XsdSockmsg.XS_READ],
        ["XS_GET_PERMS", XsdSockmsg.XS_GET_PERMS],
        ["XS_WATCH", XsdSockmsg.XS_WATCH],
        ["XS_UNWATCH", XsdSockmsg.XS_UNWATCH],
        ["XS_TRANSACTION_START", XsdSockmsg.XS_TRANSACTION_START],
        ["XS_TRANSACTION_END", XsdSockmsg.XS_TRANSACTION_END],
        ["XS_INTRODUCE", XsdSockmsg.XS_INTRODUCE],
        ["XS_RELEASE", XsdSockmsg.XS_RELEASE],
        ["XS_GET_DOMAIN_PATH", XsdSockmsg.XS_GET_DOMAIN_PATH],
        ["XS_WRITE", XsdSockmsg.XS_WRITE],
        ["XS_MKDIR", XsdSockmsg.XS_MKDIR],
        ["XS_RM", XsdSockmsg.XS_RM],
        ["XS_SET_PERMS", XsdSockmsg.XS_SET_PERMS],
        ["XS_WATCH_EVENT", XsdSockmsg.XS_WATCH_EVENT],
        ["XS_ERROR", XsdSockmsg.XS_ERROR],
        ["XS_IS_DOMAIN_INTRODUCED", XsdSockmsg.XS_IS_DOMAIN_INTRODUCED],
        ["XS_RESUME", XsdSockmsg.XS_RESUME],
        ["XS_SET_TARGET", XsdSockmsg.XS_SET_TARGET],
        ["XS_RESET_WATCHES", XsdSockmsg.XS_RESET_WATCHES],
        ["XS_DIRECTORY_PART", XsdSockmsg.XS_DIRECTORY_PART],
        ["XS_TYPE_COUNT", XsdSockmsg.XS_TYPE_COUNT],
        ["xsd_errors.count", XsdSockmsg.Errors.Length],
    ];

    [Theory]
    [MemberData(nameof(Expected))]
    public void Layout_MatchesXenPublicHeaders(string name, long ours)
    {
        var (values, why) = s_c.Value;
        // xunit 2 has no dynamic skip: without the headers or gcc the test fails and says what to install.
        Assert.True(values is not null, why);
        Assert.True(values!.TryGetValue(name, out long theirs), "the C program printed no " + name);
        Assert.Equal(theirs, ours);
    }

    [Fact]
    public void XenstoreErrorStrings_AreXsdErrorsInHeaderOrder()
    {
        var (values, why) = s_c.Value;
        // xunit 2 has no dynamic skip: without the headers or gcc the test fails and says what to install.
        Assert.True(values is not null, why);
        for (int i = 0; i < XsdSockmsg.Errors.Length; i++)
            Assert.True(values!.ContainsKey("xsd_errors." + i + "." + XsdSockmsg.Errors[i]), "xsd_errors[" + i + "] is not " + XsdSockmsg.Errors[i]);
    }

    [Fact]
    public void BlkifRingSize_OnePage_Is32()
    {
        // __RING_SIZE rounds the entries that fit after the 64-byte header down to a power of two: 36 → 32.
        Assert.Equal(32, SringHeader.RingSize(Blkif.EntrySize));
        Assert.True(SringHeader.Ring + 36 * Blkif.EntrySize <= 4096 && SringHeader.Ring + 37 * Blkif.EntrySize > 4096);
        Assert.Equal(128, SringHeader.RingSize(Blkif.Response.Size));   // 252 → 128
    }

    private static (Dictionary<string, long>?, string) CompileAndRun()
    {
        const string header = "/usr/include/xen/io/blkif.h";
        if (!File.Exists(header))
            return (null, "Xen public headers missing (" + header + "): apt-get install libxen-dev (.ci/run does)");
        if (!Tools.Has("gcc"))
            return (null, "gcc missing: apt-get install gcc");
        var dir = Path.Combine(Path.GetTempPath(), "rump-xen-abi-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var source = Path.Combine(AppContext.BaseDirectory, "abi", "xen-abi.c");
            var exe = Path.Combine(dir, "xen-abi");
            var cc = Tools.Run("gcc", "-D__XEN_INTERFACE_VERSION__=__XEN_LATEST_INTERFACE_VERSION__ -Wall -o " + exe + " " + source);
            if (cc.Code != 0)
                throw new InvalidOperationException("gcc failed: " + cc.Err);
            var run = Tools.Run(exe, "");
            if (run.Code != 0)
                throw new InvalidOperationException("xen-abi failed: " + run.Err);
            var values = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var line in run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Split(' ');
                values[parts[0]] = long.Parse(parts[1], CultureInfo.InvariantCulture);
            }
            return (values, "");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
