using System;

namespace Rump.Kern;

/// <summary>
/// Timed calls (callout(9)): <see cref="Schedule"/> runs the function once, after the delay, on the
/// callout thread (softclock), holding a virtual CPU. A callout function must not block for long.
/// </summary>
internal sealed class Callout
{
    // s_lock protects s_head (pending callouts sorted by due time), s_running, s_stop, and each
    // callout's _due, _pending, _running and _next. s_cv wakes the callout thread when the head
    // changes or at shutdown; s_done is broadcast after each callout function returns (callout_halt).
    private static KMutex s_lock = null!;
    private static KCondVar s_cv = null!;
    private static KCondVar s_done = null!;
    private static Callout? s_head;
    private static volatile bool s_stop;
    private static KThread? s_thread;

    private readonly Action<object?> _fn;
    private readonly object? _arg;
    private long _due;
    private bool _pending;
    private bool _running;
    private Callout? _next;

    public Callout(Action<object?> fn, object? arg)
    {
        _fn = fn;
        _arg = arg;
    }

    /// <summary>callout_pending: scheduled and not yet run.</summary>
    public bool Pending
    {
        get
        {
            s_lock.Enter();
            bool p = _pending;
            s_lock.Exit();
            return p;
        }
    }

    /// <summary>callout_schedule: runs the function once, <paramref name="nanoseconds"/> from now (reschedules if pending).</summary>
    public void Schedule(long nanoseconds)
    {
        long due = Clock.MonotonicNanoseconds + Math.Max(0, nanoseconds);
        s_lock.Enter();
        if (_pending)
            Unlink();
        _due = due;
        _pending = true;
        bool wake = Link();
        s_lock.Exit();
        if (wake)
            s_cv.Signal();
    }

    /// <summary>callout_stop: cancels a pending call; true when it was pending (and now will not run).</summary>
    public bool Stop()
    {
        s_lock.Enter();
        bool was = _pending;
        if (was)
        {
            Unlink();
            _pending = false;
        }
        s_lock.Exit();
        return was;
    }

    /// <summary>callout_halt: cancels, and waits for a call in progress to finish (unless called from it).</summary>
    public void Halt()
    {
        s_lock.Enter();
        if (_pending)
        {
            Unlink();
            _pending = false;
        }
        bool onCalloutThread = s_thread is not null && Lwp.Current == s_thread.Lwp;
        while (_running && !onCalloutThread)
            s_done.Wait(s_lock);
        s_lock.Exit();
    }

    /// <summary>Boot: starts the callout thread.</summary>
    internal static int Init()
    {
        s_lock = new KMutex();
        s_cv = new KCondVar();
        s_done = new KCondVar();
        s_head = null;
        s_stop = false;
        return KThread.Create("softclock", static _ => Run(), null, joinable: true, out s_thread);
    }

    /// <summary>
    /// Shutdown: drops pending callouts, stops the callout thread and waits until it has returned, so no
    /// callout function runs once this returns (a callout in progress finishes first).
    /// </summary>
    internal static void Shutdown()
    {
        var thread = s_thread;
        if (thread is null)
            return;
        s_lock.Enter();
        s_stop = true;
        for (var c = s_head; c is not null; c = c._next)
            c._pending = false;
        s_head = null;
        s_lock.Exit();
        s_cv.Broadcast();
        thread.Join();
        s_thread = null;
    }

    private static void Run()
    {
        s_lock.Enter();
        // After a panic every wait returns at once: stop rather than spin (the host's shutdown joins us).
        while (!s_stop && !Kernel.Panicked)
        {
            var c = s_head;
            if (c is null)
            {
                s_cv.Wait(s_lock);
                continue;
            }
            long left = c._due - Clock.MonotonicNanoseconds;
            if (left > 0)
            {
                s_cv.TimedWait(s_lock, left);
                continue;
            }
            s_head = c._next;
            c._next = null;
            c._pending = false;
            c._running = true;
            s_lock.Exit();
            c._fn(c._arg);
            s_lock.Enter();
            c._running = false;
            s_done.Broadcast();
        }
        s_lock.Exit();
    }

    // Inserts in due order; true when this callout became the head (the thread must re-arm). s_lock held.
    private bool Link()
    {
        if (s_head is null || _due < s_head._due)
        {
            _next = s_head;
            s_head = this;
            return true;
        }
        var prev = s_head;
        while (prev._next is not null && prev._next._due <= _due)
            prev = prev._next;
        _next = prev._next;
        prev._next = this;
        return false;
    }

    // Removes from the pending list. s_lock held.
    private void Unlink()
    {
        if (s_head == this)
        {
            s_head = _next;
        }
        else
        {
            for (var prev = s_head; prev is not null; prev = prev._next)
            {
                if (prev._next == this)
                {
                    prev._next = _next;
                    break;
                }
            }
        }
        _next = null;
    }
}
