using System;
using Rump.Kern;
using static Rump.Kern.Errno;

namespace Rump.Vfs;

/// <summary>
/// Vnode operations of an in-memory file system (tmpfs_vnops.c, rumpfs.c). Shared by rumpfs (the root)
/// and tmpfs; both hook in by overriding. vp.Data is the <see cref="MemNode"/>; mp.Data the <see cref="MemMount"/>.
/// </summary>
internal class MemVnodeOps : VnodeOps
{
    /// <summary>Largest file: 2^40 bytes (EFBIG past it).</summary>
    public const long MaxFileSize = 1L << 40;

    /// <summary>Most links to one node (EMLINK).</summary>
    public const int LinkMax = 32767;

    public static MemNode Node(Vnode vp) => (MemNode)vp.Data!;

    public static MemMount Mem(Vnode vp) => (MemMount)vp.Mount.Data!;

    public override int Lookup(Vnode dvp, ComponentName cnp, out Vnode? vp)
    {
        vp = null;
        var dir = Node(dvp);
        if (dir.Parent is null && !ReferenceEquals(dir, Mem(dvp).Root))
            return ENOENT; // removed directory
        MemNode? target;
        if (cnp.IsDotDot)
        {
            target = dir.Parent ?? dir;
        }
        else if (dir.Entries!.TryGetValue(cnp.Name, out var de))
        {
            target = de.Node;
        }
        else
        {
            return LookupMiss(dvp, cnp, out vp);
        }
        return VCache.Get(dvp.Mount, new VnodeKey(target.Ino, 0), out vp);
    }

    /// <summary>The name is not in the directory: ENOENT, unless a derived file system knows it (rumpfs: /dev, etfs directories).</summary>
    protected virtual int LookupMiss(Vnode dvp, ComponentName cnp, out Vnode? vp)
    {
        vp = null;
        return ENOENT;
    }

    public override int Create(Vnode dvp, ComponentName cnp, Vattr vap, out Vnode? vp) => MakeNode(dvp, cnp, vap, VType.VREG, null, out vp);

    public override int Mknod(Vnode dvp, ComponentName cnp, Vattr vap, out Vnode? vp)
    {
        vp = null;
        if (vap.Type is not (VType.VBLK or VType.VCHR or VType.VFIFO or VType.VSOCK))
            return EINVAL;
        return MakeNode(dvp, cnp, vap, vap.Type, null, out vp);
    }

    public override int Mkdir(Vnode dvp, ComponentName cnp, Vattr vap, out Vnode? vp) => MakeNode(dvp, cnp, vap, VType.VDIR, null, out vp);

    public override int Symlink(Vnode dvp, ComponentName cnp, Vattr vap, string target, out Vnode? vp) => MakeNode(dvp, cnp, vap, VType.VLNK, target, out vp);

    /// <summary>tmpfs_alloc_file: a new node named cnp.Name in dvp.</summary>
    protected int MakeNode(Vnode dvp, ComponentName cnp, Vattr vap, VType type, string? linkTarget, out Vnode? vp)
    {
        vp = null;
        var dir = Node(dvp);
        var mem = Mem(dvp);
        if (dir.Nlink == 0)
            return ENOENT;
        if (dir.Entries!.ContainsKey(cnp.Name))
            return EEXIST;
        if (type == VType.VDIR && dir.Nlink >= LinkMax)
            return EMLINK;
        var error = mem.NewNode(type, out var node);
        if (error != 0)
            return error;
        node.Mode = (int)(vap.Mode == Vattr.VNOVAL ? 0 : vap.Mode & 0xFFF);
        node.Uid = vap.Uid == Vattr.VNOVAL ? 0 : (uint)vap.Uid;
        node.Gid = vap.Gid == Vattr.VNOVAL ? dir.Gid : (uint)vap.Gid;
        Vn.Now(out var s, out var ns);
        node.AtimeSec = node.MtimeSec = node.CtimeSec = node.BirthSec = s;
        node.AtimeNsec = node.MtimeNsec = node.CtimeNsec = node.BirthNsec = ns;
        switch (type)
        {
            case VType.VDIR:
                node.Nlink = 2;
                node.Parent = dir;
                dir.Nlink++;
                break;
            case VType.VLNK:
                node.Nlink = 1;
                node.LinkTarget = linkTarget;
                node.Size = Vn.Utf8Length(linkTarget!);
                break;
            case VType.VBLK:
            case VType.VCHR:
                node.Nlink = 1;
                node.Rdev = vap.Rdev;
                break;
            default:
                node.Nlink = 1;
                break;
        }
        dir.AddEntry(cnp.Name, node);
        dir.TouchModify();
        error = VCache.Get(dvp.Mount, new VnodeKey(node.Ino, 0), out vp);
        if (error != 0)
            Kernel.Panic("memfs: new node " + node.Ino + " has no vnode: " + error);
        return 0;
    }

    public override int Remove(Vnode dvp, Vnode vp, ComponentName cnp)
    {
        var dir = Node(dvp);
        var node = Node(vp);
        if (!dir.Entries!.TryGetValue(cnp.Name, out var de) || !ReferenceEquals(de.Node, node))
            return ENOENT;
        dir.RemoveEntry(de);
        node.Nlink--;
        node.TouchChange();
        dir.TouchModify();
        return 0;
    }

    public override int Rmdir(Vnode dvp, Vnode vp, ComponentName cnp)
    {
        var dir = Node(dvp);
        var node = Node(vp);
        if (!dir.Entries!.TryGetValue(cnp.Name, out var de) || !ReferenceEquals(de.Node, node))
            return ENOENT;
        if (node.Entries!.Count != 0)
            return ENOTEMPTY;
        dir.RemoveEntry(de);
        node.Nlink = 0;
        node.Parent = null;
        dir.Nlink--;
        node.TouchChange();
        dir.TouchModify();
        return 0;
    }

    public override int Link(Vnode dvp, Vnode vp, ComponentName cnp)
    {
        var dir = Node(dvp);
        var node = Node(vp);
        if (dir.Nlink == 0)
            return ENOENT;
        if (dir.Entries!.ContainsKey(cnp.Name))
            return EEXIST;
        if (node.Nlink >= LinkMax)
            return EMLINK;
        if (node.Nlink == 0)
            return ENOENT;
        node.Nlink++;
        dir.AddEntry(cnp.Name, node);
        node.TouchChange();
        dir.TouchModify();
        return 0;
    }

    public override int Rename(Vnode fdvp, Vnode fvp, ComponentName fcnp, Vnode tdvp, Vnode? tvp, ComponentName tcnp)
    {
        var fdir = Node(fdvp);
        var tdir = Node(tdvp);
        var node = Node(fvp);
        if (!fdir.Entries!.TryGetValue(fcnp.Name, out var fde) || !ReferenceEquals(fde.Node, node))
            return ENOENT;
        if (tdir.Nlink == 0)
            return ENOENT;
        MemDirent? tde = null;
        if (tvp is not null)
        {
            var tnode = Node(tvp);
            if (!tdir.Entries!.TryGetValue(tcnp.Name, out tde) || !ReferenceEquals(tde.Node, tnode))
                return ENOENT;
            if (tnode.Type == VType.VDIR && tnode.Entries!.Count != 0)
                return ENOTEMPTY;
        }
        else if (tdir.Entries!.ContainsKey(tcnp.Name))
        {
            return EEXIST;
        }
        if (node.Type == VType.VDIR && !ReferenceEquals(fdir, tdir) && tdir.Nlink >= LinkMax && tde is null)
            return EMLINK;

        if (tde is not null)
        {
            var tnode = tde.Node;
            tdir.RemoveEntry(tde);
            if (tnode.Type == VType.VDIR)
            {
                tnode.Nlink = 0;
                tnode.Parent = null;
                tdir.Nlink--;
            }
            else
            {
                tnode.Nlink--;
            }
            tnode.TouchChange();
        }
        fdir.RemoveEntry(fde);
        tdir.AddEntry(tcnp.Name, node);
        if (node.Type == VType.VDIR && !ReferenceEquals(fdir, tdir))
        {
            fdir.Nlink--;
            tdir.Nlink++;
            node.Parent = tdir;
        }
        node.TouchChange();
        fdir.TouchModify();
        tdir.TouchModify();
        return 0;
    }

    public override int GetAttr(Vnode vp, Vattr vap, Cred cred)
    {
        var node = Node(vp);
        vap.Type = node.Type;
        vap.Mode = node.Mode;
        vap.Nlink = node.Nlink;
        vap.Uid = node.Uid;
        vap.Gid = node.Gid;
        vap.FsId = vp.Mount.FsId;
        vap.FileId = node.Ino;
        vap.Size = node.Type == VType.VDIR ? (node.Entries!.Count + 2) * 16L : node.Size;
        vap.BlockSize = MemNode.PageSize;
        vap.AtimeSec = node.AtimeSec; vap.AtimeNsec = node.AtimeNsec;
        vap.MtimeSec = node.MtimeSec; vap.MtimeNsec = node.MtimeNsec;
        vap.CtimeSec = node.CtimeSec; vap.CtimeNsec = node.CtimeNsec;
        vap.BirthtimeSec = node.BirthSec; vap.BirthtimeNsec = node.BirthNsec;
        vap.Gen = 0;
        vap.Flags = 0;
        vap.Bytes = (node.Pages?.Count ?? 0) * (long)MemNode.PageSize;
        vap.Rdev = node.Rdev;
        return 0;
    }

    public override int SetAttr(Vnode vp, Vattr vap, Cred cred)
    {
        var node = Node(vp);
        if (vap.Size != Vattr.VNOVAL)
        {
            if (node.Type == VType.VDIR)
                return EISDIR;
            if (node.Type != VType.VREG)
                return EINVAL;
            var error = Truncate(vp, node, vap.Size);
            if (error != 0)
                return error;
        }
        if (vap.Mode != Vattr.VNOVAL)
        {
            node.Mode = (int)(vap.Mode & 0xFFF);
            node.TouchChange();
        }
        if (vap.Uid != Vattr.VNOVAL || vap.Gid != Vattr.VNOVAL)
        {
            if (vap.Uid != Vattr.VNOVAL)
                node.Uid = (uint)vap.Uid;
            if (vap.Gid != Vattr.VNOVAL)
                node.Gid = (uint)vap.Gid;
            node.TouchChange();
        }
        if (vap.AtimeSec != Vattr.VNOVAL)
        {
            node.AtimeSec = vap.AtimeSec;
            node.AtimeNsec = vap.AtimeNsec == Vattr.VNOVAL ? 0 : vap.AtimeNsec;
        }
        if (vap.MtimeSec != Vattr.VNOVAL)
        {
            node.MtimeSec = vap.MtimeSec;
            node.MtimeNsec = vap.MtimeNsec == Vattr.VNOVAL ? 0 : vap.MtimeNsec;
            node.TouchChange();
        }
        return 0;
    }

    /// <summary>tmpfs_truncate: shrinks (freeing pages, zeroing the tail of the last one) or extends with a hole.</summary>
    protected virtual int Truncate(Vnode vp, MemNode node, long length)
    {
        if (length < 0)
            return EINVAL;
        if (length > MaxFileSize)
            return EFBIG;
        if (length < node.Size && node.Pages is { } pages)
        {
            var mem = Mem(vp);
            var firstGone = (length + MemNode.PageSize - 1) >> MemNode.PageShift;
            var lastOld = (node.Size + MemNode.PageSize - 1) >> MemNode.PageShift;
            if (lastOld - firstGone > pages.Count)
            {
                var gone = new System.Collections.Generic.List<long>();
                foreach (var k in pages.Keys)
                {
                    if (k >= firstGone)
                        gone.Add(k);
                }
                foreach (var k in gone)
                {
                    mem.FreePage(pages[k]);
                    pages.Remove(k);
                }
            }
            else
            {
                for (var k = firstGone; k < lastOld; k++)
                {
                    if (pages.Remove(k, out var p))
                        mem.FreePage(p);
                }
            }
            var tail = (int)(length & (MemNode.PageSize - 1));
            if (tail != 0 && pages.TryGetValue(length >> MemNode.PageShift, out var last))
                Array.Clear(last, tail, MemNode.PageSize - tail);
        }
        if (length != node.Size)
        {
            node.Size = length;
            node.TouchModify();
        }
        return 0;
    }

    public override int Read(Vnode vp, ref Uio uio, int ioflag, Cred cred)
    {
        var node = Node(vp);
        if (node.Type == VType.VDIR)
            return EISDIR;
        if (node.Type != VType.VREG)
            return EOPNOTSUPP;
        if (uio.Offset < 0)
            return EINVAL;
        while (uio.Resid > 0 && uio.Offset < node.Size)
        {
            var pageIndex = uio.Offset >> MemNode.PageShift;
            var inPage = (int)(uio.Offset & (MemNode.PageSize - 1));
            var n = (int)Math.Min(MemNode.PageSize - inPage, node.Size - uio.Offset);
            if (node.Pages is { } pages && pages.TryGetValue(pageIndex, out var page))
                uio.MoveOut(page.AsSpan(inPage, n));
            else
                uio.MoveZeroes(n);
        }
        node.TouchAccess();
        return 0;
    }

    public override int Write(Vnode vp, ref Uio uio, int ioflag, Cred cred)
    {
        var node = Node(vp);
        if (node.Type != VType.VREG)
            return EOPNOTSUPP;
        if (uio.Offset < 0)
            return EINVAL;
        if (uio.Resid == 0)
            return 0;
        if (uio.Offset >= MaxFileSize || uio.Offset + uio.Resid > MaxFileSize)
            return EFBIG;
        var mem = Mem(vp);
        node.Pages ??= new System.Collections.Generic.Dictionary<long, byte[]>();
        var start = uio.Done;
        var error = 0;
        while (uio.Resid > 0)
        {
            var pageIndex = uio.Offset >> MemNode.PageShift;
            var inPage = (int)(uio.Offset & (MemNode.PageSize - 1));
            if (!node.Pages.TryGetValue(pageIndex, out var page))
            {
                error = mem.AllocPage(out page);
                if (error != 0)
                    break;
                node.Pages.Add(pageIndex, page);
            }
            uio.MoveIn(page.AsSpan(inPage));
            if (uio.Offset > node.Size)
                node.Size = uio.Offset;
        }
        if (uio.Done > start)
        {
            node.TouchModify();
            return 0; // a short write on ENOSPC
        }
        return error;
    }

    public override int ReadDir(Vnode vp, ref Uio uio, Cred cred, out bool eof)
    {
        eof = false;
        var dir = Node(vp);
        if (dir.Type != VType.VDIR)
            return ENOTDIR;
        if (uio.Offset < 0)
            return EINVAL;
        PrepareReadDir(vp, dir);
        if (uio.Offset == 0)
        {
            if (!uio.AddDirent((ulong)dir.Ino, Rump.Dirent.DT_DIR, ".", 1))
                return uio.Done == 0 ? EINVAL : 0;
        }
        if (uio.Offset == 1)
        {
            var parent = dir.Parent ?? dir;
            if (!uio.AddDirent((ulong)parent.Ino, Rump.Dirent.DT_DIR, "..", 2))
                return uio.Done == 0 ? EINVAL : 0;
        }
        foreach (var (cookie, de) in dir.Order!)
        {
            if (cookie < uio.Offset)
                continue;
            if (!uio.AddDirent((ulong)de.Node.Ino, Vn.TypeToDirent(de.Node.Type), de.Name, cookie + 1))
                return uio.Done == 0 ? EINVAL : 0;
        }
        uio.Offset = dir.NextCookie;
        eof = true;
        dir.TouchAccess();
        return 0;
    }

    /// <summary>Before a readdir: derived file systems refresh synthetic entries (rumpfs /dev).</summary>
    protected virtual void PrepareReadDir(Vnode vp, MemNode dir)
    {
    }

    public override int ReadLink(Vnode vp, ref Uio uio, Cred cred)
    {
        var node = Node(vp);
        if (node.Type != VType.VLNK)
            return EINVAL;
        uio.MoveOut(System.Text.Encoding.UTF8.GetBytes(node.LinkTarget!));
        return 0;
    }

    public override int Inactive(Vnode vp, out bool recycle)
    {
        recycle = vp.Data is MemNode node && node.Nlink == 0;
        return 0;
    }

    public override int Reclaim(Vnode vp)
    {
        if (vp.Data is MemNode node && node.Nlink == 0)
            Mem(vp).FreeNode(node);
        vp.Data = null;
        return 0;
    }
}
