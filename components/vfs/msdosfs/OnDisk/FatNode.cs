namespace Rump.Fs.Msdosfs;

/// <summary>
/// An open file or directory (NetBSD's denode): where its directory entry lives, a copy of that entry,
/// and a one-entry cache of the last cluster looked up in its chain. The root directory has no entry.
/// Locking: the volume lock protects every field.
/// </summary>
internal sealed class FatNode
{
    /// <summary>First cluster of the directory holding the entry; 0 = the FAT12/16 fixed root region.</summary>
    public uint DirStart;
    /// <summary>Byte offset of the short entry inside that directory.</summary>
    public long DirOffset;
    /// <summary>Byte offset of the first long-name entry (== DirOffset when there is none).</summary>
    public long LfnOffset;
    public FatDirEntry Entry;
    public bool IsRoot;
    /// <summary>The entry was removed; the clusters go when the last user lets go (NetBSD: inactive).</summary>
    public bool Unlinked;
    /// <summary>The in-memory entry differs from the one on disk.</summary>
    public bool EntryDirty;
    /// <summary>Owned by the vnode layer (the vnode of this node).</summary>
    public object? Owner;

    internal uint CachedIndex;    // file cluster index of CachedCluster
    internal uint CachedCluster;  // 0 = nothing cached

    /// <summary>
    /// The whole chain as runs of physically contiguous clusters (NetBSD's fc_ cache, generalised), built
    /// on the first backward seek so random access does not walk the FAT from the start every time.
    /// Null = not built; dropped whenever the chain changes.
    /// </summary>
    internal FatExtent[]? Extents;

    /// <summary>Where the next read starts if reading is sequential (the end of the last read; 0 at open).</summary>
    internal long NextReadOffset;
    /// <summary>File offset up to which read-ahead has been started.</summary>
    internal long ReadAheadEnd;

    public bool IsDirectory => IsRoot || Entry.IsDirectory;

    public void ForgetChainCache()
    {
        CachedCluster = 0;
        Extents = null;
    }
}

/// <summary>Clusters [<see cref="FirstCluster"/>, +<see cref="Count"/>) hold file clusters [<see cref="FileIndex"/>, +Count).</summary>
internal readonly record struct FatExtent(uint FileIndex, uint FirstCluster, uint Count)
{
    /// <summary>Binary search for the run holding file cluster <paramref name="index"/>.</summary>
    public static bool Find(FatExtent[] runs, uint index, out uint cluster)
    {
        int lo = 0, hi = runs.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            var run = runs[mid];
            if (index < run.FileIndex)
                hi = mid - 1;
            else if (index - run.FileIndex >= run.Count)
                lo = mid + 1;
            else
            {
                cluster = run.FirstCluster + (index - run.FileIndex);
                return true;
            }
        }
        cluster = 0;
        return false;
    }
}
