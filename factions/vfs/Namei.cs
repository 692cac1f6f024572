using Rump.Kern;
using static Rump.Kern.Errno;

namespace Rump.Vfs;

/// <summary>The result of <see cref="Namei.Lookup"/>.</summary>
internal struct NameiResult
{
    /// <summary>The vnode named, referenced and unlocked; null when a Create/Rename names an absent last component.</summary>
    public Vnode? Vp;

    /// <summary>Its parent directory, referenced and unlocked, when asked (WANTPARENT, and for Create/Delete/Rename).</summary>
    public Vnode? Dvp;

    /// <summary>The last component.</summary>
    public ComponentName? Cn;

    /// <summary>Releases what the lookup returned.</summary>
    public void Release()
    {
        if (Vp is not null)
            VCache.Rele(Vp);
        if (Dvp is not null)
            VCache.Rele(Dvp);
        Vp = Dvp = null;
    }
}

/// <summary>
/// namei (vfs_lookup.c): path → vnode. Walks components with VOP_LOOKUP one directory lock at a time,
/// answers "." itself, crosses mount points both ways for "..", follows symbolic links (at most
/// MAXSYMLINKS: ELOOP), enforces NAME_MAX/PATH_MAX (ENAMETOOLONG), search permission (EACCES),
/// ENOTDIR for a non-directory in the middle or before a trailing slash.
/// </summary>
internal static class Namei
{
    /// <summary>Follow a symbolic link in the last component.</summary>
    public const int FOLLOW = ComponentName.FOLLOW;
    /// <summary>Return the parent directory too (implied for Create/Delete/Rename).</summary>
    public const int WANTPARENT = 0x10;

    /// <summary>Looks up <paramref name="path"/>, relative paths from <paramref name="startDir"/> (null: the current directory).</summary>
    public static int Lookup(Lwp l, string? path, NameiOp op, int flags, out NameiResult nd, Vnode? startDir = null)
    {
        nd = default;
        if (path is null || path.Length == 0)
            return ENOENT;
        if (Vn.Utf8Length(path) >= ComponentName.PATH_MAX)
            return ENAMETOOLONG;
        var cred = l.Proc.Cred;
        var root = Vfs.RootOf(l);
        var wantParent = (flags & WANTPARENT) != 0 || op != NameiOp.Lookup;

        Vnode dir = path[0] == '/' ? root : (startDir ?? Vfs.CwdOf(l));
        VCache.Ref(dir);
        var links = 0;
        var rest = path;
        var pos = 0;
        while (true)
        {
            while (pos < rest.Length && rest[pos] == '/')
                pos++;
            if (pos == rest.Length)
            {
                // Nothing but slashes left: the path names `dir` itself ("/", or "a/" after a link).
                if (op == NameiOp.Delete || op == NameiOp.Rename)
                {
                    VCache.Rele(dir);
                    return EBUSY;
                }
                if (dir.Type != VType.VDIR)
                {
                    VCache.Rele(dir);
                    return ENOTDIR;
                }
                nd.Vp = dir;
                nd.Cn = new ComponentName(op, ComponentName.ISLASTCN, ".", cred);
                if (wantParent)
                {
                    VCache.Ref(dir);
                    nd.Dvp = dir;
                }
                return 0;
            }
            var end = rest.IndexOf('/', pos);
            if (end < 0)
                end = rest.Length;
            var name = rest.Substring(pos, end - pos);
            var after = end;
            while (after < rest.Length && rest[after] == '/')
                after++;
            var isLast = after == rest.Length;
            var trailingSlash = isLast && end < rest.Length;

            if (Vn.Utf8Length(name) > ComponentName.NAME_MAX)
            {
                VCache.Rele(dir);
                return ENAMETOOLONG;
            }
            if (dir.Type != VType.VDIR)
            {
                VCache.Rele(dir);
                return ENOTDIR;
            }
            var cnFlags = (isLast ? ComponentName.ISLASTCN : 0) | (trailingSlash ? ComponentName.REQUIREDIR : 0) | (flags & FOLLOW);
            var cn = new ComponentName(isLast ? op : NameiOp.Lookup, cnFlags, name, cred);

            dir.Lock();
            var error = dir.Op.Access(dir, Vn.VEXEC, cred);
            dir.Unlock();
            if (error != 0)
            {
                VCache.Rele(dir);
                return error;
            }

            if (isLast && (op == NameiOp.Delete || op == NameiOp.Rename) && (name == "." || name == ".."))
            {
                VCache.Rele(dir);
                return name == "." ? EINVAL : ENOTEMPTY;
            }

            Vnode? vp;
            if (name == ".")
            {
                VCache.Ref(dir);
                vp = dir;
            }
            else if (name == "..")
            {
                cn.Flags |= ComponentName.ISDOTDOT;
                if (ReferenceEquals(dir, root))
                {
                    VCache.Ref(dir);
                    vp = dir;
                }
                else
                {
                    // At the root of a mount, ".." is ".." of the directory it covers.
                    while (dir.IsRoot && dir.Mount.CoveredVnode is { } covered && !ReferenceEquals(dir, root))
                    {
                        VCache.Ref(covered);
                        VCache.Rele(dir);
                        dir = covered;
                    }
                    dir.Lock();
                    error = dir.Op.Lookup(dir, cn, out vp);
                    dir.Unlock();
                }
            }
            else
            {
                dir.Lock();
                error = dir.Op.Lookup(dir, cn, out vp);
                dir.Unlock();
            }

            if (error == ENOENT && isLast && (op == NameiOp.Create || op == NameiOp.Rename))
            {
                nd.Vp = null;
                nd.Dvp = dir;
                nd.Cn = cn;
                return 0;
            }
            if (error != 0)
            {
                VCache.Rele(dir);
                return error;
            }

            if (vp!.Type == VType.VLNK && (!isLast || (flags & FOLLOW) != 0 || trailingSlash))
            {
                if (++links > ComponentName.MAXSYMLINKS)
                {
                    VCache.Rele(vp);
                    VCache.Rele(dir);
                    return ELOOP;
                }
                error = ReadLinkText(vp, cred, out var target);
                VCache.Rele(vp);
                if (error == 0 && target.Length == 0)
                    error = ENOENT;
                if (error != 0)
                {
                    VCache.Rele(dir);
                    return error;
                }
                var newPath = target + rest.Substring(end);
                if (Vn.Utf8Length(newPath) >= ComponentName.PATH_MAX)
                {
                    VCache.Rele(dir);
                    return ENAMETOOLONG;
                }
                if (target[0] == '/')
                {
                    VCache.Rele(dir);
                    dir = root;
                    VCache.Ref(dir);
                }
                rest = newPath;
                pos = 0;
                continue;
            }

            // Into a mounted file system.
            while (vp.MountedHere is { } mounted && !mounted.Unmounting)
            {
                error = mounted.Op.Root(mounted, out var mroot);
                if (error != 0)
                {
                    VCache.Rele(vp);
                    VCache.Rele(dir);
                    return error;
                }
                VCache.Rele(vp);
                vp = mroot!;
            }

            if (isLast)
            {
                if (trailingSlash && vp.Type != VType.VDIR)
                {
                    VCache.Rele(vp);
                    VCache.Rele(dir);
                    return ENOTDIR;
                }
                nd.Vp = vp;
                nd.Cn = cn;
                if (wantParent)
                    nd.Dvp = dir;
                else
                    VCache.Rele(dir);
                return 0;
            }
            VCache.Rele(dir);
            dir = vp;
            pos = after;
        }
    }

    /// <summary>The target of a symbolic link, as a string.</summary>
    public static int ReadLinkText(Vnode vp, Cred cred, out string target)
    {
        System.Span<byte> buffer = stackalloc byte[ComponentName.PATH_MAX];
        var uio = Uio.ForRead(buffer, 0);
        vp.Lock();
        var error = vp.Op.ReadLink(vp, ref uio, cred);
        vp.Unlock();
        target = error == 0 ? System.Text.Encoding.UTF8.GetString(buffer.Slice(0, uio.Done)) : "";
        return error;
    }
}
