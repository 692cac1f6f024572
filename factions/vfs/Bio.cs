using System.Collections.Generic;
using Rump.Kern;
using static Rump.Kern.Errno;

namespace Rump.Vfs;

/// <summary>
/// The buffer cache (vfs_bio.c) over the block device switch. Buffers are keyed by (device, block number
/// in DEV_BSIZE units), so every vnode of one device shares them. A buffer handed out by
/// <see cref="Bread"/>/<see cref="Getblk"/> is busy (owned by the caller) until the caller gives it back with
/// exactly one of <see cref="Brelse"/>, <see cref="Bwrite"/> (write now) or <see cref="Bdwrite"/> (delayed
/// write: written by <see cref="Flush"/> — from fsync, sync, unmount — or by the syncer after
/// <see cref="DelayedWriteAge"/>). Buffer memory comes from Kmem; clean buffers are evicted LRU first
/// past <see cref="Limit"/> bytes.
/// Data of a buffer: <c>bp.Data</c> from <c>bp.DataOffset</c> (always 0 here), <c>bp.Count</c> bytes.
/// </summary>
internal static class Bio
{
    /// <summary>Brelse flag: discard the contents (BC_INVAL).</summary>
    public const int BC_INVAL = 0x1;

    /// <summary>Bytes of buffer memory kept before clean buffers are evicted (a quarter of a kernel memory limit, at most 32 MiB).</summary>
    public static long Limit = 32L << 20;

    /// <summary>Sizes the cache from the boot memory limit (faction init).</summary>
    public static void Init()
    {
        // Warm boot: buffers of an earlier instance in this load context are gone with it.
        s_lock.Enter();
        s_hash.Clear();
        s_byBuf.Clear();
        s_perDevice.Clear();
        s_spare.Clear();   // charged to the earlier instance's memory accounting
        s_lruHead = s_lruTail = null;
        s_bytes = 0;
        s_lock.Exit();
        Limit = Kmem.Limit == 0 ? 32L << 20 : System.Math.Clamp(Kmem.Limit / 4, 64 * 1024, 32L << 20);
    }

    /// <summary>Age after which the syncer writes a delayed write (nanoseconds).</summary>
    public static long DelayedWriteAge = 2_000_000_000L;

    private sealed class Entry
    {
        public readonly Buf Buf;
        public readonly DevT Dev;
        public readonly long Blkno;
        public readonly int Size;
        public bool Busy;       // BC_BUSY: owned by a caller or under I/O
        public bool Valid;      // contents match the device or are newer (B_DONE)
        public bool Dirty;      // BO_DELWRI
        public long DirtySince;
        public Entry? Prev, Next;   // LRU of not-busy buffers
        public bool OnLru;

        public Entry(Buf buf, DevT dev, long blkno, int size)
        {
            Buf = buf;
            Dev = dev;
            Blkno = blkno;
            Size = size;
        }
    }

    // s_lock protects everything below and every Entry's fields; s_wait signals a buffer became not busy.
    private static readonly KMutex s_lock = new();
    private static readonly KCondVar s_wait = new();
    private static readonly Dictionary<(DevT, long), Entry> s_hash = new();
    private static readonly Dictionary<Buf, Entry> s_byBuf = new(ReferenceEqualityComparer.Instance);
    private static readonly Dictionary<DevT, int> s_perDevice = new();   // buffers per device, for the purge fast path
    private static Entry? s_lruHead, s_lruTail;
    private static long s_bytes;
    private static readonly System.Action<Buf> s_readAheadDone = ReadAheadDone;

    // Memory of dropped buffers, still charged to Kmem, for the next buffer: a full cache replaces a buffer
    // on every miss, and recycling keeps that churn away from the host's allocator (and its collector).
    private const int SpareMax = 64;
    private static readonly Stack<byte[]> s_spare = new();

    /// <summary>Statistics: device reads (read-ahead included), device writes, cache hits, read-aheads started.</summary>
    public static long Reads, Writes, Hits, ReadAheads;

    /// <summary>
    /// bread: the buffer of <paramref name="size"/> bytes at <paramref name="blkno"/> of the device of
    /// <paramref name="devvp"/>, read from the device unless cached. On error the buffer is released and
    /// <paramref name="bp"/> is null.
    /// </summary>
    public static int Bread(Vnode devvp, long blkno, int size, out Buf bp)
    {
        var error = GetEntry(devvp.Rdev, blkno, size, out var e);
        if (error != 0)
        {
            bp = null!;
            return error;
        }
        if (!e!.Valid)
        {
            error = DeviceIo(e.Dev, Buf.B_READ, e.Buf, e.Blkno, e.Size);
            if (error != 0)
            {
                Release(e, invalidate: true);
                bp = null!;
                return error;
            }
            e.Valid = true;
        }
        bp = e.Buf;
        return 0;
    }

    /// <summary>
    /// getblk: the buffer at <paramref name="blkno"/> without reading it (for a block the caller overwrites
    /// whole). Its contents are the cached data, or zeroes. ENOMEM when buffer memory runs out.
    /// </summary>
    public static int Getblk(Vnode devvp, long blkno, int size, out Buf bp)
    {
        var error = GetEntry(devvp.Rdev, blkno, size, out var e);
        if (error != 0)
        {
            bp = null!;
            return error;
        }
        if (!e!.Valid)
        {
            System.Array.Clear(e.Buf.Data, 0, e.Size);
            e.Valid = true;
        }
        bp = e.Buf;
        return 0;
    }

    /// <summary>brelse: gives a busy buffer back unchanged (or discarded with BC_INVAL).</summary>
    public static void Brelse(Buf bp, int flags = 0) => Release(Lookup(bp), (flags & BC_INVAL) != 0);

    /// <summary>bwrite: writes the buffer to the device now, waits, releases it. Returns the I/O error.</summary>
    public static int Bwrite(Buf bp)
    {
        var e = Lookup(bp);
        var error = DeviceIo(e.Dev, Buf.B_WRITE, e.Buf, e.Blkno, e.Size);
        s_lock.Enter();
        e.Dirty = false;
        s_lock.Exit();
        Release(e, invalidate: false);
        return error;
    }

    /// <summary>bdwrite: marks the buffer dirty and releases it; written later (delayed write).</summary>
    public static void Bdwrite(Buf bp)
    {
        var e = Lookup(bp);
        s_lock.Enter();
        if (!e.Dirty)
        {
            e.Dirty = true;
            e.DirtySince = Clock.MonotonicNanoseconds;
        }
        s_lock.Exit();
        Release(e, invalidate: false);
    }

    /// <summary>
    /// Writes the delayed writes of <paramref name="dev"/> (all of them, or only those older than
    /// <paramref name="olderThanNs"/>), several in flight at once, in block order; then, when
    /// <paramref name="wait"/>, asks the device to flush its write cache. Returns the first I/O error.
    /// </summary>
    public static int Flush(DevT dev, bool wait, long olderThanNs = 0) => FlushWhere(dev, allDevices: false, wait, olderThanNs);

    /// <summary>Flushes the delayed writes of every device (sync(2), the syncer).</summary>
    public static int FlushAll(bool wait, long olderThanNs = 0) => FlushWhere(default, allDevices: true, wait, olderThanNs);

    /// <summary>Delayed writes waiting (for statistics and tests).</summary>
    public static int DirtyCount(DevT dev)
    {
        s_lock.Enter();
        var n = 0;
        foreach (var e in s_hash.Values)
        {
            if (e.Dev == dev && e.Dirty)
                n++;
        }
        s_lock.Exit();
        return n;
    }

    /// <summary>
    /// vinvalbuf for a device: flushes its delayed writes, then drops all of its buffers (at unmount and
    /// close, so the next mount reads fresh data). Waits for busy buffers.
    /// </summary>
    public static int Invalidate(DevT dev)
    {
        var error = Flush(dev, wait: true);
        s_lock.Enter();
        while (true)
        {
            Entry? busy = null;
            var drop = new List<Entry>();
            foreach (var e in s_hash.Values)
            {
                if (e.Dev != dev)
                    continue;
                if (e.Busy)
                    busy = e;
                else
                    drop.Add(e);
            }
            foreach (var e in drop)
            {
                if (e.Dirty && error == 0)
                    error = EIO; // written after our flush and not flushed again: report, then drop
                Remove(e);
            }
            if (busy is null)
                break;
            s_wait.Wait(s_lock);
        }
        s_lock.Exit();
        return error;
    }

    /// <summary>incore: true when the block is in the cache (valid, or being read).</summary>
    public static bool Incore(DevT dev, long blkno)
    {
        s_lock.Enter();
        var found = s_hash.ContainsKey((dev, blkno));
        s_lock.Exit();
        return found;
    }

    /// <summary>
    /// The read-ahead half of breadn: starts reading the block of <paramref name="size"/> bytes at
    /// <paramref name="blkno"/> into the cache (an asynchronous request, B_ASYNC) and returns without waiting.
    /// Nothing happens when the block is cached or being read, or when buffer memory is short; a failed read
    /// leaves nothing cached (a later bread reads again and reports the error).
    /// </summary>
    public static void ReadAhead(Vnode devvp, long blkno, int size)
    {
        var dev = devvp.Rdev;
        if (size <= 0 || blkno < 0)
            return;
        s_lock.Enter();
        if (s_hash.ContainsKey((dev, blkno)))
        {
            s_lock.Exit();
            return;
        }
        // Read-ahead only takes free room or clean buffers: it never waits to write a dirty one.
        if (s_bytes + size > Limit && !EvictClean(Limit - size))
        {
            s_lock.Exit();
            return;
        }
        if (AllocMemory(size, out var memory) != 0)
        {
            s_lock.Exit();
            return;
        }
        var buf = new Buf { Data = memory, DataOffset = 0, Count = size, Blkno = blkno, Dev = dev };
        var e = new Entry(buf, dev, blkno, size) { Busy = true };
        s_hash.Add((dev, blkno), e);
        s_byBuf.Add(buf, e);
        s_perDevice[dev] = s_perDevice.GetValueOrDefault(dev) + 1;
        s_bytes += size;
        ReadAheads++;
        s_lock.Exit();
        if (Start(dev, Buf.B_READ | Buf.B_ASYNC, buf, blkno, size, s_readAheadDone) != 0)
        {
            buf.Error = ENXIO;   // no driver: forget the buffer
            ReadAheadDone(buf);
        }
    }

    /// <summary>
    /// The blocks at <paramref name="firstBlkno"/>, <paramref name="firstBlkno"/> + <paramref name="stride"/>, …
    /// (<paramref name="count"/> of them) were overwritten on the device by their owner (a direct write):
    /// waits for any that are busy and drops the cached copies, so no later bread returns stale bytes.
    /// Costs one lookup per block, nothing when the device has no cached buffers.
    /// </summary>
    public static void PurgeBlocks(DevT dev, long firstBlkno, int stride, long count)
    {
        s_lock.Enter();
        for (long i = 0; i < count && s_perDevice.ContainsKey(dev); i++)
        {
            var key = (dev, firstBlkno + i * stride);
            while (s_hash.TryGetValue(key, out var e))
            {
                if (e.Busy)
                {
                    s_wait.Wait(s_lock);
                    continue;
                }
                Remove(e);
                break;
            }
        }
        s_lock.Exit();
    }

    // ---- internals ----

    private static Entry Lookup(Buf bp)
    {
        s_lock.Enter();
        if (!s_byBuf.TryGetValue(bp, out var e) || !e.Busy)
        {
            s_lock.Exit();
            Kernel.Panic("bio: buffer not from the cache or not busy");
        }
        s_lock.Exit();
        return e;
    }

    private static int GetEntry(DevT dev, long blkno, int size, out Entry? result)
    {
        result = null;
        if (size <= 0 || blkno < 0)
            return EINVAL;
        s_lock.Enter();
        while (true)
        {
            if (s_hash.TryGetValue((dev, blkno), out var e))
            {
                if (e.Busy)
                {
                    s_wait.Wait(s_lock);
                    continue;
                }
                if (e.Size == size)
                {
                    e.Busy = true;
                    LruRemove(e);
                    Hits++;
                    s_lock.Exit();
                    result = e;
                    return 0;
                }
                // Same block, another size: write it back if needed and forget it.
                e.Busy = true;
                LruRemove(e);
                if (e.Dirty)
                {
                    s_lock.Exit();
                    var werr = DeviceIo(e.Dev, Buf.B_WRITE, e.Buf, e.Blkno, e.Size);
                    s_lock.Enter();
                    if (werr != 0)
                    {
                        e.Busy = false;
                        LruAppend(e);
                        s_wait.Broadcast();
                        s_lock.Exit();
                        return werr;
                    }
                    e.Dirty = false;
                }
                Remove(e);
                s_wait.Broadcast();
                continue;
            }
            break;
        }
        var err = MakeRoom(size);
        if (err == 0 && s_hash.ContainsKey((dev, blkno)))
        {
            // MakeRoom dropped the lock and someone made it meanwhile: start over.
            s_lock.Exit();
            return GetEntry(dev, blkno, size, out result);
        }
        if (err != 0)
        {
            s_lock.Exit();
            return err;
        }
        err = AllocMemory(size, out var memory);
        while (err != 0 && s_lruHead is not null)
        {
            // Kernel memory is short: give back a clean buffer (writing it first if dirty) and retry.
            var before = s_bytes;
            EvictTo(s_bytes - 1);
            if (s_bytes >= before)
                break; // nothing could be given back
            if (s_hash.ContainsKey((dev, blkno)))
            {
                s_lock.Exit();
                return GetEntry(dev, blkno, size, out result);
            }
            err = AllocMemory(size, out memory);
        }
        if (err != 0)
        {
            s_lock.Exit();
            return err;
        }
        var buf = new Buf { Data = memory, DataOffset = 0, Count = size, Blkno = blkno, Dev = dev };
        var ne = new Entry(buf, dev, blkno, size) { Busy = true };
        s_hash.Add((dev, blkno), ne);
        s_byBuf.Add(buf, ne);
        s_perDevice[dev] = s_perDevice.GetValueOrDefault(dev) + 1;
        s_bytes += size;
        s_lock.Exit();
        result = ne;
        return 0;
    }

    // Called with s_lock held; may drop and retake it to write a dirty victim.
    private static int MakeRoom(int size) => EvictTo(Limit - size);

    // Called with s_lock held; evicts LRU buffers until at most `target` bytes are cached.
    private static int EvictTo(long target)
    {
        while (s_bytes > target && s_lruHead is not null)
        {
            var victim = s_lruHead;
            LruRemove(victim);
            if (victim.Dirty)
            {
                victim.Busy = true;
                s_lock.Exit();
                var error = DeviceIo(victim.Dev, Buf.B_WRITE, victim.Buf, victim.Blkno, victim.Size);
                s_lock.Enter();
                victim.Busy = false;
                if (error != 0)
                {
                    // Keep it: the data is not on the device.
                    LruAppend(victim);
                    s_wait.Broadcast();
                    return 0;
                }
                victim.Dirty = false;
                s_wait.Broadcast();
            }
            Remove(victim);
        }
        return 0;
    }

    private static void Release(Entry e, bool invalidate)
    {
        s_lock.Enter();
        e.Busy = false;
        if (invalidate)
        {
            Remove(e);
        }
        else
        {
            LruAppend(e);
        }
        s_wait.Broadcast();
        s_lock.Exit();
    }

    // Called with s_lock held; e is not on the LRU.
    private static void Remove(Entry e)
    {
        LruRemove(e);
        if (s_hash.TryGetValue((e.Dev, e.Blkno), out var cur) && ReferenceEquals(cur, e))
            s_hash.Remove((e.Dev, e.Blkno));
        if (s_byBuf.Remove(e.Buf))
        {
            if (s_perDevice.TryGetValue(e.Dev, out var n) && n > 1)
                s_perDevice[e.Dev] = n - 1;
            else
                s_perDevice.Remove(e.Dev);
            s_bytes -= e.Size;
            if (s_spare.Count < SpareMax)
                s_spare.Push(e.Buf.Data);
            else
                Kmem.Free(e.Buf.Data);
        }
    }

    private static int FlushWhere(DevT dev, bool allDevices, bool wait, long olderThanNs)
    {
        var now = Clock.MonotonicNanoseconds;
        var batch = new List<Entry>();
        s_lock.Enter();
        foreach (var e in s_hash.Values)
        {
            if ((allDevices || e.Dev == dev) && e.Dirty && !e.Busy && (olderThanNs <= 0 || now - e.DirtySince >= olderThanNs))
            {
                e.Busy = true;
                LruRemove(e);
                batch.Add(e);
            }
        }
        s_lock.Exit();
        batch.Sort(static (a, b) => a.Dev != b.Dev ? a.Dev.GetHashCode().CompareTo(b.Dev.GetHashCode()) : a.Blkno.CompareTo(b.Blkno));

        // Start every write, then wait for all: the device works on several at once.
        var firstError = 0;
        var started = new List<(Entry, int)>(batch.Count);
        foreach (var e in batch)
            started.Add((e, Start(e.Dev, Buf.B_WRITE, e.Buf, e.Blkno, e.Size)));
        var devices = new List<DevT>();
        foreach (var (e, startError) in started)
        {
            var error = startError != 0 ? startError : Finish(e.Buf, e.Size);
            s_lock.Enter();
            if (error == 0)
                e.Dirty = false;
            else if (firstError == 0)
                firstError = error;
            e.Busy = false;
            LruAppend(e);
            s_wait.Broadcast();
            s_lock.Exit();
            if (!devices.Contains(e.Dev))
                devices.Add(e.Dev);
        }
        if (wait)
        {
            if (!allDevices && !devices.Contains(dev))
                devices.Add(dev);
            foreach (var d in devices)
            {
                var sw = DevSw.Block(d.Major);
                var error = sw is null ? ENXIO : sw.Sync(d);
                if (error != 0 && firstError == 0)
                    firstError = error;
            }
        }
        return firstError;
    }

    /// <summary>One synchronous transfer through the block device switch.</summary>
    private static int DeviceIo(DevT dev, int flags, Buf bp, long blkno, int size)
    {
        var error = Start(dev, flags, bp, blkno, size);
        return error != 0 ? error : Finish(bp, size);
    }

    private static int Start(DevT dev, int flags, Buf bp, long blkno, int size, System.Action<Buf>? iodone = null)
    {
        var sw = DevSw.Block(dev.Major);
        if (sw is null)
            return ENXIO;
        bp.Flags = flags;
        bp.Dev = dev;
        bp.Blkno = blkno;
        bp.Count = size;
        bp.Error = 0;
        bp.Resid = 0;
        bp.Done = false;
        bp.IoDone = iodone;
        if ((flags & Buf.B_WRITE) != 0) Writes++; else Reads++;
        sw.Strategy(bp);
        return 0;
    }

    private static int Finish(Buf bp, int size)
    {
        var error = bp.Biowait();
        if (error == 0 && bp.Resid != 0)
            error = EIO;
        return error;
    }

    // Buffer memory of `size` bytes: a spare one, or new from Kmem. Called with s_lock held.
    private static int AllocMemory(int size, out byte[] memory)
    {
        while (s_spare.TryPop(out var spare))
        {
            if (spare.Length == size)
            {
                memory = spare;
                return 0;
            }
            Kmem.Free(spare);
        }
        return Kmem.Alloc(size, out memory);
    }

    // Completion of a read-ahead (on whatever thread finished the I/O): the buffer becomes valid and not busy.
    private static void ReadAheadDone(Buf bp)
    {
        s_lock.Enter();
        if (s_byBuf.TryGetValue(bp, out var e))
        {
            e.Busy = false;
            if (bp.Error == 0 && bp.Resid == 0)
            {
                e.Valid = true;
                LruAppend(e);
            }
            else
            {
                Remove(e);
            }
            s_wait.Broadcast();
        }
        s_lock.Exit();
    }

    // Called with s_lock held: evicts clean LRU buffers (skipping dirty ones) until at most `target` bytes are
    // cached; false when that is not possible without writing.
    private static bool EvictClean(long target)
    {
        for (var e = s_lruHead; e is not null && s_bytes > target;)
        {
            var next = e.Next;
            if (!e.Dirty)
                Remove(e);
            e = next;
        }
        return s_bytes <= target;
    }

    private static void LruAppend(Entry e)
    {
        if (e.OnLru)
            return;
        e.OnLru = true;
        e.Next = null;
        e.Prev = s_lruTail;
        if (s_lruTail is not null) s_lruTail.Next = e; else s_lruHead = e;
        s_lruTail = e;
    }

    private static void LruRemove(Entry e)
    {
        if (!e.OnLru)
            return;
        if (e.Prev is not null) e.Prev.Next = e.Next; else s_lruHead = e.Next;
        if (e.Next is not null) e.Next.Prev = e.Prev; else s_lruTail = e.Prev;
        e.Prev = e.Next = null;
        e.OnLru = false;
    }
}
