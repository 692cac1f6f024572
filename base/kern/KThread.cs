using System;

namespace Rump.Kern;

/// <summary>
/// Kernel threads (kthread_create/kthread_join): a host thread from the thread hypercall running
/// <c>body</c> on its own lwp of proc0, holding a virtual CPU while it runs kernel code. A thread ends
/// when its body returns; long-running bodies poll <see cref="Kernel.IsRunning"/> (or their own
/// stop flag) and return at shutdown, which waits for every kernel thread.
/// </summary>
internal sealed class KThread
{
    // s_lock protects s_live (kernel threads started and not yet finished); s_cv is broadcast when
    // s_live drops to zero. Both are created at boot.
    private static KMutex s_lock = null!;
    private static KCondVar s_cv = null!;
    private static int s_live;

    private readonly Action<object?> _body;
    private readonly object? _arg;
    private readonly bool _joinable;
    private object? _thread;

    private KThread(string name, Action<object?> body, object? arg, bool joinable, Lwp lwp)
    {
        Name = name;
        _body = body;
        _arg = arg;
        _joinable = joinable;
        Lwp = lwp;
    }

    public string Name { get; }

    /// <summary>The thread's lwp.</summary>
    public Lwp Lwp { get; }

    /// <summary>Kernel threads started and not yet finished.</summary>
    public static int Live
    {
        get
        {
            s_lock.Enter();
            int n = s_live;
            s_lock.Exit();
            return n;
        }
    }

    /// <summary>kthread_create. <paramref name="t"/> is set only when <paramref name="joinable"/>.</summary>
    public static int Create(string name, Action<object?> body, object? arg, bool joinable, out KThread? t)
    {
        t = null;
        if (!Kernel.IsRunning)
            return Errno.EBUSY;
        var thread = new KThread(name, body, arg, joinable, Kernel.Proc0.NewLwp(name));
        s_lock.Enter();
        s_live++;
        s_lock.Exit();
        int error = Hyp.ThreadCreate(Trampoline, thread, name, joinable, out var handle);
        if (error != 0)
        {
            Finished();
            return error;
        }
        thread._thread = handle;
        if (joinable)
            t = thread;
        return 0;
    }

    /// <summary>kthread_join: waits for a joinable thread to finish.</summary>
    public int Join()
    {
        if (!_joinable || _thread is null)
            return Errno.EINVAL;
        return Hyp.ThreadJoin(_thread);
    }

    internal static void Init()
    {
        s_lock = new KMutex();
        s_cv = new KCondVar();
        s_live = 0;
    }

    /// <summary>Shutdown: waits until every kernel thread finished, at most <paramref name="nanoseconds"/>; ETIMEDOUT otherwise.</summary>
    internal static int WaitAll(long nanoseconds)
    {
        long deadline = Clock.MonotonicNanoseconds + nanoseconds;
        s_lock.Enter();
        int error = 0;
        while (s_live > 0)
        {
            long left = deadline - Clock.MonotonicNanoseconds;
            if (left <= 0)
            {
                error = Errno.ETIMEDOUT;
                break;
            }
            s_cv.TimedWait(s_lock, left);
        }
        s_lock.Exit();
        return error;
    }

    private static void Trampoline(object? state)
    {
        var t = (KThread)state!;
        Hyp.SetCurLwp(t.Lwp);
        try
        {
            Kernel.ThrowIfPanicked();
            Sched.Schedule(t.Lwp);
            t._body(t._arg);
        }
        catch (RumpKernelPanicException)
        {
            // The instance panicked: this thread just ends.
        }
        catch (Exception e)
        {
            Kernel.PanicNoThrow("kernel thread " + t.Name + ": unhandled " + e.GetType().Name + ": " + e.Message);
        }
        finally
        {
            Sched.Unschedule(t.Lwp);
            Finished();
            Hyp.SetCurLwp(null);
        }
    }

    private static void Finished()
    {
        s_lock.Enter();
        if (--s_live == 0)
            s_cv.Broadcast();
        s_lock.Exit();
    }
}
