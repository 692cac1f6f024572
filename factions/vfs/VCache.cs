using System.Collections.Generic;
using Rump.Kern;
using static Rump.Kern.Errno;

namespace Rump.Vfs;

/// <summary>
/// The vnode cache (vfs_vnode.c: vcache_get, vref, vrele, vrecycle). One vnode per (mount, key).
/// Unreferenced vnodes stay cached (inactive, on an LRU free list) until the list passes
/// <see cref="MaxFree"/>, their file is removed, or their mount goes away.
/// </summary>
internal static class VCache
{
    /// <summary>Most unreferenced vnodes kept cached (desiredvnodes).</summary>
    public static int MaxFree = 4096;

    // s_lock protects: s_table, s_byMount, s_nextId, every vnode's UseCount/State/free-list links, s_free*.
    private static readonly KMutex s_lock = new();
    private static readonly KCondVar s_changed = new();
    private static readonly Dictionary<(Mount, VnodeKey), Vnode> s_table = new();
    private static readonly Dictionary<Mount, HashSet<Vnode>> s_byMount = new(ReferenceEqualityComparer.Instance);
    private static Vnode? s_freeHead, s_freeTail;
    private static int s_freeCount;
    private static long s_nextId;

    /// <summary>Forgets the vnodes of an earlier instance (warm boot: statics outlive shutdown).</summary>
    internal static void Reset()
    {
        s_lock.Enter();
        s_table.Clear();
        s_byMount.Clear();
        s_freeHead = s_freeTail = null;
        s_freeCount = 0;
        s_nextId = 0;
        s_lock.Exit();
    }

    /// <summary>Vnodes cached (referenced or not).</summary>
    public static int Count
    {
        get
        {
            s_lock.Enter();
            var n = s_table.Count;
            s_lock.Exit();
            return n;
        }
    }

    /// <summary>
    /// vcache_get: the vnode of (mp, key), referenced; loads it through VFS_LOADVNODE on a miss.
    /// ENOENT when the file system has no such node; ENXIO while the mount is being unmounted.
    /// </summary>
    public static int Get(Mount mp, VnodeKey key, out Vnode? vp)
    {
        vp = null;
        s_lock.Enter();
        Vnode? v;
        while (true)
        {
            if (!s_table.TryGetValue((mp, key), out v))
                break;
            if (v.State == VnodeState.Loaded)
            {
                if (v.UseCount++ == 0)
                    FreeListRemove(v);
                s_lock.Exit();
                vp = v;
                return 0;
            }
            // Loading or being reclaimed by another thread: wait for it to settle.
            s_changed.Wait(s_lock);
        }
        v = new Vnode(++s_nextId, mp, key) { UseCount = 1, State = VnodeState.Loading };
        s_table.Add((mp, key), v);
        if (!s_byMount.TryGetValue(mp, out var set))
            s_byMount.Add(mp, set = new HashSet<Vnode>(ReferenceEqualityComparer.Instance));
        set.Add(v);
        s_lock.Exit();

        var error = mp.Op.LoadVnode(mp, v, key);

        s_lock.Enter();
        if (error != 0)
        {
            s_table.Remove((mp, v.Key));
            s_byMount[mp].Remove(v);
            v.State = VnodeState.Reclaimed;
            s_changed.Broadcast();
            s_lock.Exit();
            return error;
        }
        v.State = VnodeState.Loaded;
        s_changed.Broadcast();
        s_lock.Exit();
        vp = v;
        return 0;
    }

    /// <summary>
    /// vcache_rekey: the file system moved the node of <paramref name="vp"/> (msdosfs rename changes the
    /// directory entry that identifies it). EEXIST when another vnode has <paramref name="newKey"/>.
    /// </summary>
    public static int Rekey(Vnode vp, VnodeKey newKey)
    {
        s_lock.Enter();
        try
        {
            if (vp.Key == newKey)
                return 0;
            if (s_table.ContainsKey((vp.Mount, newKey)))
                return EEXIST;
            s_table.Remove((vp.Mount, vp.Key));
            vp.Key = newKey;
            s_table.Add((vp.Mount, newKey), vp);
            return 0;
        }
        finally
        {
            s_lock.Exit();
        }
    }

    /// <summary>
    /// vcache_tryvget: a reference to a vnode the caller knows of but holds no reference to (the name cache's),
    /// if it is still loaded — reviving it from the free list. False when it is being (or was) reclaimed.
    /// </summary>
    public static bool TryRef(Vnode vp)
    {
        s_lock.Enter();
        bool loaded = vp.State == VnodeState.Loaded;
        if (loaded && vp.UseCount++ == 0)
            FreeListRemove(vp);
        s_lock.Exit();
        return loaded;
    }

    /// <summary>vref: another reference to a vnode already referenced by the caller.</summary>
    public static void Ref(Vnode vp)
    {
        s_lock.Enter();
        if (vp.UseCount <= 0)
            Kernel.Panic("vref: unreferenced " + vp);
        vp.UseCount++;
        s_lock.Exit();
    }

    /// <summary>
    /// vrele: drops a reference; the last one runs VOP_INACTIVE (and VOP_RECLAIM when the file system asks,
    /// or when the cache is over its limit). The caller must not hold the vnode's lock.
    /// </summary>
    public static void Rele(Vnode vp)
    {
        s_lock.Enter();
        if (vp.UseCount <= 0)
            Kernel.Panic("vrele: unreferenced " + vp);
        if (--vp.UseCount > 0)
        {
            s_lock.Exit();
            return;
        }
        s_lock.Exit();

        vp.Lock();
        vp.Op.Inactive(vp, out var recycle);
        vp.Unlock();

        Vnode? victim = null;
        s_lock.Enter();
        if (vp.UseCount == 0 && vp.State == VnodeState.Loaded)
        {
            if (recycle)
            {
                BeginReclaim(vp);
                victim = vp;
            }
            else
            {
                FreeListAppend(vp);
            }
        }
        Vnode? old = null;
        if (victim is null && s_freeCount > MaxFree && s_freeHead is not null)
        {
            old = s_freeHead;
            FreeListRemove(old);
            BeginReclaim(old);
        }
        s_lock.Exit();

        if (victim is not null)
            FinishReclaim(victim);
        if (old is not null)
            FinishReclaim(old);
    }

    /// <summary>vput: unlock and release.</summary>
    public static void Put(Vnode vp)
    {
        vp.Unlock();
        Rele(vp);
    }

    /// <summary>The number of references held on <paramref name="vp"/> (v_usecount).</summary>
    public static int UseCount(Vnode vp)
    {
        s_lock.Enter();
        var n = vp.UseCount;
        s_lock.Exit();
        return n;
    }

    /// <summary>
    /// vflush: reclaims every vnode of <paramref name="mp"/>. EBUSY (reclaiming nothing) when one is still
    /// referenced, unless <paramref name="force"/>, which turns referenced vnodes into dead ones.
    /// </summary>
    public static int Flush(Mount mp, bool force)
    {
        var victims = new List<Vnode>();
        s_lock.Enter();
        if (s_byMount.TryGetValue(mp, out var set))
        {
            foreach (var v in set)
            {
                if (v.State == VnodeState.Loading || (v.UseCount > 0 && !force))
                {
                    s_lock.Exit();
                    return EBUSY;
                }
            }
            foreach (var v in set)
            {
                if (v.State != VnodeState.Loaded)
                    continue;
                if (v.OnFreeList)
                    FreeListRemove(v);
                BeginReclaim(v);
                victims.Add(v);
            }
        }
        s_lock.Exit();
        foreach (var v in victims)
            FinishReclaim(v);
        return 0;
    }

    /// <summary>Every vnode of a mount that is referenced right now, referenced again for the caller (vfs_vnode_iterator, for sync).</summary>
    public static List<Vnode> Snapshot(Mount mp)
    {
        var list = new List<Vnode>();
        s_lock.Enter();
        if (s_byMount.TryGetValue(mp, out var set))
        {
            foreach (var v in set)
            {
                if (v.State != VnodeState.Loaded)
                    continue;
                if (v.UseCount++ == 0)
                    FreeListRemove(v);
                list.Add(v);
            }
        }
        s_lock.Exit();
        return list;
    }

    // Called with s_lock held.
    private static void BeginReclaim(Vnode vp) => vp.State = VnodeState.Reclaiming;

    private static void FinishReclaim(Vnode vp)
    {
        // No name may lead to a vnode that is going away (cache_purge in vclean).
        NameCache.Purge(vp);
        vp.Lock();
        vp.Op.Reclaim(vp);
        vp.Op = VnodeOps.Dead;
        vp.Data = null;
        vp.Type = VType.VBAD;
        vp.Unlock();
        s_lock.Enter();
        s_table.Remove((vp.Mount, vp.Key));
        if (s_byMount.TryGetValue(vp.Mount, out var set))
        {
            set.Remove(vp);
            if (set.Count == 0)
                s_byMount.Remove(vp.Mount);
        }
        vp.State = VnodeState.Reclaimed;
        s_changed.Broadcast();
        s_lock.Exit();
    }

    private static void FreeListAppend(Vnode vp)
    {
        vp.OnFreeList = true;
        vp.FreeNext = null;
        vp.FreePrev = s_freeTail;
        if (s_freeTail is not null)
            s_freeTail.FreeNext = vp;
        else
            s_freeHead = vp;
        s_freeTail = vp;
        s_freeCount++;
    }

    private static void FreeListRemove(Vnode vp)
    {
        if (!vp.OnFreeList)
            return;
        if (vp.FreePrev is not null) vp.FreePrev.FreeNext = vp.FreeNext; else s_freeHead = vp.FreeNext;
        if (vp.FreeNext is not null) vp.FreeNext.FreePrev = vp.FreePrev; else s_freeTail = vp.FreePrev;
        vp.FreeNext = vp.FreePrev = null;
        vp.OnFreeList = false;
        s_freeCount--;
    }
}
