using System.Collections.Generic;
using System.Threading;

namespace Rump.Target.Common;

/// <summary>
/// A kernel condition variable over host threads: a FIFO of waiters, each blocking on its own monitor, so
/// a signal wakes exactly the first waiter. A waiter joins the queue before it releases the mutex, so a
/// signal sent after the release cannot be lost. A timed wait ends by the target's <see cref="WaitClock"/>:
/// either the waiter measures the time, or the clock's timer expires the waiter.
/// </summary>
internal sealed class HostCondVar : IWakeable
{
    private sealed class Waiter
    {
        public bool Woken;      // protected by the waiter's own monitor
        public bool TimedOut;   // set under _gate, before Woken
    }

    // _gate protects _waiters.
    private readonly object _gate = new();
    private readonly LinkedList<Waiter> _waiters = new();

    /// <summary>Waiters not yet signalled.</summary>
    public int Waiters
    {
        get
        {
            lock (_gate)
                return _waiters.Count;
        }
    }

    /// <summary>Waits; false when <paramref name="deadline"/> (in <paramref name="clock"/>'s units) passed first.</summary>
    public bool Wait(HostMutex mutex, WaitClock clock, long deadline)
    {
        var w = new Waiter();
        LinkedListNode<Waiter> node;
        lock (_gate)
        {
            if (InstanceWaits.Dead)
                return true;
            node = _waiters.AddLast(w);
        }
        mutex.Exit();
        var timer = deadline == WaitClock.Never ? null : clock.Arm(deadline, () => Expire(node));
        bool inTime = true;
        lock (w)
        {
            while (!w.Woken && !InstanceWaits.Dead)
            {
                if (!clock.Block(w, deadline))
                {
                    inTime = false;
                    break;
                }
            }
        }
        if (!inTime)
            Expire(node);
        else if (!w.Woken)
            Dequeue(node);   // the instance ended
        if (timer is not null)
            clock.Disarm(timer);
        mutex.Enter();
        return !w.TimedOut;
    }

    public void Signal()
    {
        Waiter w;
        lock (_gate)
        {
            var first = _waiters.First;
            if (first is null)
                return;
            _waiters.RemoveFirst();
            w = first.Value;
        }
        Wake(w);
    }

    public void Broadcast()
    {
        Waiter[] all;
        lock (_gate)
        {
            if (_waiters.Count == 0)
                return;
            all = [.. _waiters];
            _waiters.Clear();
        }
        foreach (var w in all)
            Wake(w);
    }

    /// <summary>The instance ended: every waiter returns (it sees <see cref="InstanceWaits.Dead"/>).</summary>
    public void WakeAll()
    {
        Waiter[] all;
        lock (_gate)
            all = [.. _waiters];
        foreach (var w in all)
        {
            lock (w)
                Monitor.PulseAll(w);
        }
    }

    /// <summary>The deadline passed: a waiter still queued (not signalled meanwhile) times out.</summary>
    private void Expire(LinkedListNode<Waiter> node)
    {
        lock (_gate)
        {
            if (node.List is null)
                return;   // signalled first
            _waiters.Remove(node);
            node.Value.TimedOut = true;
        }
        Wake(node.Value);
    }

    private void Dequeue(LinkedListNode<Waiter> node)
    {
        lock (_gate)
        {
            if (node.List is not null)
                _waiters.Remove(node);
        }
    }

    private static void Wake(Waiter w)
    {
        lock (w)
        {
            w.Woken = true;
            Monitor.Pulse(w);
        }
    }
}
