using System.Collections.Generic;
using Rump.Kern;

namespace Rump.Vfs;

using Errno = Rump.Kern.Errno;

/// <summary>
/// The name cache (vfs_cache.c): per directory vnode, component name → vnode, and negative entries
/// (name → "absent"), so a path walked again does not scan its directories again. A file system opts in
/// from its VOP_LOOKUP, as in NetBSD: <see cref="Lookup"/> first, <see cref="Enter"/> with what it found; and
/// it purges in every operation that changes a directory (create, mkdir, remove, rmdir, rename). Names are
/// kept as given (no folding): a case-insensitive file system may have several names for one vnode, so it
/// purges by vnode (<see cref="Purge"/>) and drops a directory's negative entries whenever it adds a name
/// (<see cref="PurgeNegative"/>). ".." is never cached. Entries hold no vnode reference: a hit takes one only
/// if the vnode is still loaded (<see cref="VCache.TryRef"/>), and a reclaimed vnode is purged.
/// Locking: s_lock (a leaf) protects every entry and both per-vnode lists. Entering and purging happen under
/// the directory vnode's lock held by the caller (lookup and the directory operations), which orders a
/// lookup's negative entry against a create of that name in the same directory.
/// </summary>
internal static class NameCache
{
    /// <summary>Most entries kept (numcache's limit); past it the oldest directory's entries go.</summary>
    public static int MaxEntries = 32768;

    private static readonly KMutex s_lock = new();
    private static readonly Dictionary<Vnode, Dictionary<string, Vnode?>> s_byDir = new(ReferenceEqualityComparer.Instance);
    // Where each vnode is named from: (directory, name) pairs, for purging by vnode.
    private static readonly Dictionary<Vnode, List<(Vnode Dir, string Name)>> s_byTarget = new(ReferenceEqualityComparer.Instance);
    private static readonly Queue<Vnode> s_dirOrder = new();   // directories in the order they got their first entry
    private static int s_count;
    private static long s_hits, s_negativeHits, s_misses;

    /// <summary>Forgets every entry (warm boot: statics outlive shutdown).</summary>
    internal static void Reset()
    {
        s_lock.Enter();
        s_byDir.Clear();
        s_byTarget.Clear();
        s_dirOrder.Clear();
        s_count = 0;
        s_hits = s_negativeHits = s_misses = 0;
        s_lock.Exit();
    }

    /// <summary>Entries cached.</summary>
    public static int Count
    {
        get
        {
            s_lock.Enter();
            var n = s_count;
            s_lock.Exit();
            return n;
        }
    }

    /// <summary>(hits, negative hits, misses) since boot.</summary>
    public static (long Hits, long NegativeHits, long Misses) Statistics
    {
        get
        {
            s_lock.Enter();
            var s = (s_hits, s_negativeHits, s_misses);
            s_lock.Exit();
            return s;
        }
    }

    /// <summary>
    /// cache_lookup: 0 and the vnode (referenced) on a hit, ENOENT on a negative hit, -1 on a miss (the file
    /// system looks the name up itself).
    /// </summary>
    public static int Lookup(Vnode dvp, string name, out Vnode? vp)
    {
        vp = null;
        Vnode? found;
        s_lock.Enter();
        if (!s_byDir.TryGetValue(dvp, out var names) || !names.TryGetValue(name, out found))
        {
            s_misses++;
            s_lock.Exit();
            return -1;
        }
        if (found is null)
        {
            s_negativeHits++;
            s_lock.Exit();
            return Errno.ENOENT;
        }
        s_lock.Exit();
        // Outside s_lock (VCache's lock is not taken under it). A vnode reclaimed meanwhile is a miss.
        if (!VCache.TryRef(found))
        {
            s_lock.Enter();
            s_misses++;
            s_lock.Exit();
            return -1;
        }
        s_lock.Enter();
        s_hits++;
        s_lock.Exit();
        vp = found;
        return 0;
    }

    /// <summary>cache_enter: <paramref name="name"/> in <paramref name="dvp"/> is <paramref name="vp"/> (null: absent).</summary>
    public static void Enter(Vnode dvp, string name, Vnode? vp)
    {
        if (name == "." || name == "..")
            return;
        s_lock.Enter();
        if (!s_byDir.TryGetValue(dvp, out var names))
        {
            s_byDir.Add(dvp, names = new Dictionary<string, Vnode?>(System.StringComparer.Ordinal));
            if (s_dirOrder.Count > 2 * s_byDir.Count + 64)
                CompactDirOrderLocked();
            s_dirOrder.Enqueue(dvp);
        }
        if (names.TryGetValue(name, out var old))
        {
            if (old is not null)
                RemoveBackLink(old, dvp, name);
            s_count--;
        }
        names[name] = vp;
        s_count++;
        if (vp is not null)
        {
            if (!s_byTarget.TryGetValue(vp, out var links))
                s_byTarget.Add(vp, links = new List<(Vnode, string)>(1));
            links.Add((dvp, name));
        }
        while (s_count > MaxEntries && s_dirOrder.Count > 0)
            PurgeDirLocked(s_dirOrder.Dequeue());
        s_lock.Exit();
    }

    /// <summary>Drops the negative entries of <paramref name="dvp"/> (a name was added to it).</summary>
    public static void PurgeNegative(Vnode dvp)
    {
        s_lock.Enter();
        if (s_byDir.TryGetValue(dvp, out var names))
        {
            List<string>? absent = null;
            foreach (var (name, target) in names)
            {
                if (target is null)
                    (absent ??= []).Add(name);
            }
            if (absent is not null)
            {
                foreach (var name in absent)
                    names.Remove(name);
                s_count -= absent.Count;
            }
        }
        s_lock.Exit();
    }

    /// <summary>
    /// cache_purge: every entry naming <paramref name="vp"/> (under any name, in any directory) and, when it
    /// is a directory, every entry in it. For removed, renamed and reclaimed vnodes.
    /// </summary>
    public static void Purge(Vnode vp)
    {
        s_lock.Enter();
        if (s_byTarget.Remove(vp, out var links))
        {
            foreach (var (dir, name) in links)
            {
                if (s_byDir.TryGetValue(dir, out var names) && names.TryGetValue(name, out var target) && ReferenceEquals(target, vp))
                {
                    names.Remove(name);
                    s_count--;
                }
            }
        }
        PurgeDirLocked(vp);
        s_lock.Exit();
    }

    // s_lock held. The directory stays in s_dirOrder until dequeued (a purged directory costs nothing there).
    private static void PurgeDirLocked(Vnode dvp)
    {
        if (!s_byDir.Remove(dvp, out var names))
            return;
        foreach (var (name, target) in names)
        {
            if (target is not null)
                RemoveBackLink(target, dvp, name);
        }
        s_count -= names.Count;
    }

    // s_lock held. Purged directories leave stale (or repeated) places in s_dirOrder: keep each live one once.
    private static void CompactDirOrderLocked()
    {
        var seen = new HashSet<Vnode>(ReferenceEqualityComparer.Instance);
        var live = new List<Vnode>(s_byDir.Count);
        foreach (var dir in s_dirOrder)
        {
            if (s_byDir.ContainsKey(dir) && seen.Add(dir))
                live.Add(dir);
        }
        s_dirOrder.Clear();
        foreach (var dir in live)
            s_dirOrder.Enqueue(dir);
    }

    private static void RemoveBackLink(Vnode target, Vnode dvp, string name)
    {
        if (!s_byTarget.TryGetValue(target, out var links))
            return;
        for (int i = 0; i < links.Count; i++)
        {
            if (ReferenceEquals(links[i].Dir, dvp) && links[i].Name == name)
            {
                links.RemoveAt(i);
                break;
            }
        }
        if (links.Count == 0)
            s_byTarget.Remove(target);
    }
}
