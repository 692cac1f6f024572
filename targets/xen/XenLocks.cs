using System;
using System.Collections.Generic;
using System.Threading;

namespace Rump.Target.Xen;

/// <summary>Host lock objects the instance can wake all at once when it panics or halts.</summary>
internal interface IWakeable
{
    void WakeAll();
}

/// <summary>
/// A kernel mutex on the domain's one virtual CPU: an owner word (compare-and-swap fast path) and a
/// monitor for blocked waiters, so try-enter never blocks and a halt can release every waiter.
/// </summary>
internal sealed class XenMutex : IWakeable
{
    private readonly object _gate = new();
    private int _owner;     // managed thread id of the holder, 0 when free; atomic operations only
    private int _waiters;   // threads in Enter's slow path; atomic operations only

    public bool TryEnter() => Interlocked.CompareExchange(ref _owner, Environment.CurrentManagedThreadId, 0) == 0;

    public void Enter()
    {
        int me = Environment.CurrentManagedThreadId;
        if (Interlocked.CompareExchange(ref _owner, me, 0) == 0)
            return;
        lock (_gate)
        {
            Interlocked.Increment(ref _waiters);
            try
            {
                while (Interlocked.CompareExchange(ref _owner, me, 0) != 0)
                {
                    if (XenHypercalls.Dead)
                        return;   // the instance ended; the caller unwinds without the mutex
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
            return;
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

/// <summary>A reader/writer lock preferring writers.</summary>
internal sealed class XenRwLock : IWakeable
{
    // _gate protects every field below.
    private readonly object _gate = new();
    private int _readers;
    private int _writer;
    private int _writersWaiting;

    public bool TryEnter(bool writer)
    {
        lock (_gate)
            return TryEnterLocked(writer, false);
    }

    public void Enter(bool writer)
    {
        lock (_gate)
        {
            if (writer)
                _writersWaiting++;
            try
            {
                while (!TryEnterLocked(writer, writer))
                {
                    if (XenHypercalls.Dead)
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

    private bool TryEnterLocked(bool writer, bool waitingWriter)
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
/// A condition variable with a FIFO of waiters. Timed waits end through the domain's timer (VIRQ_TIMER,
/// see <see cref="XenClock"/>), not a host timeout: the expiry handler wakes the waiter it belongs to.
/// </summary>
internal sealed class XenCondVar : IWakeable
{
    private sealed class Waiter
    {
        public bool Woken;
        public bool TimedOut;
    }

    // _gate protects _waiters and every Waiter's fields.
    private readonly object _gate = new();
    private readonly LinkedList<Waiter> _waiters = new();

    public int Waiters
    {
        get
        {
            lock (_gate)
                return _waiters.Count;
        }
    }

    /// <summary>Waits; false when the deadline (system time ns, 0 = none) passed first.</summary>
    public bool Wait(XenMutex mutex, long deadline)
    {
        var w = new Waiter();
        LinkedListNode<Waiter> node;
        XenClock.TimerEntry? timer = null;
        lock (_gate)
        {
            if (XenHypercalls.Dead)
                return true;
            node = _waiters.AddLast(w);
            mutex.Exit();
            if (deadline != 0)
                timer = XenClock.AddTimer(deadline, () => Expire(node));
            while (!w.Woken && !XenHypercalls.Dead)
                Monitor.Wait(_gate);
            if (node.List is not null)
                _waiters.Remove(node);
        }
        if (timer is not null)
            XenClock.CancelTimer(timer);
        mutex.Enter();
        return !w.TimedOut;
    }

    private void Expire(LinkedListNode<Waiter> node)
    {
        lock (_gate)
        {
            if (node.Value.Woken)
                return;
            node.Value.Woken = true;
            node.Value.TimedOut = true;
            if (node.List is not null)
                _waiters.Remove(node);
            Monitor.PulseAll(_gate);
        }
    }

    public void Signal()
    {
        lock (_gate)
        {
            var first = _waiters.First;
            if (first is null)
                return;
            _waiters.RemoveFirst();
            first.Value.Woken = true;
            Monitor.PulseAll(_gate);
        }
    }

    public void Broadcast()
    {
        lock (_gate)
        {
            if (_waiters.Count == 0)
                return;
            foreach (var w in _waiters)
                w.Woken = true;
            _waiters.Clear();
            Monitor.PulseAll(_gate);
        }
    }

    public void WakeAll()
    {
        lock (_gate)
            Monitor.PulseAll(_gate);
    }
}
