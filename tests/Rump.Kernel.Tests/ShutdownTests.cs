using System;
using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Threading;
using Rump;
using Rump.Testing;

namespace Rump.Kernel.Tests;

/// <summary>
/// Shutdown stops every kernel activity before it returns: the syncer, the callout thread and kernel threads
/// are joined, so no kernel code runs once the host is told the instance is gone and its load context can be
/// unloaded. Also after a panic.
/// </summary>
public sealed class ShutdownTests
{
    private const BindingFlags Statics = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static;

    [Fact]
    public void Shutdown_WithTheSyncerBusy_RepeatedBootsJoinEveryThreadAndUnload()
    {
        var image = NewImage();
        try
        {
            for (int round = 0; round < 4; round++)
                AssertUnloads(BootTickShutdown(image, panic: false));
        }
        finally
        {
            File.Delete(image);
        }
    }

    [Fact]
    public void Shutdown_AfterAPanic_StopsTheCalloutThreadAndUnloads()
    {
        var image = NewImage();
        try
        {
            AssertUnloads(BootTickShutdown(image, panic: true));
        }
        finally
        {
            File.Delete(image);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Shutdown_WaitsForTheCalloutInProgress_AlsoAfterAPanic(bool panic)
    {
        AssertUnloads(ShutdownDuringCallout(panic));
    }

    /// <summary>
    /// A callout blocks on a host event (up to 2 s) when shutdown starts: shutdown must not return before the
    /// callout function has returned, whichever comes first in time.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference ShutdownDuringCallout(bool panic)
    {
        var probe = KernelProbe.Boot(new BootOptions { VirtualCpus = 2 });
        var weak = probe.Loader.ContextWeakReference();
        using var entered = new ManualResetEventSlim(false);
        using var release = new ManualResetEventSlim(false);
        int finished = 0;
        Action<object?> body = _ =>
        {
            entered.Set();
            release.Wait(TimeSpan.FromSeconds(2));
            Volatile.Write(ref finished, 1);
        };
        var callout = probe.New("Kern.Callout", body, null);
        probe.InKernel(() => probe.Method("Kern.Callout", "Schedule", 1).Invoke(callout, [0L]));
        Assert.True(entered.Wait(TimeSpan.FromSeconds(30)), "the callout did not run");
        if (panic)
            probe.Method("Kern.Kernel", "PanicNoThrow", 1).Invoke(null, ["test: panic while a callout runs"]);
        probe.Instance.Shutdown();
        Assert.Equal(1, Volatile.Read(ref finished));
        Assert.Equal(0, (int)probe.Get("Target.Common.SharedHypercalls", "LiveThreads")!);
        release.Set();
        return weak;
    }

    private static string NewImage()
    {
        var image = Path.GetTempFileName();
        File.WriteAllBytes(image, new byte[256 * 1024]);
        return image;
    }

    private static void AssertUnloads(WeakReference context)
    {
        for (int i = 0; context.IsAlive && i < 50; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(context.IsAlive, "the kernel's load context is still alive after shutdown");
    }

    /// <summary>
    /// Boots with a 2 ms syncer period and delayed writes waiting on a block device, waits until the syncer has
    /// ticked a few times, (panics,) shuts down, then checks that no host thread of the kernel is left and the
    /// syncer never ticks again.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference BootTickShutdown(string image, bool panic)
    {
        var loader = RumpKernelLoader.Load(TestKernel.KernelPath());
        var weak = loader.ContextWeakReference();
        var asm = loader.Factory.GetType().Assembly;
        Type Kernel(string name) => asm.GetType("RumpNs." + name) ?? asm.GetType("Rump." + name) ?? throw new InvalidOperationException(name);
        var syncer = Kernel("Vfs.Syncer");
        var ticks = syncer.GetField("s_ticks", Statics)!;
        syncer.GetField("Period", Statics)!.SetValue(null, 2_000_000L);

        var kernel = loader.BootInstance(new BootOptions { VirtualCpus = 2 });
        Kernel("Vfs.Bio").GetField("DelayedWriteAge", Statics)!.SetValue(null, 1_000_000L);
        var sys = kernel.Sys;
        Assert.Equal(0, sys.EtfsRegister("/dev/sync0", image, EtfsType.Block, 0, 0));
        Assert.Equal(0, sys.Open("/dev/sync0", OpenFlags.O_RDWR, 0, out var fd));
        for (int i = 0; i < 16; i++)
            Assert.Equal(0, sys.PWrite(fd, new byte[] { (byte)i, 1, 2, 3 }, i * 4096, out _));

        // The syncer runs on its own: wait (bounded) until it has ticked three times.
        var deadline = Environment.TickCount64 + 30_000;
        while ((int)ticks.GetValue(null)! < 3)
        {
            Assert.True(Environment.TickCount64 < deadline, "the syncer did not tick");
            Thread.Sleep(1);
        }

        if (panic)
        {
            Kernel("Kern.Kernel").GetMethod("PanicNoThrow", Statics)!.Invoke(null, ["test: panic with the syncer running"]);
            Assert.False(kernel.IsRunning);
        }
        var hyp = Kernel("Target.Common.SharedHypercalls");
        var liveThreads = hyp.GetProperty("LiveThreads", Statics)!;
        var kthreads = Kernel("Kern.KThread").GetProperty("Live", Statics)!;
        kernel.Shutdown();

        // Shutdown returned: every kernel thread ended and its host thread was joined.
        Assert.Equal(0, (int)liveThreads.GetValue(null)!);
        if (!panic)
            Assert.Equal(0, (int)kthreads.GetValue(null)!);
        int atShutdown = (int)ticks.GetValue(null)!;
        Thread.Sleep(20);   // ten syncer periods: a tick still scheduled would have run by now
        Assert.Equal(atShutdown, (int)ticks.GetValue(null)!);
        return weak;
    }
}
