using System;
using Rump.Kern;
using static Rump.Kern.Errno;

namespace Rump.Vfs;

/// <summary>
/// An open vnode (vfs_vnops.c's vnops for struct file). Holds one reference on <see cref="Vp"/>,
/// dropped by the last close. Reads and writes of VBLK/VCHR vnodes go to <see cref="Specfs"/>.
/// </summary>
internal sealed class VnodeFile : KFile
{
    public VnodeFile(Vnode vp, int fileFlags)
    {
        Vp = vp;
        Flags = fileFlags;
    }

    public Vnode Vp { get; }

    private bool IsDevice => Vp.Type is VType.VBLK or VType.VCHR;

    public override int Read(Lwp l, Span<byte> buffer, long offset, out int nread)
    {
        nread = 0;
        if ((Flags & FREAD) == 0)
            return EBADF;
        if (IsDevice)
            return Specfs.Read(Vp, buffer, offset, out nread);
        if (Vp.Type == VType.VDIR)
            return EISDIR;
        if (offset < 0)
            return EINVAL;
        var uio = Uio.ForRead(buffer, offset);
        Vp.Lock();
        var error = Vp.Op.Read(Vp, ref uio, 0, l.Proc.Cred);
        Vp.Unlock();
        nread = uio.Done;
        return error;
    }

    public override int Write(Lwp l, ReadOnlySpan<byte> buffer, long offset, out int nwritten)
    {
        var off = offset;
        return WriteAt(l, buffer, ref off, append: false, out nwritten);
    }

    /// <summary>
    /// Writes at <paramref name="offset"/> (at the end of file when <paramref name="append"/>) and leaves
    /// <paramref name="offset"/> just past the bytes written.
    /// </summary>
    public int WriteAt(Lwp l, ReadOnlySpan<byte> buffer, ref long offset, bool append, out int nwritten)
    {
        nwritten = 0;
        if ((Flags & FWRITE) == 0)
            return EBADF;
        if (IsDevice)
        {
            var e = Specfs.Write(Vp, buffer, offset, out nwritten);
            offset += nwritten;
            return e;
        }
        if (Vp.Type == VType.VDIR)
            return EISDIR;
        if (offset < 0)
            return EINVAL;
        var cred = l.Proc.Cred;
        Vp.Lock();
        int error;
        try
        {
            if (append)
            {
                var va = new Vattr();
                error = Vp.Op.GetAttr(Vp, va, cred);
                if (error != 0)
                    return error;
                offset = va.Size;
            }
            var uio = Uio.ForWrite(buffer, offset);
            var ioflag = (Flags & OpenFlags.O_DSYNC) != 0 || (Vp.Mount.Flags & Mount.MNT_SYNCHRONOUS) != 0 ? Vn.IO_SYNC : 0;
            error = Vp.Op.Write(Vp, ref uio, ioflag | (append ? Vn.IO_APPEND : 0), cred);
            nwritten = uio.Done;
            offset = uio.Offset;
        }
        finally
        {
            Vp.Unlock();
        }
        return error;
    }

    public override int Stat(Lwp l, out RumpStat st) => VfsSyscalls.StatVnode(Vp, l.Proc.Cred, out st);

    public override int Seek(Lwp l, long offset, int whence, long current, out long position)
    {
        position = current;
        long basePos;
        switch (whence)
        {
            case PosixConst.SEEK_SET:
                basePos = 0;
                break;
            case PosixConst.SEEK_CUR:
                basePos = current;
                break;
            case PosixConst.SEEK_END:
                if (Vp.Type == VType.VBLK)
                {
                    var e = Specfs.Size(Vp, out basePos);
                    if (e != 0)
                        return e;
                    break;
                }
                var va = new Vattr();
                Vp.Lock();
                var error = Vp.Op.GetAttr(Vp, va, l.Proc.Cred);
                Vp.Unlock();
                if (error != 0)
                    return error;
                basePos = va.Size;
                break;
            default:
                return EINVAL;
        }
        long newPos;
        try
        {
            newPos = checked(basePos + offset);
        }
        catch (OverflowException)
        {
            return EOVERFLOW;
        }
        if (newPos < 0)
            return EINVAL;
        position = newPos;
        return 0;
    }

    public override int GetDents(Lwp l, Span<byte> buffer, ref long cookie, out int nread)
    {
        nread = 0;
        if (Vp.Type != VType.VDIR)
            return ENOTDIR;
        if ((Flags & FREAD) == 0)
            return EBADF;
        var uio = Uio.ForRead(buffer, cookie);
        Vp.Lock();
        var error = Vp.Op.ReadDir(Vp, ref uio, l.Proc.Cred, out _);
        Vp.Unlock();
        nread = uio.Done;
        if (error == 0)
            cookie = uio.Offset;
        return error;
    }

    public override int Fsync(Lwp l)
    {
        if (IsDevice)
            return Specfs.Fsync(Vp);
        Vp.Lock();
        var error = Vp.Op.Fsync(Vp, l.Proc.Cred, Vn.FSYNC_WAIT);
        Vp.Unlock();
        if (error == 0 && Vp.Mount.DevVnode is { } devvp && !Vp.Mount.IsReadOnly)
            error = Bio.Flush(devvp.Rdev, wait: true);
        return error;
    }

    public override int Truncate(Lwp l, long length)
    {
        if ((Flags & FWRITE) == 0)
            return EINVAL;
        if (Vp.Type == VType.VDIR)
            return EISDIR;
        if (Vp.Type != VType.VREG)
            return EINVAL;
        if (length < 0)
            return EINVAL;
        if (Vp.Mount.IsReadOnly)
            return EROFS;
        var va = new Vattr { Size = length };
        Vp.Lock();
        var error = Vp.Op.SetAttr(Vp, va, l.Proc.Cred);
        Vp.Unlock();
        return error;
    }

    public override int StatVfs(Lwp l, out RumpStatVfs st) => Vfs.StatVfs(Vp.Mount, out st);

    public override int Close(Lwp l)
    {
        var fmode = Flags & (FREAD | FWRITE);
        int error;
        if (IsDevice)
        {
            error = Specfs.Close(Vp, fmode);
        }
        else
        {
            Vp.Lock();
            error = Vp.Op.Close(Vp, fmode, l.Proc.Cred);
            Vp.Unlock();
        }
        VCache.Rele(Vp);
        return error;
    }
}
