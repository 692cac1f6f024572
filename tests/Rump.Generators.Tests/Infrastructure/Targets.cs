using System;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Rump.Generators.Tests.Infrastructure;

/// <summary>
/// Writes a small hypercall target for the real base/hyp/Hyp.cs: one public static method per declared
/// hypercall, same signature, body assigning defaults. Tests drop or change methods to provoke diagnostics.
/// </summary>
internal static class Targets
{
    public static string For(
        string hypSource,
        string name = "posix",
        int minVersion = 1,
        int maxVersion = 1,
        string className = "PosixHypercalls",
        Func<string, bool>? include = null,
        Func<string, string>? rewriteSignature = null)
    {
        var tree = CSharpSyntaxTree.ParseText(hypSource);
        var methods = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>()
            .Where(m => m.AttributeLists.SelectMany(a => a.Attributes).Any(a => a.Name.ToString() == "Hypercall"));
        var ns = "Rump.Target." + char.ToUpperInvariant(name[0]) + name[1..];
        var text = new StringBuilder();
        text.Append("using System;\nusing Rump.Kern;\n\nnamespace ").Append(ns).Append("\n{\n");
        text.Append($"    [HypercallTarget(\"{name}\", {minVersion}, {maxVersion})]\n");
        text.Append($"    internal static class {className}\n    {{\n");
        foreach (var method in methods)
        {
            var id = method.Identifier.Text;
            if (include is not null && !include(id))
                continue;
            var signature = $"public static {method.ReturnType} {id}{method.ParameterList}";
            if (rewriteSignature is not null)
                signature = rewriteSignature(signature);
            text.Append("        ").Append(signature).Append("\n        {\n");
            foreach (var p in method.ParameterList.Parameters.Where(p => p.Modifiers.Any(m => m.Text == "out")))
                text.Append("            ").Append(p.Identifier.Text).Append(" = default!;\n");
            if (method.ReturnType.ToString() != "void")
                text.Append("            return default!;\n");
            text.Append("        }\n");
        }
        text.Append("    }\n}\n");
        return text.ToString();
    }
}
