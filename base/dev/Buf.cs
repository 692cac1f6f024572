using System;

namespace Rump.Kern;

/// <summary>
/// A block I/O request (struct buf): <see cref="Count"/> bytes of <see cref="Data"/> at
/// <see cref="DataOffset"/>, to or from block <see cref="Blkno"/> (DEV_BSIZE units) of <see cref="Dev"/>.
/// A driver's strategy routine completes it with <see cref="Biodone"/>; the issuer either waits with
/// <see cref="Biowait"/> or is called back through <see cref="IoDone"/>.
/// </summary>
/// <remarks>
/// Locking: the request fields belong to the issuer until it hands the buf to a strategy routine and to
/// the driver until Biodone. <see cref="Done"/> and the wait channel are protected by the global
/// <see cref="s_doneLock"/> (NetBSD protects b_done with the buf's object lock; one lock is plenty here,
/// it is held for a few instructions only).
/// </remarks>
internal sealed class Buf
{
    public const int DEV_BSIZE = 512;
    public const int DEV_BSHIFT = 9;

    public const int B_READ = 0x1;
    public const int B_WRITE = 0x2;
    /// <summary>The issuer does not wait; completion through <see cref="IoDone"/>.</summary>
    public const int B_ASYNC = 0x4;
    /// <summary>Flush the device's write cache after this write (ordered, durable).</summary>
    public const int B_SYNC = 0x8;

    private static readonly KMutex s_doneLock = new();

    /// <summary>Created on first wait; protected by <see cref="s_doneLock"/>.</summary>
    private KCondVar? _doneCv;

    public byte[] Data = [];
    public int DataOffset;
    /// <summary>b_bcount: bytes requested.</summary>
    public int Count;
    /// <summary>b_blkno: block number relative to <see cref="Dev"/>, in DEV_BSIZE units.</summary>
    public long Blkno;
    /// <summary>b_rawblkno: block number on the underlying disk (set by partition layers, used by disksort).</summary>
    public long RawBlkno;
    public int Flags;
    /// <summary>b_error: 0 or an errno.</summary>
    public int Error;
    /// <summary>b_resid: bytes not transferred.</summary>
    public int Resid;
    /// <summary>B_DONE; protected by the done lock once the buf is in flight.</summary>
    public bool Done;
    public DevT Dev;
    /// <summary>b_iodone: runs when the I/O finishes (possibly on a host I/O thread).</summary>
    public Action<Buf>? IoDone;
    /// <summary>b_private: for the driver that holds the buf.</summary>
    public object? Private;

    public Buf()
    {
    }

    public Buf(DevT dev, int flags, byte[] data, int dataOffset, int count, long blkno)
    {
        Dev = dev;
        Flags = flags;
        Data = data;
        DataOffset = dataOffset;
        Count = count;
        Blkno = blkno;
        RawBlkno = blkno;
        Resid = count;
    }

    public bool IsRead => (Flags & B_READ) != 0;

    /// <summary>The bytes this request transfers.</summary>
    public Span<byte> Span => Data.AsSpan(DataOffset, Count);

    /// <summary>The bytes this request transfers, for asynchronous host I/O.</summary>
    public Memory<byte> Memory => Data.AsMemory(DataOffset, Count);

    /// <summary>Byte offset of <see cref="Blkno"/>; checked because block numbers come from on-disk data.</summary>
    public long ByteOffset => checked(Blkno * DEV_BSIZE);

    /// <summary>Prepares this buf for another request (brelse + getblk in one).</summary>
    public void Reset(DevT dev, int flags, byte[] data, int dataOffset, int count, long blkno)
    {
        Dev = dev;
        Flags = flags;
        Data = data;
        DataOffset = dataOffset;
        Count = count;
        Blkno = blkno;
        RawBlkno = blkno;
        Error = 0;
        Resid = count;
        Done = false;
        IoDone = null;
        Private = null;
    }

    /// <summary>
    /// Completes the request (biodone): records <paramref name="error"/> (the first error wins), marks
    /// the buf done, wakes <see cref="Biowait"/>, then calls <see cref="IoDone"/>. Biodone touches the
    /// buf no more once IoDone runs, so the callback may reuse or free it.
    /// </summary>
    public void Biodone(int error)
    {
        if (error != 0 && Error == 0)
            Error = error;
        var iodone = IoDone;
        s_doneLock.Enter();
        Done = true;
        _doneCv?.Broadcast();
        s_doneLock.Exit();
        iodone?.Invoke(this);
    }

    /// <summary>Waits until the request is done (biowait) and returns its error (0 or errno).</summary>
    public int Biowait()
    {
        s_doneLock.Enter();
        while (!Done)
        {
            _doneCv ??= new KCondVar();
            _doneCv.Wait(s_doneLock);
        }
        s_doneLock.Exit();
        return Error;
    }
}
