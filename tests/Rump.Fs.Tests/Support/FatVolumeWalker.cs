using System;
using System.Collections.Generic;
using Rump.Fs.Msdosfs;

namespace Rump.Fs.Tests.Support;

/// <summary>Path-level helpers over a <see cref="FatVolume"/> for on-disk unit tests (what namei would do).</summary>
internal static class FatVolumeWalker
{
    public static uint DirStartOf(FatVolume v, FatNode dir) => dir.IsRoot ? v.RootStart : v.StartCluster(dir);

    /// <summary>Resolves "/a/b"; 0 or the errno of the component that failed.</summary>
    public static int Resolve(FatVolume v, string path, out FatNode node)
    {
        node = v.Root;
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!node.IsDirectory)
                return Rump.Kern.Errno.ENOTDIR;
            int error = v.Lookup(DirStartOf(v, node), part, out var slot);
            if (error != 0)
                return error;
            node = v.NodeFromSlot(DirStartOf(v, node), slot);
        }
        return 0;
    }

    public static FatNode MustResolve(FatVolume v, string path)
    {
        Assert.Equal(0, Resolve(v, path, out var node));
        return node;
    }

    /// <summary>Every path below the root, like mdir -/ -b (no "." and "..").</summary>
    public static SortedSet<string> List(FatVolume v, int maxDepth = 64)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        Walk(v, v.Root, "", set, maxDepth);
        return set;
    }

    private static void Walk(FatVolume v, FatNode dir, string prefix, SortedSet<string> set, int depth)
    {
        var children = new List<(string, FatNode)>();
        uint start = DirStartOf(v, dir);
        Assert.Equal(0, v.ScanDir(start, 0, (in FatDirSlot s) =>
        {
            if (!s.Entry.DIR_Name.IsDot && !s.Entry.DIR_Name.IsDotDot)
                children.Add((s.Name, v.NodeFromSlot(start, s)));
            return true;
        }, out _));
        foreach (var (name, node) in children)
        {
            set.Add(prefix + "/" + name);
            if (node.IsDirectory && depth > 0)
                Walk(v, node, prefix + "/" + name, set, depth - 1);
        }
    }

    public static byte[] ReadAll(FatVolume v, FatNode node)
    {
        var data = new byte[node.Entry.DIR_FileSize];
        int off = 0;
        while (off < data.Length)
        {
            Assert.Equal(0, v.Read(node, off, data.AsSpan(off, Math.Min(100_000, data.Length - off)), out int n));
            Assert.True(n > 0);
            off += n;
        }
        return data;
    }
}
