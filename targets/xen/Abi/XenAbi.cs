using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace Rump.Target.Xen.Abi;

// The Xen public ABI (x86_64) as offsets into shared pages: one class per C structure, field names
// as in xen/io/*.h. This file is compiled into the xen kernel (targets/xen), the software hypervisor
// (hosts/Rump.Xen.Host) and the ABI test, which checks every number against gcc and the Xen headers.
// Nothing here touches the kernel: only spans, atomics and constants.

/// <summary>Size of a machine frame (x86 PAGE_SIZE).</summary>
internal static class XenPage
{
    public const int Size = 4096;
    public const int SectorSize = 512;           // blkif sector_number / first_sect units
    public const int SectorsPerPage = Size / SectorSize;
}

/// <summary>Loads, stores and atomics on little-endian fields of a shared page.</summary>
internal static class Shared
{
    public static ref uint U32(Span<byte> page, int offset) => ref Unsafe.As<byte, uint>(ref page[offset]);
    public static ref ulong U64(Span<byte> page, int offset) => ref Unsafe.As<byte, ulong>(ref page[offset]);
    public static ref ushort U16(Span<byte> page, int offset) => ref Unsafe.As<byte, ushort>(ref page[offset]);

    public static uint ReadU32(Span<byte> page, int offset) => Volatile.Read(ref U32(page, offset));
    public static void WriteU32(Span<byte> page, int offset, uint value) => Volatile.Write(ref U32(page, offset), value);

    /// <summary>Atomically sets bit <paramref name="bit"/> of the 64-bit word at <paramref name="offset"/>; true when it was set already.</summary>
    public static bool TestAndSetBit(Span<byte> page, int offset, int bit)
    {
        ulong mask = 1UL << bit;
        return (Interlocked.Or(ref U64(page, offset), mask) & mask) != 0;
    }

    /// <summary>Atomically clears bit <paramref name="bit"/>; true when it was set.</summary>
    public static bool TestAndClearBit(Span<byte> page, int offset, int bit)
    {
        ulong mask = 1UL << bit;
        return (Interlocked.And(ref U64(page, offset), ~mask) & mask) != 0;
    }

    public static bool TestBit(Span<byte> page, int offset, int bit) => (Volatile.Read(ref U64(page, offset)) & (1UL << bit)) != 0;
}

/// <summary>struct shared_info (xen/xen.h) with one struct vcpu_info (vcpu 0) and the 2-level event channel bitmaps.</summary>
internal static class SharedInfo
{
    public const int VcpuInfo = 0;               // struct vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS]
    public const int EvtchnPending = 2048;       // unsigned long evtchn_pending[64]
    public const int EvtchnMask = 2560;          // unsigned long evtchn_mask[64]
    public const int WcVersion = 3072;
    public const int WcSec = 3076;
    public const int WcNsec = 3080;
    public const int WcSecHi = 3084;
    public const int EventChannels = 64 * 64;    // 2-level ABI: 4096 ports on x86_64
}

/// <summary>struct vcpu_info.</summary>
internal static class VcpuInfo
{
    public const int Size = 64;
    public const int EvtchnUpcallPending = 0;    // uint8_t
    public const int EvtchnUpcallMask = 1;       // uint8_t
    public const int EvtchnPendingSel = 8;       // xen_ulong_t
    public const int Time = 32;                  // struct vcpu_time_info
}

/// <summary>struct vcpu_time_info: system time = system_time + ((tsc - tsc_timestamp) scaled by mul/shift).</summary>
internal static class VcpuTimeInfo
{
    public const int Version = 0;                // uint32_t, odd while the hypervisor updates the record
    public const int TscTimestamp = 8;           // uint64_t
    public const int SystemTime = 16;            // uint64_t, nanoseconds since the hypervisor started
    public const int TscToSystemMul = 24;        // uint32_t
    public const int TscShift = 28;              // int8_t

    /// <summary>Nanoseconds for a TSC delta: ((delta shifted by shift) * mul) >> 32, as Xen's pvclock does.</summary>
    public static ulong Scale(ulong delta, uint mul, sbyte shift)
    {
        if (shift < 0)
            delta >>= -shift;
        else
            delta <<= shift;
        ulong hi = Math.BigMul(delta, mul, out ulong lo);
        return (hi << 32) | (lo >> 32);
    }
}

/// <summary>struct grant_entry_v1 (xen/grant_table.h).</summary>
internal static class GrantEntryV1
{
    public const int Size = 8;
    public const int Flags = 0;                  // uint16_t GTF_*
    public const int DomId = 2;                  // domid_t
    public const int Frame = 4;                  // uint32_t
    public const ushort GTF_permit_access = 1;
    public const ushort GTF_type_mask = 3;
    public const ushort GTF_readonly = 1 << 2;
    public const ushort GTF_reading = 1 << 3;
    public const ushort GTF_writing = 1 << 4;
    public const int EntriesPerFrame = XenPage.Size / Size;
    public const int NrReservedEntries = 8;      // GNTTAB_NR_RESERVED_ENTRIES
}

/// <summary>struct xencons_interface (xen/io/console.h).</summary>
internal static class XenconsInterface
{
    public const int Size = 3088;
    public const int In = 0;
    public const int InSize = 1024;
    public const int Out = 1024;
    public const int OutSize = 2048;
    public const int InCons = 3072;
    public const int InProd = 3076;
    public const int OutCons = 3080;
    public const int OutProd = 3084;
}

/// <summary>struct xenstore_domain_interface (xen/io/xs_wire.h).</summary>
internal static class XenstoreDomainInterface
{
    public const int RingSize = 1024;            // XENSTORE_RING_SIZE
    public const int Req = 0;
    public const int Rsp = 1024;
    public const int ReqCons = 2048;
    public const int ReqProd = 2052;
    public const int RspCons = 2056;
    public const int RspProd = 2060;
    public const int ServerFeatures = 2064;
    public const int Connection = 2068;
    public const int Error = 2072;
    public const uint XENSTORE_SERVER_FEATURE_RECONNECTION = 1;
    public const uint XENSTORE_SERVER_FEATURE_ERROR = 2;
}

/// <summary>struct xsd_sockmsg and the XS_* message types (xen/io/xs_wire.h).</summary>
internal static class XsdSockmsg
{
    public const int Size = 16;
    public const int Type = 0;
    public const int ReqId = 4;
    public const int TxId = 8;
    public const int Len = 12;
    public const int PayloadMax = 4096;          // XENSTORE_PAYLOAD_MAX
    public const int AbsPathMax = 3072;          // XENSTORE_ABS_PATH_MAX
    public const int RelPathMax = 2048;          // XENSTORE_REL_PATH_MAX

    public const uint XS_CONTROL = 0, XS_DIRECTORY = 1, XS_READ = 2, XS_GET_PERMS = 3, XS_WATCH = 4, XS_UNWATCH = 5,
        XS_TRANSACTION_START = 6, XS_TRANSACTION_END = 7, XS_INTRODUCE = 8, XS_RELEASE = 9, XS_GET_DOMAIN_PATH = 10,
        XS_WRITE = 11, XS_MKDIR = 12, XS_RM = 13, XS_SET_PERMS = 14, XS_WATCH_EVENT = 15, XS_ERROR = 16,
        XS_IS_DOMAIN_INTRODUCED = 17, XS_RESUME = 18, XS_SET_TARGET = 19, XS_RESET_WATCHES = 21, XS_DIRECTORY_PART = 22,
        XS_TYPE_COUNT = 23;

    /// <summary>xsd_errors[] in header order: the error strings XS_ERROR replies carry.</summary>
    public static readonly string[] Errors =
        ["EINVAL", "EACCES", "EEXIST", "EISDIR", "ENOENT", "ENOMEM", "ENOSPC", "EIO", "ENOTEMPTY", "ENOSYS", "EROFS", "EBUSY", "EAGAIN", "EISCONN", "E2BIG", "EPERM"];

    public static void WriteHeader(Span<byte> dest, uint type, uint reqId, uint txId, uint len)
    {
        MemoryMarshal.Write(dest.Slice(Type), in type);
        MemoryMarshal.Write(dest.Slice(ReqId), in reqId);
        MemoryMarshal.Write(dest.Slice(TxId), in txId);
        MemoryMarshal.Write(dest.Slice(Len), in len);
    }

    public static void ReadHeader(ReadOnlySpan<byte> src, out uint type, out uint reqId, out uint txId, out uint len)
    {
        type = MemoryMarshal.Read<uint>(src.Slice(Type));
        reqId = MemoryMarshal.Read<uint>(src.Slice(ReqId));
        txId = MemoryMarshal.Read<uint>(src.Slice(TxId));
        len = MemoryMarshal.Read<uint>(src.Slice(Len));
    }
}

/// <summary>The shared ring header of xen/io/ring.h (DEFINE_RING_TYPES), for one-page rings.</summary>
internal static class SringHeader
{
    public const int ReqProd = 0;
    public const int ReqEvent = 4;
    public const int RspProd = 8;
    public const int RspEvent = 12;
    public const int Ring = 64;                  // after pvt and __pad[44]

    /// <summary>__RING_SIZE: entries in one page, rounded down to a power of two.</summary>
    public static int RingSize(int entrySize)
    {
        int n = (XenPage.Size - Ring) / entrySize;
        int p = 1;
        while (p * 2 <= n)
            p *= 2;
        return p;
    }

    /// <summary>RING_PUSH_*_AND_CHECK_NOTIFY: the other side wants an event when its event index lies in (old, new].</summary>
    public static bool NeedsNotify(uint oldProd, uint newProd, uint eventIndex)
        => unchecked(newProd - eventIndex) < unchecked(newProd - oldProd);
}

/// <summary>blkif (xen/io/blkif.h): requests, responses, operations and status codes.</summary>
internal static class Blkif
{
    public const byte BLKIF_OP_READ = 0, BLKIF_OP_WRITE = 1, BLKIF_OP_WRITE_BARRIER = 2, BLKIF_OP_FLUSH_DISKCACHE = 3;
    public const short BLKIF_RSP_OKAY = 0, BLKIF_RSP_ERROR = -1, BLKIF_RSP_EOPNOTSUPP = -2;
    public const int BLKIF_MAX_SEGMENTS_PER_REQUEST = 11;
    public const int VDISK_CDROM = 1, VDISK_REMOVABLE = 2, VDISK_READONLY = 4;
    public const int EntrySize = 112;            // union blkif_sring_entry
    public static readonly int RingSize = SringHeader.RingSize(EntrySize);   // 32

    /// <summary>struct blkif_request.</summary>
    public static class Request
    {
        public const int Size = 112;
        public const int Operation = 0;          // uint8_t
        public const int NrSegments = 1;         // uint8_t
        public const int Handle = 2;             // blkif_vdev_t (uint16_t)
        public const int Id = 8;                 // uint64_t
        public const int SectorNumber = 16;      // blkif_sector_t (uint64_t)
        public const int Seg = 24;               // struct blkif_request_segment[11]
    }

    /// <summary>struct blkif_request_segment.</summary>
    public static class Segment
    {
        public const int Size = 8;
        public const int Gref = 0;               // grant_ref_t
        public const int FirstSect = 4;          // uint8_t
        public const int LastSect = 5;           // uint8_t
    }

    /// <summary>struct blkif_response.</summary>
    public static class Response
    {
        public const int Size = 16;
        public const int Id = 0;                 // uint64_t
        public const int Operation = 8;          // uint8_t
        public const int Status = 10;            // int16_t
    }

    public static int EntryOffset(uint index) => SringHeader.Ring + (int)(index & (uint)(RingSize - 1)) * EntrySize;
}

/// <summary>enum xenbus_state (xen/io/xenbus.h).</summary>
internal static class XenbusState
{
    public const int Unknown = 0, Initialising = 1, InitWait = 2, Initialised = 3, Connected = 4, Closing = 5, Closed = 6,
        Reconfiguring = 7, Reconfigured = 8;
}

/// <summary>Virtual interrupts (xen/xen.h).</summary>
internal static class Virq
{
    public const uint VIRQ_TIMER = 0;
}
