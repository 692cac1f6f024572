using System;
using System.Collections.Generic;
using Rump.Kern;
using Rump.Vfs;

namespace Rump.Fs.Msdosfs;

using Errno = Rump.Kern.Errno;

/// <summary>
/// The msdosfs vnode operations (msdosfs_vnops.c, msdosfs_lookup.c). Each takes the volume lock around
/// its work on the volume; vnode locks are the VFS's (see <see cref="VnodeOps"/> for what each holds).
/// </summary>
internal sealed class MsdosfsVnodeOps : VnodeOps
{
    private const int DirModeBits = 0x1ED;       // 0755
    private const int FileModeBits = 0x1A4;      // 0644
    private const int ReadOnlyFileModeBits = 0x124; // 0444

    /// <summary>Bytes a write hands the volume at a time (the file's size and times are updated per chunk).</summary>
    private const int MaxWriteChunk = 1024 * 1024;

    private static MsdosfsMount MountOf(Vnode vp) => (MsdosfsMount)vp.Mount.Data!;

    private static FatNode NodeOf(Vnode vp) => (FatNode)vp.Data!;

    /// <summary>vcache_get for a node found under the volume lock (the lock is dropped first).</summary>
    private static int GetVnode(Vnode dvp, MsdosfsMount m, VnodeKey key, out Vnode? vp)
    {
        int error = VCache.Get(dvp.Mount, key, out vp);
        m.Lock.Enter();
        m.Pending.Remove(key);
        m.Lock.Exit();
        return error;
    }

    public override int Lookup(Vnode dvp, ComponentName cnp, out Vnode? vp)
    {
        if (!cnp.IsDotDot)
        {
            int cached = NameCache.Lookup(dvp, cnp.Name, out vp);
            if (cached >= 0)
                return cached;
        }
        int error = LookupOnDisk(dvp, cnp, out vp);
        // A name about to be created or renamed to is not remembered as absent (it will not be for long).
        if (error == 0 && !cnp.IsDotDot)
            NameCache.Enter(dvp, cnp.Name, vp);
        else if (error == Errno.ENOENT && !cnp.IsDotDot && (!cnp.IsLast || cnp.Op == NameiOp.Lookup))
            NameCache.Enter(dvp, cnp.Name, null);
        return error;
    }

    private static int LookupOnDisk(Vnode dvp, ComponentName cnp, out Vnode? vp)
    {
        vp = null;
        var m = MountOf(dvp);
        var dir = NodeOf(dvp);
        var v = m.Volume;
        VnodeKey key;
        m.Lock.Enter();
        try
        {
            uint dirStart = m.DirStartOf(dir);
            if (cnp.IsDotDot)
            {
                int e = v.DotDotCluster(dirStart, out uint parent);
                if (e != 0)
                    return e;
                key = parent == v.RootStart ? MsdosfsMount.RootKey : new VnodeKey(-2, parent);
            }
            else
            {
                // Start where readdir saw this name, else after the last name found here.
                if (dir.NameOffsets is { } offsets && offsets.TryGetValue(cnp.Name, out long seen))
                    dir.LookupHint = seen;
                int e = v.Lookup(dirStart, cnp.Name, ref dir.LookupHint, out var slot);
                if (e != 0)
                    return e;
                if (slot.Entry.DIR_Name.IsDot)
                {
                    key = m.KeyOf(dir);
                }
                else if (slot.Entry.DIR_Name.IsDotDot)
                {
                    return Errno.ENOENT;
                }
                else
                {
                    if (slot.Entry.IsDirectory && !v.Fat.IsValidCluster(slot.Entry.FirstCluster(v.Geometry.Type)))
                        return Errno.EIO; // a directory must have a cluster of its own
                    key = m.KeyOf(slot, dirStart);
                    m.Pending[key] = v.NodeFromSlot(dirStart, slot);
                }
            }
        }
        finally
        {
            m.Lock.Exit();
        }
        return GetVnode(dvp, m, key, out vp);
    }

    private static byte AttrFromMode(Vattr vap)
        => vap.Mode != Vattr.VNOVAL && (vap.Mode & 0x92) == 0 ? FatAttr.ATTR_READ_ONLY : (byte)0;

    public override int Create(Vnode dvp, ComponentName cnp, Vattr vap, out Vnode? vp)
    {
        vp = null;
        var m = MountOf(dvp);
        VnodeKey key;
        m.Lock.Enter();
        try
        {
            // FAT names are case-insensitive and have 8.3 aliases: the new entry may answer names cached as absent.
            NameCache.PurgeNegative(dvp);
            int e = m.Volume.Create(m.DirStartOf(NodeOf(dvp)), cnp.Name, AttrFromMode(vap), out var node);
            if (e == 0)
                e = m.Volume.Commit();
            if (e != 0)
                return e;
            key = m.KeyOf(node!);
            m.Pending[key] = node!;
        }
        finally
        {
            m.Lock.Exit();
        }
        return GetVnode(dvp, m, key, out vp);
    }

    public override int Mkdir(Vnode dvp, ComponentName cnp, Vattr vap, out Vnode? vp)
    {
        vp = null;
        var m = MountOf(dvp);
        VnodeKey key;
        m.Lock.Enter();
        try
        {
            NameCache.PurgeNegative(dvp);
            int e = m.Volume.Mkdir(m.DirStartOf(NodeOf(dvp)), cnp.Name, out var node);
            if (e == 0)
                e = m.Volume.Commit();
            if (e != 0)
                return e;
            key = m.KeyOf(node!);
            m.Pending[key] = node!;
        }
        finally
        {
            m.Lock.Exit();
        }
        return GetVnode(dvp, m, key, out vp);
    }

    public override int Remove(Vnode dvp, Vnode vp, ComponentName cnp)
    {
        NameCache.Purge(vp);   // under every name it was looked up by
        var m = MountOf(dvp);
        var node = NodeOf(vp);
        m.Lock.Enter();
        int e = m.Volume.RemoveEntry(node.DirStart, node.LfnOffset, node.DirOffset);
        var dead = m.NextDeadKey();
        if (e == 0)
        {
            node.Unlinked = true;
            e = m.Volume.Commit();
        }
        m.Lock.Exit();
        // The entry's slot is free for the next name: move this vnode out of its way.
        int re = node.Unlinked ? VCache.Rekey(vp, dead) : 0;
        return e != 0 ? e : re;
    }

    public override int Rmdir(Vnode dvp, Vnode vp, ComponentName cnp)
    {
        NameCache.Purge(vp);
        var m = MountOf(dvp);
        var node = NodeOf(vp);
        m.Lock.Enter();
        try
        {
            if (node.IsRoot)
                return Errno.EBUSY;
            int e = m.Volume.IsEmptyDir(m.Volume.StartCluster(node), out bool empty);
            if (e != 0)
                return e;
            if (!empty)
                return Errno.ENOTEMPTY;
            if ((e = m.Volume.RemoveEntry(node.DirStart, node.LfnOffset, node.DirOffset)) != 0)
                return e;
            node.Unlinked = true;
            return m.Volume.Commit();
        }
        finally
        {
            m.Lock.Exit();
        }
    }

    public override int Link(Vnode dvp, Vnode vp, ComponentName cnp) => Errno.EOPNOTSUPP;

    public override int Symlink(Vnode dvp, ComponentName cnp, Vattr vap, string target, out Vnode? vp)
    {
        vp = null;
        return Errno.EOPNOTSUPP;
    }

    public override int Rename(Vnode fdvp, Vnode fvp, ComponentName fcnp, Vnode tdvp, Vnode? tvp, ComponentName tcnp)
    {
        // The old names of both, and the destination's absent names (the new one, its case variants and alias).
        NameCache.Purge(fvp);
        if (tvp is not null)
            NameCache.Purge(tvp);
        NameCache.PurgeNegative(tdvp);
        var m = MountOf(fdvp);
        var v = m.Volume;
        var node = NodeOf(fvp);
        m.Lock.Enter();
        VnodeKey oldKey = m.KeyOf(node), newKey;
        VnodeKey? targetDead = null;
        try
        {
            uint toDir = m.DirStartOf(NodeOf(tdvp));
            int e;
            if (tvp is null && toDir == node.DirStart)
            {
                // rename(2) onto its own name as stored (the VFS passes a file's other spellings here): nothing to
                // write, not even the sync below (cp rewrites a file's spelling this way after every overwrite).
                if ((e = v.OwnName(node, tcnp.Name, out _, out bool sameSpelling)) != 0)
                    return e;
                if (sameSpelling)
                    return 0;
            }
            if (node.Entry.IsDirectory && toDir != node.DirStart)
            {
                // The VFS checked the topology through its vnodes; the on-disk ".." chain must agree
                // (a corrupt image may loop: EIO rather than a hang).
                if ((e = v.CheckNotAncestor(v.StartCluster(node), toDir)) != 0)
                    return e;
            }
            if (tvp is not null)
            {
                var target = NodeOf(tvp);
                if (target.Entry.IsDirectory)
                {
                    if ((e = v.IsEmptyDir(v.StartCluster(target), out bool empty)) != 0)
                        return e;
                    if (!empty)
                        return Errno.ENOTEMPTY;
                }
            }
            if ((e = v.UpdateEntry(node)) != 0)
                return e;
            var replaced = tvp is null ? null : NodeOf(tvp);
            if ((e = v.Rename(node, toDir, tcnp.Name, replaced)) != 0)
                return e;
            if (replaced is not null && !replaced.Entry.IsDirectory)
                targetDead = m.NextDeadKey();
            if ((e = v.Commit()) != 0)
                return e;
            newKey = m.KeyOf(node);
        }
        finally
        {
            m.Lock.Exit();
            // The replaced file's slot may now be the renamed one's: rekey the replaced vnode first.
            if (targetDead is { } dk)
                VCache.Rekey(tvp!, dk);
        }
        return newKey == oldKey ? 0 : VCache.Rekey(fvp, newKey);
    }

    public override int GetAttr(Vnode vp, Vattr vap, Cred cred)
    {
        var m = MountOf(vp);
        var node = NodeOf(vp);
        var v = m.Volume;
        m.Lock.Enter();
        try
        {
            long size;
            if (node.IsDirectory)
            {
                int e = v.DirSize(node, out size);
                if (e != 0)
                    return e;
            }
            else
            {
                size = node.Entry.DIR_FileSize;
            }
            ref readonly var d = ref node.Entry;
            vap.Type = node.IsDirectory ? VType.VDIR : VType.VREG;
            vap.Mode = node.IsDirectory ? DirModeBits : (d.DIR_Attr & FatAttr.ATTR_READ_ONLY) != 0 ? ReadOnlyFileModeBits : FileModeBits;
            vap.Nlink = 1;
            vap.Uid = 0;
            vap.Gid = 0;
            vap.FsId = vp.Mount.FsId;
            vap.FileId = (long)MsdosfsMount.FileId(m.KeyOf(node));
            vap.Size = size;
            vap.BlockSize = v.Geometry.BytesPerCluster;
            long bpc = v.Geometry.BytesPerCluster;
            vap.Bytes = (size + bpc - 1) / bpc * bpc;
            if (node.IsRoot)
            {
                vap.MtimeSec = vap.AtimeSec = vap.CtimeSec = vap.BirthtimeSec = DosTime.MinUnix;
                vap.MtimeNsec = vap.AtimeNsec = vap.CtimeNsec = vap.BirthtimeNsec = 0;
            }
            else
            {
                vap.MtimeSec = DosTime.ToUnix(d.DIR_WrtDate, d.DIR_WrtTime, 0, out vap.MtimeNsec);
                vap.AtimeSec = d.DIR_LstAccDate != 0 ? DosTime.ToUnix(d.DIR_LstAccDate, 0, 0, out vap.AtimeNsec) : vap.MtimeSec;
                if (d.DIR_LstAccDate == 0)
                    vap.AtimeNsec = 0;
                vap.CtimeSec = vap.MtimeSec;
                vap.CtimeNsec = vap.MtimeNsec;
                vap.BirthtimeSec = d.DIR_CrtDate != 0 ? DosTime.ToUnix(d.DIR_CrtDate, d.DIR_CrtTime, d.DIR_CrtTimeTenth, out vap.BirthtimeNsec) : vap.MtimeSec;
            }
            vap.Gen = 0;
            vap.Flags = 0;
            vap.Rdev = default;
            return 0;
        }
        finally
        {
            m.Lock.Exit();
        }
    }

    public override int SetAttr(Vnode vp, Vattr vap, Cred cred)
    {
        var m = MountOf(vp);
        var node = NodeOf(vp);
        var v = m.Volume;
        if ((vap.Uid != Vattr.VNOVAL && vap.Uid != 0) || (vap.Gid != Vattr.VNOVAL && vap.Gid != 0))
            return Errno.EPERM; // FAT has no owners: everything belongs to the mount's owner
        m.Lock.Enter();
        try
        {
            int e;
            if (vap.Size != Vattr.VNOVAL)
            {
                if (node.IsDirectory)
                    return Errno.EISDIR;
                if ((e = v.Truncate(node, vap.Size)) != 0)
                    return e;
            }
            if (node.IsRoot)
                return 0;
            if (vap.Mode != Vattr.VNOVAL && !node.IsDirectory)
            {
                // The read-only attribute is the only permission FAT keeps: no write bit ↔ ATTR_READ_ONLY.
                if ((vap.Mode & 0x80) == 0)
                    node.Entry.DIR_Attr |= FatAttr.ATTR_READ_ONLY;
                else
                    node.Entry.DIR_Attr &= unchecked((byte)~FatAttr.ATTR_READ_ONLY);
                node.EntryDirty = true;
            }
            if (vap.MtimeSec != Vattr.VNOVAL)
            {
                DosTime.FromUnix(vap.MtimeSec, vap.MtimeNsec == Vattr.VNOVAL ? 0 : vap.MtimeNsec, out var date, out var time, out _);
                node.Entry.DIR_WrtDate = date;
                node.Entry.DIR_WrtTime = time;
                node.Entry.DIR_Attr |= node.IsDirectory ? (byte)0 : FatAttr.ATTR_ARCHIVE;
                node.EntryDirty = true;
            }
            if (vap.AtimeSec != Vattr.VNOVAL)
            {
                DosTime.FromUnix(vap.AtimeSec, 0, out var date, out _, out _);
                node.Entry.DIR_LstAccDate = date;
                node.EntryDirty = true;
            }
            if ((e = v.UpdateEntry(node)) != 0)
                return e;
            return v.Commit();
        }
        finally
        {
            m.Lock.Exit();
        }
    }

    public override int Read(Vnode vp, ref Uio uio, int ioflag, Cred cred)
    {
        var m = MountOf(vp);
        var node = NodeOf(vp);
        if (node.IsDirectory)
            return Errno.EISDIR;
        if (uio.Offset < 0)
            return Errno.EINVAL;
        m.Lock.Enter();
        try
        {
            // Straight into the caller's buffer: the volume reads large ranges from the device into it and
            // copies small ones out of the buffer cache.
            while (uio.Resid > 0)
            {
                int e = m.Volume.Read(node, uio.Offset, uio.PeekOut, out int n);
                if (e != 0)
                    return e;
                if (n == 0)
                    break;
                uio.Advance(n);
            }
            return 0;
        }
        finally
        {
            m.Lock.Exit();
        }
    }

    public override int Write(Vnode vp, ref Uio uio, int ioflag, Cred cred)
    {
        var m = MountOf(vp);
        var node = NodeOf(vp);
        if (node.IsDirectory)
            return Errno.EISDIR;
        if (uio.Offset < 0)
            return Errno.EINVAL;
        m.Lock.Enter();
        try
        {
            int e = 0;
            while (uio.Resid > 0)
            {
                int n = Math.Min(uio.Resid, MaxWriteChunk);
                if (uio.Offset + n > FatVolume.MaxFileSize)
                    n = (int)Math.Max(0, FatVolume.MaxFileSize - uio.Offset);
                if (n == 0)
                {
                    e = Errno.EFBIG;
                    break;
                }
                e = m.Volume.Write(node, uio.Offset, uio.PeekIn.Slice(0, n), out int written);
                if (e != 0)
                    break;
                uio.Advance(written);   // the volume wrote straight from the caller's buffer
            }
            int ue = m.Volume.UpdateEntry(node);
            if (e == 0)
                e = ue;
            if (e == 0 && (ioflag & (Vn.IO_SYNC | Vn.IO_DSYNC)) != 0)
                e = m.Volume.Sync();
            else if (e == 0)
                e = m.Volume.Fat.Flush();
            // A short write is a success; the error only when nothing was written.
            return uio.Done > 0 && (e == Errno.ENOSPC || e == Errno.EFBIG) ? 0 : e;
        }
        finally
        {
            m.Lock.Exit();
        }
    }

    /// <summary>
    /// Writes the node's entry and the FAT. The device's cache is flushed by the callers that want it once, not per
    /// vnode: fsync(2) flushes the mount's device after this (VnodeFile.Fsync), sync and unmount through VFS_SYNC —
    /// a flush here made an unmount after copying 2 000 files 2 000 fsyncs of the image (and so every syncer pass).
    /// NetBSD's msdosfs_fsync likewise flushes the cache only when asked (FSYNC_CACHE).
    /// </summary>
    public override int Fsync(Vnode vp, Cred cred, int flags)
    {
        var m = MountOf(vp);
        if (m.Volume.ReadOnly)
            return 0;
        m.Lock.Enter();
        int e = m.Volume.UpdateEntry(NodeOf(vp));
        if (e == 0)
            e = m.Volume.Commit();
        m.Lock.Exit();
        return e;
    }

    public override int ReadDir(Vnode vp, ref Uio uio, Cred cred, out bool eof)
    {
        eof = false;
        var m = MountOf(vp);
        var dir = NodeOf(vp);
        var v = m.Volume;
        // Cookies: the byte offset of the next entry; the root has no "." and ".." on disk, so its cookies
        // 0 and 1 stand for them and entry offsets are shifted by 2.
        long cookie = uio.Offset;
        bool synth = dir.IsRoot;
        if (synth && cookie < 2)
        {
            if (cookie == 0)
            {
                if (!uio.AddDirent(1, Rump.Dirent.DT_DIR, ".", 1))
                    return Errno.EINVAL;
                cookie = 1;
            }
            if (!uio.AddDirent(1, Rump.Dirent.DT_DIR, "..", 2))
                return uio.Done == 0 ? Errno.EINVAL : 0;
            cookie = 2;
        }
        // Records are gathered under the volume lock and copied out after it, a batch at a time: as many as
        // the caller's buffer can take (at least 32), so a large getdents buffer costs one scan of the directory.
        var batch = new List<(ulong Fileno, byte Type, string Name, long Next)>(32);
        while (true)
        {
            batch.Clear();
            int room = uio.Resid, batchBytes = 0;
            long scanFrom = synth ? cookie - 2 : cookie;
            long resume;
            m.Lock.Enter();
            uint dirStart = m.DirStartOf(dir);
            int e = v.ScanDir(dirStart, scanFrom, (in FatDirSlot s) =>
            {
                ulong fileno;
                if (s.Entry.DIR_Name.IsDot)
                    fileno = MsdosfsMount.FileId(m.KeyOf(dir));
                else if (s.Entry.DIR_Name.IsDotDot)
                {
                    uint parent = s.Entry.FirstCluster(v.Geometry.Type);
                    fileno = parent == 0 || parent == v.RootStart ? 1UL : parent;
                }
                else
                    fileno = MsdosfsMount.FileId(m.KeyOf(s, dirStart));
                byte type = s.Entry.IsDirectory ? Rump.Dirent.DT_DIR : Rump.Dirent.DT_REG;
                long next = s.Offset + FatDirEntry.Size + (synth ? 2 : 0);
                // A long name of up to 255 UTF-16 units is legal on FAT but may take more than NAME_MAX (255) UTF-8
                // bytes: no path could name it. Present the 8.3 alias instead, which lookup finds (NetBSD
                // msdosfs_readdir: when win2unixfn cannot convert the long name, the short name is returned).
                var name = System.Text.Encoding.UTF8.GetByteCount(s.Name) > ComponentName.NAME_MAX
                    ? s.Entry.DIR_Name.ToDisplayName(s.Entry.DIR_NTRes) : s.Name;
                batch.Add((fileno, type, name, next));
                batchBytes += Rump.Dirent.RecordLength(System.Text.Encoding.UTF8.GetByteCount(name));
                if (!s.Entry.DIR_Name.IsDot && !s.Entry.DIR_Name.IsDotDot)
                {
                    var offsets = dir.NameOffsets ??= new Dictionary<string, long>(StringComparer.Ordinal);
                    if (offsets.Count < FatNode.MaxNameOffsets || offsets.ContainsKey(s.Name))
                        offsets[s.Name] = s.LfnOffset;
                }
                return batch.Count < 32 || batchBytes < room;
            }, out resume);
            m.Lock.Exit();
            if (e != 0)
                return e;
            foreach (var (fileno, type, name, next) in batch)
            {
                if (!uio.AddDirent(fileno, type, name, next))
                    return uio.Done == 0 ? Errno.EINVAL : 0; // not even one record fits: getdents(2) says EINVAL
                cookie = next;
            }
            if (batch.Count < 32 || batchBytes < room)
            {
                eof = true;
                // Resume past trailing free entries too.
                uio.Offset = Math.Max(uio.Offset, resume + (synth ? 2 : 0));
                return 0;
            }
        }
    }

    public override int Inactive(Vnode vp, out bool recycle)
    {
        var m = MountOf(vp);
        var node = NodeOf(vp);
        recycle = false;
        m.Lock.Enter();
        int e = 0;
        if (node.Unlinked)
        {
            if (!m.Volume.ReadOnly)
            {
                e = m.Volume.ReleaseClusters(node);
                int se = m.Volume.Commit();
                if (e == 0)
                    e = se;
            }
            recycle = true;
        }
        else if (node.EntryDirty)
        {
            e = m.Volume.UpdateEntry(node);
        }
        m.Lock.Exit();
        return e;
    }

    public override int Reclaim(Vnode vp)
    {
        if (vp.Data is FatNode node)
            node.Owner = null;
        vp.Data = null;
        return 0;
    }

    public override int NameMax => FatLfnEntry.MaxNameLength;
}
