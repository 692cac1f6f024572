using System;
using Rump.Kern;
using static Rump.Kern.Errno;

namespace Rump.Vfs.Tmpfs;

/// <summary>The tmpfs component: registers the "tmpfs" file system type.</summary>
[Component(InitLevel.Vfs)]
internal static class TmpfsComponent
{
    public static void Init()
    {
        var error = Vfs.Register(new TmpfsVfsOps());
        if (error != 0)
            KernelLog.Printf("tmpfs: register failed: errno " + error);
    }
}

/// <summary>
/// tmpfs (sys/fs/tmpfs): a memory file system whose data pages come from Kmem and count against the
/// mount's size limit. Options (comma separated): <c>size=BYTES[k|m|g]</c> (ENOSPC past it; default:
/// what Kmem allows), <c>nodes=N</c> (most files; ENOSPC past it), <c>mode=OCTAL</c>, <c>uid=N</c>,
/// <c>gid=N</c> of the root directory. Unknown options: EINVAL.
/// </summary>
internal sealed class TmpfsVfsOps : MemVfsOps
{
    private static readonly MemVnodeOps s_vnodeOps = new TmpfsVnodeOps();

    public override string Name => "tmpfs";

    protected override MemVnodeOps VnodeOps => s_vnodeOps;

    protected override int CreateMount(Mount mp, string options, out MemMount mem)
    {
        mem = new MemMount();
        var error = ParseOptions(options, out var size, out var nodes, out _, out _, out _);
        if (error != 0)
            return error;
        if (size > 0)
            mem.PageLimit = Math.Max(1, (size + MemNode.PageSize - 1) / MemNode.PageSize);
        mem.NodeLimit = nodes;
        return 0;
    }

    public override int Mount(Mount mp, Vnode? devvp, string options, Cred cred)
    {
        var error = base.Mount(mp, devvp, options, cred);
        if (error != 0)
            return error;
        ParseOptions(options, out _, out _, out var mode, out var uid, out var gid);
        var root = ((MemMount)mp.Data!).Root;
        if (mode >= 0) root.Mode = mode;
        if (uid >= 0) root.Uid = (uint)uid;
        if (gid >= 0) root.Gid = (uint)gid;
        return 0;
    }

    /// <summary>NetBSD mount_tmpfs: the root directory gets mode 1777 unless mode= says otherwise.</summary>
    protected override int RootMode(string options) => 0x3FF;

    /// <summary>Parses the mount options; EINVAL for anything it does not know or cannot read.</summary>
    internal static int ParseOptions(string options, out long size, out long nodes, out int mode, out long uid, out long gid)
    {
        size = 0;
        nodes = 0;
        mode = -1;
        uid = -1;
        gid = -1;
        if (string.IsNullOrEmpty(options))
            return 0;
        foreach (var raw in options.Split(','))
        {
            var opt = raw.Trim();
            if (opt.Length == 0)
                continue;
            var eq = opt.IndexOf('=');
            if (eq <= 0)
                return EINVAL;
            var name = opt.Substring(0, eq);
            var value = opt.Substring(eq + 1);
            switch (name)
            {
                case "size":
                    if (!ParseSize(value, out size))
                        return EINVAL;
                    break;
                case "nodes":
                    if (!long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out nodes) || nodes < 3)
                        return EINVAL;
                    break;
                case "mode":
                    if (!ParseOctal(value, out mode) || mode > 0xFFF)
                        return EINVAL;
                    break;
                case "uid":
                    if (!long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out uid) || uid > uint.MaxValue)
                        return EINVAL;
                    break;
                case "gid":
                    if (!long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out gid) || gid > uint.MaxValue)
                        return EINVAL;
                    break;
                default:
                    return EINVAL;
            }
        }
        return 0;
    }

    private static bool ParseOctal(string value, out int result)
    {
        result = 0;
        if (value.Length == 0 || value.Length > 6)
            return false;
        foreach (var c in value)
        {
            if (c < '0' || c > '7')
                return false;
            result = result * 8 + (c - '0');
        }
        return true;
    }

    private static bool ParseSize(string value, out long size)
    {
        size = 0;
        if (value.Length == 0)
            return false;
        long mult = 1;
        switch (char.ToLowerInvariant(value[^1]))
        {
            case 'k': mult = 1L << 10; value = value[..^1]; break;
            case 'm': mult = 1L << 20; value = value[..^1]; break;
            case 'g': mult = 1L << 30; value = value[..^1]; break;
        }
        if (!long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
            return false;
        try
        {
            size = checked(n * mult);
        }
        catch (OverflowException)
        {
            return false;
        }
        return size > 0;
    }
}

/// <summary>tmpfs vnode operations: the memory file system's, as they are.</summary>
internal sealed class TmpfsVnodeOps : MemVnodeOps
{
}
