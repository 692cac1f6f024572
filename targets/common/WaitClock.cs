using System;
using System.Diagnostics;
using System.Threading;

namespace Rump.Target.Common;

/// <summary>
/// How a target measures a timed condition-variable wait: the one part of the shared locks that differs
/// between targets. Deadlines are in the clock's own units; <see cref="Never"/> means no deadline.
/// </summary>
internal abstract class WaitClock
{
    /// <summary>The deadline of an untimed wait.</summary>
    public const long Never = long.MaxValue;

    /// <summary>The deadline of a wait of <paramref name="nanoseconds"/> (&gt; 0) from now.</summary>
    public abstract long DeadlineAfter(long nanoseconds);

    /// <summary>
    /// A clock whose waits end from outside (a timer interrupt) arms <paramref name="expire"/> for the deadline
    /// and returns what <see cref="Disarm"/> takes; null when <see cref="Block"/> measures the time itself.
    /// </summary>
    public virtual object? Arm(long deadline, Action expire) => null;

    /// <summary>Cancels what <see cref="Arm"/> returned, once the wait is over.</summary>
    public virtual void Disarm(object timer)
    {
    }

    /// <summary>
    /// Blocks on <paramref name="gate"/> (the caller holds its monitor) until it is pulsed or, when this clock
    /// measures the time itself, a while towards the deadline. False once the deadline has passed. The caller
    /// loops: it re-checks why it waits after every return.
    /// </summary>
    public virtual bool Block(object gate, long deadline)
    {
        Monitor.Wait(gate);
        return true;
    }
}

/// <summary>
/// The host's monotonic clock (<see cref="Stopwatch"/>): the waiter measures its own deadline. A monitor's
/// timed wait counts in the runtime's coarse millisecond tick and may return a few ms early, so the deadline
/// is checked against the Stopwatch and the wait goes on: a timed wait never ends before its time.
/// </summary>
internal sealed class StopwatchWaitClock : WaitClock
{
    private static readonly double TimestampsPerNanosecond = Stopwatch.Frequency / 1_000_000_000.0;

    public override long DeadlineAfter(long nanoseconds)
    {
        double timestamps = nanoseconds * TimestampsPerNanosecond;
        long now = Stopwatch.GetTimestamp();
        // A wait longer than the clock can count is a wait for ever.
        return timestamps >= Never - now ? Never : now + Math.Max(1, (long)timestamps);
    }

    public override bool Block(object gate, long deadline)
    {
        if (deadline == Never)
            return base.Block(gate, deadline);
        long remaining = deadline - Stopwatch.GetTimestamp();
        if (remaining <= 0)
            return false;
        // Round up to whole milliseconds so the last wait does not spin.
        long ms = (remaining * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency;
        Monitor.Wait(gate, (int)Math.Min(ms, int.MaxValue - 1));
        return true;
    }
}
