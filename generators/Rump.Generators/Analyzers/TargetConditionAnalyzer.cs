using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Rump.Generators.Analyzers;

/// <summary>
/// RUMP0112: a <c>#if</c>/<c>#elif</c> in kernel code tests a target symbol (ARCHITECTURE §7: drivers are
/// unaware of targets). Target symbols: the target names (posix, xen, hw, and RumpTarget/RumpTargets of
/// the build) in any case, <c>RUMP_&lt;TARGET&gt;</c>, <c>TARGET_&lt;TARGET&gt;</c> and any <c>RUMP_TARGET*</c>.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TargetConditionAnalyzer : DiagnosticAnalyzer
{
    private static readonly string[] KnownTargets = ["posix", "xen", "hw"];

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.TargetConditionInKernel);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var targets = new HashSet<string>(KnownTargets, StringComparer.OrdinalIgnoreCase);
            var global = start.Options.AnalyzerConfigOptionsProvider.GlobalOptions;
            foreach (var property in new[] { "build_property.RumpTarget", "build_property.RumpTargets" })
            {
                if (global.TryGetValue(property, out var value))
                    targets.UnionWith(value.Split(';', ',').Select(t => t.Trim()).Where(t => t.Length > 0));
            }
            start.RegisterSyntaxTreeAction(tree => Check(tree, targets));
        });
    }

    private static void Check(SyntaxTreeAnalysisContext context, HashSet<string> targets)
    {
        var layer = KernelLayer.Of(context.Options.AnalyzerConfigOptionsProvider, context.Tree);
        if (layer is null || !layer.IsKernel)
            return;
        var root = context.Tree.GetRoot(context.CancellationToken);
        foreach (var trivia in root.DescendantTrivia(descendIntoTrivia: true))
        {
            var (condition, keyword) = trivia.GetStructure() switch
            {
                IfDirectiveTriviaSyntax @if => (@if.Condition, "if"),
                ElifDirectiveTriviaSyntax elif => (elif.Condition, "elif"),
                _ => ((ExpressionSyntax?)null, ""),
            };
            if (condition is null)
                continue;
            foreach (var symbol in condition.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
            {
                if (IsTargetSymbol(symbol.Identifier.ValueText, targets))
                {
                    context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.TargetConditionInKernel, symbol.GetLocation(),
                        KernelLayer.FileName(context.Tree), layer.Describe(), symbol.Identifier.ValueText, keyword));
                }
            }
        }
    }

    internal static bool IsTargetSymbol(string name, HashSet<string> targets)
    {
        var upper = name.ToUpperInvariant();
        if (targets.Contains(name) || upper.StartsWith("RUMP_TARGET", StringComparison.Ordinal) || upper.StartsWith("RUMPTARGET", StringComparison.Ordinal))
            return true;
        foreach (var target in targets)
        {
            var t = target.ToUpperInvariant();
            if (upper == "RUMP_" + t || upper == "TARGET_" + t)
                return true;
        }
        return false;
    }
}
