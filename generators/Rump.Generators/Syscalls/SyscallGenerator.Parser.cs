using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using Rump.Generators.Syscalls.Model;

namespace Rump.Generators.Syscalls;

public sealed partial class SyscallGenerator
{
    internal static class Parser
    {
        private static readonly string[] KnownFactions = ["kern", "vfs", "dev", "net"];

        /// <summary>Type names the declarations may use from System; every other simple name is a Rump contract type.</summary>
        private static readonly HashSet<string> SystemTypeNames = new(StringComparer.Ordinal)
        {
            "Span", "ReadOnlySpan", "Memory", "ReadOnlyMemory", "Guid", "TimeSpan", "DateTime", "DateTimeOffset",
        };

        public static SyscallTableModel ParseTable(string path, SourceText? text)
        {
            var calls = ImmutableArray.CreateBuilder<SyscallDeclaration>();
            var diagnostics = ImmutableArray.CreateBuilder<DiagnosticInfo>();
            if (text is null)
                return new SyscallTableModel(path, calls.ToEquatableArray(), diagnostics.ToEquatableArray());

            var numbers = new HashSet<int>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            var methods = new HashSet<string>(StringComparer.Ordinal);
            foreach (var line in text.Lines)
            {
                var content = line.ToString();
                var trimmed = content.Trim();
                if (trimmed.Length == 0 || trimmed[0] == ';' || trimmed[0] == '#')
                    continue;

                int lineNumber = line.LineNumber + 1;
                var location = new LocationInfo(path, line.Span, new LinePositionSpan(
                    new LinePosition(line.LineNumber, 0), new LinePosition(line.LineNumber, content.Length)));
                void Fail(string why) => diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SyscallLineUnparsable,
                    location, lineNumber.ToString(CultureInfo.InvariantCulture), why));

                if (!SplitColumns(trimmed, out var numberText, out var faction, out var name, out var declarationText))
                {
                    Fail("fewer than four columns");
                    continue;
                }
                if (!int.TryParse(numberText, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
                {
                    Fail($"'{numberText}' is not a system call number");
                    continue;
                }
                if (Array.IndexOf(KnownFactions, faction) < 0)
                {
                    Fail($"unknown faction '{faction}' (known: {string.Join(", ", KnownFactions)})");
                    continue;
                }

                var member = SyntaxFactory.ParseMemberDeclaration(declarationText);
                if (member is not MethodDeclarationSyntax method || member.ContainsDiagnostics
                    || method.Body is not null || method.ExpressionBody is not null || method.SemicolonToken.IsMissing)
                {
                    Fail($"'{declarationText}' is not a C# method declaration ending in ';'");
                    continue;
                }
                if (method.Modifiers.Count > 0 || method.TypeParameterList is not null || method.AttributeLists.Count > 0)
                {
                    Fail("the declaration takes no modifiers, attributes or type parameters");
                    continue;
                }
                if (method.ReturnType is not PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.IntKeyword })
                {
                    Fail("a system call returns int (0 or an errno)");
                    continue;
                }

                var parameters = ImmutableArray.CreateBuilder<SyscallParameter>();
                string? parameterError = null;
                foreach (var parameter in method.ParameterList.Parameters)
                {
                    if (parameter.Type is null || parameter.Default is not null || parameter.AttributeLists.Count > 0)
                    {
                        parameterError = $"parameter '{parameter.Identifier.Text}' must be a plain typed parameter";
                        break;
                    }
                    var refKind = parameter.Modifiers.Count switch
                    {
                        0 => "",
                        1 when parameter.Modifiers[0].Text is "out" or "ref" or "in" => parameter.Modifiers[0].Text,
                        _ => null,
                    };
                    if (refKind is null)
                    {
                        parameterError = $"parameter '{parameter.Identifier.Text}' may only be out, ref or in";
                        break;
                    }
                    parameters.Add(new SyscallParameter(refKind, Qualify(parameter.Type), parameter.Identifier.Text));
                }
                if (parameterError is not null)
                {
                    Fail(parameterError);
                    continue;
                }

                var methodName = method.Identifier.Text;
                if (!numbers.Add(number))
                {
                    Fail($"number {number} is declared twice");
                    continue;
                }
                if (!names.Add(name))
                {
                    Fail($"name '{name}' is declared twice");
                    continue;
                }
                if (!methods.Add(methodName))
                {
                    Fail($"method '{methodName}' is declared twice (no overloads)");
                    continue;
                }
                calls.Add(new SyscallDeclaration(number, faction, name, methodName, parameters.ToEquatableArray(), lineNumber));
            }
            return new SyscallTableModel(path, calls.ToEquatableArray(), diagnostics.ToEquatableArray());
        }

        private static bool SplitColumns(string line, out string number, out string faction, out string name, out string declaration)
        {
            number = faction = name = declaration = "";
            int position = 0;
            string? Next()
            {
                while (position < line.Length && char.IsWhiteSpace(line[position]))
                    position++;
                int start = position;
                while (position < line.Length && !char.IsWhiteSpace(line[position]))
                    position++;
                return position > start ? line.Substring(start, position - start) : null;
            }
            var a = Next();
            var b = Next();
            var c = Next();
            if (a is null || b is null || c is null)
                return false;
            var rest = line.Substring(position).Trim();
            if (rest.Length == 0)
                return false;
            (number, faction, name, declaration) = (a, b, c, rest);
            return true;
        }

        /// <summary>Writes a declared type with global:: names (System for spans and friends, Rump for the rest).</summary>
        internal static string Qualify(TypeSyntax type) => type switch
        {
            PredefinedTypeSyntax predefined => predefined.Keyword.Text,
            NullableTypeSyntax nullable => Qualify(nullable.ElementType) + "?",
            ArrayTypeSyntax array => Qualify(array.ElementType) + string.Concat(array.RankSpecifiers.Select(r => r.ToString())),
            AliasQualifiedNameSyntax alias => alias.ToString(),
            QualifiedNameSyntax qualified => "global::" + qualified.ToString(),
            GenericNameSyntax generic => Namespace(generic.Identifier.Text) + generic.Identifier.Text
                + "<" + string.Join(", ", generic.TypeArgumentList.Arguments.Select(Qualify)) + ">",
            IdentifierNameSyntax identifier => Namespace(identifier.Identifier.Text) + identifier.Identifier.Text,
            _ => type.ToString(),
        };

        private static string Namespace(string simpleName)
            => SystemTypeNames.Contains(simpleName) ? "global::System." : "global::Rump.";

        private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat;

        public static SyscallImplementation? ParseImplementation(GeneratorAttributeSyntaxContext context)
        {
            if (context.TargetSymbol is not IMethodSymbol method)
                return null;
            string? name = null;
            foreach (var attribute in context.Attributes)
            {
                if (attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string value)
                    name = value;
            }
            if (name is null)
                return null;

            var parameters = method.Parameters
                .Select(p => new SyscallParameter(RefKindText(p.RefKind), p.Type.ToDisplayString(TypeFormat), p.Name))
                .ToEquatableArray();
            bool accessible = method.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal;
            for (var type = method.ContainingType; type is not null; type = type.ContainingType)
            {
                if (type.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal))
                    accessible = false;
            }
            return new SyscallImplementation(
                name,
                method.ContainingType.ToDisplayString(TypeFormat),
                method.Name,
                method.IsStatic,
                accessible,
                method.ReturnType.ToDisplayString(TypeFormat),
                parameters,
                method.ContainingType.Name + "." + method.Name,
                LocationInfo.From(method.Locations.FirstOrDefault()));
        }

        private static string RefKindText(RefKind kind) => kind switch
        {
            RefKind.Out => "out",
            RefKind.Ref => "ref",
            RefKind.In => "in",
            RefKind.RefReadOnlyParameter => "ref readonly",
            _ => "",
        };

        public const string LwpType = "global::Rump.Kern.Lwp";

        /// <summary>Binds every declared call to its implementation; reports mismatches and unknown names.</summary>
        public static KernelSyscallTableModel Bind(SyscallTableModel table, ImmutableArray<SyscallImplementation> implementations)
        {
            var diagnostics = ImmutableArray.CreateBuilder<DiagnosticInfo>();
            diagnostics.AddRange(table.Diagnostics);
            var byName = table.Calls.ToDictionary(c => c.Name, StringComparer.Ordinal);
            var bound = new Dictionary<string, SyscallImplementation>(StringComparer.Ordinal);

            foreach (var implementation in implementations.OrderBy(i => i.SyscallName, StringComparer.Ordinal)
                         .ThenBy(i => i.ContainingType, StringComparer.Ordinal).ThenBy(i => i.MethodName, StringComparer.Ordinal))
            {
                if (!byName.TryGetValue(implementation.SyscallName, out var declaration))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SyscallUnknown, implementation.Location,
                        implementation.SyscallName, implementation.Display));
                    continue;
                }
                var problem = Mismatch(declaration, implementation);
                if (problem is null && bound.TryGetValue(declaration.Name, out var first))
                    problem = $"'{declaration.Name}' is already implemented by {first.Display}; keep one implementation";
                if (problem is not null)
                {
                    var expected = string.Concat(declaration.Parameters.Select(p => ", " + p.Declaration));
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SyscallSignatureMismatch, implementation.Location,
                        declaration.Name, implementation.Display, implementation.MethodName, expected,
                        "line " + declaration.Line.ToString(CultureInfo.InvariantCulture), problem));
                    continue;
                }
                bound[declaration.Name] = implementation;
            }

            var calls = table.Calls
                .Select(c => bound.TryGetValue(c.Name, out var i)
                    ? new BoundSyscall(c, i.ContainingType, i.MethodName)
                    : new BoundSyscall(c, null, null))
                .ToEquatableArray();
            return new KernelSyscallTableModel(calls, diagnostics.ToEquatableArray());
        }

        private static string? Mismatch(SyscallDeclaration declaration, SyscallImplementation implementation)
        {
            if (!implementation.IsStatic)
                return "it is not static";
            if (!implementation.IsAccessible)
                return "it (or its class) is private or protected: make it internal";
            if (implementation.ReturnType != "int")
                return $"it returns {implementation.ReturnType}, not int";
            var parameters = implementation.Parameters;
            if (parameters.Count == 0 || parameters[0].Type != LwpType || parameters[0].RefKind.Length != 0)
                return "its first parameter must be the current lwp (global::Rump.Kern.Lwp)";
            if (parameters.Count - 1 != declaration.Parameters.Count)
                return $"it takes {parameters.Count - 1} arguments after the lwp, the declaration {declaration.Parameters.Count}";
            for (int i = 0; i < declaration.Parameters.Count; i++)
            {
                var want = declaration.Parameters[i];
                var have = parameters[i + 1];
                if (want.RefKind != have.RefKind || StripNullable(want.Type) != StripNullable(have.Type))
                    return $"argument {i + 1} is '{have.Declaration}', declared '{want.Declaration}'";
            }
            return null;
        }

        private static string StripNullable(string type) => type.EndsWith("?", StringComparison.Ordinal) ? type.Substring(0, type.Length - 1) : type;
    }
}
