using System.Linq;
using System.Threading.Tasks;
using Rump.Generators.Analyzers;
using Rump.Generators.Tests.Infrastructure;

namespace Rump.Generators.Tests;

public class TargetConditionAnalyzerTests
{
    private static string Code(string condition) => $$"""
        namespace Rump.Dev.Demo
        {
            internal static class Demo
            {
        #if {{condition}}
                internal const int Special = 1;
        #elif RUMP_TARGET_XEN
                internal const int Special = 2;
        #else
                internal const int Special = 0;
        #endif
            }
        }
        """;

    [Fact]
    public async Task Rump0112_IfAndElifOnTargetSymbols_InComponent()
    {
        var kernel = new TestKernel().Source("components/dev/demo/Demo.cs", Code("POSIX || DEBUG"));

        var diagnostics = (await kernel.AnalyzeAsync(new TargetConditionAnalyzer())).OrderBy(d => d.Location.SourceSpan.Start).ToArray();

        Assert.Equal(2, diagnostics.Length);
        Assert.All(diagnostics, d => Assert.Equal("RUMP0112", d.Id));
        Assert.Equal("Demo.cs: component demo code tests the target symbol 'POSIX' in #if; kernel code is the same for every target: move the difference behind a hypercall, into targets/, or into a device the target provides", diagnostics[0].GetMessage());
        Assert.Contains("'RUMP_TARGET_XEN' in #elif", diagnostics[1].GetMessage());
    }

    [Theory]
    [InlineData("hw")]
    [InlineData("RUMP_POSIX")]
    [InlineData("TARGET_XEN")]
    [InlineData("!RUMPTARGET_HW")]
    [InlineData("MYBOARD")]
    public async Task Rump0112_TargetSpellings_InBase(string condition)
    {
        var kernel = new TestKernel().Property("RumpTarget", "myboard")
            .Source("base/kern/Demo.cs", Code(condition).Replace("#elif RUMP_TARGET_XEN", "#elif FALSE"));

        var diagnostic = Assert.Single(await kernel.AnalyzeAsync(new TargetConditionAnalyzer()));

        Assert.Equal("RUMP0112", diagnostic.Id);
    }

    [Fact]
    public async Task OtherSymbols_AndTargetCode_AreNotReported()
    {
        var kernel = new TestKernel()
            .Source("factions/dev/Demo.cs", Code("DEBUG && !NET10_0_OR_GREATER").Replace("#elif RUMP_TARGET_XEN", "#elif TRACE"))
            .Source("targets/xen/Demo.cs", Code("XEN").Replace("Rump.Dev.Demo", "Rump.Target.Xen"));

        Assert.Empty(await kernel.AnalyzeAsync(new TargetConditionAnalyzer()));
    }
}
