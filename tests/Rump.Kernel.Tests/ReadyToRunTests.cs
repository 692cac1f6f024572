using System;
using System.IO;
using System.Reflection.PortableExecutable;
using System.Runtime;
using Rump;
using Rump.Testing;

namespace Rump.Kernel.Tests;

/// <summary>
/// The build precompiles the linked kernel (RumpReadyToRun, on by default); a host that loads it non-collectible
/// runs that code instead of JIT-compiling the kernel at boot.
/// </summary>
public class ReadyToRunTests
{
    [Fact]
    public void ArtifactKernel_IsReadyToRunImage_AndKeepsItsIL()
    {
        using var stream = File.OpenRead(TestKernel.KernelPath());
        using var pe = new PEReader(stream);
        var cor = pe.PEHeaders.CorHeader!;
        // A ReadyToRun image carries its native code behind the managed native header (crossgen2's output).
        Assert.True(cor.ManagedNativeHeaderDirectory.Size > 0,
            "the kernel in artifacts/ is IL only; it was built with -p:RumpReadyToRun=false (rebuild without it)");
        Assert.True(pe.HasMetadata);
        Assert.True((cor.Flags & CorFlags.ILLibrary) != 0, "a ReadyToRun image is marked ILLibrary (its IL stays for other platforms)");
    }

    [Fact]
    public void Load_NonCollectible_BootsRunsSyscallsAndUnloadIsANoOp()
    {
        var loader = RumpKernelLoader.Load(TestKernel.KernelPath(), collectible: false);
        Assert.False(loader.IsCollectible);
        var kernel = loader.BootInstance(new BootOptions { HostName = "precompiled" });
        Assert.Equal(0, kernel.Sys.GetPid(out int pid));
        Assert.Equal(1, pid);
        Assert.Equal("precompiled", BootTests.HostName(kernel));
        Assert.Equal(0, kernel.Sys.Mkdir("/t", 0x1ED));
        Assert.Equal(0, kernel.Sys.Mount("tmpfs", "/t", 0, "tmpfs", ""));
        kernel.Shutdown();          // also "unloads": nothing to do for a non-collectible context
        loader.Unload();
        Assert.False(kernel.IsRunning);
    }

    [Fact]
    public void Load_NonCollectible_TwoInstancesSideBySide_HaveTheirOwnStatics()
    {
        using var first = RumpKernelLoader.BootOnce(TestKernel.KernelPath(), new BootOptions { HostName = "one" });
        using var second = RumpKernelLoader.BootOnce(TestKernel.KernelPath(), new BootOptions { HostName = "two" });
        Assert.Equal(0, first.Sys.Mkdir("/only-in-first", 0x1ED));
        Assert.Equal("one", BootTests.HostName(first));
        Assert.Equal("two", BootTests.HostName(second));
        Assert.Equal((int)Errno.ENOENT, second.Sys.Stat("/only-in-first", out _));
    }

    [Fact]
    public void Load_Collectible_IsTheDefault()
    {
        var loader = RumpKernelLoader.Load(TestKernel.KernelPath());
        Assert.True(loader.IsCollectible);
        loader.Unload();
    }

    [Fact]
    public void Boot_NonCollectible_JitCompilesFarFewerMethodsThanCollectible()
    {
        // Methods JIT-compiled on this thread only: other tests running in parallel do not count. The first boot
        // warms what both modes share (the contract, the runtime's generics); each collectible load JITs the
        // whole kernel again, a non-collectible load runs the precompiled code. The runtime uses an image's
        // precompiled code in the first load context that maps it only, so the non-collectible load takes a copy
        // of the kernel no other test has loaded.
        var dir = Path.Combine(Path.GetTempPath(), "rump-r2r-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var copy = Path.Combine(dir, Path.GetFileName(TestKernel.KernelPath()));
        File.Copy(TestKernel.KernelPath(), copy);
        BootAndCountJit(TestKernel.KernelPath(), collectible: true);
        long collectible = BootAndCountJit(TestKernel.KernelPath(), collectible: true);
        long precompiled = BootAndCountJit(copy, collectible: false);
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Windows keeps a loaded image's file; the temp folder is left behind there.
        }
        Assert.True(precompiled * 3 < collectible,
            $"non-collectible boot JIT-compiled {precompiled} methods, collectible {collectible}: the ReadyToRun code was not used");
    }

    private static long BootAndCountJit(string kernelPath, bool collectible)
    {
        long before = JitInfo.GetCompiledMethodCount(currentThread: true);
        var loader = RumpKernelLoader.Load(kernelPath, collectible);
        var kernel = loader.BootInstance(new BootOptions());
        Assert.Equal(0, kernel.Sys.Mkdir("/m", 0x1ED));
        Assert.Equal(0, kernel.Sys.Mount("tmpfs", "/m", 0, "tmpfs", ""));
        Assert.Equal(0, kernel.Sys.Open("/m/f", OpenFlags.O_CREAT | OpenFlags.O_RDWR, 0x1A4, out int fd));
        Assert.Equal(0, kernel.Sys.Write(fd, "hello"u8, out _));
        Assert.Equal(0, kernel.Sys.Close(fd));
        long after = JitInfo.GetCompiledMethodCount(currentThread: true);
        kernel.Shutdown();
        return after - before;
    }
}
