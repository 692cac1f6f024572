using System;
using System.Collections.Generic;
using System.Threading;

namespace Rump.Xen.Host;

/// <summary>
/// dom0's event loop: one host thread runs back-end work (xenstore rings, console, watch callbacks) in
/// the order it was posted, so no back end runs on a guest's thread and nothing runs concurrently
/// with itself.
/// </summary>
internal sealed class Dom0Loop : IDisposable
{
    // _gate protects _queue and _stopping.
    private readonly object _gate = new();
    private readonly Queue<Action> _queue = new();
    private readonly Thread _thread;
    private bool _stopping;

    public Dom0Loop()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "xen: dom0" };
        _thread.Start();
    }

    /// <summary>Called with the exception of a back end that failed (the loop goes on).</summary>
    public Action<Exception>? OnError { get; set; }

    public void Post(Action work)
    {
        lock (_gate)
        {
            if (_stopping)
                return;
            _queue.Enqueue(work);
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>True on the loop's own thread.</summary>
    public bool OnLoopThread => Thread.CurrentThread == _thread;

    /// <summary>Waits until everything posted before this call ran (tests, orderly teardown).</summary>
    public void Drain()
    {
        if (OnLoopThread)
            return;
        using var done = new ManualResetEventSlim(false);
        Post(done.Set);
        lock (_gate)
        {
            if (_stopping)
                return;
        }
        done.Wait(TimeSpan.FromSeconds(30));
    }

    private void Run()
    {
        while (true)
        {
            Action work;
            lock (_gate)
            {
                while (_queue.Count == 0 && !_stopping)
                    Monitor.Wait(_gate);
                if (_queue.Count == 0)
                    return;
                work = _queue.Dequeue();
            }
            try
            {
                work();
            }
            catch (Exception e)
            {
                OnError?.Invoke(e);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
        if (!OnLoopThread)
            _thread.Join(TimeSpan.FromSeconds(10));
    }
}
