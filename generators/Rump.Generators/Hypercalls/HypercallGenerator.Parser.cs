using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Rump.Generators.Hypercalls.Model;

namespace Rump.Generators.Hypercalls;

public sealed partial class HypercallGenerator
{
    internal static class Parser
    {
        /// <summary>How the glue writes types: global:: names, keywords, nullable annotations kept.</summary>
        private static readonly SymbolDisplayFormat GlueFormat = SymbolDisplayFormat.FullyQualifiedFormat
            .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

        /// <summary>How types are compared: as above without nullable annotations (they do not change the call).</summary>
        private static readonly SymbolDisplayFormat ShapeFormat = SymbolDisplayFormat.FullyQualifiedFormat;

        public static HypercallInterfaceModel? ParseInterface(GeneratorAttributeSyntaxContext context, CancellationToken token)
        {
            if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not ClassDeclarationSyntax declaration)
                return null;
            int version = 0;
            foreach (var attribute in context.Attributes)
            {
                if (attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is int value)
                    version = value;
            }

            var methods = ImmutableArray.CreateBuilder<HypercallMethod>();
            // Declaration order: by file, then position (the interface may be split over partial files).
            foreach (var member in type.GetMembers().OfType<IMethodSymbol>()
                         .OrderBy(m => m.Locations.FirstOrDefault()?.SourceTree?.FilePath ?? "", StringComparer.Ordinal)
                         .ThenBy(m => m.Locations.FirstOrDefault()?.SourceSpan.Start ?? 0))
            {
                token.ThrowIfCancellationRequested();
                if (!member.IsPartialDefinition)
                    continue;
                var attribute = member.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == HypercallAttributeName);
                if (attribute is null)
                    continue;
                bool blocking = false;
                string? fastPath = null;
                foreach (var named in attribute.NamedArguments)
                {
                    if (named.Key == "Blocking" && named.Value.Value is bool b)
                        blocking = b;
                    else if (named.Key == "FastPath" && named.Value.Value is string s && s.Length > 0)
                        fastPath = s;
                }
                methods.Add(new HypercallMethod(
                    member.Name,
                    ModifiersOf(member),
                    member.ReturnType.ToDisplayString(GlueFormat),
                    member.ReturnType.ToDisplayString(ShapeFormat),
                    member.Parameters.Select(ParameterOf).ToEquatableArray(),
                    blocking,
                    fastPath));
            }

            var classModifiers = string.Join(" ", declaration.Modifiers.Select(m => m.Text));
            return new HypercallInterfaceModel(
                type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString(),
                type.Name,
                classModifiers.Contains("partial") ? classModifiers : classModifiers + " partial",
                version,
                methods.ToEquatableArray(),
                LocationInfo.From(declaration.Identifier.GetLocation()));
        }

        private static string ModifiersOf(IMethodSymbol method)
        {
            var syntax = method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() as MethodDeclarationSyntax;
            return syntax is null ? "public static partial" : string.Join(" ", syntax.Modifiers.Select(m => m.Text));
        }

        private static HypercallParameter ParameterOf(IParameterSymbol parameter)
            => new(RefKindText(parameter.RefKind), parameter.Type.ToDisplayString(GlueFormat), parameter.Type.ToDisplayString(ShapeFormat),
                SyntaxFacts.GetKeywordKind(parameter.Name) != SyntaxKind.None ? "@" + parameter.Name : parameter.Name);

        private static string RefKindText(RefKind kind) => kind switch
        {
            RefKind.Out => "out",
            RefKind.Ref => "ref",
            RefKind.In => "in",
            RefKind.RefReadOnlyParameter => "ref readonly",
            _ => "",
        };

        public static HypercallTargetModel? ParseTarget(GeneratorAttributeSyntaxContext context)
        {
            if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not ClassDeclarationSyntax declaration)
                return null;
            string name = type.Name;
            int min = 0, max = 0;
            foreach (var attribute in context.Attributes)
            {
                var args = attribute.ConstructorArguments;
                if (args.Length == 3 && args[0].Value is string n && args[1].Value is int lo && args[2].Value is int hi)
                    (name, min, max) = (n, lo, hi);
            }

            // A target may inherit hypercalls every target implements alike (targets/common's SharedHypercalls):
            // the glue calls them through the target class, so its own methods hide inherited ones.
            var methods = SelfAndBaseClasses(type).SelectMany(t => t.GetMembers()).OfType<IMethodSymbol>()
                .Where(m => m.MethodKind == MethodKind.Ordinary && m.IsStatic
                    && m.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal)
                .Select(m => new TargetMethod(
                    m.Name,
                    m.ReturnType.ToDisplayString(ShapeFormat) + "(" + string.Join(", ", m.Parameters.Select(p =>
                        (p.RefKind == RefKind.None ? "" : RefKindText(p.RefKind) + " ") + p.Type.ToDisplayString(ShapeFormat))) + ")",
                    m.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat),
                    LocationInfo.From(m.Locations.FirstOrDefault())))
                .OrderBy(m => m.Name, StringComparer.Ordinal).ThenBy(m => m.Shape, StringComparer.Ordinal)
                .ToEquatableArray();

            return new HypercallTargetModel(
                type.ToDisplayString(ShapeFormat),
                type.Name,
                name,
                min,
                max,
                methods,
                LocationInfo.From(declaration.Identifier.GetLocation()));
        }

        private static IEnumerable<INamedTypeSymbol> SelfAndBaseClasses(INamedTypeSymbol type)
        {
            for (var t = type; t is not null && t.SpecialType != SpecialType.System_Object; t = t.BaseType)
                yield return t;
        }

        public static HypercallGlueModel Bind(HypercallInterfaceModel hyp, ImmutableArray<HypercallTargetModel> targets, bool trace,
            bool versionMismatchIsWarning = false)
        {
            var diagnostics = ImmutableArray.CreateBuilder<DiagnosticInfo>();
            var ordered = targets.OrderBy(t => t.FullName, StringComparer.Ordinal).ToList();
            HypercallTargetModel? target = null;
            if (ordered.Count == 1)
            {
                target = ordered[0];
            }
            else
            {
                var names = ordered.Count == 0 ? "" : " (" + string.Join(", ", ordered.Select(t => t.Name + ": " + t.FullName)) + ")";
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.HypercallTargetCount, hyp.Location,
                    ordered.Count.ToString(CultureInfo.InvariantCulture), names));
            }

            if (target is not null && (hyp.Version < target.MinVersion || hyp.Version > target.MaxVersion))
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    versionMismatchIsWarning ? DiagnosticDescriptors.HypercallVersionOutOfRangeWarning : DiagnosticDescriptors.HypercallVersionOutOfRange, target.Location,
                    Number(hyp.Version), target.Name, Number(target.MinVersion), Number(target.MaxVersion), target.FullName));
            }

            var byName = hyp.Methods.ToDictionary(m => m.Name, StringComparer.Ordinal);
            var methods = ImmutableArray.CreateBuilder<GlueMethod>();
            foreach (var method in hyp.Methods)
            {
                bool fastPathUsable = method.FastPath is not null && byName.TryGetValue(method.FastPath, out var fast)
                    && fast.ReturnShape == "bool" && fast.Parameters.Select(p => p.RefKind + p.Shape).SequenceEqual(method.Parameters.Select(p => p.RefKind + p.Shape));
                if (target is null)
                {
                    methods.Add(new GlueMethod(method, GlueKind.Unbound, fastPathUsable));
                    continue;
                }
                var candidates = target.Methods.Where(m => m.Name == method.Name).ToList();
                if (candidates.Count == 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TargetLacksHypercall, target.Location,
                        target.Name, target.FullName, method.Name, method.Signature));
                    methods.Add(new GlueMethod(method, GlueKind.Unbound, fastPathUsable));
                }
                else if (!candidates.Any(c => c.Shape == method.Shape))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.HypercallSignatureMismatch, candidates[0].Location,
                        target.Name, candidates[0].Display, method.Signature));
                    methods.Add(new GlueMethod(method, GlueKind.Unbound, fastPathUsable));
                }
                else
                {
                    methods.Add(new GlueMethod(method, GlueKind.Bound, fastPathUsable));
                }
            }

            return new HypercallGlueModel(
                hyp,
                target?.FullName,
                target?.Name ?? "",
                target?.MinVersion ?? 0,
                target?.MaxVersion ?? 0,
                trace,
                methods.ToEquatableArray(),
                diagnostics.ToEquatableArray());
        }

        private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
    }
}
