using System;
using System.Threading;

namespace Rump.Target.Common;

/// <summary>A kernel reader/writer lock over host threads, preferring writers (new readers wait while a writer waits).</summary>
internal sealed class HostRwLock : IWakeable
{
    // _gate protects every field below.
    private readonly object _gate = new();
    private int _readers;
    private int _writer;          // managed thread id of the writer, 0 when none
    private int _writersWaiting;

    public bool TryEnter(bool writer)
    {
        lock (_gate)
            return TryEnterLocked(writer, waitingWriter: false);
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
                    if (InstanceWaits.Dead)
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
