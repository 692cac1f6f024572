namespace Rump;

/// <summary>Kernel error numbers, NetBSD numbering. System calls return 0 or one of these.</summary>
public enum Errno
{
    OK = 0,
    EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7, ENOEXEC = 8,
    EBADF = 9, ECHILD = 10, EDEADLK = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14, ENOTBLK = 15,
    EBUSY = 16, EEXIST = 17, EXDEV = 18, ENODEV = 19, ENOTDIR = 20, EISDIR = 21, EINVAL = 22,
    ENFILE = 23, EMFILE = 24, ENOTTY = 25, ETXTBSY = 26, EFBIG = 27, ENOSPC = 28, ESPIPE = 29,
    EROFS = 30, EMLINK = 31, EPIPE = 32, EDOM = 33, ERANGE = 34, EAGAIN = 35, EINPROGRESS = 36,
    EALREADY = 37, ENOTSOCK = 38, EDESTADDRREQ = 39, EMSGSIZE = 40, EPROTOTYPE = 41,
    ENOPROTOOPT = 42, EPROTONOSUPPORT = 43, ESOCKTNOSUPPORT = 44, EOPNOTSUPP = 45,
    EPFNOSUPPORT = 46, EAFNOSUPPORT = 47, EADDRINUSE = 48, EADDRNOTAVAIL = 49, ENETDOWN = 50,
    ENETUNREACH = 51, ENETRESET = 52, ECONNABORTED = 53, ECONNRESET = 54, ENOBUFS = 55,
    EISCONN = 56, ENOTCONN = 57, ESHUTDOWN = 58, ETOOMANYREFS = 59, ETIMEDOUT = 60,
    ECONNREFUSED = 61, ELOOP = 62, ENAMETOOLONG = 63, EHOSTDOWN = 64, EHOSTUNREACH = 65,
    ENOTEMPTY = 66, EPROCLIM = 67, EUSERS = 68, EDQUOT = 69, ESTALE = 70, EREMOTE = 71,
    EBADRPC = 72, ERPCMISMATCH = 73, EPROGUNAVAIL = 74, EPROGMISMATCH = 75, EPROCUNAVAIL = 76,
    ENOLCK = 77, ENOSYS = 78, EFTYPE = 79, EAUTH = 80, ENEEDAUTH = 81, EIDRM = 82, ENOMSG = 83,
    EOVERFLOW = 84, EILSEQ = 85, ENOTSUP = 86, ECANCELED = 87, EBADMSG = 88,
}

/// <summary>Text for errno values, as strerror(3) words them.</summary>
public static class ErrnoText
{
    public static string Describe(int errno) => (Errno)errno switch
    {
        Errno.OK => "Success",
        Errno.EPERM => "Operation not permitted",
        Errno.ENOENT => "No such file or directory",
        Errno.EIO => "Input/output error",
        Errno.ENXIO => "Device not configured",
        Errno.EBADF => "Bad file descriptor",
        Errno.ENOMEM => "Cannot allocate memory",
        Errno.EACCES => "Permission denied",
        Errno.EBUSY => "Device busy",
        Errno.EEXIST => "File exists",
        Errno.EXDEV => "Cross-device link",
        Errno.ENODEV => "Operation not supported by device",
        Errno.ENOTDIR => "Not a directory",
        Errno.EISDIR => "Is a directory",
        Errno.EINVAL => "Invalid argument",
        Errno.EMFILE => "Too many open files",
        Errno.EFBIG => "File too large",
        Errno.ENOSPC => "No space left on device",
        Errno.ESPIPE => "Illegal seek",
        Errno.EROFS => "Read-only file system",
        Errno.EMLINK => "Too many links",
        Errno.ERANGE => "Result too large",
        Errno.EAGAIN => "Resource temporarily unavailable",
        Errno.EOPNOTSUPP => "Operation not supported",
        Errno.ELOOP => "Too many levels of symbolic links",
        Errno.ENAMETOOLONG => "File name too long",
        Errno.ENOTEMPTY => "Directory not empty",
        Errno.ENOSYS => "Function not implemented",
        Errno.EFTYPE => "Inappropriate file type or format",
        Errno.EOVERFLOW => "Value too large to be stored in data type",
        Errno.EILSEQ => "Illegal byte sequence",
        Errno.ENOTSUP => "Not supported",
        _ => "Unknown error: " + errno.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>A system call failed; thrown only by the friendly layers (streams), never by ISyscalls.</summary>
public class RumpErrnoException : System.IO.IOException
{
    public RumpErrnoException(int errno, string? path = null)
        : base(path is null ? ErrnoText.Describe(errno) : path + ": " + ErrnoText.Describe(errno))
    {
        Errno = (Errno)errno;
        Path = path;
    }

    public Errno Errno { get; }
    public string? Path { get; }
}

/// <summary>The kernel instance panicked; it is stopped and every later call throws this too.</summary>
public sealed class RumpKernelPanicException : System.Exception
{
    public RumpKernelPanicException(string panicMessage)
        : base("kernel panic: " + panicMessage) => PanicMessage = panicMessage;

    public string PanicMessage { get; }
}
