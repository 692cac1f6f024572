using System.Collections.Generic;
using Rump.Kern;
using static Rump.Kern.Errno;

namespace Rump.Vfs;

/// <summary>
/// Per-mount state of an in-memory file system: the node table and the page accounting.
/// <see cref="Lock"/> protects <see cref="Nodes"/>, the counters and the limits.
/// </summary>
internal class MemMount
{
    public readonly KMutex Lock = new();
    public readonly Dictionary<long, MemNode> Nodes = new();
    public long NextIno = 2;
    public MemNode Root = null!;

    /// <summary>Most data pages (0 = only Kmem's limit).</summary>
    public long PageLimit;
    /// <summary>Most nodes (0 = unlimited).</summary>
    public long NodeLimit;
    public long PagesUsed;

    /// <summary>A zeroed data page, charged to this mount and to Kmem; ENOSPC at either limit.</summary>
    public int AllocPage(out byte[] page)
    {
        page = [];
        Lock.Enter();
        if (PageLimit != 0 && PagesUsed >= PageLimit)
        {
            Lock.Exit();
            return ENOSPC;
        }
        PagesUsed++;
        Lock.Exit();
        var error = Kmem.Alloc(MemNode.PageSize, out page);
        if (error != 0)
        {
            Lock.Enter();
            PagesUsed--;
            Lock.Exit();
            return ENOSPC;
        }
        return 0;
    }

    public void FreePage(byte[] page)
    {
        Kmem.Free(page);
        Lock.Enter();
        PagesUsed--;
        Lock.Exit();
    }

    /// <summary>A new node in the table; ENOSPC past the node limit.</summary>
    public int NewNode(VType type, out MemNode node)
    {
        node = null!;
        Lock.Enter();
        try
        {
            if (NodeLimit != 0 && Nodes.Count >= NodeLimit)
                return ENOSPC;
            node = CreateNode(NextIno++, type);
            Nodes.Add(node.Ino, node);
            return 0;
        }
        finally
        {
            Lock.Exit();
        }
    }

    /// <summary>Makes the node object; file systems with their own node class override it.</summary>
    protected virtual MemNode CreateNode(long ino, VType type) => new(ino, type);

    /// <summary>Drops a node whose last link and vnode are gone: frees its pages.</summary>
    public void FreeNode(MemNode node)
    {
        if (node.Pages is { } pages)
        {
            foreach (var p in pages.Values)
                FreePage(p);
            pages.Clear();
        }
        Lock.Enter();
        Nodes.Remove(node.Ino);
        Lock.Exit();
        NodeFreed(node);
    }

    /// <summary>A node left the file system for good: derived file systems release what hangs on it.</summary>
    protected virtual void NodeFreed(MemNode node)
    {
    }

    public MemNode? Find(long ino)
    {
        Lock.Enter();
        Nodes.TryGetValue(ino, out var node);
        Lock.Exit();
        return node;
    }
}
