using Microsoft.CodeAnalysis;

namespace Rump.Generators.Analyzers;

/// <summary>How the analyzers name the symbols a syntax node refers to.</summary>
internal static class SymbolNames
{
    /// <summary>The symbol a name refers to: aliases resolved, generic instances reduced to their definition.</summary>
    public static ISymbol? Referenced(SemanticModel model, SyntaxNode node, System.Threading.CancellationToken token)
    {
        var info = model.GetSymbolInfo(node, token);
        var symbol = info.Symbol ?? (info.CandidateSymbols.Length > 0 ? info.CandidateSymbols[0] : null);
        if (symbol is null)
        {
            symbol = model.GetAliasInfo(node, token)?.Target;
        }
        if (symbol is IAliasSymbol alias)
            symbol = alias.Target;
        if (symbol is IMethodSymbol { ReducedFrom: { } reduced })
            symbol = reduced;
        return symbol?.OriginalDefinition;
    }

    /// <summary>The named type a symbol is or belongs to (element type for arrays and pointers).</summary>
    public static INamedTypeSymbol? TypeOf(ISymbol symbol) => symbol switch
    {
        IArrayTypeSymbol array => TypeOf(array.ElementType),
        IPointerTypeSymbol pointer => TypeOf(pointer.PointedAtType),
        INamedTypeSymbol named => named.OriginalDefinition,
        IMethodSymbol or IPropertySymbol or IFieldSymbol or IEventSymbol => symbol.ContainingType?.OriginalDefinition,
        _ => null,
    };

    /// <summary>Namespace and metadata-style name ('.'-joined nesting, `n arity), as the link step sees it.</summary>
    public static (string Namespace, string Name) MetadataName(INamedTypeSymbol type)
    {
        var name = type.MetadataName;
        var outer = type.ContainingType;
        while (outer is not null)
        {
            name = outer.MetadataName + "." + name;
            type = outer;
            outer = outer.ContainingType;
        }
        var ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : "";
        return (ns, name);
    }

    /// <summary>
    /// True for the qualifier of a member access (<c>Console</c> in <c>Console.WriteLine</c>) when the
    /// qualified name refers to a member of the same type: the report goes to the member, once.
    /// </summary>
    public static bool QualifiesMemberOf(SemanticModel model, Microsoft.CodeAnalysis.CSharp.Syntax.SimpleNameSyntax node, INamedTypeSymbol type, System.Threading.CancellationToken token)
    {
        // The expression this name ends: "System.Console" for "Console" in "System.Console.WriteLine".
        SyntaxNode self = node.Parent switch
        {
            Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax access when access.Name == node => access,
            Microsoft.CodeAnalysis.CSharp.Syntax.QualifiedNameSyntax name when name.Right == node => name,
            _ => node,
        };
        Microsoft.CodeAnalysis.CSharp.Syntax.SimpleNameSyntax? qualified = self.Parent switch
        {
            Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax access when access.Expression == self => access.Name,
            Microsoft.CodeAnalysis.CSharp.Syntax.QualifiedNameSyntax name when name.Left == self => name.Right,
            _ => null,
        };
        if (qualified is null)
            return false;
        var next = Referenced(model, qualified, token);
        return next is not null && next is not INamedTypeSymbol && SymbolEqualityComparer.Default.Equals(TypeOf(next), type);
    }
}
