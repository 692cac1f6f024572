using System;
using Rump.Kern;
using static Rump.Kern.Errno;

namespace Rump.Vfs;

/// <summary>Constants and small helpers shared by the VFS and file systems (vnode.h, genfs).</summary>
internal static class Vn
{
    // file flags (fcntl.h): FREAD/FWRITE are O_ACCMODE + 1.
    public const int FREAD = 0x1, FWRITE = 0x2;

    // ioflag of VOP_READ/VOP_WRITE
    public const int IO_UNIT = 0x01, IO_APPEND = 0x02, IO_SYNC = 0x04, IO_NODELOCKED = 0x08, IO_DSYNC = 0x20;

    // accmode of VOP_ACCESS
    public const int VEXEC = 0x40, VWRITE = 0x80, VREAD = 0x100, VADMIN = 0x1000;

    // VOP_FSYNC flags
    public const int FSYNC_WAIT = 0x1, FSYNC_DATAONLY = 0x2;

    public const int S_ISUID = 0x800, S_ISGID = 0x400, S_ISVTX = 0x200;

    /// <summary>S_IF* bits of a vnode type.</summary>
    public static int TypeToIfmt(VType type) => type switch
    {
        VType.VREG => FileMode.S_IFREG,
        VType.VDIR => FileMode.S_IFDIR,
        VType.VBLK => FileMode.S_IFBLK,
        VType.VCHR => FileMode.S_IFCHR,
        VType.VLNK => FileMode.S_IFLNK,
        VType.VSOCK => FileMode.S_IFSOCK,
        VType.VFIFO => FileMode.S_IFIFO,
        _ => 0,
    };

    /// <summary>dirent d_type of a vnode type.</summary>
    public static byte TypeToDirent(VType type) => type switch
    {
        VType.VREG => Rump.Dirent.DT_REG,
        VType.VDIR => Rump.Dirent.DT_DIR,
        VType.VBLK => Rump.Dirent.DT_BLK,
        VType.VCHR => Rump.Dirent.DT_CHR,
        VType.VLNK => Rump.Dirent.DT_LNK,
        VType.VSOCK => Rump.Dirent.DT_SOCK,
        VType.VFIFO => Rump.Dirent.DT_FIFO,
        _ => Rump.Dirent.DT_UNKNOWN,
    };

    /// <summary>
    /// genfs_can_access: owner, group, other permission bits. Root may do anything except execute a file
    /// with no execute bit at all.
    /// </summary>
    public static int CheckAccess(VType type, int mode, uint uid, uint gid, int accmode, Cred cred)
    {
        if (cred.IsRoot)
        {
            if ((accmode & VEXEC) != 0 && type != VType.VDIR && (mode & 0x49) == 0)
                return EACCES;
            return 0;
        }
        int mask = 0;
        if (cred.Uid == uid)
        {
            if ((accmode & VEXEC) != 0) mask |= 0x40;
            if ((accmode & VREAD) != 0) mask |= 0x100;
            if ((accmode & VWRITE) != 0) mask |= 0x80;
            return (mode & mask) == mask ? 0 : EACCES;
        }
        if (InGroup(cred, gid))
        {
            if ((accmode & VEXEC) != 0) mask |= 0x08;
            if ((accmode & VREAD) != 0) mask |= 0x20;
            if ((accmode & VWRITE) != 0) mask |= 0x10;
            return (mode & mask) == mask ? 0 : EACCES;
        }
        if ((accmode & VEXEC) != 0) mask |= 0x01;
        if ((accmode & VREAD) != 0) mask |= 0x04;
        if ((accmode & VWRITE) != 0) mask |= 0x02;
        return (mode & mask) == mask ? 0 : EACCES;
    }

    /// <summary>The caller is in group <paramref name="gid"/> (primary or supplementary).</summary>
    public static bool InGroup(Cred cred, uint gid)
    {
        if (cred.Gid == gid)
            return true;
        foreach (var g in cred.Groups)
        {
            if (g == gid)
                return true;
        }
        return false;
    }

    /// <summary>Current wall time for timestamps.</summary>
    public static void Now(out long sec, out long nsec) => Clock.WallTime(out sec, out nsec);

    /// <summary>
    /// Locks up to four distinct vnodes (nulls and duplicates skipped) in increasing Id order, the one
    /// order every multi-vnode operation uses. Unlock with <see cref="UnlockMany"/>.
    /// </summary>
    public static void LockMany(Vnode? a, Vnode? b, Vnode? c = null, Vnode? d = null)
    {
        var set = new Vnode?[4];
        var n = 0;
        Add(a); Add(b); Add(c); Add(d);
        // insertion sort by Id
        for (var i = 1; i < n; i++)
        {
            for (var j = i; j > 0 && set[j - 1]!.Id > set[j]!.Id; j--)
                (set[j - 1], set[j]) = (set[j], set[j - 1]);
        }
        for (var i = 0; i < n; i++)
            set[i]!.Lock();

        void Add(Vnode? v)
        {
            if (v is null)
                return;
            for (var i = 0; i < n; i++)
            {
                if (ReferenceEquals(set[i], v))
                    return;
            }
            set[n++] = v;
        }
    }

    /// <summary>Unlocks what <see cref="LockMany"/> locked.</summary>
    public static void UnlockMany(Vnode? a, Vnode? b, Vnode? c = null, Vnode? d = null)
    {
        a?.Unlock();
        if (b is not null && !ReferenceEquals(b, a)) b.Unlock();
        if (c is not null && !ReferenceEquals(c, a) && !ReferenceEquals(c, b)) c.Unlock();
        if (d is not null && !ReferenceEquals(d, a) && !ReferenceEquals(d, b) && !ReferenceEquals(d, c)) d.Unlock();
    }

    /// <summary>UTF-8 length of a name (NAME_MAX counts bytes).</summary>
    public static int Utf8Length(string s) => System.Text.Encoding.UTF8.GetByteCount(s);
}
