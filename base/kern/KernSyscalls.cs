using System;
using System.Text;

namespace Rump.Kern;

/// <summary>The base's own system calls (kern_prot.c, kern_sysctl.c's hostname).</summary>
internal static class KernSyscalls
{
    [Syscall("getpid")]
    internal static int sys_getpid(Lwp l, out int pid)
    {
        pid = l.Proc.Pid;
        return 0;
    }

    [Syscall("getuid")]
    internal static int sys_getuid(Lwp l, out int uid)
    {
        uid = (int)l.Proc.Cred.Uid;
        return 0;
    }

    /// <summary>gethostname: the UTF-8 host name, not NUL terminated; ENAMETOOLONG (length = size needed) when it does not fit.</summary>
    [Syscall("hostname")]
    internal static int sys_hostname(Lwp l, Span<byte> buffer, out int length)
    {
        var name = Kernel.HostName;
        length = Encoding.UTF8.GetByteCount(name);
        if (length > buffer.Length)
            return Errno.ENAMETOOLONG;
        Encoding.UTF8.GetBytes(name, buffer);
        return 0;
    }
}
