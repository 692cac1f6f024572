using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using Rump.Kern;
using Rump.Target.Common;

namespace Rump.Target.Posix;

// Inside Rump.*, a bare Errno would bind to the host contract's Rump.Errno enum; the kernel's are ints.
using Errno = Rump.Kern.Errno;

/// <summary>
/// The posix target: the whole hypercall interface over the .NET base class library (librumpuser); curlwp,
/// locks, parameters, memory, threads and entropy come from <see cref="SharedHypercalls"/> (targets/common).
/// Each kernel instance lives in its own load context, so the statics here are per instance.
/// </summary>
[HypercallTarget("posix", 1, 1)]
internal sealed class PosixHypercalls : SharedHypercalls
{
    private const int SupportedVersion = 1;

    // Set by Configure before Init; read-only while the instance runs.
    private static Action<string>? s_console;

    // Set once the instance exits or panics (with InstanceWaits.End): sleeps return at once afterwards.
    private static ManualResetEventSlim s_deadEvent = new(false);

    // Block I/O in flight; atomic operations only. Exit waits for it to drain before closing files.
    private static int s_bioInFlight;

    private PosixHypercalls()
    {
    }

    /// <summary>True after the instance panicked or halted.</summary>
    internal static bool Dead => InstanceWaits.Dead;

    // The kernel entry must reach the target's options hook without naming the target (CA2255: this
    // is the intended "advanced" use: the hook is installed when the kernel assembly loads).
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RegisterSetup()
    {
        TargetSetup.Configure = Configure;
        // Timed waits end on a Stopwatch deadline; a contended mutex spins a little (its holder runs on another CPU).
        UseHost(new StopwatchWaitClock(), mutexSpins: 20, threadNamePrefix: "rump: ");
    }

    /// <summary>Takes the host's boot options: console callback and the parameters the kernel reads.</summary>
    internal static void Configure(BootOptions options)
    {
        SetBootParameters(options, []);
        s_console = options.Console;
    }

    // ---- init, parameters, console, exit ----

    public static int Init(int version, string instanceName)
    {
        if (version != SupportedVersion)
            return Errno.ENOTSUP;
        s_deadEvent = new ManualResetEventSlim(false);
        InstanceWaits.Start();
        return 0;
    }

    public static void ConsoleWrite(string line)
    {
        var console = s_console;
        if (console is null)
            return;
        try
        {
            console(line);
        }
        catch (Exception)
        {
            // The host's console callback failed; the kernel's output is lost, the kernel goes on.
        }
    }

    public static void Exit(int how)
    {
        if (how == Hyp.EXIT_HALT)
        {
            // Kernel threads have returned (shutdown waited for them): let their host threads finish
            // their last steps before waits stop blocking.
            JoinThreads(TimeSpan.FromSeconds(5));
        }
        InstanceWaits.End();
        s_deadEvent.Set();
        // Let block I/O in flight finish before its handles go away.
        var spin = new SpinWait();
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 5;
        while (Volatile.Read(ref s_bioInFlight) > 0 && Stopwatch.GetTimestamp() < deadline)
            spin.SpinOnce();
        PosixFiles.CloseAll();
        if (how == Hyp.EXIT_HALT)
            s_console = null;
    }

    // ---- host files and block devices ----

    public static int GetFileInfo(string path, out long size, out int type) => PosixFiles.GetFileInfo(path, out size, out type);

    public static int Open(string path, int flags, out int fd)
    {
        fd = -1;
        var access = (flags & 3) switch
        {
            Hyp.OPEN_RDONLY => FileAccess.Read,
            Hyp.OPEN_WRONLY => FileAccess.Write,
            Hyp.OPEN_RDWR => FileAccess.ReadWrite,
            _ => (FileAccess)0,
        };
        if (access == 0 || string.IsNullOrEmpty(path))
            return Errno.EINVAL;
        var mode = (flags & Hyp.OPEN_CREATE) == 0 ? System.IO.FileMode.Open
            : (flags & Hyp.OPEN_EXCL) != 0 ? System.IO.FileMode.CreateNew : System.IO.FileMode.OpenOrCreate;
        try
        {
            if (Directory.Exists(path))
                return Errno.EISDIR;
            // With the boot parameter RUMP_LOCKDISKS=1 (rumpctl sets it), a disk opened for writing is locked
            // against every other opener: .NET takes flock(2) LOCK_EX for FileShare.None and LOCK_SH otherwise,
            // so a second kernel or a program such as mtools cannot write the same image at the same time.
            // Off by default: a host may legitimately read an image file a kernel has open.
            bool bio = (flags & Hyp.OPEN_BIO) != 0;
            bool lockDisks = GetParam("RUMP_LOCKDISKS", out var lockParam) == 0 && lockParam == "1";
            var share = bio && lockDisks && (access & FileAccess.Write) != 0 ? FileShare.None : FileShare.ReadWrite | FileShare.Delete;
            var handle = File.OpenHandle(path, mode, access, share, bio ? FileOptions.Asynchronous : FileOptions.None);
            fd = PosixFiles.Add(handle);
            return 0;
        }
        catch (IOException e) when (e.HResult == 11 && (flags & Hyp.OPEN_BIO) != 0)
        {
            return Errno.EBUSY;   // flock: the disk is in use by another kernel or program
        }
        catch (Exception e)
        {
            return PosixFiles.ErrnoOf(e);
        }
    }

    public static int Close(int fd)
    {
        var handle = PosixFiles.Remove(fd);
        if (handle is null)
            return Errno.EBADF;
        handle.Dispose();
        return 0;
    }

    public static int Read(int fd, Span<byte> buffer, long offset, out int nread)
    {
        nread = 0;
        var handle = PosixFiles.Get(fd);
        if (handle is null)
            return Errno.EBADF;
        if (offset < 0)
            return Errno.EINVAL;
        try
        {
            // RandomAccess.Read may return less than asked before the end of file; loop like a disk read.
            while (nread < buffer.Length)
            {
                int n = RandomAccess.Read(handle, buffer.Slice(nread), offset + nread);
                if (n == 0)
                    break;
                nread += n;
            }
            return 0;
        }
        catch (Exception e)
        {
            return PosixFiles.ErrnoOf(e);
        }
    }

    public static int Write(int fd, ReadOnlySpan<byte> buffer, long offset, out int nwritten)
    {
        nwritten = 0;
        var handle = PosixFiles.Get(fd);
        if (handle is null)
            return Errno.EBADF;
        if (offset < 0)
            return Errno.EINVAL;
        try
        {
            RandomAccess.Write(handle, buffer, offset);
            nwritten = buffer.Length;
            return 0;
        }
        catch (Exception e)
        {
            return PosixFiles.ErrnoOf(e);
        }
    }

    public static int SyncFd(int fd, int flags)
    {
        var handle = PosixFiles.Get(fd);
        if (handle is null)
            return Errno.EBADF;
        try
        {
            // A barrier needs nothing more here: the synchronous calls are ordered, and FlushToDisk
            // (fsync) orders everything written before it.
            if ((flags & (Hyp.FSYNC_WRITE | Hyp.FSYNC_BARRIER)) != 0)
                RandomAccess.FlushToDisk(handle);
            return 0;
        }
        catch (Exception e)
        {
            return PosixFiles.ErrnoOf(e);
        }
    }

    public static void BioSubmit(int fd, int op, Memory<byte> data, long offset, BioDone done, object? arg)
    {
        Interlocked.Increment(ref s_bioInFlight);
        // Always complete on a host thread of the pool, never inline in the submitter.
        ThreadPool.UnsafeQueueUserWorkItem(static state => RunBio(state), new BioRequest(fd, op, data, offset, done, arg), preferLocal: false);
    }

    private sealed record BioRequest(int Fd, int Op, Memory<byte> Data, long Offset, BioDone Done, object? Arg);

    /// <summary>
    /// Runs one request on a pool thread. The host call itself is synchronous: on Unix .NET file I/O has no
    /// asynchronous kernel path, so RandomAccess.ReadAsync would only queue a second pool hop.
    /// </summary>
    private static void RunBio(BioRequest r)
    {
        int error = 0;
        int transferred = 0;
        try
        {
            var handle = PosixFiles.Get(r.Fd);
            if (handle is null || InstanceWaits.Dead)
            {
                error = Errno.EBADF;
            }
            else if (r.Offset < 0)
            {
                error = Errno.EINVAL;
            }
            else if ((r.Op & Hyp.BIO_READ) != 0)
            {
                while (transferred < r.Data.Length)
                {
                    int n = RandomAccess.Read(handle, r.Data.Span.Slice(transferred), r.Offset + transferred);
                    if (n == 0)
                        break;
                    transferred += n;
                }
            }
            else if ((r.Op & Hyp.BIO_WRITE) != 0)
            {
                RandomAccess.Write(handle, r.Data.Span, r.Offset);
                transferred = r.Data.Length;
                if ((r.Op & Hyp.BIO_SYNC) != 0)
                    RandomAccess.FlushToDisk(handle);
            }
            else
            {
                error = Errno.EINVAL;
            }
        }
        catch (Exception e)
        {
            error = PosixFiles.ErrnoOf(e);
        }

        try
        {
            // biodone runs kernel code: it needs an lwp and a virtual CPU (rumpuser_bio's rumpkern_sched).
            if (HypercallUpcalls.EnterKernel(out var token))
            {
                try
                {
                    r.Done(r.Arg, error, transferred);
                }
                catch (Exception e)
                {
                    HypercallUpcalls.KernelCodeFailed("block I/O completion", e);
                }
                finally
                {
                    HypercallUpcalls.LeaveKernel(token);
                }
            }
        }
        catch (Exception e)
        {
            HypercallUpcalls.KernelCodeFailed("block I/O completion", e);
        }
        finally
        {
            Interlocked.Decrement(ref s_bioInFlight);
        }
    }

    // ---- clock ----

    public static int ClockGetTime(int clock, out long seconds, out long nanoseconds)
    {
        switch (clock)
        {
            case Hyp.CLOCK_RELWALL:
                long ticks = DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks;
                seconds = ticks / TimeSpan.TicksPerSecond;
                nanoseconds = ticks % TimeSpan.TicksPerSecond * 100;
                return 0;
            case Hyp.CLOCK_ABSMONO:
                long ts = Stopwatch.GetTimestamp();
                long freq = Stopwatch.Frequency;
                seconds = ts / freq;
                nanoseconds = (long)((ts % freq) * (1_000_000_000.0 / freq));
                return 0;
            default:
                seconds = 0;
                nanoseconds = 0;
                return Errno.EINVAL;
        }
    }

    public static int ClockSleep(int clock, long seconds, long nanoseconds)
    {
        long totalNs;
        switch (clock)
        {
            case Hyp.CLOCK_RELWALL:
                totalNs = seconds * 1_000_000_000 + nanoseconds;
                break;
            case Hyp.CLOCK_ABSMONO:
                ClockGetTime(Hyp.CLOCK_ABSMONO, out long s, out long ns);
                totalNs = (seconds - s) * 1_000_000_000 + (nanoseconds - ns);
                break;
            default:
                return Errno.EINVAL;
        }
        if (totalNs <= 0)
            return 0;
        // Sleep until a monotonic deadline: the event's timed wait counts in the runtime's coarse
        // millisecond tick (CLOCK_MONOTONIC_COARSE on Linux) and may return a few ms early, and a
        // sleep must never end before its time. A panic or exit wakes sleepers at once.
        long deadline = Stopwatch.GetTimestamp() + (long)(totalNs * (Stopwatch.Frequency / 1_000_000_000.0));
        var dead = s_deadEvent;
        while (true)
        {
            long remaining = deadline - Stopwatch.GetTimestamp();
            if (remaining <= 0)
                return 0;
            long remainingTicks = (long)(remaining * ((double)TimeSpan.TicksPerSecond / Stopwatch.Frequency));
            // Round up to whole milliseconds so the last wait does not spin.
            long ms = Math.Min((remainingTicks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond, int.MaxValue);
            if (dead.Wait((int)Math.Max(ms, 1)))
                return 0;
        }
    }
}
