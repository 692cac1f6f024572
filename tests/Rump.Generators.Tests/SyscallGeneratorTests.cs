using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Rump.Generators.Syscalls;
using Rump.Generators.Tests.Infrastructure;

namespace Rump.Generators.Tests;

public class SyscallGeneratorTests
{
    internal const string VfsSyscalls = """
        using System;

        namespace Rump.Vfs
        {
            internal static class VfsSyscalls
            {
                [Rump.Kern.Syscall("open")]
                internal static int sys_open(Rump.Kern.Lwp l, string path, int flags, int mode, out int fd)
                {
                    fd = 3;
                    return 0;
                }

                [Rump.Kern.Syscall("close")]
                internal static int sys_close(Rump.Kern.Lwp l, int fd) => 0;

                [Rump.Kern.Syscall("read")]
                internal static int sys_read(Rump.Kern.Lwp l, int fd, Span<byte> buffer, out long nread)
                {
                    nread = 0;
                    return 0;
                }

                [Rump.Kern.Syscall("stat")]
                internal static int sys_stat(Rump.Kern.Lwp l, string path, out Rump.RumpStat stat)
                {
                    stat = default;
                    return 0;
                }
            }
        }
        """;

    private static TestKernel Kernel(string master, string? implementations = VfsSyscalls)
    {
        var kernel = new TestKernel()
            .WithBaseDeclarations()
            .Property("RumpSyscallRole", "kernel")
            .AdditionalFile(Masters.Path, master);
        if (implementations is not null)
            kernel.Source("factions/vfs/VfsSyscalls.cs", implementations);
        return kernel;
    }

    [Fact]
    public void HostRole_RealSyscallsMaster_EmitsInterfaceAndNumbers()
    {
        var kernel = new TestKernel().WithoutContractReference().Property("RumpSyscallRole", "host")
            .AdditionalFile(Masters.Path, Masters.Real);
        foreach (var file in Directory.GetFiles(Repo.File("abstractions/Rump.Abstractions"), "*.cs").Order())
            kernel.Source("abstractions/" + Path.GetFileName(file), File.ReadAllText(file));

        var (result, output) = kernel.Run(new SyscallGenerator());

        Snapshot.Verify(result);
        Compiles.WithoutErrors(output);
    }

    [Fact]
    public void KernelRole_BindsImplementationsAndStubsTheRest()
    {
        var (result, output) = Kernel(Masters.Real).Run(new SyscallGenerator());

        Snapshot.Verify(result);
        Compiles.WithoutErrors(output);
    }

    [Fact]
    public void KernelRole_NoImplementations_EveryCallReturnsEnosys()
    {
        var (result, output) = Kernel(Masters.Real, implementations: null).Run(new SyscallGenerator());

        var table = result.Results.Single().GeneratedSources.Single(s => s.HintName == "SyscallTable.g.cs").SourceText.ToString();
        Assert.Contains("internal static readonly string[] Implemented = new string[0];", table);
        Assert.DoesNotContain("-> global::", table);
        Compiles.WithoutErrors(output);
    }

    [Fact]
    public void NoRole_EmitsNothing()
    {
        var (result, _) = new TestKernel().AdditionalFile(Masters.Path, Masters.Real).Run(new SyscallGenerator());

        Assert.Empty(result.GeneratedTrees);
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void Rump0107_ImplementationWithWrongArgumentType_IsReported()
    {
        var source = VfsSyscalls.Replace("int fd) => 0;", "long fd) => 0;");

        var (result, _) = Kernel(Masters.Real, source).Run(new SyscallGenerator());

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("RUMP0107", diagnostic.Id);
        Assert.Contains("argument 1 is 'long fd', declared 'int fd'", diagnostic.GetMessage());
        Assert.Equal(TestKernel.PathOf("factions/vfs/VfsSyscalls.cs"), diagnostic.Location.GetLineSpan().Path);
    }

    [Fact]
    public void Rump0107_ImplementationWithoutLwp_IsReported()
    {
        var source = VfsSyscalls.Replace("sys_close(Rump.Kern.Lwp l, int fd)", "sys_close(int fd)");

        var (result, _) = Kernel(Masters.Real, source).Run(new SyscallGenerator());

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("RUMP0107", diagnostic.Id);
        Assert.Contains("first parameter must be the current lwp", diagnostic.GetMessage());
    }

    [Fact]
    public void Rump0108_ImplementationOfUndeclaredCall_IsReported()
    {
        var source = VfsSyscalls.Replace("Syscall(\"close\")", "Syscall(\"closefrom\")");

        var (result, output) = Kernel(Masters.Real, source).Run(new SyscallGenerator());

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("RUMP0108", diagnostic.Id);
        Assert.Contains("declares no system call 'closefrom'", diagnostic.GetMessage());
        Assert.Contains("// 6 close (vfs): not linked in, returns ENOSYS.", output.SyntaxTrees.Last().ToString());
    }

    [Theory]
    [InlineData("2000 vfs", "fewer than four columns")]
    [InlineData("x1 vfs frob int Frob();", "'x1' is not a system call number")]
    [InlineData("2000 gpu frob int Frob();", "unknown faction 'gpu'")]
    [InlineData("2000 vfs frob int Frob(int a", "is not a C# method declaration")]
    [InlineData("2000 vfs frob void Frob();", "returns int")]
    [InlineData("5 vfs frob int Frob();", "number 5 is declared twice")]
    [InlineData("2000 vfs open int Frob();", "name 'open' is declared twice")]
    public void Rump0110_UnparsableLine_IsReportedWithItsLineNumber(string line, string why)
    {
        var master = Masters.RealWith(line);
        int lineNumber = master.Split('\n').ToList().IndexOf(line) + 1;

        var (result, _) = Kernel(master).Run(new SyscallGenerator());

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("RUMP0110", diagnostic.Id);
        Assert.Contains($"syscalls.master line {lineNumber}: ", diagnostic.GetMessage());
        Assert.Contains(why, diagnostic.GetMessage());
        Assert.Equal(Masters.Path, diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(lineNumber - 1, diagnostic.Location.GetLineSpan().StartLinePosition.Line);
    }
}
