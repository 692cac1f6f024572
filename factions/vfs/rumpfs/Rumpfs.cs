using System;
using Rump.Kern;
using static Rump.Kern.Errno;

namespace Rump.Vfs;

/// <summary>
/// rumpfs (sys/rump/librump/rumpvfs/rumpfs.c): the kernel's in-memory root file system. On top of the
/// memory file system it has <c>/dev</c>, whose device nodes follow the device switch's node names
/// (<see cref="DevSw.NodeNames"/>), and etfs nodes: host files and host directories (see <see cref="Etfs"/>).
/// </summary>
internal sealed class RumpfsVfsOps : MemVfsOps
{
    public override string Name => "rumpfs";

    protected override MemVnodeOps VnodeOps => RumpfsVnodeOps.Instance;

    protected override int CreateMount(Mount mp, string options, out MemMount mem)
    {
        mem = new RumpfsMount();
        return 0;
    }

    public override int Mount(Mount mp, Vnode? devvp, string options, Cred cred)
    {
        var error = base.Mount(mp, devvp, options, cred);
        if (error != 0)
            return error;
        var mem = (MemMount)mp.Data!;
        error = mem.NewNode(VType.VDIR, out var dev);
        if (error != 0)
            return error;
        dev.Mode = 0x1ED; // 0755
        dev.Nlink = 2;
        dev.Parent = mem.Root;
        dev.Special = DevDirectory.Instance;
        Vn.Now(out var s, out var ns);
        dev.AtimeSec = dev.MtimeSec = dev.CtimeSec = dev.BirthSec = s;
        dev.AtimeNsec = dev.MtimeNsec = dev.CtimeNsec = dev.BirthNsec = ns;
        mem.Root.Nlink++;
        mem.Root.AddEntry("dev", dev);
        return 0;
    }
}

/// <summary>Marks the /dev directory of rumpfs.</summary>
internal sealed class DevDirectory
{
    public static readonly DevDirectory Instance = new();
}

/// <summary>Marks a device node that rumpfs made for a device switch node name.</summary>
internal sealed class DevSwNode
{
    public static readonly DevSwNode Instance = new();
}

/// <summary>rumpfs per-mount state: closes etfs host files when their nodes go away.</summary>
internal sealed class RumpfsMount : MemMount
{
    protected override void NodeFreed(MemNode node)
    {
        if (node.Special is EtfsHostFile f)
            f.Release();
    }
}

/// <summary>rumpfs vnode operations: /dev and etfs on top of the memory file system.</summary>
internal sealed class RumpfsVnodeOps : MemVnodeOps
{
    public static readonly RumpfsVnodeOps Instance = new();

    public override int Lookup(Vnode dvp, ComponentName cnp, out Vnode? vp)
    {
        var dir = Node(dvp);
        if (dir.Special is DevDirectory && !cnp.IsDotDot)
            RefreshDevNode(dvp, dir, cnp.Name);
        return base.Lookup(dvp, cnp, out vp);
    }

    protected override int LookupMiss(Vnode dvp, ComponentName cnp, out Vnode? vp)
    {
        vp = null;
        var dir = Node(dvp);
        if (dir.Special is EtfsHostDir hd)
            return EtfsLookup(dvp, dir, hd, cnp, out vp);
        return ENOENT;
    }

    protected override void PrepareReadDir(Vnode vp, MemNode dir)
    {
        if (dir.Special is not DevDirectory)
            return;
        var names = DevSw.NodeNames();
        foreach (var name in names)
            RefreshDevNode(vp, dir, name);
        // Drop nodes whose device switch name went away.
        var stale = new System.Collections.Generic.List<string>();
        foreach (var (name, de) in dir.Entries!)
        {
            if (de.Node.Special is DevSwNode && Array.IndexOf(names, name) < 0)
                stale.Add(name);
        }
        foreach (var name in stale)
            RefreshDevNode(vp, dir, name);
    }

    // Makes /dev/<name> agree with the device switch: add, replace (other device) or drop it. dvp locked.
    private static void RefreshDevNode(Vnode dvp, MemNode dir, string name)
    {
        var exists = DevSw.LookupNode(name, out var block, out var dev);
        dir.Entries!.TryGetValue(name, out var de);
        if (de is not null)
        {
            if (de.Node.Special is not DevSwNode)
                return; // made by mknod or etfs: not ours to change
            var type = block ? VType.VBLK : VType.VCHR;
            if (exists && de.Node.Type == type && de.Node.Rdev == dev)
                return;
            dir.RemoveEntry(de);
            // A vnode of it, if any, is reclaimed at its last release (link count 0). Not released here:
            // that could lock a second vnode while /dev is locked.
            de.Node.Nlink = 0;
        }
        if (!exists)
            return;
        var mem = Mem(dvp);
        if (mem.NewNode(block ? VType.VBLK : VType.VCHR, out var node) != 0)
            return;
        node.Mode = 0x1A0; // 0640
        node.Nlink = 1;
        node.Rdev = dev;
        node.Special = DevSwNode.Instance;
        Vn.Now(out var s, out var ns);
        node.AtimeSec = node.MtimeSec = node.CtimeSec = node.BirthSec = s;
        node.AtimeNsec = node.MtimeNsec = node.CtimeNsec = node.BirthNsec = ns;
        dir.AddEntry(name, node);
    }

    // ---- etfs: host directories ----

    private static int EtfsLookup(Vnode dvp, MemNode dir, EtfsHostDir hd, ComponentName cnp, out Vnode? vp)
    {
        vp = null;
        var hostPath = hd.HostPath.TrimEnd('/') + "/" + cnp.Name;
        var error = Hyp.GetFileInfo(hostPath, out var size, out var ftype);
        if (error != 0)
            return ENOENT;
        VType type;
        object special;
        if (ftype == Hyp.FT_DIR)
        {
            if (!hd.Subtree)
                return ENOENT; // RUMP_ETFS_DIR maps one level only
            type = VType.VDIR;
            special = new EtfsHostDir(hostPath, subtree: true);
        }
        else if (ftype == Hyp.FT_REG)
        {
            type = VType.VREG;
            special = new EtfsHostFile(hostPath, 0, -1);
        }
        else
        {
            return ENOENT;
        }
        var mem = Mem(dvp);
        error = mem.NewNode(type, out var node);
        if (error != 0)
            return error;
        node.Mode = type == VType.VDIR ? 0x1ED : 0x1A4;
        node.Nlink = type == VType.VDIR ? 2 : 1;
        node.Special = special;
        if (type == VType.VDIR)
        {
            node.Parent = dir;
            dir.Nlink++;
        }
        Vn.Now(out var s, out var ns);
        node.AtimeSec = node.MtimeSec = node.CtimeSec = node.BirthSec = s;
        node.AtimeNsec = node.MtimeNsec = node.CtimeNsec = node.BirthNsec = ns;
        dir.AddEntry(cnp.Name, node);
        return VCache.Get(dvp.Mount, new VnodeKey(node.Ino, 0), out vp);
    }

    public override int Create(Vnode dvp, ComponentName cnp, Vattr vap, out Vnode? vp)
    {
        vp = null;
        var dir = Node(dvp);
        if (dir.Special is not EtfsHostDir hd)
            return base.Create(dvp, cnp, vap, out vp);
        // A new file in a host directory is a new host file.
        var hostPath = hd.HostPath.TrimEnd('/') + "/" + cnp.Name;
        var error = Hyp.Open(hostPath, Hyp.OPEN_RDWR | Hyp.OPEN_CREATE | Hyp.OPEN_EXCL, out var fd);
        if (error != 0)
            return error;
        Hyp.Close(fd);
        error = base.Create(dvp, cnp, vap, out vp);
        if (error == 0)
            Node(vp!).Special = new EtfsHostFile(hostPath, 0, -1);
        return error;
    }

    public override int Mkdir(Vnode dvp, ComponentName cnp, Vattr vap, out Vnode? vp)
    {
        vp = null;
        return Node(dvp).Special is EtfsHostDir ? EOPNOTSUPP : base.Mkdir(dvp, cnp, vap, out vp);
    }

    public override int Remove(Vnode dvp, Vnode vp, ComponentName cnp)
        => Node(dvp).Special is EtfsHostDir ? EOPNOTSUPP : base.Remove(dvp, vp, cnp);

    public override int Rename(Vnode fdvp, Vnode fvp, ComponentName fcnp, Vnode tdvp, Vnode? tvp, ComponentName tcnp)
        => Node(fdvp).Special is EtfsHostDir || Node(tdvp).Special is EtfsHostDir
            ? EOPNOTSUPP
            : base.Rename(fdvp, fvp, fcnp, tdvp, tvp, tcnp);

    // ---- etfs: host files ----

    public override int Read(Vnode vp, ref Uio uio, int ioflag, Cred cred)
    {
        if (Node(vp).Special is not EtfsHostFile f)
            return base.Read(vp, ref uio, ioflag, cred);
        if (uio.Offset < 0)
            return EINVAL;
        return f.Read(ref uio);
    }

    public override int Write(Vnode vp, ref Uio uio, int ioflag, Cred cred)
    {
        if (Node(vp).Special is not EtfsHostFile f)
            return base.Write(vp, ref uio, ioflag, cred);
        if (uio.Offset < 0)
            return EINVAL;
        var error = f.Write(ref uio);
        if (error == 0 && (ioflag & (Vn.IO_SYNC | Vn.IO_DSYNC)) != 0)
            error = f.Sync();
        Node(vp).TouchModify();
        return error;
    }

    public override int GetAttr(Vnode vp, Vattr vap, Cred cred)
    {
        var error = base.GetAttr(vp, vap, cred);
        if (error == 0 && Node(vp).Special is EtfsHostFile f)
        {
            error = f.Size(out var size);
            vap.Size = size;
            vap.Bytes = size;
        }
        return error;
    }

    public override int SetAttr(Vnode vp, Vattr vap, Cred cred)
    {
        if (vap.Size != Vattr.VNOVAL && Node(vp).Special is EtfsHostFile)
            return EOPNOTSUPP; // the hypercall interface cannot truncate a host file
        return base.SetAttr(vp, vap, cred);
    }

    public override int Fsync(Vnode vp, Cred cred, int flags)
        => Node(vp).Special is EtfsHostFile f ? f.Sync() : 0;
}
