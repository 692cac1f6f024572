using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using Rump;
using Rump.Testing;

namespace Rump.Kernel.Tests;

public class BootTests
{
    [Fact]
    public void Boot_FromAbstractionsOnlyHost_PrintsBannerNamingKernelTargetVintageAndInterface()
    {
        var console = new List<string>();
        using var kernel = TestKernel.Boot(new BootOptions { VirtualCpus = 2, MemoryLimit = 64L << 20, Console = console.Add });

        Assert.True(kernel.IsRunning);
        Assert.StartsWith("Rump.Build kernel Rump.Kernel.Posix (target posix, vintage ", kernel.Banner);
        Assert.Contains("hypercall interface v1), 2 virtual CPUs, 64 MiB memory limit", kernel.Banner);
        Assert.Contains(kernel.Info.Vintage.Ref, kernel.Banner);
        Assert.Equal(kernel.Banner, console.Last());
        Assert.Equal("posix", kernel.Info.Target);
        Assert.Equal(1, kernel.Info.HypercallVersion);
    }

    [Fact]
    public void Boot_NoMemoryLimit_BannerSaysSo()
    {
        using var kernel = TestKernel.Boot();
        Assert.EndsWith("1 virtual CPU, no memory limit", kernel.Banner);
    }

    [Fact]
    public void Syscall_GetPidAndGetUid_RunAsProc1Root()
    {
        using var kernel = TestKernel.Boot();
        Assert.Equal(0, kernel.Sys.GetPid(out int pid));
        Assert.Equal(1, pid);
        Assert.Equal(0, kernel.Sys.GetUid(out int uid));
        Assert.Equal(0, uid);
    }

    [Fact]
    public void Syscall_GetHostName_ReturnsBootOptionHostName()
    {
        using var kernel = TestKernel.Boot(new BootOptions { HostName = "kernel-one" });
        Assert.Equal("kernel-one", HostName(kernel));
    }

    [Fact]
    public void Syscall_GetHostName_BufferTooSmall_ReturnsENAMETOOLONGWithNeededLength()
    {
        using var kernel = TestKernel.Boot(new BootOptions { HostName = "a-long-host-name" });
        Span<byte> small = stackalloc byte[4];
        Assert.Equal((int)Errno.ENAMETOOLONG, kernel.Sys.GetHostName(small, out int length));
        Assert.Equal(16, length);
    }

    [Fact]
    public void Boot_Parameters_ReachTheKernelAndOverrideTypedOptions()
    {
        var parameters = new Dictionary<string, string> { ["RUMP_HOSTNAME"] = "from-parameter", ["RUMP_NCPU"] = "3" };
        using var kernel = TestKernel.Boot(new BootOptions { HostName = "from-option", Parameters = parameters });
        Assert.Equal("from-parameter", HostName(kernel));
        Assert.Contains(", 3 virtual CPUs,", kernel.Banner);
    }

    [Fact]
    public void Boot_BadNumericParameter_FailsWithClearMessage()
    {
        var parameters = new Dictionary<string, string> { ["RUMP_NCPU"] = "many" };
        var e = Assert.Throws<ArgumentException>(() => TestKernel.Boot(new BootOptions { Parameters = parameters }));
        Assert.Contains("RUMP_NCPU=many", e.Message);
    }

    [Fact]
    public void Boot_ZeroVirtualCpus_Refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TestKernel.Boot(new BootOptions { VirtualCpus = 0 }));
    }

    [Fact]
    public void Boot_Verbose_LogsEachInitLevel_QuietBootDoesNot()
    {
        var verbose = new List<string>();
        using (TestKernel.Boot(new BootOptions { Verbose = true, Console = verbose.Add }))
        {
        }
        Assert.Contains("rump: init level Kern", verbose);
        Assert.Contains("rump: init level Syscall", verbose);
        Assert.True(verbose.IndexOf("rump: init level Kern") < verbose.IndexOf("rump: init level Vfs"));

        var quiet = new List<string>();
        using (TestKernel.Boot(new BootOptions { Console = quiet.Add }))
        {
        }
        Assert.DoesNotContain(quiet, l => l.StartsWith("rump: init level", StringComparison.Ordinal));
        Assert.Single(quiet, l => l.StartsWith("Rump.Build kernel", StringComparison.Ordinal));
    }

    [Fact]
    public void Boot_Refused_LeavesTheContextBootable()
    {
        var loader = RumpKernelLoader.Load(TestKernel.KernelPath());
        Assert.Throws<ArgumentOutOfRangeException>(() => loader.Factory.Boot(new BootOptions { VirtualCpus = 0 }));
        Assert.Throws<ArgumentException>(() => loader.Factory.Boot(new BootOptions { Parameters = new Dictionary<string, string> { ["RUMP_MEMLIMIT"] = "lots" } }));
        var kernel = loader.Factory.Boot(new BootOptions { HostName = "third-time" });
        Assert.Equal("third-time", HostName(kernel));
        kernel.Shutdown();
        loader.Unload();
    }

    [Fact]
    public void PosixTarget_RefusesAnotherInterfaceVersion_AndUnknownParameters()
    {
        using var probe = KernelProbe.Boot();
        Assert.Equal((int)Errno.ENOTSUP, (int)probe.Call("Target.Posix.PosixHypercalls", "Init", 2, "other")!);
        var args = new object?[] { "RUMP_NO_SUCH_PARAMETER", null };
        Assert.Equal((int)Errno.ENOENT, (int)probe.Call("Target.Common.SharedHypercalls", "GetParam", args)!);
        Assert.Equal("", args[1]);
    }

    [Fact]
    public void TwoInstances_SideBySide_HaveTheirOwnState()
    {
        using var one = TestKernel.Boot(new BootOptions { HostName = "one", VirtualCpus = 1 });
        using var two = TestKernel.Boot(new BootOptions { HostName = "two", VirtualCpus = 4 });
        Assert.Equal("one", HostName(one));
        Assert.Equal("two", HostName(two));
        Assert.Contains("1 virtual CPU,", one.Banner);
        Assert.Contains("4 virtual CPUs,", two.Banner);
        one.Shutdown();
        Assert.False(one.IsRunning);
        Assert.True(two.IsRunning);
        Assert.Equal("two", HostName(two));
    }

    [Fact]
    public void Shutdown_UnloadsTheLoadContext()
    {
        var weak = BootAndShutdown();
        for (int i = 0; weak.IsAlive && i < 50; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(weak.IsAlive, "the kernel's load context is still alive after shutdown");
    }

    [Fact]
    public void Shutdown_IsIdempotent_AndLaterCallsFailClearly()
    {
        var kernel = TestKernel.Boot();
        kernel.Shutdown();
        kernel.Shutdown();
        Assert.False(kernel.IsRunning);
        Assert.Throws<ObjectDisposedException>(() => kernel.Sys.GetPid(out _));
    }

    [Fact]
    public void Shutdown_RunsShutdownHooksInReverseOrder_StopsThreadsAndReleasesHostResources()
    {
        using var probe = KernelProbe.Boot(new BootOptions { VirtualCpus = 2 });
        var order = new List<string>();
        var add = probe.Method("Kern.Kernel", "AddShutdownHook", 1);
        add.Invoke(null, [(Action)(() => order.Add("first"))]);
        add.Invoke(null, [(Action)(() => order.Add("second"))]);
        var path = System.IO.Path.GetTempFileName();
        try
        {
            var open = new object?[] { path, 2, null };
            Assert.Equal(0, probe.InKernel(() => (int)probe.Method("Kern.Hyp", "Open", 3).Invoke(null, open)!));
            Assert.Equal(1, (int)probe.Get("Target.Posix.PosixFiles", "OpenCount")!);
            Assert.True((int)probe.Get("Target.Common.SharedHypercalls", "LiveThreads")! >= 1); // softclock

            probe.Loader.Factory.GetType(); // keep the loader reachable until here
            probe.Instance.Shutdown();

            Assert.Equal(["second", "first"], order);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Fact]
    public void Shutdown_NoHostThreadOrHandleLeft()
    {
        var loader = RumpKernelLoader.Load(TestKernel.KernelPath());
        var factory = loader.Factory;
        var kernel = factory.Boot(new BootOptions { VirtualCpus = 2 });
        var asm = factory.GetType().Assembly;
        var hyp = asm.GetType("Rump.Target.Common.SharedHypercalls") ?? asm.GetType("RumpNs.Target.Common.SharedHypercalls")!;
        var files = asm.GetType("Rump.Target.Posix.PosixFiles") ?? asm.GetType("RumpNs.Target.Posix.PosixFiles")!;
        kernel.Shutdown();
        Assert.Equal(0, (int)hyp.GetProperty("LiveThreads", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null)!);
        Assert.Equal(0, (int)files.GetProperty("OpenCount", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)!.GetValue(null)!);
        loader.Unload();
    }

    [Fact]
    public void WarmBoot_SameLoadContextBootsAgainAfterShutdown()
    {
        var loader = RumpKernelLoader.Load(TestKernel.KernelPath());
        var first = loader.Factory.Boot(new BootOptions { HostName = "first" });
        Assert.Equal(0, first.Sys.Mkdir("/warm", 0x1ED));
        first.Shutdown();
        var second = loader.Factory.Boot(new BootOptions { HostName = "second", VirtualCpus = 2 });
        Assert.Equal("second", HostName(second));
        Assert.Contains("2 virtual CPUs", second.Banner);
        // The second instance starts from a fresh root file system, device tables and mounts.
        Assert.Equal((int)Errno.ENOENT, second.Sys.Stat("/warm", out _));
        Assert.Equal(0, second.Sys.Mkdir("/warm", 0x1ED));
        Assert.Equal(0, second.Sys.Mount("tmpfs", "/warm", 0, "tmpfs", ""));
        Assert.Equal(0, second.Sys.Open("/warm/f", OpenFlags.O_CREAT | OpenFlags.O_RDWR, 0x1A4, out var fd));
        Assert.Equal(0, second.Sys.Close(fd));
        Assert.Equal(0, second.Sys.Stat("/dev/zero", out _));
        second.Shutdown();
        loader.Unload();
    }

    [Fact]
    public void Boot_Twice_WithoutShutdown_IsRefused_AndKeepsTheRunningInstancesConsole()
    {
        var first = new List<string>();
        var second = new List<string>();
        using var probe = KernelProbe.Boot(new BootOptions { Console = first.Add });
        Assert.Throws<InvalidOperationException>(() => probe.Loader.Factory.Boot(new BootOptions { Console = second.Add }));
        probe.InKernel(() => probe.Call("Kern.KernelLog", "Printf", "still here"));
        Assert.Contains("still here", first);
        Assert.Empty(second);
        Assert.True(probe.Instance.IsRunning);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference BootAndShutdown()
    {
        var loader = RumpKernelLoader.Load(TestKernel.KernelPath());
        var weak = loader.ContextWeakReference();
        var kernel = loader.BootInstance(new BootOptions { VirtualCpus = 2 });
        Assert.Equal(0, kernel.Sys.GetPid(out _));
        kernel.Shutdown();
        return weak;
    }

    internal static string HostName(IRumpKernel kernel)
    {
        Span<byte> buffer = stackalloc byte[256];
        Assert.Equal(0, kernel.Sys.GetHostName(buffer, out int length));
        return Encoding.UTF8.GetString(buffer.Slice(0, length));
    }
}
