using System;
using System.Threading;

namespace Rump.Kern;

/// <summary>
/// An open file (struct file and its struct fileops in one). Factions derive from it (vnodes, sockets,
/// devices) and override what they support; the rest fails with the errno NetBSD returns.
/// A new file has one reference, which <see cref="FileDesc.Alloc"/> hands to the descriptor table.
/// </summary>
internal abstract class KFile
{
    public const int FREAD = 0x1, FWRITE = 0x2;

    // Reference count; atomic operations only. The last Release calls Close.
    private int _refs = 1;

    /// <summary>FREAD | FWRITE | O_APPEND | O_NONBLOCK … (f_flag); changed under <see cref="OffsetLock"/>.</summary>
    public int Flags;

    /// <summary>f_offset; protected by <see cref="OffsetLock"/>.</summary>
    public long Offset;

    /// <summary>Serialises offset updates of read/write/lseek on this file.</summary>
    public readonly KMutex OffsetLock = new();

    public virtual int Read(Lwp l, Span<byte> buffer, long offset, out int nread)
    {
        nread = 0;
        return Errno.EOPNOTSUPP;
    }

    public virtual int Write(Lwp l, ReadOnlySpan<byte> buffer, long offset, out int nwritten)
    {
        nwritten = 0;
        return Errno.EOPNOTSUPP;
    }

    public virtual int Stat(Lwp l, out Rump.RumpStat st)
    {
        st = default;
        return Errno.EOPNOTSUPP;
    }

    /// <summary>New offset for lseek; <paramref name="current"/> is the offset now.</summary>
    public virtual int Seek(Lwp l, long offset, int whence, long current, out long position)
    {
        position = current;
        return Errno.ESPIPE;
    }

    public virtual int GetDents(Lwp l, Span<byte> buffer, ref long cookie, out int nread)
    {
        nread = 0;
        return Errno.ENOTDIR;
    }

    public virtual int Fsync(Lwp l) => Errno.EINVAL;

    public virtual int Truncate(Lwp l, long length) => Errno.EINVAL;

    public virtual int StatVfs(Lwp l, out Rump.RumpStatVfs st)
    {
        st = default;
        return Errno.EOPNOTSUPP;
    }

    /// <summary>The last reference was dropped: release what the file holds.</summary>
    public virtual int Close(Lwp l) => 0;

    /// <summary>Takes a reference.</summary>
    public void Hold() => Interlocked.Increment(ref _refs);

    /// <summary>Drops a reference; the last one closes the file and returns Close's error.</summary>
    public int Release(Lwp l)
    {
        int refs = Interlocked.Decrement(ref _refs);
        if (refs > 0)
            return 0;
        if (refs < 0)
            Kernel.Panic("KFile.Release: reference count below zero");
        return Close(l);
    }

    /// <summary>Current number of references (diagnostics).</summary>
    public int References => Volatile.Read(ref _refs);
}
