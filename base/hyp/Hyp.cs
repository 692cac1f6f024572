using System;

namespace Rump.Kern;

/// <summary>Completion of an asynchronous block I/O request (rumpuser_biodone). Runs on a host thread.</summary>
internal delegate void BioDone(object? arg, int error, int transferred);

/// <summary>Body of a kernel thread created through <see cref="Hyp.ThreadCreate"/>.</summary>
internal delegate void ThreadFunc(object? arg);

/// <summary>
/// The hypercall interface: the only door from the kernel to its host (NetBSD's rumpuser.h).
/// Every method returns 0 or an errno unless it says otherwise. Bodies are generated at build time
/// and bound statically to the chosen target; calls marked Blocking release the virtual CPU first.
/// Target objects (mutexes, threads…) are opaque to the kernel.
/// </summary>
[HypercallInterface(1)]
internal static partial class Hyp
{
    // ---- constants shared with targets ----
    public const int CLOCK_RELWALL = 0, CLOCK_ABSMONO = 1;
    public const int OPEN_RDONLY = 0, OPEN_WRONLY = 1, OPEN_RDWR = 2, OPEN_CREATE = 4, OPEN_EXCL = 8, OPEN_BIO = 16;
    public const int FT_OTHER = 0, FT_DIR = 1, FT_REG = 2, FT_BLK = 3, FT_CHR = 4;
    public const int BIO_READ = 1, BIO_WRITE = 2, BIO_SYNC = 4;
    public const int FSYNC_WRITE = 1, FSYNC_BARRIER = 2;
    public const int EXIT_HALT = 0, EXIT_PANIC = -1;
    public const int MTX_SPIN = 1, MTX_KMUTEX = 2;

    // ---- init, parameters, console, exit ----
    /// <summary>First call at boot: the target checks it implements <paramref name="version"/> (rumpuser_init).</summary>
    [Hypercall] public static partial int Init(int version, string instanceName);
    /// <summary>A boot parameter (RUMP_NCPU, RUMP_MEMLIMIT, RUMP_VERBOSE, RUMP_HOSTNAME…); ENOENT when unset.</summary>
    [Hypercall] public static partial int GetParam(string name, out string value);
    /// <summary>Writes one line of console output (without the newline).</summary>
    [Hypercall] public static partial void ConsoleWrite(string line);
    /// <summary>The instance ends (<see cref="EXIT_HALT"/> or <see cref="EXIT_PANIC"/>); the target releases its host resources.</summary>
    [Hypercall] public static partial void Exit(int how);

    // ---- memory ----
    /// <summary>Allocates zeroed memory (rumpuser_malloc); ENOMEM when the host refuses.</summary>
    [Hypercall] public static partial int Malloc(int size, int alignment, out byte[] memory);
    [Hypercall] public static partial void Free(byte[] memory);

    // ---- host files and block devices ----
    /// <summary>Size and type (FT_*) of a host path (rumpuser_getfileinfo).</summary>
    [Hypercall(Blocking = true)] public static partial int GetFileInfo(string path, out long size, out int type);
    [Hypercall(Blocking = true)] public static partial int Open(string path, int flags, out int fd);
    [Hypercall(Blocking = true)] public static partial int Close(int fd);
    /// <summary>Synchronous positional read (rumpuser_iovread).</summary>
    [Hypercall(Blocking = true)] public static partial int Read(int fd, Span<byte> buffer, long offset, out int nread);
    /// <summary>Synchronous positional write (rumpuser_iovwrite).</summary>
    [Hypercall(Blocking = true)] public static partial int Write(int fd, ReadOnlySpan<byte> buffer, long offset, out int nwritten);
    /// <summary>Flushes (FSYNC_WRITE) and orders (FSYNC_BARRIER) writes (rumpuser_syncfd).</summary>
    [Hypercall(Blocking = true)] public static partial int SyncFd(int fd, int flags);
    /// <summary>
    /// Asynchronous block I/O (rumpuser_bio): BIO_READ/BIO_WRITE (| BIO_SYNC) of <paramref name="data"/> at
    /// byte <paramref name="offset"/>; returns at once, <paramref name="done"/> runs on a host thread when the
    /// I/O finishes.
    /// </summary>
    [Hypercall] public static partial void BioSubmit(int fd, int op, Memory<byte> data, long offset, BioDone done, object? arg);

    // ---- threads and the current lwp ----
    [Hypercall] public static partial int ThreadCreate(ThreadFunc body, object? arg, string name, bool joinable, out object thread);
    [Hypercall(Blocking = true)] public static partial int ThreadJoin(object thread);
    /// <summary>Binds a kernel lwp to the calling host thread (null unbinds) (rumpuser_curlwpop).</summary>
    [Hypercall] public static partial void SetCurLwp(object? lwp);
    /// <summary>The lwp bound to the calling host thread, or null (rumpuser_curlwp).</summary>
    [Hypercall] public static partial object? CurLwp();

    // ---- mutexes ----
    [Hypercall] public static partial void MutexInit(int flags, out object mutex);
    [Hypercall(Blocking = true, FastPath = nameof(MutexTryEnter))] public static partial void MutexEnter(object mutex);
    /// <summary>Enters without releasing the CPU: only for spin mutexes held briefly (rumpuser_mutex_enter_nowrap).</summary>
    [Hypercall] public static partial void MutexEnterNoWrap(object mutex);
    [Hypercall] public static partial bool MutexTryEnter(object mutex);
    [Hypercall] public static partial void MutexExit(object mutex);
    [Hypercall] public static partial bool MutexOwned(object mutex);
    [Hypercall] public static partial void MutexDestroy(object mutex);

    // ---- reader/writer locks ----
    [Hypercall] public static partial void RwInit(out object rwlock);
    [Hypercall(Blocking = true, FastPath = nameof(RwTryEnter))] public static partial void RwEnter(object rwlock, bool writer);
    [Hypercall] public static partial bool RwTryEnter(object rwlock, bool writer);
    [Hypercall] public static partial void RwExit(object rwlock);
    [Hypercall] public static partial void RwDowngrade(object rwlock);
    [Hypercall] public static partial bool RwTryUpgrade(object rwlock);
    /// <summary>True when held for writing by the caller (<paramref name="writer"/>) or held for reading by anyone.</summary>
    [Hypercall] public static partial bool RwHeld(object rwlock, bool writer);
    [Hypercall] public static partial void RwDestroy(object rwlock);

    // ---- condition variables (always with a mutex from MutexInit) ----
    [Hypercall] public static partial void CvInit(out object cv);
    [Hypercall] public static partial void CvDestroy(object cv);
    [Hypercall(Blocking = true)] public static partial void CvWait(object cv, object mutex);
    /// <summary>Waits at most <paramref name="nanoseconds"/>; ETIMEDOUT when the time passed.</summary>
    [Hypercall(Blocking = true)] public static partial int CvTimedWait(object cv, object mutex, long nanoseconds);
    [Hypercall] public static partial void CvSignal(object cv);
    [Hypercall] public static partial void CvBroadcast(object cv);
    [Hypercall] public static partial int CvWaiters(object cv);

    // ---- clock ----
    /// <summary>CLOCK_RELWALL: wall time since the epoch; CLOCK_ABSMONO: monotonic time.</summary>
    [Hypercall] public static partial int ClockGetTime(int clock, out long seconds, out long nanoseconds);
    /// <summary>Sleeps for a relative wall time (CLOCK_RELWALL) or until a monotonic time (CLOCK_ABSMONO).</summary>
    [Hypercall(Blocking = true)] public static partial int ClockSleep(int clock, long seconds, long nanoseconds);

    // ---- entropy ----
    [Hypercall] public static partial int GetRandom(Span<byte> buffer, int flags, out int length);
}
