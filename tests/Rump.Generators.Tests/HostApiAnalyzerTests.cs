using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Rump.Generators.Analyzers;
using Rump.Generators.Tests.Infrastructure;

namespace Rump.Generators.Tests;

public class HostApiAnalyzerTests
{
    private static string Method(string body, string usings = "") => usings + $$"""

        namespace Rump.Fs.Demo
        {
            internal static class Demo
            {
                internal static object? Run()
                {
                    {{body}}
                    return null;
                }
            }
        }
        """;

    private static async Task<Diagnostic[]> Analyze(string path, string source, TestKernel? kernel = null)
    {
        kernel ??= new TestKernel();
        kernel.Source(path, source);
        var diagnostics = await kernel.AnalyzeAsync(new HostApiAnalyzer());
        return diagnostics.OrderBy(d => d.Location.SourceSpan.Start).ToArray();
    }

    [Fact]
    public async Task Rump0102_ConsoleInComponent_NamesSymbolComponentAndFix()
    {
        var diagnostics = await Analyze("components/vfs/demo/Demo.cs", Method("System.Console.WriteLine(\"hi\");"));

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("RUMP0102", diagnostic.Id);
        Assert.Equal(
            "Demo.cs: component code (component demo) uses the host API 'System.Console.WriteLine'; kernel code reaches the host only through the hypercall interface: write to the kernel log with Rump.Kern.KernelLog.Printf",
            diagnostic.GetMessage());
        Assert.Equal(TestKernel.PathOf("components/vfs/demo/Demo.cs"), diagnostic.Location.SourceTree?.FilePath);
    }

    [Theory]
    [InlineData("var now = System.DateTime.Now;", "System.DateTime.Now", "Rump.Kern.Clock.WallTime")]
    [InlineData("var now = System.DateTime.UtcNow;", "System.DateTime.UtcNow", "Rump.Kern.Clock.WallTime")]
    [InlineData("var now = System.DateTimeOffset.UtcNow;", "System.DateTimeOffset.UtcNow", "Rump.Kern.Clock.WallTime")]
    [InlineData("var home = System.Environment.GetEnvironmentVariable(\"HOME\");", "System.Environment.GetEnvironmentVariable", "Rump.Kern.Hyp.GetParam")]
    [InlineData("var r = new System.Random();", "System.Random", "Rump.Kern.Hyp.GetRandom")]
    [InlineData("System.GC.Collect();", "System.GC.Collect", "Rump.Kern.Kmem")]
    [InlineData("var t = new System.Threading.Thread(() => { });", "System.Threading.Thread", "Rump.Kern.KThread.Create")]
    [InlineData("System.Threading.Monitor.Enter(new object());", "System.Threading.Monitor.Enter", "Rump.Kern.KMutex")]
    [InlineData("var t = System.Threading.Tasks.Task.Run(() => { });", "System.Threading.Tasks.Task.Run", "Rump.Kern.KThread")]
    [InlineData("var b = System.IO.File.ReadAllBytes(\"/etc/passwd\");", "System.IO.File.ReadAllBytes", "Rump.Kern.Hyp.Open")]
    [InlineData("var s = new System.Net.Sockets.TcpClient();", "System.Net.Sockets.TcpClient", "net faction")]
    [InlineData("var w = System.Diagnostics.Stopwatch.StartNew();", "System.Diagnostics.Stopwatch.StartNew", "Rump.Kern.Clock.MonotonicNanoseconds")]
    [InlineData("var p = System.Diagnostics.Process.GetCurrentProcess();", "System.Diagnostics.Process.GetCurrentProcess", "no host process")]
    [InlineData("var m = typeof(string).GetMethods();", "System.Type.GetMethods", "reflection")]
    public async Task Rump0102_HostApiInBase_IsReportedWithItsFix(string statement, string symbol, string fix)
    {
        var diagnostics = await Analyze("base/kern/Demo.cs", Method(statement));

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("RUMP0102", diagnostic.Id);
        Assert.Contains($"base code (base) uses the host API '{symbol}'", diagnostic.GetMessage());
        Assert.Contains(fix, diagnostic.GetMessage());
    }

    [Fact]
    public async Task Rump0102_ThroughUsingDirective_IsReportedAtTheUse()
    {
        var diagnostics = await Analyze("factions/vfs/Demo.cs", Method("Thread.Sleep(1);", "using System.Threading;"));

        var diagnostic = Assert.Single(diagnostics);
        Assert.Contains("faction code (faction vfs) uses the host API 'System.Threading.Thread.Sleep'", diagnostic.GetMessage());
    }

    [Fact]
    public async Task RuntimeCore_IsAllowed()
    {
        var diagnostics = await Analyze("components/vfs/demo/Demo.cs", Method("""
            Span<byte> buffer = stackalloc byte[16];
            BinaryPrimitives.WriteUInt32LittleEndian(buffer, 7);
            var list = new List<string> { "a" };
            var map = new Dictionary<string, int>();
            int counter = 0;
            Interlocked.Increment(ref counter);
            var max = Math.Max(1, 2);
            var bytes = Encoding.UTF8.GetBytes("x");
            var text = new StringBuilder().Append(max).ToString();
            var when = new DateTime(2026, 1, 1).AddDays(1).Ticks;
            var words = string.Join(",", list.Select(s => s.ToUpperInvariant()));
            Func<int, int> twice = x => 2 * x;
            var errno = Rump.ErrnoText.Describe(2);
            MemoryMarshal.Cast<byte, int>(buffer);
            """,
            "using System;\nusing System.Buffers.Binary;\nusing System.Collections.Generic;\nusing System.Linq;\nusing System.Runtime.InteropServices;\nusing System.Text;\nusing System.Threading;"));

        Assert.Empty(diagnostics);
    }

    [Fact]
    public async Task TargetCode_IsNotChecked()
    {
        var diagnostics = await Analyze("targets/posix/Demo.cs", Method("System.Console.WriteLine(\"hi\"); var b = System.IO.File.Exists(\"/\");"));

        Assert.Empty(diagnostics);
    }

    [Fact]
    public async Task FileWithoutLayerMetadata_IsNotChecked()
    {
        var kernel = new TestKernel().Source("tools/Demo.cs", Method("System.Console.WriteLine(\"hi\");"), withLayerMetadata: false);

        var diagnostics = await kernel.AnalyzeAsync(new HostApiAnalyzer());

        Assert.Empty(diagnostics);
    }

    [Fact]
    public async Task ListFromAdditionalFiles_ReplacesTheEmbeddedCopy()
    {
        var kernel = new TestKernel().AdditionalFile("/sdk/kernel-runtime-allowlist.txt", "T:System.Object\nT:System.Console\n");

        var allowed = await Analyze("base/kern/Demo.cs", Method("System.Console.WriteLine(\"hi\");"), kernel);
        var notListed = await Analyze("base/kern/Demo2.cs", Method("var x = System.Math.Max(1, 2);").Replace("class Demo", "class Demo2"),
            new TestKernel().AdditionalFile("/sdk/kernel-runtime-allowlist.txt", "T:System.Object\n"));

        Assert.Empty(allowed);
        Assert.Equal("RUMP0102", Assert.Single(notListed).Id);
    }

    [Fact]
    public void AllowList_MostSpecificEntryWins()
    {
        var list = RuntimeAllowList.Parse("""
            # comment
            T:System.DateTime
            !System.DateTime::get_Now | use the clock
            !N:System.Threading | use the base
            T:System.Threading.Interlocked
            System.Buffers.Binary.*
            """);

        Assert.True(list.Allows("System", "DateTime", new[] { "AddDays" }, out _));
        Assert.False(list.Allows("System", "DateTime", new[] { "Now", "get_Now", "set_Now" }, out var fix));
        Assert.Equal("use the clock", fix);
        Assert.True(list.Allows("System.Threading", "Interlocked", new[] { "Increment" }, out _));
        Assert.False(list.Allows("System.Threading", "Thread", null, out fix));
        Assert.Equal("use the base", fix);
        Assert.True(list.Allows("System.Buffers.Binary", "BinaryPrimitives", null, out _));
        Assert.False(list.Allows("System", "Console", null, out fix));
        Assert.Equal("", fix);
    }

    [Fact]
    public void EmbeddedList_IsTheSdkFile()
    {
        var sdk = RuntimeAllowList.Parse(Repo.Read("msbuild/Sdk/kernel-runtime-allowlist.txt"));
        var embedded = RuntimeAllowList.Embedded();

        foreach (var (ns, type, member) in new[] { ("System", "Span`1", (string[]?)null), ("System", "DateTime", new[] { "get_Now" }), ("System.IO", "File", null) })
            Assert.Equal(sdk.Allows(ns, type, member, out _), embedded.Allows(ns, type, member, out _));
    }
}
