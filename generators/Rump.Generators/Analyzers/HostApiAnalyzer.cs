using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Rump.Generators.Analyzers;

/// <summary>
/// RUMP0102: kernel code (base, factions, components; not targets) names a host API, i.e. anything of
/// the runtime outside msbuild/Sdk/kernel-runtime-allowlist.txt (the same list the link step checks the
/// IL against). The kernel's own code and the Rump.Abstractions contract are always allowed.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class HostApiAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The host contract assembly: kernel code implements it, so it may name it.</summary>
    public const string ContractAssembly = "Rump.Abstractions";

    private const string DefaultFix = "use the base API (Rump.Kern) or, if this is runtime core without host effects, add it to msbuild/Sdk/kernel-runtime-allowlist.txt";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.HostApiInKernel);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var list = Load(start.Options, start.CancellationToken);
            var compilation = start.Compilation;
            start.RegisterSyntaxNodeAction(
                node => Check(node, list, compilation),
                SyntaxKind.IdentifierName, SyntaxKind.GenericName);
        });
    }

    /// <summary>The list the build passes as an AdditionalFiles item, else the embedded copy.</summary>
    private static RuntimeAllowList Load(AnalyzerOptions options, System.Threading.CancellationToken token)
    {
        foreach (var file in options.AdditionalFiles)
        {
            if (string.Equals(Path.GetFileName(file.Path), RuntimeAllowList.FileName, StringComparison.OrdinalIgnoreCase)
                && file.GetText(token) is { } text)
                return RuntimeAllowList.Parse(text.ToString());
        }
        return RuntimeAllowList.Embedded();
    }

    private static void Check(SyntaxNodeAnalysisContext context, RuntimeAllowList list, Compilation compilation)
    {
        var node = (SimpleNameSyntax)context.Node;
        var layer = KernelLayer.Of(context.Options.AnalyzerConfigOptionsProvider, node.SyntaxTree);
        if (layer is null || !layer.IsKernel)
            return;
        // A using directive only brings names into scope; the uses are checked where they are.
        if (node.FirstAncestorOrSelf<UsingDirectiveSyntax>() is not null)
            return;
        // 'var' names no API: the initializer does, and is checked where it names one.
        if (node is IdentifierNameSyntax { IsVar: true })
            return;

        var symbol = SymbolNames.Referenced(context.SemanticModel, node, context.CancellationToken);
        if (symbol is null || symbol is INamespaceSymbol or ILocalSymbol or IParameterSymbol or ITypeParameterSymbol
            or ILabelSymbol or IRangeVariableSymbol or IDiscardSymbol or IDynamicTypeSymbol)
            return;
        var type = SymbolNames.TypeOf(symbol);
        if (type is null || !IsHost(type, compilation))
            return;
        if (SymbolNames.QualifiesMemberOf(context.SemanticModel, node, type, context.CancellationToken))
            return;

        var (ns, name) = SymbolNames.MetadataName(type);
        IReadOnlyList<string>? member = symbol is INamedTypeSymbol ? null : MemberNames(symbol);
        if (list.Allows(ns, name, member, out var fix))
            return;

        var display = symbol is INamedTypeSymbol
            ? type.ToDisplayString()
            : type.ToDisplayString() + "." + (symbol is IMethodSymbol { MethodKind: MethodKind.Constructor } ? type.Name : symbol.Name);
        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.HostApiInKernel, node.GetLocation(),
            KernelLayer.FileName(node.SyntaxTree), layer.Layer, layer.Describe(), display, fix.Length > 0 ? fix : DefaultFix));
    }

    /// <summary>Declared outside this compilation and the contract: the runtime or another host library.</summary>
    private static bool IsHost(INamedTypeSymbol type, Compilation compilation)
    {
        var assembly = type.ContainingAssembly;
        return assembly is not null
            && !SymbolEqualityComparer.Default.Equals(assembly, compilation.Assembly)
            && assembly.Name != ContractAssembly;
    }

    /// <summary>IL names of a member: get_X/set_X for a property, add_X/remove_X for an event, .ctor for a constructor.</summary>
    private static IReadOnlyList<string> MemberNames(ISymbol symbol) => symbol switch
    {
        IPropertySymbol p => new[] { p.Name, "get_" + p.Name, "set_" + p.Name },
        IEventSymbol e => new[] { e.Name, "add_" + e.Name, "remove_" + e.Name },
        _ => new[] { symbol.Name },
    };
}
