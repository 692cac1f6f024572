
namespace Rump.Target.Common;

// Inside Rump.*, a bare Errno would bind to the host contract's Rump.Errno enum; the kernel's are ints.
using Errno = Rump.Kern.Errno;

/// <summary>
/// The hypercalls every target implements the same way over host threads: curlwp, mutexes, reader/writer
/// locks, condition variables (here), boot parameters, memory, threads and entropy (SharedHypercalls.Host.cs).
/// A target's [HypercallTarget] class derives from this one (the generated glue calls
/// <c>PosixHypercalls.MutexEnter</c>, found here) and says, from its module initializer, how a timed wait
/// measures time, how long a contended mutex spins and how its host threads are named (<see cref="UseHost"/>).
/// The end of the instance is signalled through <see cref="InstanceWaits"/> (Start at Init, End at exit or panic).
/// </summary>
internal abstract partial class SharedHypercalls
{
    // Set once when the kernel assembly loads (the target's module initializer), before any lock or thread exists.
    private static WaitClock s_clock = new StopwatchWaitClock();
    private static int s_mutexSpins;
    private static string s_threadNamePrefix = "rump: ";

    private protected SharedHypercalls()
    {
    }

    /// <summary>
    /// The target's choices: the clock of timed waits, how often a contended mutex spins before it blocks,
    /// and the prefix of its host threads' names.
    /// </summary>
    protected static void UseHost(WaitClock timedWaits, int mutexSpins, string threadNamePrefix)
    {
        s_clock = timedWaits;
        s_mutexSpins = mutexSpins;
        s_threadNamePrefix = threadNamePrefix;
    }

    // ---- the current lwp ----

    public static void SetCurLwp(object? lwp) => CurLwpTable.Set(lwp);

    public static object? CurLwp() => CurLwpTable.Get();

    // ---- mutexes ----

    public static void MutexInit(int flags, out object mutex)
    {
        var m = new HostMutex(s_mutexSpins);
        InstanceWaits.Register(m);
        mutex = m;
    }

    public static void MutexEnter(object mutex) => ((HostMutex)mutex).Enter();

    public static void MutexEnterNoWrap(object mutex) => ((HostMutex)mutex).Enter();

    public static bool MutexTryEnter(object mutex) => ((HostMutex)mutex).TryEnter();

    public static void MutexExit(object mutex) => ((HostMutex)mutex).Exit();

    public static bool MutexOwned(object mutex) => ((HostMutex)mutex).Owned;

    public static void MutexDestroy(object mutex) => InstanceWaits.Unregister(mutex);

    // ---- reader/writer locks ----

    public static void RwInit(out object rwlock)
    {
        var rw = new HostRwLock();
        InstanceWaits.Register(rw);
        rwlock = rw;
    }

    public static void RwEnter(object rwlock, bool writer) => ((HostRwLock)rwlock).Enter(writer);

    public static bool RwTryEnter(object rwlock, bool writer) => ((HostRwLock)rwlock).TryEnter(writer);

    public static void RwExit(object rwlock) => ((HostRwLock)rwlock).Exit();

    public static void RwDowngrade(object rwlock) => ((HostRwLock)rwlock).Downgrade();

    public static bool RwTryUpgrade(object rwlock) => ((HostRwLock)rwlock).TryUpgrade();

    public static bool RwHeld(object rwlock, bool writer) => ((HostRwLock)rwlock).Held(writer);

    public static void RwDestroy(object rwlock) => InstanceWaits.Unregister(rwlock);

    // ---- condition variables ----

    public static void CvInit(out object cv)
    {
        var c = new HostCondVar();
        InstanceWaits.Register(c);
        cv = c;
    }

    public static void CvDestroy(object cv) => InstanceWaits.Unregister(cv);

    public static void CvWait(object cv, object mutex) => ((HostCondVar)cv).Wait((HostMutex)mutex, s_clock, WaitClock.Never);

    public static int CvTimedWait(object cv, object mutex, long nanoseconds)
    {
        if (nanoseconds <= 0)
            return Errno.ETIMEDOUT;
        var clock = s_clock;
        return ((HostCondVar)cv).Wait((HostMutex)mutex, clock, clock.DeadlineAfter(nanoseconds)) ? 0 : Errno.ETIMEDOUT;
    }

    public static void CvSignal(object cv) => ((HostCondVar)cv).Signal();

    public static void CvBroadcast(object cv) => ((HostCondVar)cv).Broadcast();

    public static int CvWaiters(object cv) => ((HostCondVar)cv).Waiters;
}
