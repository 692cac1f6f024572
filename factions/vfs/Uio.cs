using System;
using Rump.Kern;

namespace Rump.Vfs;

/// <summary>Direction of a <see cref="Uio"/>.</summary>
internal enum UioRw
{
    /// <summary>The file system copies data out to the caller (VOP_READ, VOP_READDIR, VOP_READLINK).</summary>
    Read,
    /// <summary>The file system copies data in from the caller (VOP_WRITE).</summary>
    Write,
}

/// <summary>
/// struct uio over one caller buffer: the file system moves bytes with <see cref="MoveOut"/> (reads) or
/// <see cref="MoveIn"/> (writes), which advance <see cref="Offset"/> and shrink <see cref="Resid"/>.
/// For VOP_READDIR <see cref="Offset"/> is the file system's directory cookie (0 = start) and records are
/// added with <see cref="AddDirent"/>.
/// </summary>
internal ref struct Uio
{
    private readonly Span<byte> _read;
    private readonly ReadOnlySpan<byte> _write;
    private int _done;

    private Uio(Span<byte> read, ReadOnlySpan<byte> write, UioRw rw, long offset)
    {
        _read = read;
        _write = write;
        Rw = rw;
        Offset = offset;
        _done = 0;
    }

    public static Uio ForRead(Span<byte> destination, long offset) => new(destination, default, UioRw.Read, offset);

    public static Uio ForWrite(ReadOnlySpan<byte> source, long offset) => new(default, source, UioRw.Write, offset);

    public UioRw Rw { get; }

    /// <summary>uio_offset: file offset (or directory cookie).</summary>
    public long Offset;

    /// <summary>uio_resid: bytes still to move.</summary>
    public readonly int Resid => (Rw == UioRw.Read ? _read.Length : _write.Length) - _done;

    /// <summary>Bytes moved so far.</summary>
    public readonly int Done => _done;

    /// <summary>uiomove for a read: copies up to Resid bytes of <paramref name="source"/> to the caller. Returns bytes copied.</summary>
    public int MoveOut(scoped ReadOnlySpan<byte> source)
    {
        if (Rw != UioRw.Read)
            Kernel.Panic("uio: MoveOut on a write uio");
        var n = Math.Min(source.Length, Resid);
        source.Slice(0, n).CopyTo(_read.Slice(_done));
        _done += n;
        Offset += n;
        return n;
    }

    /// <summary>A read of a hole: zero-fills up to <paramref name="count"/> bytes. Returns bytes filled.</summary>
    public int MoveZeroes(long count)
    {
        if (Rw != UioRw.Read)
            Kernel.Panic("uio: MoveZeroes on a write uio");
        var n = (int)Math.Min(count, Resid);
        _read.Slice(_done, n).Clear();
        _done += n;
        Offset += n;
        return n;
    }

    /// <summary>uiomove for a write: copies up to Resid bytes from the caller into <paramref name="destination"/>. Returns bytes copied.</summary>
    public int MoveIn(scoped Span<byte> destination)
    {
        if (Rw != UioRw.Write)
            Kernel.Panic("uio: MoveIn on a read uio");
        var n = Math.Min(destination.Length, Resid);
        _write.Slice(_done, n).CopyTo(destination);
        _done += n;
        Offset += n;
        return n;
    }

    /// <summary>
    /// Marks <paramref name="count"/> bytes as moved without a copy here: bytes of <see cref="PeekIn"/> the file
    /// system wrote straight from the caller, or bytes of <see cref="PeekOut"/> it filled in place.
    /// </summary>
    public void Advance(int count)
    {
        if (count < 0 || count > Resid)
            Kernel.Panic("uio: Advance past the end");
        _done += count;
        Offset += count;
    }

    /// <summary>The caller's remaining bytes of a write, without consuming them.</summary>
    public readonly ReadOnlySpan<byte> PeekIn => _write.Slice(_done);

    /// <summary>The caller's remaining buffer of a read, for a file system that fills it in place (then <see cref="Advance"/>).</summary>
    public readonly Span<byte> PeekOut => Rw == UioRw.Read ? _read.Slice(_done) : default;

    /// <summary>
    /// VOP_READDIR: appends one dirent record (Rump.Dirent layout) and sets <see cref="Offset"/> to
    /// <paramref name="nextCookie"/> (the cookie that resumes after this entry). Returns false, changing
    /// nothing, when the record does not fit: stop and return 0.
    /// </summary>
    public bool AddDirent(ulong fileno, byte type, scoped ReadOnlySpan<byte> utf8Name, long nextCookie)
    {
        if (Rw != UioRw.Read)
            Kernel.Panic("uio: AddDirent on a write uio");
        var n = Rump.Dirent.Write(_read.Slice(_done), fileno, type, utf8Name);
        if (n == 0)
            return false;
        _done += n;
        Offset = nextCookie;
        return true;
    }

    /// <summary><see cref="AddDirent(ulong, byte, ReadOnlySpan{byte}, long)"/> for a name given as a string.</summary>
    public bool AddDirent(ulong fileno, byte type, string name, long nextCookie)
    {
        Span<byte> utf8 = stackalloc byte[4 * ComponentName.NAME_MAX];
        var len = System.Text.Encoding.UTF8.GetBytes(name.AsSpan(), utf8);
        return AddDirent(fileno, type, utf8.Slice(0, len), nextCookie);
    }
}
