using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Rump.Build.Tasks;

/// <summary>A <c>[Component(...)]</c> declaration as written in the source, read without compiling.</summary>
internal sealed record ComponentDeclaration(string File, int Line, string InitLevel, IReadOnlyList<string> Factions, IReadOnlyList<string> Requires);

/// <summary>A declaration the build cannot read (non-literal values).</summary>
internal sealed record DeclarationProblem(string File, int Line, string What);

/// <summary>
/// Reads <c>[Component(InitLevel.X, Factions = [...], Requires = [...])]</c> with a syntax-only parse: the
/// build needs the dependency graph before anything is compiled, so only literal values are accepted.
/// </summary>
internal static class ComponentDeclarationReader
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Preview);

    public static void Read(string file, string text, List<ComponentDeclaration> declarations, List<DeclarationProblem> problems)
    {
        if (!text.Contains("Component"))
            return;
        var root = CSharpSyntaxTree.ParseText(text, ParseOptions, file).GetRoot();
        foreach (var attribute in root.DescendantNodes().OfType<AttributeSyntax>())
        {
            if (!IsComponentAttribute(attribute.Name) || attribute.Parent?.Parent is not ClassDeclarationSyntax)
                continue;
            var line = attribute.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
            string? level = null;
            IReadOnlyList<string> factions = [], requires = [];
            var ok = true;
            foreach (var argument in attribute.ArgumentList?.Arguments ?? default)
            {
                var name = argument.NameEquals?.Name.Identifier.ValueText;
                if (name is null)
                {
                    level = ReadInitLevel(argument.Expression);
                    if (level is null)
                    {
                        problems.Add(new(file, line, "the init level '" + argument.Expression + "' is not written as InitLevel.<Level>"));
                        ok = false;
                    }
                }
                else if (name is "Factions" or "Requires")
                {
                    var values = ReadStringList(argument.Expression);
                    if (values is null)
                    {
                        problems.Add(new(file, line, name + " = " + argument.Expression + " is not a list of string literals"));
                        ok = false;
                    }
                    else if (name == "Factions")
                        factions = values;
                    else
                        requires = values;
                }
                else
                {
                    problems.Add(new(file, line, "unknown argument '" + name + "'"));
                    ok = false;
                }
            }
            if (ok && level is null)
            {
                problems.Add(new(file, line, "no init level (the first argument, InitLevel.<Level>)"));
                ok = false;
            }
            if (ok)
                declarations.Add(new(file, line, level!, factions, requires));
        }
    }

    private static bool IsComponentAttribute(NameSyntax name)
    {
        var simple = name switch
        {
            QualifiedNameSyntax q => q.Right.Identifier.ValueText,
            AliasQualifiedNameSyntax a => a.Name.Identifier.ValueText,
            SimpleNameSyntax s => s.Identifier.ValueText,
            _ => "",
        };
        return simple is "Component" or "ComponentAttribute";
    }

    private static string? ReadInitLevel(ExpressionSyntax expression)
        => expression is MemberAccessExpressionSyntax access
           && access.Expression.ToString().Split('.').Last() == "InitLevel"
            ? access.Name.Identifier.ValueText
            : null;

    private static IReadOnlyList<string>? ReadStringList(ExpressionSyntax expression)
    {
        IEnumerable<ExpressionSyntax>? elements = expression switch
        {
            CollectionExpressionSyntax collection => collection.Elements.Select(e => (e as ExpressionElementSyntax)?.Expression!),
            ImplicitArrayCreationExpressionSyntax implicitArray => implicitArray.Initializer.Expressions,
            ArrayCreationExpressionSyntax array => array.Initializer?.Expressions ?? [],
            _ => null,
        };
        if (elements is null)
            return null;
        var values = new List<string>();
        foreach (var element in elements)
        {
            if (element is not LiteralExpressionSyntax literal || !literal.IsKind(SyntaxKind.StringLiteralExpression))
                return null;
            values.Add(literal.Token.ValueText);
        }
        return values;
    }
}
