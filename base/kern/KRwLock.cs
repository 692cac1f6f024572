namespace Rump.Kern;

/// <summary>krwlock_t over the hypercall reader/writer lock (adaptive like <see cref="KMutex"/>).</summary>
internal sealed class KRwLock
{
    private readonly object _rw;

    public KRwLock() => Hyp.RwInit(out _rw);

    public void Enter(bool writer) => Hyp.RwEnter(_rw, writer);

    public bool TryEnter(bool writer) => Hyp.RwTryEnter(_rw, writer);

    public void Exit() => Hyp.RwExit(_rw);

    /// <summary>rw_downgrade: the writer becomes a reader without letting another writer in.</summary>
    public void Downgrade() => Hyp.RwDowngrade(_rw);

    /// <summary>rw_tryupgrade: the only reader becomes the writer; false when others read.</summary>
    public bool TryUpgrade() => Hyp.RwTryUpgrade(_rw);

    /// <summary>rw_write_held: held for writing by the calling thread.</summary>
    public bool WriteHeld => Hyp.RwHeld(_rw, true);

    /// <summary>rw_read_held: held for reading (by anyone).</summary>
    public bool ReadHeld => Hyp.RwHeld(_rw, false);

    public void Destroy() => Hyp.RwDestroy(_rw);
}
