using System;
using Rump.Kern;
using static Rump.Kern.Errno;

namespace Rump.Vfs;

/// <summary>
/// A host file behind an etfs node (regular file): bytes [Begin, Begin + Length) of the host file,
/// read and written with the file hypercalls. Opened on first use, closed when the node goes away.
/// </summary>
internal sealed class EtfsHostFile
{
    private readonly KMutex _lock = new();   // protects _fd, _readOnly, _opened
    private int _fd = -1;
    private bool _readOnly;
    private bool _opened;

    public EtfsHostFile(string hostPath, long begin, long length)
    {
        HostPath = hostPath;
        Begin = begin;
        Length = length;
    }

    public string HostPath { get; }
    public long Begin { get; }

    /// <summary>Bytes mapped; -1 = to the end of the host file (and growing with writes).</summary>
    public long Length { get; }

    private int Fd(out int fd, out bool readOnly)
    {
        _lock.Enter();
        try
        {
            if (!_opened)
            {
                var error = Hyp.Open(HostPath, Hyp.OPEN_RDWR, out _fd);
                _readOnly = false;
                if (error != 0)
                {
                    error = Hyp.Open(HostPath, Hyp.OPEN_RDONLY, out _fd);
                    _readOnly = true;
                }
                if (error != 0)
                {
                    fd = -1;
                    readOnly = true;
                    return error;
                }
                _opened = true;
            }
            fd = _fd;
            readOnly = _readOnly;
            return 0;
        }
        finally
        {
            _lock.Exit();
        }
    }

    public int Size(out long size)
    {
        size = 0;
        if (Length >= 0)
        {
            size = Length;
            return 0;
        }
        var error = Hyp.GetFileInfo(HostPath, out var hostSize, out _);
        if (error != 0)
            return error;
        size = Math.Max(0, hostSize - Begin);
        return 0;
    }

    public int Read(ref Uio uio)
    {
        var error = Fd(out var fd, out _);
        if (error != 0)
            return error;
        error = Size(out var size);
        if (error != 0)
            return error;
        Span<byte> chunk = stackalloc byte[4096];
        while (uio.Resid > 0 && uio.Offset < size)
        {
            var want = (int)Math.Min(Math.Min(uio.Resid, chunk.Length), size - uio.Offset);
            error = Hyp.Read(fd, chunk.Slice(0, want), Begin + uio.Offset, out var n);
            if (error != 0)
                return uio.Done > 0 ? 0 : error;
            if (n == 0)
                break;
            uio.MoveOut(chunk.Slice(0, n));
        }
        return 0;
    }

    public int Write(ref Uio uio)
    {
        var error = Fd(out var fd, out var readOnly);
        if (error != 0)
            return error;
        if (readOnly)
            return EROFS;
        long limit = long.MaxValue;
        if (Length >= 0)
        {
            limit = Length;
            if (uio.Offset >= limit)
                return uio.Resid > 0 ? ENOSPC : 0;
        }
        while (uio.Resid > 0 && uio.Offset < limit)
        {
            var take = (int)Math.Min(uio.Resid, limit - uio.Offset);
            var data = uio.PeekIn.Slice(0, take);
            error = Hyp.Write(fd, data, Begin + uio.Offset, out var n);
            if (error != 0)
                return uio.Done > 0 ? 0 : error;
            if (n <= 0)
                return uio.Done > 0 ? 0 : EIO;
            uio.Advance(n);
        }
        return 0;
    }

    public int Sync()
    {
        _lock.Enter();
        var fd = _opened ? _fd : -1;
        _lock.Exit();
        return fd < 0 ? 0 : Hyp.SyncFd(fd, Hyp.FSYNC_WRITE);
    }

    /// <summary>Closes the host file (the node is gone).</summary>
    public void Release()
    {
        _lock.Enter();
        if (_opened)
        {
            Hyp.Close(_fd);
            _opened = false;
            _fd = -1;
        }
        _lock.Exit();
    }
}

/// <summary>A host directory behind an etfs directory node: names are looked up on the host on demand.</summary>
internal sealed class EtfsHostDir
{
    public EtfsHostDir(string hostPath, bool subtree)
    {
        HostPath = hostPath;
        Subtree = subtree;
    }

    public string HostPath { get; }

    /// <summary>Subdirectories are mapped too (RUMP_ETFS_DIR_SUBDIRS).</summary>
    public bool Subtree { get; }
}
