namespace Rump.Kern;

/// <summary>
/// A process (struct proc): credentials, descriptor table, current and root directory. proc0 runs
/// the kernel's own threads; proc1 (created at boot with root credentials) runs host system calls.
/// </summary>
internal sealed class Proc
{
    // LwpLock (spin) protects _freeLwps and _nextLid.
    private readonly KMutex _lwpLock = new(spin: true);
    private Lwp? _freeLwps;
    private int _nextLid;

    public Proc(int pid, string name, Cred cred)
    {
        Pid = pid;
        Name = name;
        Cred = cred;
        Fd = new FileDesc();
    }

    public int Pid { get; }

    public string Name { get; }

    /// <summary>Protects <see cref="Cred"/>, <see cref="Cwd"/> and <see cref="Root"/> against concurrent change.</summary>
    public readonly KMutex Lock = new();

    /// <summary>Credentials; replaced (never mutated) under <see cref="Lock"/>.</summary>
    public Cred Cred;

    /// <summary>The descriptor table (its own lock).</summary>
    public readonly FileDesc Fd;

    /// <summary>Current directory vnode; owned and cast by the vfs faction, changed under <see cref="Lock"/>.</summary>
    public object? Cwd;

    /// <summary>
    /// Root directory vnode (chroot); owned and cast by the vfs faction, changed under <see cref="Lock"/>.
    /// Null = the kernel's root: nothing sets it while chroot(2) is not in the system-call table.
    /// </summary>
    public object? Root { get; set; }

    /// <summary>A new lwp of this process (for a kernel thread).</summary>
    internal Lwp NewLwp(string name)
    {
        _lwpLock.Enter();
        int lid = ++_nextLid;
        _lwpLock.Exit();
        return new Lwp(this, lid, name);
    }

    /// <summary>An lwp for a host thread entering a system call, from the cache when possible.</summary>
    internal Lwp AllocImplicitLwp()
    {
        _lwpLock.Enter();
        var l = _freeLwps;
        if (l is not null)
        {
            _freeLwps = l.NextFree;
            l.NextFree = null;
            _lwpLock.Exit();
            return l;
        }
        int lid = ++_nextLid;
        _lwpLock.Exit();
        return new Lwp(this, lid, "syscall") { Implicit = true };
    }

    internal void FreeImplicitLwp(Lwp l)
    {
        l.SyscallDepth = 0;
        l.CvInterlock = null;
        _lwpLock.Enter();
        l.NextFree = _freeLwps;
        _freeLwps = l;
        _lwpLock.Exit();
    }
}
