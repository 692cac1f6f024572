namespace Rump.Kern;

/// <summary>
/// A light-weight process (struct lwp): the kernel's view of a host thread running kernel code.
/// The target binds it to the host thread (<see cref="Hyp.SetCurLwp"/>); <see cref="Current"/> is curlwp.
/// Fields marked "owner" are touched only by the host thread the lwp is bound to.
/// </summary>
internal sealed class Lwp
{
    internal Lwp(Proc proc, int lid, string name)
    {
        Proc = proc;
        Lid = lid;
        Name = name;
    }

    public Proc Proc { get; }

    /// <summary>Lwp id within its process.</summary>
    public int Lid { get; }

    public string Name { get; }

    /// <summary>curlwp: the lwp bound to the calling host thread, or null.</summary>
    public static Lwp? Current => Hyp.CurLwp() as Lwp;

    /// <summary>The virtual CPU this lwp holds, or null (owner).</summary>
    internal Cpu? Cpu;

    /// <summary>Spin mutex of a condition-variable wait in progress (owner; see <see cref="Sched.AcquireAfterHypercall"/>).</summary>
    internal object? CvInterlock;

    /// <summary>Nesting of system calls on this lwp (owner).</summary>
    internal int SyscallDepth;

    /// <summary>Created by the system-call entry for a host thread; returned to the process's cache on exit.</summary>
    internal bool Implicit;

    /// <summary>Link in the process's cache of free implicit lwps (protected by Proc.LwpLock).</summary>
    internal Lwp? NextFree;
}
