using System;

namespace Rump.Kern;

/// <summary>
/// The descriptor table (struct filedesc): descriptor number → open file, plus the per-descriptor
/// close-on-exec flag. The table holds one reference on each file it maps.
/// </summary>
internal sealed class FileDesc
{
    public const int FD_CLOEXEC = 1;

    /// <summary>Most descriptors a process may have open (RLIMIT_NOFILE).</summary>
    public const int MaxFiles = 1024;

    // _lock protects _files, _fdflags and _used. Files are released (which may block) after _lock is dropped.
    private readonly KMutex _lock = new();
    private KFile?[] _files = new KFile?[32];
    private byte[] _fdflags = new byte[32];
    private int _used;

    /// <summary>Number of open descriptors.</summary>
    public int Count
    {
        get
        {
            _lock.Enter();
            int n = _used;
            _lock.Exit();
            return n;
        }
    }

    /// <summary>Maps <paramref name="fp"/> at the lowest free descriptor, taking over the caller's reference; EMFILE when full.</summary>
    public int Alloc(KFile fp, out int fd)
    {
        _lock.Enter();
        int error = AllocLocked(fp, 0, out fd);
        _lock.Exit();
        return error;
    }

    /// <summary>Looks up <paramref name="fd"/> and takes a reference (Release it after use); EBADF when not open.</summary>
    public int Get(int fd, out KFile? fp)
    {
        _lock.Enter();
        fp = (uint)fd < (uint)_files.Length ? _files[fd] : null;
        fp?.Hold();
        _lock.Exit();
        return fp is null ? Errno.EBADF : 0;
    }

    /// <summary>close(2): unmaps the descriptor and drops the table's reference.</summary>
    public int Close(Lwp l, int fd)
    {
        _lock.Enter();
        var fp = (uint)fd < (uint)_files.Length ? _files[fd] : null;
        if (fp is not null)
        {
            _files[fd] = null;
            _fdflags[fd] = 0;
            _used--;
        }
        _lock.Exit();
        return fp is null ? Errno.EBADF : fp.Release(l);
    }

    /// <summary>dup(2): the lowest free descriptor maps the same file (close-on-exec clear).</summary>
    public int Dup(int fd, out int newfd)
    {
        newfd = -1;
        _lock.Enter();
        var fp = (uint)fd < (uint)_files.Length ? _files[fd] : null;
        int error = Errno.EBADF;
        if (fp is not null)
        {
            fp.Hold();
            error = AllocLocked(fp, 0, out newfd);
            if (error != 0)
                fp.Release(Lwp.Current!);
        }
        _lock.Exit();
        return error;
    }

    /// <summary>dup2(2): <paramref name="newfd"/> maps the file of <paramref name="fd"/>, closing what it mapped.</summary>
    public int Dup2(int fd, int newfd)
    {
        if ((uint)newfd >= MaxFiles)
            return Errno.EBADF;
        _lock.Enter();
        var fp = (uint)fd < (uint)_files.Length ? _files[fd] : null;
        if (fp is null)
        {
            _lock.Exit();
            return Errno.EBADF;
        }
        if (fd == newfd)
        {
            _lock.Exit();
            return 0;
        }
        int error = Grow(newfd + 1);
        if (error != 0)
        {
            _lock.Exit();
            return error;
        }
        fp.Hold();
        var old = _files[newfd];
        _files[newfd] = fp;
        _fdflags[newfd] = 0;
        if (old is null)
            _used++;
        _lock.Exit();
        // dup2 ignores the close error of the file it replaced, as NetBSD does.
        old?.Release(Lwp.Current!);
        return 0;
    }

    /// <summary>F_GETFD.</summary>
    public int GetFlags(int fd, out int fdflags)
    {
        _lock.Enter();
        bool open = (uint)fd < (uint)_files.Length && _files[fd] is not null;
        fdflags = open ? _fdflags[fd] : 0;
        _lock.Exit();
        return open ? 0 : Errno.EBADF;
    }

    /// <summary>F_SETFD (only FD_CLOEXEC is defined).</summary>
    public int SetFlags(int fd, int fdflags)
    {
        _lock.Enter();
        bool open = (uint)fd < (uint)_files.Length && _files[fd] is not null;
        if (open)
            _fdflags[fd] = (byte)(fdflags & FD_CLOEXEC);
        _lock.Exit();
        return open ? 0 : Errno.EBADF;
    }

    /// <summary>F_DUPFD: the lowest free descriptor ≥ <paramref name="minfd"/>.</summary>
    public int DupFrom(int fd, int minfd, out int newfd)
    {
        newfd = -1;
        if ((uint)minfd >= MaxFiles)
            return Errno.EINVAL;
        _lock.Enter();
        var fp = (uint)fd < (uint)_files.Length ? _files[fd] : null;
        int error = Errno.EBADF;
        if (fp is not null)
        {
            fp.Hold();
            error = AllocLocked(fp, minfd, out newfd);
            if (error != 0)
                fp.Release(Lwp.Current!);
        }
        _lock.Exit();
        return error;
    }

    /// <summary>Closes every descriptor (process exit, kernel shutdown); returns the first close error.</summary>
    public int CloseAll(Lwp l)
    {
        int first = 0;
        for (int fd = 0; ; fd++)
        {
            _lock.Enter();
            if (fd >= _files.Length)
            {
                _lock.Exit();
                return first;
            }
            var fp = _files[fd];
            if (fp is not null)
            {
                _files[fd] = null;
                _fdflags[fd] = 0;
                _used--;
            }
            _lock.Exit();
            if (fp is not null)
            {
                int error = fp.Release(l);
                if (first == 0)
                    first = error;
            }
        }
    }

    private int AllocLocked(KFile fp, int minfd, out int fd)
    {
        for (int i = minfd; i < _files.Length; i++)
        {
            if (_files[i] is null)
                return Place(fp, i, out fd);
        }
        int next = Math.Max(minfd, _files.Length);
        int error = Grow(next + 1);
        if (error != 0)
        {
            fd = -1;
            return error;
        }
        return Place(fp, next, out fd);
    }

    private int Place(KFile fp, int i, out int fd)
    {
        _files[i] = fp;
        _fdflags[i] = 0;
        _used++;
        fd = i;
        return 0;
    }

    private int Grow(int needed)
    {
        if (needed <= _files.Length)
            return 0;
        if (needed > MaxFiles)
            return Errno.EMFILE;
        int size = Math.Min(MaxFiles, Math.Max(needed, _files.Length * 2));
        Array.Resize(ref _files, size);
        Array.Resize(ref _fdflags, size);
        return 0;
    }
}
