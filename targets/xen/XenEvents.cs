using System;
using System.Threading;
using Rump.Kern;
using Rump.Target.Xen.Abi;
using Rump.Xen;

namespace Rump.Target.Xen;

/// <summary>
/// Event channels, guest side (2-level ABI): the upcall thread blocks in SCHEDOP_block, then scans
/// evtchn_upcall_pending → evtchn_pending_sel → evtchn_pending &amp; ~evtchn_mask in shared info and runs
/// each pending port's handler. Handlers run like interrupt handlers: short, never blocking (they wake
/// the thread that does the work).
/// </summary>
internal static class XenEvents
{
    private static IXenHypervisorPort s_port = null!;
    private static Memory<byte> s_sharedInfo;
    private static readonly Action?[] s_handlers = new Action?[SharedInfo.EventChannels];
    private static Thread? s_thread;
    private static volatile bool s_stop;

    public static Memory<byte> SharedInfoPage => s_sharedInfo;

    public static int Start(IXenHypervisorPort port)
    {
        s_port = port;
        Array.Clear(s_handlers);
        int error = port.MapFrame(port.StartInfo.SharedInfoFrame, out s_sharedInfo);
        if (error != 0)
            return error;
        s_stop = false;
        s_thread = new Thread(Run) { IsBackground = true, Name = "xen: upcall" };
        s_thread.Start();
        return 0;
    }

    /// <summary>Installs <paramref name="handler"/> for <paramref name="port"/> and unmasks it.</summary>
    public static void Bind(uint port, Action handler)
    {
        Volatile.Write(ref s_handlers[port], handler);
        var si = s_sharedInfo.Span;
        Shared.TestAndClearBit(si, SharedInfo.EvtchnMask + (int)(port / 64) * 8, (int)(port % 64));
        s_port.EventChannelUnmask(port);
    }

    /// <summary>Masks the port, drops its handler and closes it.</summary>
    public static void Unbind(uint port)
    {
        var si = s_sharedInfo.Span;
        Shared.TestAndSetBit(si, SharedInfo.EvtchnMask + (int)(port / 64) * 8, (int)(port % 64));
        Volatile.Write(ref s_handlers[port], null);
        s_port.EventChannelClose(port);
    }

    public static void Notify(uint port) => s_port.EventChannelSend(port);

    /// <summary>Stops the upcall thread (the domain is shutting down: SCHEDOP_block returns).</summary>
    public static void Stop()
    {
        s_stop = true;
        var t = s_thread;
        if (t is not null && t != Thread.CurrentThread)
            t.Join(TimeSpan.FromSeconds(5));
        s_thread = null;
    }

    public static void RequestStop() => s_stop = true;

    private static void Run()
    {
        while (!s_stop)
        {
            s_port.Block();
            if (s_stop)
                return;
            Dispatch();
        }
    }

    private static void Dispatch()
    {
        var si = s_sharedInfo;
        int upcall = SharedInfo.VcpuInfo + VcpuInfo.EvtchnUpcallPending;
        while (Volatile.Read(ref si.Span[upcall]) != 0)
        {
            Volatile.Write(ref si.Span[upcall], (byte)0);
            ulong sel = Interlocked.Exchange(ref Shared.U64(si.Span, SharedInfo.VcpuInfo + VcpuInfo.EvtchnPendingSel), 0UL);
            while (sel != 0)
            {
                int word = System.Numerics.BitOperations.TrailingZeroCount(sel);
                sel &= sel - 1;
                int pendingOffset = SharedInfo.EvtchnPending + word * 8;
                ulong pending = Volatile.Read(ref Shared.U64(si.Span, pendingOffset)) & ~Volatile.Read(ref Shared.U64(si.Span, SharedInfo.EvtchnMask + word * 8));
                while (pending != 0)
                {
                    int bit = System.Numerics.BitOperations.TrailingZeroCount(pending);
                    pending &= pending - 1;
                    // Clear before handling: an event raised while the handler runs is not lost.
                    Shared.TestAndClearBit(si.Span, pendingOffset, bit);
                    var handler = Volatile.Read(ref s_handlers[word * 64 + bit]);
                    try
                    {
                        handler?.Invoke();
                    }
                    catch (Exception e)
                    {
                        HypercallUpcalls.KernelCodeFailed("xen event channel " + (word * 64 + bit), e);
                    }
                }
            }
        }
    }
}
