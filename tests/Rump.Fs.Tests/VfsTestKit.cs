using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Rump;
using Rump.Testing;

namespace Rump.Fs.Tests;

/// <summary>A booted kernel with helpers for the vfs tests; all calls go through the host syscall API.</summary>
internal sealed class VfsKernel : IDisposable
{
    public VfsKernel(long memoryLimit = 0, int virtualCpus = 1)
    {
        Kernel = TestKernel.Boot(new BootOptions { MemoryLimit = memoryLimit, HostName = "vfs-test", VirtualCpus = virtualCpus });
    }

    public IRumpKernel Kernel { get; }

    public ISyscalls Sys => Kernel.Sys;

    /// <summary>Mounts a tmpfs at <paramref name="path"/> (made first) and returns it.</summary>
    public string MountTmpfs(string path = "/mnt", string options = "", int flags = 0)
    {
        var e = Sys.Mkdir(path, 0x1FF);
        if (e != 0 && e != (int)Errno.EEXIST)
            throw new InvalidOperationException("mkdir " + path + ": " + (Errno)e);
        Check(Sys.Mount("tmpfs", path, flags, "tmpfs", options), "mount tmpfs " + path);
        return path;
    }

    public int Create(string path, string content)
    {
        var e = Sys.Open(path, OpenFlags.O_CREAT | OpenFlags.O_WRONLY | OpenFlags.O_TRUNC, 0x1A4, out var fd);
        if (e != 0)
            return e;
        var bytes = Encoding.UTF8.GetBytes(content);
        e = Sys.Write(fd, bytes, out var n);
        Sys.Close(fd);
        if (e == 0 && n != bytes.Length)
            throw new InvalidOperationException("short write");
        return e;
    }

    public string ReadAll(string path)
    {
        Check(Sys.Open(path, OpenFlags.O_RDONLY, 0, out var fd), "open " + path);
        try
        {
            return Encoding.UTF8.GetString(ReadFd(fd));
        }
        finally
        {
            Sys.Close(fd);
        }
    }

    public byte[] ReadFd(int fd)
    {
        var ms = new MemoryStream();
        var buf = new byte[65536];
        while (true)
        {
            Check(Sys.Read(fd, buf, out var n), "read");
            if (n == 0)
                return ms.ToArray();
            ms.Write(buf, 0, (int)n);
        }
    }

    /// <summary>Names in a directory (getdents), without "." and "..", sorted.</summary>
    public List<string> List(string path)
    {
        Check(Sys.Open(path, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0, out var fd), "open " + path);
        var names = new List<string>();
        var buf = new byte[1024];
        try
        {
            while (true)
            {
                Check(Sys.GetDents(fd, buf, out var n), "getdents " + path);
                if (n == 0)
                    break;
                var pos = 0;
                while (pos < n)
                {
                    var len = Dirent.Read(buf.AsSpan(pos, n - pos), out _, out _, out var name);
                    if (len == 0)
                        throw new InvalidOperationException("bad dirent");
                    if (name != "." && name != "..")
                        names.Add(name);
                    pos += len;
                }
            }
        }
        finally
        {
            Sys.Close(fd);
        }
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    public RumpStat Stat(string path)
    {
        Check(Sys.Stat(path, out var st), "stat " + path);
        return st;
    }

    public static void Check(int errno, string what)
    {
        if (errno != 0)
            throw new InvalidOperationException(what + ": " + (Errno)errno);
    }

    public void Dispose() => Kernel.Dispose();
}

/// <summary>xunit's Assert for errno values: failures print names, not numbers.</summary>
internal static class AssertErrno
{
    public static void Is(Errno expected, int actual) => Assert.Equal(expected, (Errno)actual);

    public static void Ok(int actual) => Assert.Equal(Errno.OK, (Errno)actual);
}

/// <summary>A host temp directory removed at Dispose.</summary>
internal sealed class HostTempDir : IDisposable
{
    public HostTempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rump-vfs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
