using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Threading;

namespace Rump.Kern;

/// <summary>
/// The kernel instance: boot (rump_init), shutdown (rump_sys_reboot), panic, and the global state
/// every layer reads. One instance per load context; statics are per instance.
/// </summary>
internal static class Kernel
{
    internal const int StateOff = 0, StateBooting = 1, StateRunning = 2, StateStopping = 3, StateHalted = 4, StatePanicked = 5;

    /// <summary>How long shutdown waits for kernel threads to return.</summary>
    private const long ThreadStopTimeout = 5 * Clock.NanosecondsPerSecond;

    // s_state changes with atomic compare-and-swap only. s_panicMessage is written once, by the
    // thread that moves s_state to StatePanicked, before it publishes the state.
    private static int s_state;
    private static string? s_panicMessage;
    // 1 once a panicked instance's threads were stopped (StopAfterPanic runs once); reset at boot.
    private static int s_panicStopped;

    // s_hooksLock protects s_shutdownHooks. s_hostNameLock protects s_hostName.
    private static KMutex s_hooksLock = null!;
    private static List<Action> s_shutdownHooks = [];
    private static KMutex s_hostNameLock = null!;
    private static string s_hostName = "rump";

    /// <summary>proc0: the kernel's own process (kernel threads). Set at boot.</summary>
    public static Proc Proc0 { get; private set; } = null!;

    /// <summary>proc1: the process host system calls run in, with root credentials. Set at boot.</summary>
    public static Proc Proc1 { get; private set; } = null!;

    /// <summary>The boot banner.</summary>
    public static string Banner { get; private set; } = "";

    /// <summary>True while booting and running; false after shutdown started or a panic.</summary>
    public static bool IsRunning
    {
        get
        {
            int state = Volatile.Read(ref s_state);
            return state == StateRunning || state == StateBooting;
        }
    }

    public static bool Panicked => Volatile.Read(ref s_state) == StatePanicked;

    public static string? PanicMessage => Panicked ? s_panicMessage : null;

    internal static int State => Volatile.Read(ref s_state);

    /// <summary>The kernel's host name (hostname(1)).</summary>
    public static string HostName
    {
        get
        {
            s_hostNameLock.Enter();
            var name = s_hostName;
            s_hostNameLock.Exit();
            return name;
        }
    }

    /// <summary>
    /// panic(9): ends this instance. The console gets the message, the target releases the
    /// instance's host resources, and the caller unwinds to the system-call boundary, where the host
    /// receives <see cref="RumpKernelPanicException"/> (every later call throws the same).
    /// </summary>
    [DoesNotReturn]
    public static void Panic(string message)
    {
        PanicNoThrow(message);
        throw new RumpKernelPanicException(s_panicMessage ?? message);
    }

    /// <summary>Registers work for shutdown (e.g. syncing file systems); hooks run in reverse order of registration.</summary>
    public static void AddShutdownHook(Action hook)
    {
        s_hooksLock.Enter();
        s_shutdownHooks.Add(hook);
        s_hooksLock.Exit();
    }

    /// <summary>Marks the instance dead and tells the target, without unwinding the caller.</summary>
    internal static void PanicNoThrow(string message)
    {
        while (true)
        {
            int state = Volatile.Read(ref s_state);
            if (state == StatePanicked || state == StateHalted || state == StateOff)
                return;
            s_panicMessage = message;
            if (Interlocked.CompareExchange(ref s_state, StatePanicked, state) == state)
                break;
        }
        Hyp.ConsoleWrite("panic: " + message);
        Hyp.Exit(Hyp.EXIT_PANIC);
    }

    internal static void ThrowIfPanicked()
    {
        if (Volatile.Read(ref s_state) == StatePanicked)
            throw new RumpKernelPanicException(s_panicMessage ?? "");
    }

    [DoesNotReturn]
    internal static void ThrowNotRunning()
    {
        ThrowIfPanicked();
        throw new ObjectDisposedException("kernel", "the rump kernel is not running (it was shut down)");
    }

    /// <summary>
    /// rump_init: the target's host options, version check, target init, memory limit, CPUs, proc0/lwp0, clock and callouts,
    /// component init level by level, proc1, banner. Throws on failure (the host boundary).
    /// </summary>
    internal static void Boot(Rump.BootOptions options)
    {
        int prev = Interlocked.CompareExchange(ref s_state, StateBooting, StateOff);
        if (prev != StateOff)
            prev = Interlocked.CompareExchange(ref s_state, StateBooting, StateHalted);
        if (prev != StateOff && prev != StateHalted)
            throw new InvalidOperationException("this kernel instance is already booted (or panicked); load the kernel again for another instance");
        s_panicMessage = null;
        Volatile.Write(ref s_panicStopped, 0);

        // The host's options (console, parameters) go to the target only once this boot is ours. A target
        // that refuses them (e.g. xen without a domain) fails the boot, and the instance may boot again.
        try
        {
            TargetSetup.Configure?.Invoke(options);
        }
        catch
        {
            Volatile.Write(ref s_state, StateOff);
            throw;
        }
        bool versionOk = Hyp.CheckVersion() == 0;
        if (!versionOk || Hyp.Init(Hyp.InterfaceVersion, options.HostName) != 0)
        {
            Volatile.Write(ref s_state, StateOff);
            throw new NotSupportedException(string.Format(CultureInfo.InvariantCulture,
                "kernel {0} (vintage {1}) needs hypercall interface v{2}; its target glue ({3}) implements v{4}..v{5}{6}. "
                + "Build the kernel sources of a vintage that declares a version in v{4}..v{5}, or update targets/{3} to v{2}.",
                KernelIdentity.Kernel, VintageText(), Hyp.InterfaceVersion, Hyp.TargetName, Hyp.TargetMinVersion, Hyp.TargetMaxVersion,
                versionOk ? " but refused it at init" : ""));
        }

        Lwp? lwp0 = null;
        try
        {
            int ncpu = ParamInt("RUMP_NCPU", 1);
            if (ncpu < 1 || ncpu > 256)
                throw new ArgumentOutOfRangeException("VirtualCpus", ncpu, "virtual CPUs must be 1..256");
            long memLimit = ParamLong("RUMP_MEMLIMIT", 0);
            if (memLimit < 0)
                throw new ArgumentOutOfRangeException("MemoryLimit", memLimit, "memory limit must be ≥ 0 (0 = none)");
            KernelLog.Init(ParamInt("RUMP_VERBOSE", 0) != 0);
            Kmem.Init(memLimit);
            Sched.Init(ncpu);
            KThread.Init();

            s_hooksLock = new KMutex();
            s_shutdownHooks = [];
            s_hostNameLock = new KMutex();
            s_hostName = Hyp.GetParam("RUMP_HOSTNAME", out var hostName) == 0 && hostName.Length > 0 ? hostName : "rump";

            Proc0 = new Proc(0, "swapper", Cred.Root);
            lwp0 = Proc0.NewLwp("lwp0");
            Hyp.SetCurLwp(lwp0);
            Sched.Schedule(lwp0);
            Clock.Init();
            KernelLog.Debug("rump: " + ncpu.ToString(CultureInfo.InvariantCulture) + " virtual CPUs, memory limit " + FormatBytes(memLimit));

            DevSw.Reset();   // warm boot: switches and nodes of an earlier instance are gone with it

            int error = Callout.Init();
            if (error != 0)
                throw new InvalidOperationException("cannot start the callout thread: " + Rump.ErrnoText.Describe(error));

            for (var level = InitLevel.Kern; level <= InitLevel.Syscall; level++)
            {
                KernelLog.Debug("rump: init level " + level.ToString());
                ComponentRegistry.RunInit(level);
            }

            Proc1 = new Proc(1, "init", Cred.Root);
            Banner = FormatBanner(ncpu, memLimit);
            Hyp.ConsoleWrite(Banner);
            if (Interlocked.CompareExchange(ref s_state, StateRunning, StateBooting) != StateBooting)
                ThrowIfPanicked();
        }
        catch
        {
            // A parameter was bad or a component init failed: stop what started and give the host its
            // resources back. After a panic the target was told already (EXIT_PANIC).
            if (Interlocked.CompareExchange(ref s_state, StateStopping, StateBooting) == StateBooting)
            {
                if (lwp0 is not null)
                {
                    Callout.Shutdown();
                    KThread.WaitAll(ThreadStopTimeout);
                }
                Volatile.Write(ref s_state, StateOff);
                Hyp.Exit(Hyp.EXIT_HALT);
            }
            throw;
        }
        finally
        {
            if (lwp0 is not null)
            {
                Sched.Unschedule(lwp0);
                Hyp.SetCurLwp(null);
            }
        }
    }

    /// <summary>rump_sys_reboot(RB_HALT): descriptors, shutdown hooks (the file systems sync and unmount), callouts, kernel threads, then the target exits.</summary>
    internal static void Shutdown()
    {
        if (Interlocked.CompareExchange(ref s_state, StateStopping, StateRunning) != StateRunning)
        {
            if (Volatile.Read(ref s_state) == StatePanicked && Interlocked.Exchange(ref s_panicStopped, 1) == 0)
                StopAfterPanic();
            return;
        }
        var lwp = Proc0.NewLwp("shutdown");
        Hyp.SetCurLwp(lwp);
        Sched.Schedule(lwp);
        try
        {
            // Descriptors first: the file systems' hook unmounts, and an open file would keep its vnode busy.
            Proc1.Fd.CloseAll(lwp);
            s_hooksLock.Enter();
            var hooks = s_shutdownHooks.ToArray();
            s_hooksLock.Exit();
            for (int i = hooks.Length - 1; i >= 0; i--)
                hooks[i]();
            Callout.Shutdown();
            if (KThread.WaitAll(ThreadStopTimeout) != 0)
                KernelLog.Printf("shutdown: " + KThread.Live.ToString(CultureInfo.InvariantCulture) + " kernel thread(s) did not stop");
            KernelLog.Debug("rump: halted");
        }
        finally
        {
            Sched.Unschedule(lwp);
            Hyp.SetCurLwp(null);
            if (Interlocked.CompareExchange(ref s_state, StateHalted, StateStopping) == StateStopping)
                Hyp.Exit(Hyp.EXIT_HALT);
        }
    }

    /// <summary>
    /// Shutdown of a panicked instance: nothing is synced (the state is suspect), but no kernel code may run
    /// once the host is told the instance is gone: the callout thread stops, kernel threads return (every wait
    /// returns at once after a panic), and the target joins its host threads (a second Exit, EXIT_HALT).
    /// </summary>
    private static void StopAfterPanic()
    {
        Callout.Shutdown();
        if (KThread.WaitAll(ThreadStopTimeout) != 0)
            Hyp.ConsoleWrite("shutdown: " + KThread.Live.ToString(CultureInfo.InvariantCulture) + " kernel thread(s) did not stop after the panic");
        Hyp.Exit(Hyp.EXIT_HALT);
    }

    /// <summary>"HEAD~3 1a2b3c4", "worktree 1a2b3c4+dirty": the vintage as the banner shows it.</summary>
    private static string VintageText()
    {
        var commit = KernelIdentity.VintageCommit.Length > 7 ? KernelIdentity.VintageCommit.Substring(0, 7) : KernelIdentity.VintageCommit;
        return (KernelIdentity.VintageRef.Length > 0 ? KernelIdentity.VintageRef : "unknown")
            + (commit.Length > 0 ? " " + commit : "") + (KernelIdentity.VintageDirty ? "+dirty" : "");
    }

    internal static string FormatBanner(int ncpu, long memLimit)
    {
        var vintage = VintageText();
        return string.Format(CultureInfo.InvariantCulture,
            "Rump.Build kernel {0} (target {1}, vintage {2}, hypercall interface v{3}), {4} virtual CPU{5}, {6}",
            KernelIdentity.Kernel, KernelIdentity.Target, vintage, Hyp.InterfaceVersion, ncpu, ncpu == 1 ? "" : "s",
            memLimit == 0 ? "no memory limit" : FormatBytes(memLimit) + " memory limit");
    }

    private static string FormatBytes(long bytes)
    {
        if (bytes == 0)
            return "none";
        if (bytes % (1L << 30) == 0)
            return (bytes >> 30).ToString(CultureInfo.InvariantCulture) + " GiB";
        if (bytes % (1L << 20) == 0)
            return (bytes >> 20).ToString(CultureInfo.InvariantCulture) + " MiB";
        if (bytes % (1L << 10) == 0)
            return (bytes >> 10).ToString(CultureInfo.InvariantCulture) + " KiB";
        return bytes.ToString(CultureInfo.InvariantCulture) + " bytes";
    }

    private static int ParamInt(string name, int unset)
    {
        if (Hyp.GetParam(name, out var text) != 0)
            return unset;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
            throw new ArgumentException("boot parameter " + name + "=" + text + " is not a number");
        return value;
    }

    private static long ParamLong(string name, long unset)
    {
        if (Hyp.GetParam(name, out var text) != 0)
            return unset;
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value))
            throw new ArgumentException("boot parameter " + name + "=" + text + " is not a number");
        return value;
    }
}
