using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using Rump;

namespace Rump.Fs.Tests;

/// <summary>
/// A randomized model-based test: the same long sequence of operations runs on a host temp directory
/// (through libc, the oracle) and in the kernel (rumpfs or tmpfs); every result (errno) must agree, and at
/// the end both trees must hold the same names, types, sizes and bytes. Seeds are fixed: failures replay.
/// </summary>
public sealed class VfsModelTests
{
    public static TheoryData<string, int> Runs => new()
    {
        { "tmpfs", 1 }, { "tmpfs", 2 }, { "tmpfs", 3 }, { "rumpfs", 4 }, { "rumpfs", 5 },
    };

    [Theory, MemberData(nameof(Runs))]
    public void RandomOperations_AgreeWithTheHostFileSystem(string fs, int seed)
    {
        if (!OperatingSystem.IsLinux())
            return; // the oracle's errno names below are Linux's
        using var host = new HostTempDir();
        using var k = new VfsKernel();
        string root;
        if (fs == "tmpfs")
        {
            root = k.MountTmpfs("/model");
        }
        else
        {
            AssertErrno.Ok(k.Sys.Mkdir("/model", 0x1ED));
            root = "/model";
        }
        var rng = new Random(seed);
        var names = new[] { "a", "b", "c", "file", "dir" };
        string RandomPath()
        {
            var depth = rng.Next(1, 4);
            return string.Join("/", Enumerable.Range(0, depth).Select(_ => names[rng.Next(names.Length)]));
        }

        var log = new List<string>();
        for (var step = 0; step < 1500; step++)
        {
            var p = RandomPath();
            var q = RandomPath();
            var op = rng.Next(9);
            int hostErr, kernErr;
            string what;
            switch (op)
            {
                case 0:
                case 1:
                    what = "mkdir " + p;
                    hostErr = Libc.Result(Libc.mkdir(Path.Combine(host.Path, p), 0x1ED));
                    kernErr = k.Sys.Mkdir(root + "/" + p, 0x1ED);
                    break;
                case 2:
                case 3:
                {
                    var offset = rng.Next(0, 6000);
                    var data = new byte[rng.Next(0, 3000)];
                    rng.NextBytes(data);
                    what = "write " + p + " @" + offset + " +" + data.Length;
                    hostErr = HostWrite(Path.Combine(host.Path, p), data, offset);
                    kernErr = KernelWrite(k, root + "/" + p, data, offset);
                    break;
                }
                case 4:
                    what = "unlink " + p;
                    hostErr = Libc.Result(Libc.unlink(Path.Combine(host.Path, p)));
                    kernErr = k.Sys.Unlink(root + "/" + p);
                    if (hostErr == (int)Errno.EISDIR)
                        hostErr = (int)Errno.EPERM; // Linux says EISDIR; POSIX and NetBSD say EPERM
                    break;
                case 5:
                    what = "rmdir " + p;
                    hostErr = Libc.Result(Libc.rmdir(Path.Combine(host.Path, p)));
                    kernErr = k.Sys.Rmdir(root + "/" + p);
                    break;
                case 6:
                    what = "rename " + p + " " + q;
                    hostErr = Libc.Result(Libc.rename(Path.Combine(host.Path, p), Path.Combine(host.Path, q)));
                    kernErr = k.Sys.Rename(root + "/" + p, root + "/" + q);
                    // A file onto a directory that contains it: Linux reports the ancestor trap (ENOTEMPTY)
                    // before the type mismatch; POSIX and NetBSD report EISDIR.
                    if (hostErr == (int)Errno.ENOTEMPTY && kernErr == (int)Errno.EISDIR && p.StartsWith(q + "/", StringComparison.Ordinal))
                        hostErr = kernErr;
                    break;
                case 7:
                {
                    var len = rng.Next(0, 8000);
                    what = "truncate " + p + " " + len;
                    hostErr = Libc.Result(Libc.truncate(Path.Combine(host.Path, p), len));
                    kernErr = k.Sys.Truncate(root + "/" + p, len);
                    break;
                }
                default:
                    what = "link " + p + " " + q;
                    hostErr = Libc.Result(Libc.link(Path.Combine(host.Path, p), Path.Combine(host.Path, q)));
                    kernErr = k.Sys.Link(root + "/" + p, root + "/" + q);
                    break;
            }
            log.Add(what + " -> " + (Errno)hostErr);
            if (hostErr != kernErr)
            {
                Assert.Fail("step " + step + ": " + what + ": host " + (Errno)hostErr + ", kernel " + (Errno)kernErr +
                    "\n" + string.Join("\n", log.TakeLast(25)));
            }
        }

        var hostTree = HostTree(host.Path);
        var kernelTree = KernelTree(k, root);
        Assert.Equal(hostTree.Keys.OrderBy(x => x, StringComparer.Ordinal), kernelTree.Keys.OrderBy(x => x, StringComparer.Ordinal));
        foreach (var (path, value) in hostTree)
            Assert.True(value == kernelTree[path], path + ": host " + value + ", kernel " + kernelTree[path]);
        Assert.True(hostTree.Count > 3, "the run built almost nothing: " + hostTree.Count);
    }

    private static int HostWrite(string path, byte[] data, long offset)
    {
        var fd = Libc.open(path, Libc.O_WRONLY | Libc.O_CREAT, 0x1A4);
        if (fd < 0)
            return Libc.Errno();
        try
        {
            return data.Length == 0 ? 0 : Libc.Result(Libc.pwrite(fd, data, data.Length, offset) == data.Length ? 0 : -1);
        }
        finally
        {
            Libc.close(fd);
        }
    }

    private static int KernelWrite(VfsKernel k, string path, byte[] data, long offset)
    {
        var error = k.Sys.Open(path, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0x1A4, out var fd);
        if (error != 0)
            return error;
        try
        {
            if (data.Length == 0)
                return 0;
            error = k.Sys.PWrite(fd, data, offset, out var n);
            return error != 0 ? error : n == data.Length ? 0 : (int)Errno.EIO;
        }
        finally
        {
            k.Sys.Close(fd);
        }
    }

    // path → "dir" or "file:<size>:<content hash>"
    private static Dictionary<string, string> HostTree(string root)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(root, entry).Replace('\\', '/');
            result[rel] = Directory.Exists(entry) ? "dir" : Describe(File.ReadAllBytes(entry));
        }
        return result;
    }

    private static Dictionary<string, string> KernelTree(VfsKernel k, string root)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        void Walk(string dir, string rel)
        {
            foreach (var name in k.List(dir))
            {
                var path = dir + "/" + name;
                var r = rel.Length == 0 ? name : rel + "/" + name;
                if (FileMode.IsDir(k.Stat(path).Mode))
                {
                    result[r] = "dir";
                    Walk(path, r);
                }
                else
                {
                    VfsKernel.Check(k.Sys.Open(path, OpenFlags.O_RDONLY, 0, out var fd), "open " + path);
                    result[r] = Describe(k.ReadFd(fd));
                    k.Sys.Close(fd);
                }
            }
        }
        Walk(root, "");
        return result;
    }

    private static string Describe(byte[] data)
        => "file:" + data.Length + ":" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(data));

    /// <summary>The host's libc, for errno-exact oracle calls.</summary>
    private static class Libc
    {
        public const int O_WRONLY = 1, O_CREAT = 0x40;

        [DllImport("libc", SetLastError = true)] public static extern int mkdir(string path, uint mode);
        [DllImport("libc", SetLastError = true)] public static extern int rmdir(string path);
        [DllImport("libc", SetLastError = true)] public static extern int unlink(string path);
        [DllImport("libc", SetLastError = true)] public static extern int rename(string from, string to);
        [DllImport("libc", SetLastError = true)] public static extern int link(string from, string to);
        [DllImport("libc", SetLastError = true)] public static extern int truncate(string path, long length);
        [DllImport("libc", SetLastError = true)] public static extern int open(string path, int flags, int mode);
        [DllImport("libc", SetLastError = true)] public static extern nint pwrite(int fd, byte[] buffer, nint count, long offset);
        [DllImport("libc", SetLastError = true)] public static extern int close(int fd);

        public static int Errno() => FromLinux(Marshal.GetLastPInvokeError());

        public static int Result(int rc) => rc == 0 ? 0 : Errno();

        public static int Result(long rc) => rc == 0 ? 0 : Errno();

        // Linux errno → NetBSD errno, by name.
        private static int FromLinux(int linux) => linux switch
        {
            1 => (int)Rump.Errno.EPERM, 2 => (int)Rump.Errno.ENOENT, 13 => (int)Rump.Errno.EACCES,
            16 => (int)Rump.Errno.EBUSY, 17 => (int)Rump.Errno.EEXIST, 18 => (int)Rump.Errno.EXDEV,
            20 => (int)Rump.Errno.ENOTDIR, 21 => (int)Rump.Errno.EISDIR, 22 => (int)Rump.Errno.EINVAL,
            27 => (int)Rump.Errno.EFBIG, 28 => (int)Rump.Errno.ENOSPC, 31 => (int)Rump.Errno.EMLINK,
            36 => (int)Rump.Errno.ENAMETOOLONG, 39 => (int)Rump.Errno.ENOTEMPTY, 40 => (int)Rump.Errno.ELOOP,
            _ => 1000 + linux,
        };
    }
}
