using System;
using System.Threading;

namespace Rump.Target.Posix;

/// <summary>Host lock objects the instance can wake all at once when it panics.</summary>
internal interface IWakeable
{
    /// <summary>Wakes every waiter; after a panic waits return at once.</summary>
    void WakeAll();
}

/// <summary>
/// A kernel mutex: an owner word (compare-and-swap fast path) and a monitor for blocked waiters, so
/// try-enter never blocks and a panic can release everyone waiting.
/// </summary>
internal sealed class PosixMutex : IWakeable
{
    private readonly object _gate = new();
    private int _owner;     // managed thread id of the holder, 0 when free; atomic operations only
    private int _waiters;   // threads in Enter's slow path; atomic operations only

    public PosixMutex(int flags) => Flags = flags;

    public int Flags { get; }

    public bool TryEnter() => Interlocked.CompareExchange(ref _owner, Environment.CurrentManagedThreadId, 0) == 0;

    public void Enter()
    {
        int me = Environment.CurrentManagedThreadId;
        if (Interlocked.CompareExchange(ref _owner, me, 0) == 0)
            return;
        // Spin briefly: kernel critical sections are short.
        var spinner = new SpinWait();
        for (int i = 0; i < 20; i++)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
            if (Volatile.Read(ref _owner) == 0 && Interlocked.CompareExchange(ref _owner, me, 0) == 0)
                return;
        }
        lock (_gate)
        {
            Interlocked.Increment(ref _waiters);
            try
            {
                while (Interlocked.CompareExchange(ref _owner, me, 0) != 0)
                {
                    if (PosixHypercalls.Dead)
                        return; // the instance panicked; the caller unwinds without the mutex
                    Monitor.Wait(_gate);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _waiters);
            }
        }
    }

    public void Exit()
    {
        int me = Environment.CurrentManagedThreadId;
        if (Interlocked.CompareExchange(ref _owner, 0, me) != me)
            return; // not ours (only after a panic unwound a waiter without the mutex)
        if (Volatile.Read(ref _waiters) > 0)
        {
            lock (_gate)
                Monitor.Pulse(_gate);
        }
    }

    public bool Owned => Volatile.Read(ref _owner) == Environment.CurrentManagedThreadId;

    public void WakeAll()
    {
        lock (_gate)
            Monitor.PulseAll(_gate);
    }
}

/// <summary>A reader/writer lock preferring writers (new readers wait while a writer waits).</summary>
internal sealed class PosixRwLock : IWakeable
{
    // _gate protects every field below.
    private readonly object _gate = new();
    private int _readers;
    private int _writer;          // managed thread id of the writer, 0 when none
    private int _writersWaiting;

    public bool TryEnter(bool writer)
    {
        lock (_gate)
            return TryEnterLocked(writer);
    }

    public void Enter(bool writer)
    {
        lock (_gate)
        {
            if (writer)
                _writersWaiting++;
            try
            {
                while (!TryEnterLocked(writer, waitingWriter: writer))
                {
                    if (PosixHypercalls.Dead)
                        return;
                    Monitor.Wait(_gate);
                }
            }
            finally
            {
                if (writer)
                    _writersWaiting--;
            }
        }
    }

    public void Exit()
    {
        lock (_gate)
        {
            if (_writer == Environment.CurrentManagedThreadId)
                _writer = 0;
            else if (_readers > 0)
                _readers--;
            Monitor.PulseAll(_gate);
        }
    }

    public void Downgrade()
    {
        lock (_gate)
        {
            if (_writer != Environment.CurrentManagedThreadId)
                return;
            _writer = 0;
            _readers = 1;
            Monitor.PulseAll(_gate);
        }
    }

    public bool TryUpgrade()
    {
        lock (_gate)
        {
            if (_readers != 1 || _writer != 0)
                return false;
            _readers = 0;
            _writer = Environment.CurrentManagedThreadId;
            return true;
        }
    }

    public bool Held(bool writer)
    {
        lock (_gate)
            return writer ? _writer == Environment.CurrentManagedThreadId : _readers > 0;
    }

    public void WakeAll()
    {
        lock (_gate)
            Monitor.PulseAll(_gate);
    }

    private bool TryEnterLocked(bool writer, bool waitingWriter = false)
    {
        if (writer)
        {
            if (_writer != 0 || _readers != 0)
                return false;
            _writer = Environment.CurrentManagedThreadId;
            return true;
        }
        if (_writer != 0 || (_writersWaiting > 0 && !waitingWriter))
            return false;
        _readers++;
        return true;
    }
}

/// <summary>
/// A condition variable with its own wait queue (a monitor on a private object). The waiter takes
/// the queue's monitor before it releases the mutex, so a signal sent after the release (the
/// signaller must hold the mutex) cannot be lost.
/// </summary>
internal sealed class PosixCondVar : IWakeable
{
    private readonly object _gate = new();
    private int _waiters;   // protected by _gate

    public int Waiters
    {
        get
        {
            lock (_gate)
                return _waiters;
        }
    }

    /// <summary>Waits; false when <paramref name="timeoutTicks"/> (100 ns units, -1 = forever) passed.</summary>
    public bool Wait(PosixMutex mutex, long timeoutTicks)
    {
        bool signalled = true;
        lock (_gate)
        {
            if (PosixHypercalls.Dead)
                return true;
            _waiters++;
            mutex.Exit();
            try
            {
                if (timeoutTicks < 0)
                    Monitor.Wait(_gate);
                else
                    signalled = Monitor.Wait(_gate, TimeSpan.FromTicks(Math.Min(timeoutTicks, (long)int.MaxValue * TimeSpan.TicksPerMillisecond)));
            }
            finally
            {
                _waiters--;
            }
        }
        mutex.Enter();
        return signalled;
    }

    public void Signal()
    {
        lock (_gate)
        {
            if (_waiters > 0)
                Monitor.Pulse(_gate);
        }
    }

    public void Broadcast()
    {
        lock (_gate)
        {
            if (_waiters > 0)
                Monitor.PulseAll(_gate);
        }
    }

    public void WakeAll() => Broadcast();
}
