using System;
using System.IO;
using Microsoft.CodeAnalysis;
using Rump.Generators.Tests.Infrastructure;

namespace Rump.Generators.Tests;

/// <summary>The snapshot helper itself: Verify's conventions, mismatch handling, a generator that throws.</summary>
public class SnapshotTests
{
    private sealed class ConstantGenerator : IIncrementalGenerator
    {
        private readonly string _text;

        public ConstantGenerator(string text) => _text = text;

        public void Initialize(IncrementalGeneratorInitializationContext context)
            => context.RegisterPostInitializationOutput(ctx => ctx.AddSource("Constant.g.cs", _text));
    }

    private sealed class ThrowingGenerator : IIncrementalGenerator
    {
        public void Initialize(IncrementalGeneratorInitializationContext context)
            => context.RegisterSourceOutput(context.CompilationProvider, (_, _) => throw new InvalidOperationException("boom"));
    }

    private static string Here([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

    [Fact]
    public void Mismatch_WritesReceivedBesideTheTestAndFails()
    {
        const string method = "Mismatch_Probe";
        var verified = Path.Combine(Here(), $"SnapshotTests.{method}#Constant.g.verified.cs");
        var received = Path.Combine(Here(), $"SnapshotTests.{method}#Constant.g.received.cs");
        try
        {
            File.WriteAllText(verified, "//HintName: Constant.g.cs\nclass Old { }\n");
            var (result, _) = new TestKernel().Run(new ConstantGenerator("class New { }\n"));

            var failure = Assert.ThrowsAny<Exception>(() => Snapshot.Verify(result, Path.Combine(Here(), "SnapshotTests.cs"), method, accept: false));

            Assert.Contains("line 2: expected `class Old { }`, got `class New { }`", failure.Message);
            Assert.Equal("//HintName: Constant.g.cs\nclass New { }\n", File.ReadAllText(received));
        }
        finally
        {
            File.Delete(verified);
            File.Delete(received);
        }
    }

    [Fact]
    public void Match_Passes_AndLeavesNoReceivedFile()
    {
        const string method = "Match_Probe";
        var verified = Path.Combine(Here(), $"SnapshotTests.{method}#Constant.g.verified.cs");
        var received = Path.Combine(Here(), $"SnapshotTests.{method}#Constant.g.received.cs");
        try
        {
            File.WriteAllText(verified, "//HintName: Constant.g.cs\nclass Same { }\n");
            var (result, _) = new TestKernel().Run(new ConstantGenerator("class Same { }\r\n"));

            Snapshot.Verify(result, Path.Combine(Here(), "SnapshotTests.cs"), method, accept: false);

            Assert.False(File.Exists(received));
        }
        finally
        {
            File.Delete(verified);
        }
    }

    [Fact]
    public void GeneratorThatThrew_Fails()
    {
        var (result, _) = new TestKernel().Source("base/A.cs", "class A { }").Run(new ThrowingGenerator());

        var failure = Assert.ThrowsAny<Exception>(() => Snapshot.Verify(result, Path.Combine(Here(), "SnapshotTests.cs"), "Throw_Probe", accept: false));

        Assert.Contains("threw", failure.Message);
        Assert.Contains("boom", failure.Message);
    }

    [Fact]
    public void Scrub_ReplacesRepoRootGuidsAndVersions()
    {
        var text = $"{Repo.Root}/base/x.cs 0f8fad5b-d9cb-469f-a165-70867728950e Version=1.2.3.4\r\n";

        Assert.Equal("{RepoRoot}/base/x.cs {Guid} Version={Version}\n", Snapshot.Scrub(text));
    }
}
