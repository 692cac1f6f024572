using System.Collections.Generic;
using Rump.Kern;

namespace Rump.Dev;

using Errno = Rump.Kern.Errno;

/// <summary>
/// A queue of block requests in front of a disk's start routine (subr_bufq.c). Not locked: the disk
/// that owns it protects it with its own lock.
/// </summary>
internal abstract class BufQueue
{
    /// <summary>Strategy names as bufq_alloc knows them.</summary>
    public const string Fcfs = "fcfs", Disksort = "disksort";

    public abstract int Count { get; }

    public abstract void Put(Buf bp);

    /// <summary>The request <see cref="Get"/> would return, or null.</summary>
    public abstract Buf? Peek();

    /// <summary>Removes and returns the next request, or null.</summary>
    public abstract Buf? Get();

    /// <summary>Removes a queued request (bufq_cancel); false when it is not queued.</summary>
    public abstract bool Cancel(Buf bp);

    /// <summary>A queue of the named strategy (bufq_alloc); EINVAL for an unknown name.</summary>
    public static int Alloc(string strategy, out BufQueue? queue)
    {
        queue = strategy switch
        {
            Fcfs => new FcfsBufQueue(),
            Disksort => new DisksortBufQueue(),
            _ => null,
        };
        return queue is null ? Errno.EINVAL : 0;
    }
}

/// <summary>First come, first served (bufq_fcfs).</summary>
internal sealed class FcfsBufQueue : BufQueue
{
    private readonly Queue<Buf> _queue = new();

    public override int Count => _queue.Count;

    public override void Put(Buf bp) => _queue.Enqueue(bp);

    public override Buf? Peek() => _queue.Count == 0 ? null : _queue.Peek();

    public override Buf? Get() => _queue.Count == 0 ? null : _queue.Dequeue();

    public override bool Cancel(Buf bp)
    {
        var n = _queue.Count;
        var found = false;
        for (var i = 0; i < n; i++)
        {
            var b = _queue.Dequeue();
            if (!found && ReferenceEquals(b, bp))
            {
                found = true;
                continue;
            }
            _queue.Enqueue(b);
        }
        return found;
    }
}

/// <summary>
/// One-way elevator (bufq_disksort): requests at or after the head position are served in ascending
/// <see cref="Buf.RawBlkno"/> order in this sweep; requests behind the head wait for the next sweep.
/// Equal block numbers keep their arrival order.
/// </summary>
internal sealed class DisksortBufQueue : BufQueue
{
    private List<Buf> _current = new();
    private List<Buf> _next = new();
    /// <summary>Block number of the last request handed out: where the head is.</summary>
    private long _head;

    public override int Count => _current.Count + _next.Count;

    public override void Put(Buf bp) => InsertSorted(bp.RawBlkno >= _head ? _current : _next, bp);

    public override Buf? Peek()
    {
        SwapIfSweepDone();
        return _current.Count == 0 ? null : _current[0];
    }

    public override Buf? Get()
    {
        SwapIfSweepDone();
        if (_current.Count == 0)
            return null;
        var bp = _current[0];
        _current.RemoveAt(0);
        _head = bp.RawBlkno;
        return bp;
    }

    public override bool Cancel(Buf bp)
    {
        var i = _current.IndexOf(bp);
        if (i >= 0)
        {
            _current.RemoveAt(i);
            return true;
        }
        i = _next.IndexOf(bp);
        if (i < 0)
            return false;
        _next.RemoveAt(i);
        return true;
    }

    private void SwapIfSweepDone()
    {
        if (_current.Count == 0 && _next.Count != 0)
        {
            (_current, _next) = (_next, _current);
            _head = 0;
        }
    }

    private static void InsertSorted(List<Buf> list, Buf bp)
    {
        // Upper bound: after every request with the same block number (stable for equal keys).
        int lo = 0, hi = list.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (list[mid].RawBlkno <= bp.RawBlkno)
                lo = mid + 1;
            else
                hi = mid;
        }
        list.Insert(lo, bp);
    }
}
