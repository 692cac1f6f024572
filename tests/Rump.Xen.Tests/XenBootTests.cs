using System;
using System.Linq;
using System.Reflection;
using Rump;
using Rump.Testing;
using Rump.Xen.Host;

namespace Rump.Xen.Tests;

public class XenBootTests
{
    [Fact]
    public void Boot_OnSoftwareHypervisor_BannerOnConsoleRingNamesTargetXen()
    {
        using var m = XenMachine.Boot();
        Assert.Equal("xen", m.Kernel.Info.Target);
        m.Domain.Console.Flush();
        var banner = Assert.Single(m.Domain.ConsoleLines, l => l.StartsWith("Rump.Build kernel", StringComparison.Ordinal));
        Assert.Contains("Rump.Kernel.Xen", banner);
        Assert.Contains("(target xen,", banner);
        Assert.Equal(m.Kernel.Banner, banner);
        Assert.Equal(0, m.Sys.GetPid(out int pid));
        Assert.Equal(1, pid);
        Assert.Empty(m.Hypervisor.BackendErrors);
    }

    [Fact]
    public void Boot_WithoutDomain_FailsWithClearError_AndTheKernelCanBootLater()
    {
        var loader = RumpKernelLoader.Load(TestKernel.KernelPath("xen"));
        try
        {
            var e = Assert.Throws<InvalidOperationException>(() => loader.Factory.Boot(new BootOptions()));
            Assert.Contains("BootOptions.Xen", e.Message);
            using var hv = new XenHypervisor(64L << 20);
            var domain = hv.CreateDomain(new XenDomainConfig());
            var kernel = loader.Factory.Boot(new BootOptions { Xen = domain.Port });
            Assert.True(kernel.IsRunning);
            kernel.Shutdown();
            Assert.Equal(XenShutdownReason.PowerOff, domain.ShutdownReason);
        }
        finally
        {
            loader.Unload();
        }
    }

    [Fact]
    public void Shutdown_DomainPowersOff_FramesReturnToTheMachine()
    {
        using var hv = new XenHypervisor(64L << 20);
        long before = hv.FramesInUse;
        var domain = hv.CreateDomain(new XenDomainConfig());
        Assert.True(hv.FramesInUse > before);
        var kernel = TestKernel.Boot(new BootOptions { Xen = domain.Port }, "xen");
        kernel.Dispose();
        Assert.Equal(XenShutdownReason.PowerOff, domain.ShutdownReason);
        Assert.True(domain.IsDestroyed);
        Assert.Equal(before, hv.FramesInUse);
        Assert.Null(hv.Store.Read(domain.HomePath + "/name"));
    }

    [Fact]
    public void Clock_FromSharedInfo_WallTimeMatchesHostAndSleepsEndOnTheTimerVirq()
    {
        using var m = XenMachine.Boot();
        // Wall time reaches the kernel's file times: a new directory on the root is stamped "now".
        Assert.Equal(0, m.Sys.Mkdir("/stamp", 0x1ED));
        Assert.Equal(0, m.Sys.Stat("/stamp", out var st));
        long host = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(st.MtimeSec, host - 2, host + 1);

        // The target's clock (vcpu_time_info) and a sleep that only the timer VIRQ can end.
        var clock = m.KernelType("Target.Xen.XenClock");
        var systemTime = clock.GetMethod("SystemTime", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!;
        var sleepUntil = clock.GetMethod("SleepUntil", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!;
        long t0 = (long)systemTime.Invoke(null, null)!;
        sleepUntil.Invoke(null, [t0 + 20_000_000]);
        long t1 = (long)systemTime.Invoke(null, null)!;
        Assert.True(t1 - t0 >= 20_000_000, "slept " + (t1 - t0) + " ns");
        Assert.True(t1 - t0 < 5_000_000_000, "slept " + (t1 - t0) + " ns");
    }
}
