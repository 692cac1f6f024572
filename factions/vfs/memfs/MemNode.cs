using System.Collections.Generic;
using Rump.Kern;

namespace Rump.Vfs;

/// <summary>
/// A node of an in-memory file system (tmpfs_node / rumpfs_node). Fields are protected by the lock of
/// the node's vnode, except <see cref="Nlink"/>/<see cref="Parent"/> of a directory entry's target,
/// changed only under the locks of the directories involved and the node's own vnode lock.
/// </summary>
internal class MemNode
{
    public const int PageShift = 12;
    public const int PageSize = 1 << PageShift;

    public MemNode(long ino, VType type)
    {
        Ino = ino;
        Type = type;
        if (type == VType.VDIR)
        {
            Entries = new Dictionary<string, MemDirent>(System.StringComparer.Ordinal);
            Order = new SortedDictionary<long, MemDirent>();
        }
    }

    public long Ino { get; }
    public VType Type { get; }
    public int Mode;
    public uint Uid, Gid;
    public int Nlink;
    public long Size;
    public long AtimeSec, AtimeNsec, MtimeSec, MtimeNsec, CtimeSec, CtimeNsec, BirthSec, BirthNsec;
    public DevT Rdev;

    /// <summary>Directory: its parent (itself at the root); null once removed.</summary>
    public MemNode? Parent;

    /// <summary>Directory entries by name, and by readdir cookie (cookies 0 and 1 are "." and "..").</summary>
    public readonly Dictionary<string, MemDirent>? Entries;
    public readonly SortedDictionary<long, MemDirent>? Order;
    public long NextCookie = 2;

    /// <summary>Regular file: data pages by page index; absent = hole (reads as zeroes).</summary>
    public Dictionary<long, byte[]>? Pages;

    /// <summary>Symbolic link target.</summary>
    public string? LinkTarget;

    /// <summary>What a file system deriving from MemFs hangs on a node (rumpfs: etfs backing).</summary>
    public object? Special;

    public void TouchModify()
    {
        Vn.Now(out var s, out var ns);
        MtimeSec = CtimeSec = s;
        MtimeNsec = CtimeNsec = ns;
    }

    public void TouchChange()
    {
        Vn.Now(out var s, out var ns);
        CtimeSec = s;
        CtimeNsec = ns;
    }

    public void TouchAccess()
    {
        Vn.Now(out var s, out var ns);
        AtimeSec = s;
        AtimeNsec = ns;
    }

    public void AddEntry(string name, MemNode node)
    {
        var de = new MemDirent(name, node, NextCookie++);
        Entries!.Add(name, de);
        Order!.Add(de.Cookie, de);
    }

    public void RemoveEntry(MemDirent de)
    {
        Entries!.Remove(de.Name);
        Order!.Remove(de.Cookie);
    }
}

/// <summary>A directory entry: name → node, with a stable readdir cookie.</summary>
internal sealed class MemDirent
{
    public MemDirent(string name, MemNode node, long cookie)
    {
        Name = name;
        Node = node;
        Cookie = cookie;
    }

    public string Name { get; }
    public MemNode Node { get; }
    public long Cookie { get; }
}
