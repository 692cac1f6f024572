using System;
using System.IO;

namespace Rump.Tools;

/// <summary>
/// Host I/O failures as errno values, so that they read like kernel ones (<c>rumpctl: PATH: strerror</c>). rumpctl
/// never prints a .NET exception's Message: the published tool runs with UseSystemResourceKeys, where those messages
/// are resource keys such as <c>IO_SharingViolation_File</c>.
/// </summary>
public static class HostErrors
{
    /// <summary>The errno (NetBSD numbering, as the kernel's) for a host exception; EIO when it names none.</summary>
    public static int ErrnoOf(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => (int)Errno.ENOENT,
        UnauthorizedAccessException => (int)Errno.EACCES,
        PathTooLongException => (int)Errno.ENAMETOOLONG,
        IOException when OperatingSystem.IsLinux() && e.HResult is > 0 and < 256 => FromLinux(e.HResult),
        _ => (int)Errno.EIO,
    };

    /// <summary>True when the host refused the file because another open file holds its lock (flock EWOULDBLOCK).</summary>
    public static bool IsLocked(Exception e) => e is IOException && OperatingSystem.IsLinux() && e.HResult == LinuxEagain;

    private const int LinuxEagain = 11;

    /// <summary>
    /// .NET on Unix puts the raw errno in an IOException's HResult when no more specific exception type fits. Linux
    /// numbers differ from NetBSD's above 34 (and EAGAIN): map the ones file copies meet.
    /// </summary>
    internal static int FromLinux(int linuxErrno) => linuxErrno switch
    {
        1 => (int)Errno.EPERM,
        2 => (int)Errno.ENOENT,
        5 => (int)Errno.EIO,
        LinuxEagain => (int)Errno.EAGAIN,
        12 => (int)Errno.ENOMEM,
        13 => (int)Errno.EACCES,
        16 => (int)Errno.EBUSY,
        17 => (int)Errno.EEXIST,
        18 => (int)Errno.EXDEV,
        19 => (int)Errno.ENODEV,
        20 => (int)Errno.ENOTDIR,
        21 => (int)Errno.EISDIR,
        22 => (int)Errno.EINVAL,
        23 => (int)Errno.ENFILE,
        24 => (int)Errno.EMFILE,
        26 => (int)Errno.ETXTBSY,
        27 => (int)Errno.EFBIG,
        28 => (int)Errno.ENOSPC,
        30 => (int)Errno.EROFS,
        32 => (int)Errno.EPIPE,
        36 => (int)Errno.ENAMETOOLONG,
        39 => (int)Errno.ENOTEMPTY,
        40 => (int)Errno.ELOOP,
        95 => (int)Errno.EOPNOTSUPP,
        122 => (int)Errno.EDQUOT,
        _ => (int)Errno.EIO,
    };

    /// <summary>
    /// The file a symbolic link finally points to (the path itself when it is no link, or points nowhere); a loop of
    /// links is ELOOP naming <paramref name="display"/>, as open(2) would say.
    /// </summary>
    public static string ResolveLinks(string fullPath, string display)
    {
        try
        {
            return File.Exists(fullPath) && File.ResolveLinkTarget(fullPath, returnFinalTarget: true) is { Exists: true } target
                ? target.FullName
                : fullPath;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // .NET raises a loop of links without an errno (HResult COR_E_IO): the one error here that has none.
            var errno = e is IOException && e.HResult < 0 ? (int)Errno.ELOOP : ErrnoOf(e);
            throw new ToolErrnoException(errno, display);
        }
    }

    /// <summary>
    /// ENOTDIR when a component before the last of <paramref name="fullPath"/> is a file (POSIX's answer; .NET reports
    /// it as a missing file or folder), else ENOENT.
    /// </summary>
    public static int MissingErrno(string fullPath)
    {
        for (var dir = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(fullPath)); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            if (Directory.Exists(dir))
                return (int)Errno.ENOENT;
            if (File.Exists(dir))
                return (int)Errno.ENOTDIR;
        }
        return (int)Errno.ENOENT;
    }
}
