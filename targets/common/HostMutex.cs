using System;
using System.Threading;

namespace Rump.Target.Common;

/// <summary>
/// A kernel mutex over host threads: an owner word (compare-and-swap fast path) and a monitor for blocked
/// waiters, so try-enter never blocks and the end of the instance releases everyone waiting.
/// </summary>
internal sealed class HostMutex : IWakeable
{
    private readonly object _gate = new();
    private readonly int _spins;
    private int _owner;     // managed thread id of the holder, 0 when free; atomic operations only
    private int _waiters;   // threads in Enter's slow path; atomic operations only

    /// <param name="spins">How often a contended Enter spins before it blocks (the target's choice).</param>
    public HostMutex(int spins) => _spins = spins;

    public bool TryEnter() => Interlocked.CompareExchange(ref _owner, Environment.CurrentManagedThreadId, 0) == 0;

    public void Enter()
    {
        int me = Environment.CurrentManagedThreadId;
        if (Interlocked.CompareExchange(ref _owner, me, 0) == 0)
            return;
        // Kernel critical sections are short: a holder on another CPU is likely out before a block would pay off.
        var spinner = new SpinWait();
        for (int i = 0; i < _spins; i++)
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
                    if (InstanceWaits.Dead)
                        return; // the instance ended; the caller unwinds without the mutex
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
            return; // not ours (only after the end of the instance unwound a waiter without the mutex)
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
