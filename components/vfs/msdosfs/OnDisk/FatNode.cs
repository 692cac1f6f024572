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

    public bool IsDirectory => IsRoot || Entry.IsDirectory;

    public void ForgetChainCache() => CachedCluster = 0;
}
