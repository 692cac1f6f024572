using System;
using System.Collections.Generic;
using System.Threading;
using Rump.Target.Xen.Abi;
using Rump.Xen;


namespace Rump.Target.Xen;

using Errno = Rump.Kern.Errno;

/// <summary>The domain's own pages (start_info's frame list, less the two ring pages): what rings and I/O buffers live in.</summary>
internal static class XenPages
{
    // s_gate protects s_free.
    private static readonly object s_gate = new();
    private static readonly Stack<ulong> s_free = new();
    private static IXenHypervisorPort s_port = null!;

    public static void Start(IXenHypervisorPort port)
    {
        s_port = port;
        lock (s_gate)
        {
            s_free.Clear();
            var info = port.StartInfo;
            for (int i = info.Frames.Count - 1; i >= 0; i--)
            {
                var f = info.Frames[i];
                if (f != info.StoreFrame && f != info.ConsoleFrame)
                    s_free.Push(f);
            }
        }
    }

    public static int Allocate(out ulong frame, out Memory<byte> page)
    {
        page = default;
        lock (s_gate)
        {
            if (!s_free.TryPop(out frame))
                return Errno.ENOMEM;
        }
        if (s_port.MapFrame(frame, out page) != 0)
            return Errno.EFAULT;
        page.Span.Clear();
        return 0;
    }

    public static void Free(ulong frame)
    {
        lock (s_gate)
            s_free.Push(frame);
    }
}

/// <summary>Grant table v1, guest side: entries in the frames GNTTABOP_setup_table gave, one reference per granted page.</summary>
internal static class XenGrants
{
    private const int Frames = 4;
    private static Memory<byte>[] s_frames = [];
    // s_gate protects s_free.
    private static readonly object s_gate = new();
    private static readonly Stack<uint> s_free = new();

    public static int Start(IXenHypervisorPort port)
    {
        int error = port.GrantTableSetup(Frames, out var list);
        if (error != 0)
            return error;
        var frames = new Memory<byte>[list.Length];
        for (int i = 0; i < list.Length; i++)
        {
            error = port.MapFrame(list[i], out frames[i]);
            if (error != 0)
                return error;
            frames[i].Span.Clear();
        }
        s_frames = frames;
        lock (s_gate)
        {
            s_free.Clear();
            for (int r = list.Length * GrantEntryV1.EntriesPerFrame - 1; r >= GrantEntryV1.NrReservedEntries; r--)
                s_free.Push((uint)r);
        }
        return 0;
    }

    /// <summary>gnttab_grant_foreign_access: lets <paramref name="domid"/> map <paramref name="frame"/>.</summary>
    public static int GrantAccess(ushort domid, ulong frame, bool readOnly, out uint gref)
    {
        lock (s_gate)
        {
            if (!s_free.TryPop(out gref))
                return Errno.ENOSPC;
        }
        var table = Entry(gref, out int offset);
        Shared.U32(table, offset + GrantEntryV1.Frame) = (uint)frame;
        Shared.U16(table, offset + GrantEntryV1.DomId) = domid;
        Interlocked.MemoryBarrier();   // frame and domid before the flags that make the entry valid
        Volatile.Write(ref Shared.U16(table, offset + GrantEntryV1.Flags),
            (ushort)(GrantEntryV1.GTF_permit_access | (readOnly ? GrantEntryV1.GTF_readonly : 0)));
        return 0;
    }

    /// <summary>gnttab_end_foreign_access_ref: false while the other domain still has the page mapped.</summary>
    public static bool EndAccess(uint gref)
    {
        var table = Entry(gref, out int offset);
        ref uint word = ref Shared.U32(table, offset);
        while (true)
        {
            uint old = Volatile.Read(ref word);
            if ((old & (uint)(GrantEntryV1.GTF_reading | GrantEntryV1.GTF_writing)) != 0)
                return false;
            if (Interlocked.CompareExchange(ref word, old & 0xFFFF0000u, old) == old)
                break;
        }
        lock (s_gate)
            s_free.Push(gref);
        return true;
    }

    private static Span<byte> Entry(uint gref, out int offset)
    {
        offset = (int)(gref % GrantEntryV1.EntriesPerFrame) * GrantEntryV1.Size;
        return s_frames[gref / GrantEntryV1.EntriesPerFrame].Span;
    }
}
