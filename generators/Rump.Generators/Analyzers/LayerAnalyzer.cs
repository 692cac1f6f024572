using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Rump.Generators.Analyzers;

/// <summary>
/// The layer rules (ARCHITECTURE §4.4): the base uses only the base; a faction uses the base and
/// factions (RUMP0111); a component uses the base, its factions and the components in its Requires
/// closure (RUMP0101). A name counts as a use of the layer its declaration lives in; declarations in
/// files without layer metadata (generated code, the contract) are always allowed.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LayerAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.ComponentUsesUndeclared, DiagnosticDescriptors.LayerUsesHigherLayer);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var graph = new Lazy<ComponentGraph>(() => ComponentGraph.Load(start.Compilation, start.Options, start.CancellationToken));
            start.RegisterSyntaxNodeAction(node => Check(node, graph), SyntaxKind.IdentifierName, SyntaxKind.GenericName);
        });
    }

    private static void Check(SyntaxNodeAnalysisContext context, Lazy<ComponentGraph> graph)
    {
        var node = (SimpleNameSyntax)context.Node;
        var options = context.Options.AnalyzerConfigOptionsProvider;
        var user = KernelLayer.Of(options, node.SyntaxTree);
        if (user is null || user.Layer is not ("base" or "faction" or "component"))
            return;
        if (node.FirstAncestorOrSelf<UsingDirectiveSyntax>() is not null)
            return;
        // 'var' names no API: the initializer does, and is checked where it names one.
        if (node is IdentifierNameSyntax { IsVar: true })
            return;

        var symbol = SymbolNames.Referenced(context.SemanticModel, node, context.CancellationToken);
        if (symbol is null || symbol is INamespaceSymbol or ILocalSymbol or IParameterSymbol or ITypeParameterSymbol
            or ILabelSymbol or IRangeVariableSymbol or IDiscardSymbol)
            return;
        var declarations = symbol.DeclaringSyntaxReferences;
        if (declarations.IsEmpty || declarations.Any(d => d.SyntaxTree == node.SyntaxTree))
            return;
        if (SymbolNames.TypeOf(symbol) is { } type && SymbolNames.QualifiesMemberOf(context.SemanticModel, node, type, context.CancellationToken))
            return;

        // A partial declaration in an allowed (or unchecked) layer makes the use allowed.
        Diagnostic? first = null;
        foreach (var declaration in declarations)
        {
            var used = KernelLayer.Of(options, declaration.SyntaxTree);
            var violation = used is null ? null : Violation(user, used, symbol, node, graph);
            if (violation is null)
                return;
            first ??= violation;
        }
        if (first is not null)
            context.ReportDiagnostic(first);
    }

    private static Diagnostic? Violation(KernelLayer user, KernelLayer used, ISymbol symbol, SimpleNameSyntax node, Lazy<ComponentGraph> graph)
    {
        if (used.Layer is not ("faction" or "component"))
            return null;
        var file = KernelLayer.FileName(node.SyntaxTree);
        var name = symbol.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);
        switch (user.Layer)
        {
            case "base":
                return Diagnostic.Create(DiagnosticDescriptors.LayerUsesHigherLayer, node.GetLocation(), file, "base", name, used.Describe());
            case "faction" when used.Layer == "component":
                return Diagnostic.Create(DiagnosticDescriptors.LayerUsesHigherLayer, node.GetLocation(), file, user.Describe(), name, used.Describe());
            case "component" when used.Layer == "component" && used.Component != user.Component:
            {
                var closure = graph.Value.Closure(user.Component);
                if (closure.Contains(used.Component))
                    return null;
                return Diagnostic.Create(DiagnosticDescriptors.ComponentUsesUndeclared, node.GetLocation(), file, user.Component, name,
                    used.Describe(), Describe(closure), $"add \"{used.Component}\" to Requires of its [Component] attribute, or move '{symbol.Name}' to a faction or the base");
            }
            case "component" when used.Layer == "faction":
            {
                if (graph.Value.MayUseFaction(user.Component, user.Faction, used.Faction))
                    return null;
                return Diagnostic.Create(DiagnosticDescriptors.ComponentUsesUndeclared, node.GetLocation(), file, user.Component, name,
                    used.Describe(), Describe(graph.Value.Closure(user.Component)), $"add \"{used.Faction}\" to Factions of its [Component] attribute");
            }
            default:
                return null;
        }
    }

    private static string Describe(System.Collections.Generic.IReadOnlyCollection<string> closure)
        => closure.Count == 0 ? "none" : string.Join(", ", closure.OrderBy(c => c, StringComparer.Ordinal));
}
