using System;
using System.Collections.Generic;
using System.IO;
using Rump;

namespace Rump.Fs.Tests.Support;

/// <summary>
/// What a host does with a FAT image and a booted kernel, through the system calls only: register the image as
/// a block device (etfs), mount it as "msdos", walk, read and write it.
/// </summary>
internal static class FatKernelHost
{
    private static int s_next;

    /// <summary>Registers <paramref name="image"/> as /dev/fatN and mounts it at a fresh /mntN; returns the errno of mount.</summary>
    public static int MountImage(ISyscalls sys, string image, bool readOnly, out string mountPoint, out string devKey)
    {
        int n = System.Threading.Interlocked.Increment(ref s_next);
        devKey = "/dev/fat" + n;
        mountPoint = "/mnt" + n;
        int e = sys.EtfsRegister(devKey, image, EtfsType.Block, 0, 0);
        Assert.Equal(0, e);
        Assert.Equal(0, sys.Mkdir(mountPoint, 0x1ED));
        return sys.Mount("msdos", mountPoint, readOnly ? PosixConst.MNT_RDONLY : 0, devKey, "");
    }

    /// <summary>Unmounts and removes the etfs key, so the host image is complete and closed for the oracles.</summary>
    public static void Unmount(ISyscalls sys, string mountPoint, string devKey)
    {
        Assert.Equal(0, sys.Unmount(mountPoint, 0));
        Assert.Equal(0, sys.EtfsRemove(devKey));
    }

    public static List<(string Name, byte Type)> ReadDir(ISyscalls sys, string path, out int error)
    {
        var result = new List<(string, byte)>();
        error = sys.Open(path, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0, out int fd);
        if (error != 0)
            return result;
        var buf = new byte[4096];
        try
        {
            while (true)
            {
                error = sys.GetDents(fd, buf, out int n);
                if (error != 0 || n == 0)
                    return result;
                int off = 0;
                while (off < n)
                {
                    int len = Dirent.Read(buf.AsSpan(off, n - off), out _, out byte type, out string name);
                    if (len == 0)
                        break;
                    result.Add((name, type));
                    off += len;
                }
            }
        }
        finally
        {
            sys.Close(fd);
        }
    }

    /// <summary>Every path below <paramref name="root"/> relative to it ("/a/b"), like mdir -/ -b; depth-bounded.</summary>
    public static SortedSet<string> List(ISyscalls sys, string root, int maxDepth = 64)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        Walk(sys, root, "", set, maxDepth);
        return set;
    }

    private static void Walk(ISyscalls sys, string root, string rel, SortedSet<string> set, int depth)
    {
        var entries = ReadDir(sys, root + rel, out int error);
        Assert.Equal(0, error);
        foreach (var (name, type) in entries)
        {
            if (name is "." or "..")
                continue;
            set.Add(rel + "/" + name);
            if (type == Dirent.DT_DIR && depth > 0)
                Walk(sys, root, rel + "/" + name, set, depth - 1);
        }
    }

    public static int ReadFile(ISyscalls sys, string path, out byte[] data)
    {
        data = [];
        int e = sys.Open(path, OpenFlags.O_RDONLY, 0, out int fd);
        if (e != 0)
            return e;
        var ms = new MemoryStream();
        var buf = new byte[1 << 20];
        try
        {
            while (true)
            {
                e = sys.Read(fd, buf, out long n);
                if (e != 0)
                    return e;
                if (n == 0)
                    break;
                ms.Write(buf, 0, (int)n);
            }
        }
        finally
        {
            sys.Close(fd);
        }
        data = ms.ToArray();
        return 0;
    }

    public static void WriteFile(ISyscalls sys, string path, ReadOnlySpan<byte> data, int chunk = 1 << 20)
    {
        Assert.Equal(0, sys.Open(path, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0x1A4, out int fd));
        try
        {
            while (data.Length > 0)
            {
                int n = Math.Min(chunk, data.Length);
                Assert.Equal(0, sys.Write(fd, data.Slice(0, n), out long written));
                Assert.Equal(n, written);
                data = data.Slice(n);
            }
        }
        finally
        {
            Assert.Equal(0, sys.Close(fd));
        }
    }
}
