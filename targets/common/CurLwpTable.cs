using System;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Rump.Target.Common;

/// <summary>
/// curlwp: the kernel lwp bound to each host thread, kept in an ordinary per-instance table indexed by the
/// managed thread id instead of a <c>[ThreadStatic]</c> field. Kernel assemblies load into collectible load
/// contexts; their thread statics live in per-thread runtime slots that threads exiting while a context
/// unloads have raced with (dotnet/runtime#110837). A CoreLib <c>ThreadLocal&lt;T&gt;</c> would instead root
/// the context through every thread's slot array until disposed. This table is a static of the kernel
/// assembly only: nothing outside the context refers to it, so it goes away with the context.
/// </summary>
/// <remarks>
/// Each thread reads and writes only the slot of its own id, so those need no lock; <see cref="s_claimGate"/>
/// serialises adding slots and growing the array (copies of slot references, never of values). A slot holds
/// its thread while an lwp is bound: the runtime reuses a managed thread id only once the thread that had it
/// is collected, so no later thread can be given the id of a thread that ended with an lwp bound (and see
/// that lwp). Clearing curlwp lets the thread go. The kernel clears it on every path that sets it (syscall
/// entry/exit, kernel threads, boot, shutdown, host-thread upcalls); a path that did not would pin one id.
/// </remarks>
internal static class CurLwpTable
{
    private sealed class Slot
    {
        // Written and read only by the live thread that has this slot's id.
        public Thread? Owner;   // the thread while an lwp is bound, else null
        public object? Lwp;
    }

    private static readonly object s_claimGate = new();
    private static Slot?[] s_slots = new Slot?[64];   // replaced (grown) under s_claimGate; read without it

    /// <summary>The calling thread's lwp, or null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]   // on every system call's path, several times
    public static object? Get()
    {
        // One read of the runtime's current thread serves both the id and the owner check. A plain read of
        // s_slots suffices: Claim publishes a grown array after filling it, and a reader depends on the reference.
        var current = Thread.CurrentThread;
        var slots = s_slots;
        int id = current.ManagedThreadId;
        if ((uint)id < (uint)slots.Length && slots[id] is { } slot && ReferenceEquals(slot.Owner, current))
            return slot.Lwp;
        return null;   // no slot yet, or nothing bound
    }

    /// <summary>Binds <paramref name="lwp"/> (null: none) to the calling thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Set(object? lwp)
    {
        var current = Thread.CurrentThread;
        var slots = s_slots;
        int id = current.ManagedThreadId;
        var slot = (uint)id < (uint)slots.Length ? slots[id] : null;
        if (slot is null)
        {
            if (lwp is null)
                return;   // nothing bound to this thread
            slot = Claim(id);
        }
        slot.Lwp = lwp;
        slot.Owner = lwp is null ? null : current;
    }

    private static Slot Claim(int id)
    {
        lock (s_claimGate)
        {
            var slots = s_slots;
            if (id >= slots.Length)
            {
                var grown = new Slot?[Math.Max(id + 1, slots.Length * 2)];
                Array.Copy(slots, grown, slots.Length);
                slots = grown;
            }
            var slot = slots[id] ??= new Slot();
            Volatile.Write(ref s_slots, slots);
            return slot;
        }
    }
}
