namespace Rump.Kern;

/// <summary>
/// kmutex_t over the hypercall mutex. The default is adaptive: entering tries the host mutex while
/// holding the virtual CPU (the glue's fast path) and releases the CPU only when it has to block.
/// A spin mutex never releases the CPU; hold it only briefly and never across a blocking call.
/// </summary>
internal sealed class KMutex
{
    private readonly object _mutex;

    public KMutex()
        : this(spin: false)
    {
    }

    public KMutex(bool spin)
    {
        Spin = spin;
        Hyp.MutexInit(spin ? Hyp.MTX_SPIN | Hyp.MTX_KMUTEX : Hyp.MTX_KMUTEX, out _mutex);
    }

    /// <summary>MUTEX_SPIN: entered without releasing the virtual CPU.</summary>
    public bool Spin { get; }

    /// <summary>The target's mutex object (for <see cref="KCondVar"/>).</summary>
    internal object HypMutex => _mutex;

    public void Enter()
    {
        if (Spin)
            Hyp.MutexEnterNoWrap(_mutex);
        else
            Hyp.MutexEnter(_mutex);
    }

    public bool TryEnter() => Hyp.MutexTryEnter(_mutex);

    public void Exit() => Hyp.MutexExit(_mutex);

    /// <summary>mutex_owned: held by the calling thread.</summary>
    public bool Owned => Hyp.MutexOwned(_mutex);

    public void Destroy() => Hyp.MutexDestroy(_mutex);
}
