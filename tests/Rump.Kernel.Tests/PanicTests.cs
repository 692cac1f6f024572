using System;
using System.Threading;
using Rump;
using Rump.Testing;

namespace Rump.Kernel.Tests;

public class PanicTests
{
    [Fact]
    public void Panic_InSystemCall_ReachesHostAsRumpKernelPanicException_WithTheMessage()
    {
        var console = new System.Collections.Generic.List<string>();
        using var probe = KernelProbe.Boot(new BootOptions { Console = console.Add });
        var panic = probe.Method("Kern.Kernel", "Panic", 1);

        var e = Assert.Throws<RumpKernelPanicException>(() =>
        {
            try
            {
                probe.InKernel(() => panic.Invoke(null, ["vnode 42 freed twice"]));
            }
            catch (Exception ex)
            {
                throw KernelProbe.Unwrap(ex);
            }
        });

        Assert.Equal("vnode 42 freed twice", e.PanicMessage);
        Assert.Contains("panic: vnode 42 freed twice", console);
        Assert.False(probe.Instance.IsRunning);
    }

    [Fact]
    public void Panic_LaterCallsThrowTheSame_HostAndOtherInstanceKeepRunning()
    {
        using var other = TestKernel.Boot(new BootOptions { HostName = "survivor" });
        using var probe = KernelProbe.Boot();
        Assert.ThrowsAny<Exception>(() => probe.InKernel(() => probe.Call("Kern.Kernel", "Panic", "lost the root vnode")));

        var later = Assert.Throws<RumpKernelPanicException>(() => probe.Instance.Sys.GetPid(out _));
        Assert.Equal("lost the root vnode", later.PanicMessage);
        var again = Assert.Throws<RumpKernelPanicException>(() => probe.Instance.Sys.GetHostName(new byte[64], out _));
        Assert.Equal("lost the root vnode", again.PanicMessage);

        Assert.Equal("survivor", BootTests.HostName(other));
        Assert.Equal(0, other.Sys.GetPid(out int pid));
        Assert.Equal(1, pid);
    }

    [Fact]
    public void Panic_InKernelThread_EndsTheInstance_NotTheHost()
    {
        using var probe = KernelProbe.Boot(new BootOptions { VirtualCpus = 2 });
        var panic = probe.Method("Kern.Kernel", "Panic", 1);
        var create = probe.Method("Kern.KThread", "Create", 5);
        probe.InKernel(() =>
        {
            var args = new object?[] { "panicker", (Action<object?>)(_ => panic.Invoke(null, ["kernel thread gave up"])), null, false, null };
            Assert.Equal(0, (int)create.Invoke(null, args)!);
        });
        for (int i = 0; i < 200 && probe.Instance.IsRunning; i++)
            Thread.Sleep(10);

        var e = Assert.Throws<RumpKernelPanicException>(() => probe.Instance.Sys.GetPid(out _));
        Assert.Contains("kernel thread gave up", e.PanicMessage);
    }

    [Fact]
    public void Panic_WakesThreadsBlockedInTheKernel()
    {
        using var probe = KernelProbe.Boot(new BootOptions { VirtualCpus = 2 });
        var m = probe.New("Kern.KMutex");
        var cv = probe.New("Kern.KCondVar");
        var wait = cv.GetType().GetMethod("Wait")!;
        Exception? waiterSaw = null;
        var waiter = new Thread(() =>
        {
            try
            {
                probe.InKernel(() =>
                {
                    KernelProbe.Bind<Action>(m, "Enter")();
                    wait.Invoke(cv, [m]); // never signalled
                });
            }
            catch (Exception e)
            {
                waiterSaw = KernelProbe.Unwrap(e);
            }
        });
        waiter.Start();
        Thread.Sleep(100);
        Assert.ThrowsAny<Exception>(() => probe.InKernel(() => probe.Call("Kern.Kernel", "Panic", "deadlock detector fired")));
        Assert.True(waiter.Join(TimeSpan.FromSeconds(10)), "a thread blocked in cv_wait stayed blocked after the panic");
        Assert.IsType<RumpKernelPanicException>(waiterSaw);
    }
}
