namespace Rump.Kern;

/// <summary>
/// kcondvar_t over the hypercall condition variable. Waiting releases the virtual CPU (the glue does
/// it). With a spin mutex as interlock, waking follows rumpuser_pth's order — release the mutex the
/// host reacquired, take a CPU, then re-enter the mutex — so a thread holding the last CPU while it
/// spins on that mutex cannot deadlock against us (see <see cref="Sched.AcquireAfterHypercall"/>).
/// </summary>
internal sealed class KCondVar
{
    private readonly object _cv;

    public KCondVar() => Hyp.CvInit(out _cv);

    /// <summary>cv_wait: <paramref name="m"/> must be held; it is held again on return.</summary>
    public void Wait(KMutex m)
    {
        var l = Lwp.Current;
        if (m.Spin && l is not null)
            l.CvInterlock = m.HypMutex;
        Hyp.CvWait(_cv, m.HypMutex);
    }

    /// <summary>cv_timedwait: 0 when signalled, ETIMEDOUT when <paramref name="nanoseconds"/> passed.</summary>
    public int TimedWait(KMutex m, long nanoseconds)
    {
        if (nanoseconds <= 0)
            return Errno.ETIMEDOUT;
        var l = Lwp.Current;
        if (m.Spin && l is not null)
            l.CvInterlock = m.HypMutex;
        return Hyp.CvTimedWait(_cv, m.HypMutex, nanoseconds);
    }

    public void Signal() => Hyp.CvSignal(_cv);

    public void Broadcast() => Hyp.CvBroadcast(_cv);

    /// <summary>cv_has_waiters.</summary>
    public bool HasWaiters => Hyp.CvWaiters(_cv) > 0;

    public void Destroy() => Hyp.CvDestroy(_cv);
}
