using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using Rump;

namespace Rump.Xen.Tests;

/// <summary>File-system helpers over the system-call API, the same for every target.</summary>
internal static class FsOps
{
    public static void Check(int errno, string what)
    {
        if (errno != 0)
            throw new InvalidOperationException(what + ": " + ErrnoText.Describe(errno) + " (" + errno + ")");
    }

    /// <summary>Registers <paramref name="hostPath"/> as /dev/disk0 and mounts its FAT file system on /mnt.</summary>
    public static void MountFat(ISyscalls sys, string hostPath, bool readOnly = false)
    {
        Check(sys.EtfsRegister("/dev/disk0", hostPath, readOnly ? EtfsType.BlockReadOnly : EtfsType.Block, 0, 0), "etfs " + hostPath);
        Check(sys.Mkdir("/mnt", 0x1ED), "mkdir /mnt");
        Check(sys.Mount("msdos", "/mnt", readOnly ? PosixConst.MNT_RDONLY : 0, "/dev/disk0", ""), "mount");
    }

    public static byte[] ReadFile(ISyscalls sys, string path)
    {
        Check(sys.Open(path, OpenFlags.O_RDONLY, 0, out var fd), "open " + path);
        try
        {
            var ms = new MemoryStream();
            var buf = new byte[50_000];   // not a multiple of any block size: reads cross clusters
            while (true)
            {
                Check(sys.Read(fd, buf, out var n), "read " + path);
                if (n == 0)
                    return ms.ToArray();
                ms.Write(buf, 0, (int)n);
            }
        }
        finally
        {
            sys.Close(fd);
        }
    }

    public static int TryReadFile(ISyscalls sys, string path, out byte[] data)
    {
        data = [];
        int e = sys.Open(path, OpenFlags.O_RDONLY, 0, out var fd);
        if (e != 0)
            return e;
        try
        {
            var ms = new MemoryStream();
            var buf = new byte[65536];
            while (true)
            {
                e = sys.Read(fd, buf, out var n);
                if (e != 0)
                    return e;
                if (n == 0)
                {
                    data = ms.ToArray();
                    return 0;
                }
                ms.Write(buf, 0, (int)n);
            }
        }
        finally
        {
            sys.Close(fd);
        }
    }

    public static void WriteFile(ISyscalls sys, string path, byte[] data, bool fsync = false)
    {
        Check(sys.Open(path, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0x1A4, out var fd), "create " + path);
        try
        {
            int off = 0;
            while (off < data.Length)
            {
                int n = Math.Min(70_000, data.Length - off);
                Check(sys.Write(fd, data.AsSpan(off, n), out var w), "write " + path);
                off += (int)w;
            }
            if (fsync)
                Check(sys.Fsync(fd), "fsync " + path);
        }
        finally
        {
            Check(sys.Close(fd), "close " + path);
        }
    }

    public static List<string> List(ISyscalls sys, string path)
    {
        Check(sys.Open(path, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0, out var fd), "open " + path);
        var names = new List<string>();
        var buf = new byte[1024];
        try
        {
            while (true)
            {
                Check(sys.GetDents(fd, buf, out var n), "getdents " + path);
                if (n == 0)
                    break;
                int pos = 0;
                while (pos < n)
                {
                    int len = Dirent.Read(buf.AsSpan(pos, n - pos), out _, out _, out var name);
                    if (len == 0)
                        throw new InvalidOperationException("bad dirent in " + path);
                    if (name is not ("." or ".."))
                        names.Add(name);
                    pos += len;
                }
            }
        }
        finally
        {
            sys.Close(fd);
        }
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>Every path below <paramref name="root"/> with its type, size and content hash, in order.</summary>
    public static List<string> Tree(ISyscalls sys, string root)
    {
        var lines = new List<string>();
        Walk(sys, root, "", lines);
        return lines;
    }

    private static void Walk(ISyscalls sys, string dir, string rel, List<string> lines)
    {
        foreach (var name in List(sys, dir))
        {
            var path = dir + "/" + name;
            Check(sys.Stat(path, out var st), "stat " + path);
            if (FileMode.IsDir(st.Mode))
            {
                lines.Add(rel + "/" + name + "/");
                Walk(sys, path, rel + "/" + name, lines);
            }
            else
            {
                var hash = Convert.ToHexString(SHA256.HashData(ReadFile(sys, path)));
                lines.Add(rel + "/" + name + " " + st.Size + " " + hash);
            }
        }
    }

    public static byte[] Pattern(int length, int seed)
    {
        var b = new byte[length];
        for (int i = 0; i < b.Length; i++)
            b[i] = (byte)(i * 31 + seed + i / 509);
        return b;
    }
}
