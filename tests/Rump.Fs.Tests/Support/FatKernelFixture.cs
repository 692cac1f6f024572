using System;
using Rump;
using Rump.Testing;

namespace Rump.Fs.Tests.Support;

/// <summary>One booted posix kernel per test class (booting is cheap, but one is enough).</summary>
public sealed class FatKernelFixture : IDisposable
{
    public IRumpKernel Kernel { get; } = TestKernel.Boot(new BootOptions { HostName = "msdosfs-test" });

    public ISyscalls Sys => Kernel.Sys;

    public void Dispose() => Kernel.Dispose();
}
