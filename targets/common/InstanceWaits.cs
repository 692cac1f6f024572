using System.Runtime.CompilerServices;
using System.Threading;

namespace Rump.Target.Common;

/// <summary>A host object some kernel thread may block on; the instance wakes them all when it ends.</summary>
internal interface IWakeable
{
    /// <summary>Wakes every waiter; once the instance is dead, waits return at once.</summary>
    void WakeAll();
}

/// <summary>
/// Whether this kernel instance is alive, and every host object a kernel thread may block on, so that a halt
/// or a panic can wake them all (the kernel's threads then unwind instead of waiting for ever). Each instance
/// lives in its own load context, so these statics are per instance.
/// </summary>
internal static class InstanceWaits
{
    // Dead until the target's Init: nothing may block before the instance runs, and after it ended
    // (halt or panic) until it boots again.
    private static volatile bool s_dead = true;

    // Weak keys: a lock the kernel drops without destroying it is still collected.
    private static readonly ConditionalWeakTable<object, object?> s_waitables = new();

    /// <summary>True before Init and after the instance halted or panicked: waits return at once.</summary>
    public static bool Dead => s_dead;

    /// <summary>The target's Init: waits block again.</summary>
    public static void Start() => s_dead = false;

    public static void Register(IWakeable waitable) => s_waitables.AddOrUpdate(waitable, null);

    public static void Unregister(object waitable) => s_waitables.Remove(waitable);

    /// <summary>The instance halted or panicked: marks it dead, then wakes every registered waiter.</summary>
    public static void End()
    {
        s_dead = true;
        foreach (var entry in s_waitables)
            ((IWakeable)entry.Key).WakeAll();
    }
}

/// <summary>A private monitor a target's host thread sleeps on, woken when the instance ends.</summary>
internal sealed class WakeableGate : IWakeable
{
    public void WakeAll()
    {
        lock (this)
            Monitor.PulseAll(this);
    }
}
