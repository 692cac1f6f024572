using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Rump.Kern;

namespace Rump.Target.Posix;

// Inside Rump.*, a bare Errno would bind to the host contract's Rump.Errno enum; the kernel's are ints.
using Errno = Rump.Kern.Errno;

/// <summary>Host files and block devices opened by the instance: descriptor → SafeFileHandle.</summary>
internal static class PosixFiles
{
    // s_gate protects s_handles.
    private static readonly object s_gate = new();
    private static readonly List<SafeFileHandle?> s_handles = [];

    public static int Add(SafeFileHandle handle)
    {
        lock (s_gate)
        {
            for (int i = 0; i < s_handles.Count; i++)
            {
                if (s_handles[i] is null)
                {
                    s_handles[i] = handle;
                    return i;
                }
            }
            s_handles.Add(handle);
            return s_handles.Count - 1;
        }
    }

    public static SafeFileHandle? Get(int fd)
    {
        lock (s_gate)
            return (uint)fd < (uint)s_handles.Count ? s_handles[fd] : null;
    }

    public static SafeFileHandle? Remove(int fd)
    {
        lock (s_gate)
        {
            if ((uint)fd >= (uint)s_handles.Count)
                return null;
            var h = s_handles[fd];
            s_handles[fd] = null;
            return h;
        }
    }

    public static int OpenCount
    {
        get
        {
            lock (s_gate)
            {
                int n = 0;
                foreach (var h in s_handles)
                {
                    if (h is not null)
                        n++;
                }
                return n;
            }
        }
    }

    /// <summary>Closes every handle (instance exit).</summary>
    public static void CloseAll()
    {
        SafeFileHandle?[] all;
        lock (s_gate)
        {
            all = s_handles.ToArray();
            s_handles.Clear();
        }
        foreach (var h in all)
            h?.Dispose();
    }

    /// <summary>Host exception → NetBSD errno.</summary>
    public static int ErrnoOf(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => Errno.ENOENT,
        UnauthorizedAccessException => Errno.EACCES,
        PathTooLongException => Errno.ENAMETOOLONG,
        ObjectDisposedException => Errno.EBADF,
        ArgumentException => Errno.EINVAL,
        NotSupportedException => Errno.EOPNOTSUPP,
        OutOfMemoryException => Errno.ENOMEM,
        IOException io => FromHostErrno(io.HResult),
        _ => Errno.EIO,
    };

    /// <summary>
    /// On Unix, .NET puts the host errno in IOException.HResult. Linux and NetBSD agree on 1..34;
    /// above that the numbers differ.
    /// </summary>
    public static int FromHostErrno(int hostErrno)
    {
        if (!OperatingSystem.IsLinux())
            return hostErrno is > 0 and <= 34 ? hostErrno : Errno.EIO;
        return hostErrno switch
        {
            >= 1 and <= 34 and not 11 => hostErrno,
            11 => Errno.EAGAIN,
            35 => Errno.EDEADLK,
            36 => Errno.ENAMETOOLONG,
            37 => Errno.ENOLCK,
            38 => Errno.ENOSYS,
            39 => Errno.ENOTEMPTY,
            40 => Errno.ELOOP,
            75 => Errno.EOVERFLOW,
            84 => Errno.EILSEQ,
            95 => Errno.EOPNOTSUPP,
            110 => Errno.ETIMEDOUT,
            122 => Errno.EDQUOT,
            125 => Errno.ECANCELED,
            _ => Errno.EIO,
        };
    }

    /// <summary>Size and FT_* type of a host path.</summary>
    public static int GetFileInfo(string path, out long size, out int type)
    {
        size = 0;
        type = Hyp.FT_OTHER;
        if (string.IsNullOrEmpty(path))
            return Errno.ENOENT;
        try
        {
            if (Directory.Exists(path))
            {
                type = Hyp.FT_DIR;
                return 0;
            }
            if (HostStat.TryGetMode(path, out int mode, out long statSize))
            {
                switch (mode & HostStat.S_IFMT)
                {
                    case HostStat.S_IFREG:
                        type = Hyp.FT_REG;
                        size = statSize;
                        return 0;
                    case HostStat.S_IFBLK:
                        type = Hyp.FT_BLK;
                        size = HostStat.DeviceSize(path);
                        return 0;
                    case HostStat.S_IFCHR:
                        type = Hyp.FT_CHR;
                        return 0;
                    case HostStat.S_IFDIR:
                        type = Hyp.FT_DIR;
                        return 0;
                    default:
                        type = Hyp.FT_OTHER;
                        return 0;
                }
            }
            var info = new FileInfo(path);
            if (!info.Exists)
                return Errno.ENOENT;
            type = Hyp.FT_REG;
            size = info.Length;
            return 0;
        }
        catch (Exception e)
        {
            return ErrnoOf(e);
        }
    }

    /// <summary>stat(2) through libc where the layout of struct stat is known (Linux x64/arm64).</summary>
    private static class HostStat
    {
        public const int S_IFMT = 0xF000, S_IFDIR = 0x4000, S_IFCHR = 0x2000, S_IFBLK = 0x6000, S_IFREG = 0x8000;

        [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
        private static extern int stat(string path, byte[] buffer);

        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        private static extern int open(string path, int flags);

        [DllImport("libc", EntryPoint = "lseek", SetLastError = true)]
        private static extern long lseek(int fd, long offset, int whence);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        private static extern int close(int fd);

        public static bool TryGetMode(string path, out int mode, out long size)
        {
            mode = 0;
            size = 0;
            if (!OperatingSystem.IsLinux())
                return false;
            int modeOffset = RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => 24,
                Architecture.Arm64 => 16,
                _ => -1,
            };
            if (modeOffset < 0)
                return false;
            var buffer = new byte[256];
            try
            {
                if (stat(path, buffer) != 0)
                    return false;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                return false;
            }
            mode = BitConverter.ToInt32(buffer, modeOffset);
            size = BitConverter.ToInt64(buffer, 48);
            return true;
        }

        /// <summary>A block device's size: st_size is 0 for devices, lseek to the end tells.</summary>
        public static long DeviceSize(string path)
        {
            int fd = open(path, 0);
            if (fd < 0)
                return 0;
            long end = lseek(fd, 0, 2);
            close(fd);
            return end < 0 ? 0 : end;
        }
    }
}
