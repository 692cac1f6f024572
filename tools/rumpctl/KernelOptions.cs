using System.Collections.Generic;

namespace Rump.Tools;

/// <summary>Which kernel to boot and how to mount: the options every verb shares.</summary>
public sealed record KernelOptions
{
    /// <summary><c>--kernel PATH</c>; null = the default kernel of <see cref="Target"/>.</summary>
    public string? KernelPath { get; init; }

    /// <summary><c>--target</c>: posix (default), xen or hw.</summary>
    public string Target { get; init; } = "posix";

    /// <summary><c>--vintage REF</c>: the kernel built from that vintage (artifacts/kernels/TARGET/REF/); null = the default kernel.</summary>
    public string? Vintage { get; init; }

    /// <summary><c>--components</c>: components the kernel must link; checked against its link data before boot.</summary>
    public IReadOnlyList<string> Components { get; init; } = [];

    /// <summary><c>--ro</c>: mount read-only (forced when the image file is not writable).</summary>
    public bool ReadOnly { get; init; }

    /// <summary><c>--verbose</c>: verbose boot, kernel console to standard error.</summary>
    public bool Verbose { get; init; }
}
