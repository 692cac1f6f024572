using System;

namespace Rump.Tools;

/// <summary>Exit codes of rumpctl (also in <c>rumpctl --help</c> and tools/rumpctl/README.md).</summary>
public static class ExitCodes
{
    /// <summary>Everything worked.</summary>
    public const int Success = 0;
    /// <summary>A system call (in the kernel or on the host) failed with an errno; the message names the path.</summary>
    public const int Failure = 1;
    /// <summary>The command line is wrong (unknown verb or option, a missing or malformed argument).</summary>
    public const int Usage = 2;
    /// <summary>The kernel could not be found, loaded, booted, or it panicked.</summary>
    public const int Kernel = 3;
    /// <summary>Interrupted by Ctrl+C (128 + SIGINT); the image was still unmounted.</summary>
    public const int Interrupted = 130;
    /// <summary>Stopped by SIGTERM (128 + 15); the image was still unmounted.</summary>
    public const int Terminated = 143;
}

/// <summary>A failed operation on one path: printed as <c>rumpctl: PATH: strerror</c>, exit code 1.</summary>
public sealed class ToolErrnoException : Exception
{
    public ToolErrnoException(int errno, string displayPath)
        : base(displayPath + ": " + ErrnoText.Describe(errno))
    {
        Errno = errno;
        DisplayPath = displayPath;
    }

    public int Errno { get; }
    public string DisplayPath { get; }
}

/// <summary>An error that is not an errno: a message printed after <c>rumpctl: </c> with its exit code.</summary>
public sealed class ToolException : Exception
{
    public ToolException(string message, int exitCode = ExitCodes.Failure)
        : base(message) => ExitCode = exitCode;

    public int ExitCode { get; }
}
