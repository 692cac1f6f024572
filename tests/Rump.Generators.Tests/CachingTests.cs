using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Rump.Generators.Components;
using Rump.Generators.Hypercalls;
using Rump.Generators.Syscalls;
using Rump.Generators.Tests.Infrastructure;

namespace Rump.Generators.Tests;

/// <summary>
/// An edit that does not touch what a generator reads must not re-run its later steps: the driver runs
/// twice (the second time with an unrelated file added) and the named steps report Cached/Unchanged.
/// The step outputs also must hold no symbols, compilations, syntax nodes or locations.
/// </summary>
public class CachingTests
{
    private static readonly string Hyp = Repo.Read("base/hyp/Hyp.cs");

    private static TestKernel FullKernel() => new TestKernel()
        .WithBaseDeclarations()
        .RepoSource("base/hyp/Hyp.cs")
        .Source("targets/posix/PosixHypercalls.cs", Targets.For(Hyp))
        .Source("factions/vfs/VfsFaction.cs", ComponentRegistryGeneratorTests.VfsFaction)
        .Source("factions/vfs/VfsSyscalls.cs", SyscallGeneratorTests.VfsSyscalls)
        .Source("components/vfs/msdosfs/Msdosfs.cs", ComponentRegistryGeneratorTests.Msdosfs)
        .Source("components/dev/vnd/Vnd.cs", ComponentRegistryGeneratorTests.Vnd)
        .Property("RumpSyscallRole", "kernel")
        .Property("RumpTarget", "posix")
        .AdditionalFile(Masters.Path, Masters.Real)
        .AdditionalFile("/obj/rump.components.txt", ComponentRegistryGeneratorTests.ComponentsFile);

    /// <summary>Runs once, adds an unrelated source, runs again; returns the second run.</summary>
    private static GeneratorRunResult RunTwice(IIncrementalGenerator generator)
    {
        var kernel = FullKernel();
        var compilation = kernel.Compilation();
        var driver = kernel.Driver(generator).RunGenerators(compilation);
        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(
            "namespace Rump.Kern { internal static class Unrelated { internal static int Answer() => 42; } }",
            new CSharpParseOptions(LanguageVersion.Latest), TestKernel.PathOf("base/kern/Unrelated.cs")));
        var second = driver.RunGenerators(edited).GetRunResult().Results.Single();
        Assert.Null(second.Exception);
        return second;
    }

    [Theory]
    [InlineData(SyscallGenerator.Steps.Table)]
    [InlineData(SyscallGenerator.Steps.Implementations)]
    [InlineData(SyscallGenerator.Steps.KernelTable)]
    public void SyscallGenerator_UnrelatedEdit_StepsAreCached(string step) => AssertCached(RunTwice(new SyscallGenerator()), step);

    [Theory]
    [InlineData(HypercallGenerator.Steps.Interface)]
    [InlineData(HypercallGenerator.Steps.Targets)]
    [InlineData(HypercallGenerator.Steps.Glue)]
    public void HypercallGenerator_UnrelatedEdit_StepsAreCached(string step) => AssertCached(RunTwice(new HypercallGenerator()), step);

    [Theory]
    [InlineData(ComponentRegistryGenerator.Steps.Classes)]
    [InlineData(ComponentRegistryGenerator.Steps.File)]
    [InlineData(ComponentRegistryGenerator.Steps.Registry)]
    [InlineData(ComponentRegistryGenerator.Steps.Identity)]
    public void ComponentRegistryGenerator_UnrelatedEdit_StepsAreCached(string step) => AssertCached(RunTwice(new ComponentRegistryGenerator()), step);

    [Fact]
    public void EveryGenerator_UnrelatedEdit_OutputsAreCached()
    {
        foreach (var generator in new IIncrementalGenerator[] { new SyscallGenerator(), new HypercallGenerator(), new ComponentRegistryGenerator() })
        {
            var run = RunTwice(generator);
            var outputs = run.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).ToList();
            Assert.NotEmpty(outputs);
            Assert.All(outputs, o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        }
    }

    [Fact]
    public void HypercallGenerator_TargetEdited_GlueRuns()
    {
        var kernel = FullKernel();
        var compilation = kernel.Compilation();
        var driver = kernel.Driver(new HypercallGenerator()).RunGenerators(compilation);
        var old = compilation.SyntaxTrees.Single(t => t.FilePath.EndsWith("PosixHypercalls.cs", StringComparison.Ordinal));
        var edited = compilation.ReplaceSyntaxTree(old, old.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(
            Targets.For(Hyp, maxVersion: 2))));

        var run = driver.RunGenerators(edited).GetRunResult().Results.Single();

        var glue = run.TrackedSteps[HypercallGenerator.Steps.Glue].Single().Outputs.Single();
        Assert.Equal(IncrementalStepRunReason.Modified, glue.Reason);
        Assert.Contains("public const int TargetMaxVersion = 2;", run.GeneratedSources.Single().SourceText.ToString());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void StepOutputs_HoldNoSymbolsCompilationsNodesOrLocations(int which)
    {
        IIncrementalGenerator generator = which switch
        {
            0 => new SyscallGenerator(),
            1 => new HypercallGenerator(),
            _ => new ComponentRegistryGenerator(),
        };
        var run = RunTwice(generator);

        // Our steps (named "Generator.Step"); Roslyn's own steps of ForAttributeWithMetadataName hold trees by design.
        var ours = run.TrackedSteps.Where(s => s.Key.Contains('.')).ToList();
        Assert.True(ours.Count >= 3, "named steps: " + string.Join(", ", ours.Select(s => s.Key)));
        foreach (var (name, steps) in ours)
        {
            foreach (var output in steps.SelectMany(s => s.Outputs))
                AssertPlainData(output.Value, name, new HashSet<object>(ReferenceEqualityComparer.Instance));
        }
    }

    private static void AssertCached(GeneratorRunResult run, string step)
    {
        Assert.True(run.TrackedSteps.ContainsKey(step), $"step {step} was not tracked (steps: {string.Join(", ", run.TrackedSteps.Keys)})");
        var outputs = run.TrackedSteps[step].SelectMany(s => s.Outputs).ToList();
        Assert.All(outputs, o => Assert.True(
            o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
            $"{step}: {o.Reason}"));
    }

    private static void AssertPlainData(object? value, string step, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || !seen.Add(value))
            return;
        Assert.False(value is ISymbol or Compilation or SyntaxNode or Location or SemanticModel or SyntaxTree,
            $"step {step} holds a {value.GetType().Name}");
        if (value is DiagnosticDescriptor or Microsoft.CodeAnalysis.Text.TextSpan or Microsoft.CodeAnalysis.Text.LinePositionSpan)
            return;
        if (value is IEnumerable items)
        {
            foreach (var item in items)
                AssertPlainData(item, step, seen);
            return;
        }
        foreach (var field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            AssertPlainData(field.GetValue(value), step, seen);
    }
}
