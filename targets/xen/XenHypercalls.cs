using System;
using System.Buffers;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using Rump.Kern;
using Rump.Target.Common;
using Rump.Xen;

namespace Rump.Target.Xen;

// Inside Rump.*, a bare Errno would bind to the host contract's Rump.Errno enum; the kernel's are ints.
using Errno = Rump.Kern.Errno;

/// <summary>
/// The xen target: the hypercall interface over the Xen PV protocols of one domain — console ring,
/// xenstore, grant tables, event channels, blkfront, shared-info time and the timer VIRQ — written
/// against the hypervisor port (<see cref="IXenHypervisorPort"/>) the host passes as BootOptions.Xen.
/// Kernel threads and their locks are host threads and monitors (one domain, one virtual CPU of the
/// hypervisor; the kernel's own scheduler multiplexes its virtual CPUs on them).
/// </summary>
[HypercallTarget("xen", 1, 1)]
internal sealed class XenHypercalls : SharedHypercalls
{
    private const int SupportedVersion = 1;

    private static IXenHypervisorPort? s_port;


    private XenHypercalls()
    {
    }

    /// <summary>True before Init and after the domain halted or crashed: waits return at once.</summary>
    internal static bool Dead => InstanceWaits.Dead;

    internal static IXenHypervisorPort Port => s_port!;

#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RegisterSetup()
    {
        TargetSetup.Configure = Configure;
        // Timed waits end on the domain's timer (VIRQ_TIMER); a contended mutex blocks at once.
        UseHost(new XenWaitClock(), mutexSpins: 0, threadNamePrefix: "rump/xen: ");
    }

    /// <summary>Takes the host's boot options; the domain (BootOptions.Xen) is required.</summary>
    internal static void Configure(BootOptions options)
    {
        var port = options.Xen ?? throw new InvalidOperationException(
            "the xen kernel needs a Xen domain to boot in: set BootOptions.Xen to a domain's port "
            + "(e.g. new Rump.Xen.Host.XenHypervisor().CreateDomain(config).Port), or boot the posix kernel");
        // The domain's command line (start_info.cmd_line) sits between the typed options and the explicit parameters.
        var commandLine = new List<KeyValuePair<string, string>>();
        foreach (var word in port.StartInfo.CommandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = word.IndexOf('=');
            if (eq > 0)
                commandLine.Add(new(word.Substring(0, eq), word.Substring(eq + 1)));
        }
        SetBootParameters(options, commandLine);
        s_port = port;
    }

    /// <summary>Xen error (Linux number) → NetBSD errno.</summary>
    internal static int FromXen(int xenError) => xenError switch
    {
        0 => 0,
        XenErrno.EPERM => Errno.EPERM,
        XenErrno.ENOENT => Errno.ENOENT,
        XenErrno.ESRCH => Errno.ESRCH,
        XenErrno.ENOMEM => Errno.ENOMEM,
        XenErrno.EINVAL => Errno.EINVAL,
        XenErrno.ENOSPC => Errno.ENOSPC,
        XenErrno.EBUSY => Errno.EBUSY,
        XenErrno.EEXIST => Errno.EEXIST,
        XenErrno.EAGAIN => Errno.EAGAIN,
        XenErrno.ENOSYS => Errno.ENOSYS,
        _ => Errno.EIO,
    };

    // ---- init, parameters, console, exit ----

    public static int Init(int version, string instanceName)
    {
        if (version != SupportedVersion)
            return Errno.ENOTSUP;
        var port = s_port;
        if (port is null)
            return Errno.ENXIO;
        if (port.StartInfo.Magic != "xen-3.0-x86_64")
            return Errno.ENOEXEC;
        InstanceWaits.Start();
        int error = XenEvents.Start(port);
        if (error == 0)
        {
            XenPages.Start(port);
            error = XenGrants.Start(port);
        }
        if (error == 0)
            error = XenClock.Start(port);
        if (error == 0)
            error = XenConsole.Start(port);
        if (error == 0)
            error = XenStore.Start(port);
        if (error != 0)
        {
            InstanceWaits.End();
            XenEvents.RequestStop();
            port.Shutdown(XenShutdownReason.Crash);
            XenEvents.Stop();
            return FromXen(error);
        }
        XenBlk.Start();
        return 0;
    }

    public static void ConsoleWrite(string line) => XenConsole.WriteLine(line);

    public static void Exit(int how)
    {
        var port = s_port;
        if (port is null || InstanceWaits.Dead)
            return;
        if (how == Hyp.EXIT_HALT)
        {
            JoinThreads(TimeSpan.FromSeconds(5));
            XenBlk.Shutdown();   // front ends close while the store still answers
        }
        InstanceWaits.End();
        XenStore.Stop();
        XenConsole.Stop();
        XenClock.Stop();
        XenEvents.RequestStop();
        port.Shutdown(how == Hyp.EXIT_HALT ? XenShutdownReason.PowerOff : XenShutdownReason.Crash);
        XenEvents.Stop();
        if (how != Hyp.EXIT_HALT)
            XenBlk.Shutdown();
    }

    // ---- host files and block devices: the domain's virtual disks ----

    public static int GetFileInfo(string path, out long size, out int type)
    {
        size = 0;
        type = Hyp.FT_OTHER;
        int error = XenBlk.Lookup(path, out var device);
        if (error != 0)
            return error;
        size = device!.SizeBytes;
        type = Hyp.FT_BLK;
        return 0;
    }

    public static int Open(string path, int flags, out int fd)
    {
        fd = -1;
        if ((flags & Hyp.OPEN_CREATE) != 0)
            return Errno.EROFS;   // a domain cannot create host files
        int access = flags & 3;
        if (access is not (Hyp.OPEN_RDONLY or Hyp.OPEN_WRONLY or Hyp.OPEN_RDWR))
            return Errno.EINVAL;
        return XenBlk.Open(path, access != Hyp.OPEN_RDONLY, out fd);
    }

    public static int Close(int fd) => XenBlk.Close(fd);

    public static int Read(int fd, Span<byte> buffer, long offset, out int nread)
    {
        nread = 0;
        var device = XenBlk.Get(fd, out _);
        if (device is null)
            return Errno.EBADF;
        if (offset < 0)
            return Errno.EINVAL;
        // No clamping to the size the back end announced: blkback is the authority on what exists and
        // answers BLKIF_RSP_ERROR for sectors beyond the disk (EIO here).
        int want = buffer.Length;
        // Sector-aligned bounce for arbitrary offsets (etfs character devices).
        long start = offset / Rump.Target.Xen.Abi.XenPage.SectorSize * Rump.Target.Xen.Abi.XenPage.SectorSize;
        int lead = (int)(offset - start);
        var bounce = ArrayPool<byte>.Shared.Rent(lead + want);
        var io = new BlkIo { Data = bounce.AsMemory(0, lead + want), Offset = start };
        try
        {
            int error = device.RunSync(io);
            if (error != 0)
                return error;
            bounce.AsSpan(lead, want).CopyTo(buffer);
            nread = want;
            return 0;
        }
        finally
        {
            if (io.Completed)   // an I/O cut short by the instance's end may still be written into: leave it to the GC
                ArrayPool<byte>.Shared.Return(bounce);
        }
    }

    public static int Write(int fd, ReadOnlySpan<byte> buffer, long offset, out int nwritten)
    {
        nwritten = 0;
        var device = XenBlk.Get(fd, out bool writable);
        if (device is null)
            return Errno.EBADF;
        if (!writable)
            return Errno.EBADF;
        const int sector = Rump.Target.Xen.Abi.XenPage.SectorSize;
        if (offset < 0)
            return Errno.EINVAL;
        long start = offset / sector * sector;
        long end = (offset + buffer.Length + sector - 1) / sector * sector;
        var rented = ArrayPool<byte>.Shared.Rent((int)(end - start));
        var bounce = rented.AsMemory(0, (int)(end - start));
        bool reusable = false;
        try
        {
            if (start != offset || end != offset + buffer.Length)
            {
                // Read-modify-write of the partial sectors at either end.
                var rmw = new BlkIo { Data = bounce, Offset = start };
                int error = device.RunSync(rmw);
                if (error != 0)
                {
                    reusable = rmw.Completed;
                    return error;
                }
            }
            buffer.CopyTo(bounce.Span.Slice((int)(offset - start)));
            var io = new BlkIo { Data = bounce, Offset = start, Write = true };
            int werr = device.RunSync(io);
            reusable = io.Completed;
            if (werr != 0)
                return werr;
            nwritten = buffer.Length;
            return 0;
        }
        finally
        {
            if (reusable)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public static int SyncFd(int fd, int flags)
    {
        var device = XenBlk.Get(fd, out bool writable);
        if (device is null)
            return Errno.EBADF;
        if (!writable || device.ReadOnly || (flags & (Hyp.FSYNC_WRITE | Hyp.FSYNC_BARRIER)) == 0)
            return 0;
        return device.Sync();
    }

    public static void BioSubmit(int fd, int op, Memory<byte> data, long offset, BioDone done, object? arg)
    {
        var device = XenBlk.Get(fd, out bool writable);
        bool write = (op & Hyp.BIO_WRITE) != 0;
        if (device is null || (op & (Hyp.BIO_READ | Hyp.BIO_WRITE)) == 0 || (write && !writable))
        {
            int error = device is null ? Errno.EBADF : write ? Errno.EBADF : Errno.EINVAL;
            // Never complete inline in the submitter.
            ThreadPool.UnsafeQueueUserWorkItem(_ => CompleteOnHostThread(done, arg, error), null);
            return;
        }
        device.Submit(new BlkIo
        {
            Data = data,
            Write = write,
            SyncAfter = write && (op & Hyp.BIO_SYNC) != 0,
            Offset = offset,
            Done = done,
            Arg = arg,
        });
    }

    private static void CompleteOnHostThread(BioDone done, object? arg, int error)
    {
        if (!HypercallUpcalls.EnterKernel(out var token))
            return;
        try
        {
            done(arg, error, 0);
        }
        catch (Exception e)
        {
            HypercallUpcalls.KernelCodeFailed("blkfront completion", e);
        }
        finally
        {
            HypercallUpcalls.LeaveKernel(token);
        }
    }

    // ---- clock: shared-info time, sleeps on the timer VIRQ ----

    public static int ClockGetTime(int clock, out long seconds, out long nanoseconds)
    {
        switch (clock)
        {
            case Hyp.CLOCK_RELWALL:
                XenClock.WallTime(out seconds, out nanoseconds);
                return 0;
            case Hyp.CLOCK_ABSMONO:
                long now = XenClock.SystemTime();
                seconds = now / 1_000_000_000;
                nanoseconds = now % 1_000_000_000;
                return 0;
            default:
                seconds = 0;
                nanoseconds = 0;
                return Errno.EINVAL;
        }
    }

    public static int ClockSleep(int clock, long seconds, long nanoseconds)
    {
        long deadline;
        switch (clock)
        {
            case Hyp.CLOCK_RELWALL:
                deadline = XenClock.SystemTime() + seconds * 1_000_000_000 + nanoseconds;
                break;
            case Hyp.CLOCK_ABSMONO:
                deadline = seconds * 1_000_000_000 + nanoseconds;
                break;
            default:
                return Errno.EINVAL;
        }
        if (!InstanceWaits.Dead)
            XenClock.SleepUntil(deadline);
        return 0;
    }
}
