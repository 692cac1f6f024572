using System.Collections.Generic;
using Rump.Kern;
using static Rump.Kern.Errno;

namespace Rump.Vfs;

/// <summary>
/// etfs, the extra-terrestrial file system (rump_etfs_register): maps a host file or directory to a path
/// in rumpfs. Regular: a rumpfs file whose bytes are the host file's. Block: a rumpblk disk; a key under
/// /dev/ names a device switch node (so the dev faction's partition scanner sees it), any other key a
/// block device node. Char: an etfschr device. Directory / DirectorySubtree: a rumpfs directory whose
/// names are looked up on the host.
/// </summary>
internal static class Etfs
{
    private sealed class Registration
    {
        public string Key = "";
        public Rump.EtfsType Type;
        public DevT Dev;
        public string? DevNodeName;   // DevSw node added for a /dev/ key
        public int HostFd = -1;       // rumpblk's host file
        public bool HasVnodeNode;     // a rumpfs node was made at Key
    }

    // s_lock serializes registration and removal; protects s_registrations.
    private static readonly KMutex s_lock = new();
    private static readonly Dictionary<string, Registration> s_registrations = new(System.StringComparer.Ordinal);

    public static void Init()
    {
        s_lock.Enter();
        s_registrations.Clear();   // warm boot: registrations of an earlier instance are gone with it
        s_lock.Exit();
        RumpBlk.Instance.Attach();
        EtfsChr.Instance.Attach();
    }

    [Syscall("etfs_register")]
    internal static int sys_etfs_register(Lwp l, string key, string hostPath, Rump.EtfsType type, long begin, long size)
    {
        if (!l.Proc.Cred.IsRoot)
            return EPERM;
        if (string.IsNullOrEmpty(key) || key[0] != '/' || key.Length < 2 || string.IsNullOrEmpty(hostPath))
            return EINVAL;
        key = key.TrimEnd('/');
        if (begin < 0)
            return EINVAL;
        var error = Hyp.GetFileInfo(hostPath, out var hostSize, out var ftype);
        if (error != 0)
            return error;
        var wholeFile = size <= 0;
        var isDirType = type is Rump.EtfsType.Directory or Rump.EtfsType.DirectorySubtree;
        if (isDirType && ftype != Hyp.FT_DIR)
            return ENOTDIR;
        if (!isDirType && ftype == Hyp.FT_DIR)
            return EISDIR;
        if (!isDirType && ftype is not (Hyp.FT_REG or Hyp.FT_BLK or Hyp.FT_CHR))
            return EINVAL;
        if (!isDirType)
        {
            if (begin > hostSize && ftype == Hyp.FT_REG)
                return EINVAL;
            if (size <= 0)
                size = hostSize - begin;
            else if (ftype == Hyp.FT_REG && begin + size > hostSize && type is Rump.EtfsType.Block or Rump.EtfsType.BlockReadOnly)
                return EINVAL;
        }

        s_lock.Enter();
        try
        {
            if (s_registrations.ContainsKey(key))
                return EEXIST;
            var reg = new Registration { Key = key, Type = type };
            switch (type)
            {
                case Rump.EtfsType.Block:
                case Rump.EtfsType.BlockReadOnly:
                    error = RegisterBlock(l, reg, hostPath, begin, size, type == Rump.EtfsType.BlockReadOnly);
                    break;
                case Rump.EtfsType.Char:
                {
                    var file = new EtfsHostFile(hostPath, begin, size);
                    reg.Dev = EtfsChr.Instance.AddUnit(file);
                    error = MakeNode(l, key, VType.VCHR, reg.Dev, null, out reg.DevNodeName, out reg.HasVnodeNode);
                    if (error != 0)
                        EtfsChr.Instance.RemoveUnit(reg.Dev)?.Release();
                    break;
                }
                case Rump.EtfsType.Regular:
                    error = MakeNode(l, key, VType.VREG, default, new EtfsHostFile(hostPath, begin, wholeFile ? -1 : size), out _, out reg.HasVnodeNode);
                    break;
                case Rump.EtfsType.Directory:
                case Rump.EtfsType.DirectorySubtree:
                    error = MakeNode(l, key, VType.VDIR, default, new EtfsHostDir(hostPath, type == Rump.EtfsType.DirectorySubtree), out _, out reg.HasVnodeNode);
                    break;
                default:
                    error = EINVAL;
                    break;
            }
            if (error == 0)
                s_registrations.Add(key, reg);
            return error;
        }
        finally
        {
            s_lock.Exit();
        }
    }

    private static int RegisterBlock(Lwp l, Registration reg, string hostPath, long begin, long size, bool readOnly)
    {
        int fd = -1;
        var error = readOnly ? EACCES : Hyp.Open(hostPath, Hyp.OPEN_RDWR | Hyp.OPEN_BIO, out fd);
        // Only a host file we may not write falls back to read-only; EBUSY (the image is locked by
        // another writer) must reach the caller.
        if (error is EACCES or EPERM or EROFS)
        {
            error = Hyp.Open(hostPath, Hyp.OPEN_RDONLY | Hyp.OPEN_BIO, out fd);
            readOnly = true;
        }
        if (error != 0)
            return error;
        RumpBlk.Instance.AddUnit(hostPath, fd, begin, size, readOnly, out reg.Dev);
        reg.HostFd = fd;
        error = MakeNode(l, reg.Key, VType.VBLK, reg.Dev, null, out reg.DevNodeName, out reg.HasVnodeNode);
        if (error != 0)
        {
            RumpBlk.Instance.RemoveUnit(reg.Dev, out _);
            Hyp.Close(fd);
        }
        return error;
    }

    // A /dev/<name> key becomes a device switch node; anything else a rumpfs node at the key.
    private static int MakeNode(Lwp l, string key, VType type, DevT dev, object? special, out string? devNodeName, out bool vnodeNode)
    {
        devNodeName = null;
        vnodeNode = false;
        if (type is VType.VBLK or VType.VCHR && key.StartsWith("/dev/", System.StringComparison.Ordinal) && key.IndexOf('/', 5) < 0)
        {
            var name = key.Substring(5);
            var error = DevSw.AddNode(name, type == VType.VBLK, dev);
            if (error == 0)
                devNodeName = name;
            return error;
        }
        var cred = Cred.Root;
        var err = Namei.Lookup(l, key, NameiOp.Create, 0, out var nd);
        if (err != 0)
            return err;
        try
        {
            if (nd.Vp is not null)
                return EEXIST;
            var dvp = nd.Dvp!;
            if (dvp.Mount.Op is not RumpfsVfsOps)
                return EINVAL; // etfs keys live in rumpfs
            var va = new Vattr { Type = type, Mode = type == VType.VDIR ? 0x1ED : 0x1A4, Uid = 0, Gid = 0, Rdev = dev };
            Vnode? vp;
            dvp.Lock();
            err = type switch
            {
                VType.VDIR => dvp.Op.Mkdir(dvp, nd.Cn!, va, out vp),
                VType.VREG => dvp.Op.Create(dvp, nd.Cn!, va, out vp),
                _ => dvp.Op.Mknod(dvp, nd.Cn!, va, out vp),
            };
            dvp.Unlock();
            if (err != 0)
                return err;
            vp!.Lock();
            ((MemNode)vp.Data!).Special = special;
            vp.Unlock();
            VCache.Rele(vp);
            vnodeNode = true;
            return 0;
        }
        finally
        {
            nd.Release();
        }
    }

    [Syscall("etfs_remove")]
    internal static int sys_etfs_remove(Lwp l, string key)
    {
        if (!l.Proc.Cred.IsRoot)
            return EPERM;
        if (string.IsNullOrEmpty(key))
            return EINVAL;
        key = key.Length > 1 ? key.TrimEnd('/') : key;
        s_lock.Enter();
        try
        {
            if (!s_registrations.TryGetValue(key, out var reg))
                return ENOENT;
            if (reg.Type == Rump.EtfsType.Block)
            {
                foreach (var mp in Vfs.Mounts())
                {
                    if (mp.DevVnode is { } devvp && devvp.Rdev == reg.Dev)
                        return EBUSY;
                }
                var error = RumpBlk.Instance.RemoveUnit(reg.Dev, out var fd);
                if (error != 0)
                    return error;
                Bio.Invalidate(reg.Dev);
                Hyp.Close(fd);
            }
            else if (reg.Type == Rump.EtfsType.Char)
            {
                EtfsChr.Instance.RemoveUnit(reg.Dev)?.Release();
            }
            if (reg.DevNodeName is not null)
                DevSw.RemoveNode(reg.DevNodeName);
            if (reg.HasVnodeNode)
                DetachNode(l, key);
            s_registrations.Remove(key);
            return 0;
        }
        finally
        {
            s_lock.Exit();
        }
    }

    // Unlinks the rumpfs node at key; a host directory's looked-up children go with it.
    private static void DetachNode(Lwp l, string key)
    {
        if (Namei.Lookup(l, key, NameiOp.Delete, 0, out var nd) != 0)
            return;
        var dvp = nd.Dvp!;
        var vp = nd.Vp!;
        Vn.LockMany(dvp, vp);
        var dir = (MemNode)dvp.Data!;
        var node = (MemNode)vp.Data!;
        if (dir.Entries!.TryGetValue(nd.Cn!.Name, out var de) && ReferenceEquals(de.Node, node))
        {
            dir.RemoveEntry(de);
            if (node.Type == VType.VDIR)
            {
                foreach (var child in node.Entries!.Values)
                    child.Node.Nlink = 0;
                node.Entries.Clear();
                node.Order!.Clear();
                node.Parent = null;
                dir.Nlink--;
            }
            node.Nlink = 0;
            dir.TouchModify();
        }
        Vn.UnlockMany(dvp, vp);
        nd.Release();
    }
}
