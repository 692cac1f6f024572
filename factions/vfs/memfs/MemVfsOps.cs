using Rump.Kern;
using static Rump.Kern.Errno;

namespace Rump.Vfs;

/// <summary>VFS operations of an in-memory file system; rumpfs and tmpfs derive from it.</summary>
internal abstract class MemVfsOps : VfsOps
{
    /// <summary>The vnode operations of this file system's vnodes.</summary>
    protected abstract MemVnodeOps VnodeOps { get; }

    /// <summary>Makes the per-mount state; derived file systems parse options here.</summary>
    protected virtual int CreateMount(Mount mp, string options, out MemMount mem)
    {
        mem = new MemMount();
        return 0;
    }

    public override int Mount(Mount mp, Vnode? devvp, string options, Cred cred)
    {
        var error = CreateMount(mp, options, out var mem);
        if (error != 0)
            return error;
        error = mem.NewNode(VType.VDIR, out var root);
        if (error != 0)
            return error;
        root.Mode = RootMode(options);
        root.Nlink = 2;
        root.Parent = root;
        Vn.Now(out var s, out var ns);
        root.AtimeSec = root.MtimeSec = root.CtimeSec = root.BirthSec = s;
        root.AtimeNsec = root.MtimeNsec = root.CtimeNsec = root.BirthNsec = ns;
        mem.Root = root;
        mp.Data = mem;
        return 0;
    }

    /// <summary>Permission bits of the root directory.</summary>
    protected virtual int RootMode(string options) => 0x1ED; // 0755

    public override int Unmount(Mount mp, int flags)
    {
        var mem = (MemMount)mp.Data!;
        foreach (var node in new System.Collections.Generic.List<MemNode>(mem.Nodes.Values))
            mem.FreeNode(node);
        mp.Data = null;
        return 0;
    }

    public override int Root(Mount mp, out Vnode? vp)
    {
        var mem = (MemMount)mp.Data!;
        return VCache.Get(mp, new VnodeKey(mem.Root.Ino, 0), out vp);
    }

    public override int LoadVnode(Mount mp, Vnode vp, VnodeKey key)
    {
        var mem = (MemMount)mp.Data!;
        var node = mem.Find(key.Hi);
        if (node is null)
            return ENOENT;
        vp.Type = node.Type;
        vp.Op = VnodeOps;
        vp.Data = node;
        vp.Rdev = node.Rdev;
        if (ReferenceEquals(node, mem.Root))
            vp.VFlags |= Vnode.VV_ROOT;
        return 0;
    }

    public override int StatVfs(Mount mp, ref RumpStatVfs sb)
    {
        var mem = (MemMount)mp.Data!;
        mem.Lock.Enter();
        var used = mem.PagesUsed;
        var nodes = mem.Nodes.Count;
        var pageLimit = mem.PageLimit;
        var nodeLimit = mem.NodeLimit;
        mem.Lock.Exit();
        long total;
        if (pageLimit != 0)
        {
            total = pageLimit;
        }
        else
        {
            var kmemFree = Kmem.Limit == 0 ? (1L << 30) : System.Math.Max(0, Kmem.Limit - Kmem.InUse);
            total = used + kmemFree / MemNode.PageSize;
        }
        var free = System.Math.Max(0, total - used);
        sb.BSize = sb.FrSize = MemNode.PageSize;
        sb.IoSize = MemNode.PageSize;
        sb.Blocks = (ulong)total;
        sb.BFree = sb.BAvail = (ulong)free;
        var files = nodeLimit != 0 ? nodeLimit : nodes + free;
        sb.Files = (ulong)files;
        sb.FFree = sb.FAvail = (ulong)System.Math.Max(0, files - nodes);
        sb.NameMax = ComponentName.NAME_MAX;
        return 0;
    }
}
