using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Rump.Generators.Hypercalls;

/// <summary>
/// Writes the bodies of the hypercall interface (base/hyp/Hyp.cs), each a direct call into the single
/// [HypercallTarget] class of the compilation: blocking calls release the virtual CPU around the host
/// call, fast paths are tried first while holding it, tracing is optional, and the version constants
/// and CheckVersion() let the base refuse a target that does not implement the interface version.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class HypercallGenerator : IIncrementalGenerator
{
    public const string InterfaceAttributeName = "Rump.Kern.HypercallInterfaceAttribute";
    public const string HypercallAttributeName = "Rump.Kern.HypercallAttribute";
    public const string TargetAttributeName = "Rump.Kern.HypercallTargetAttribute";

    /// <summary>Step names, shared with the caching tests.</summary>
    public static class Steps
    {
        public const string Interface = "Hypercalls.Interface";
        public const string Targets = "Hypercalls.Targets";
        public const string Trace = "Hypercalls.Trace";
        public const string VersionCheck = "Hypercalls.VersionCheck";
        public const string Glue = "Hypercalls.Glue";
    }

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var interfaces = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                InterfaceAttributeName,
                static (node, _) => node is ClassDeclarationSyntax,
                static (ctx, token) => Parser.ParseInterface(ctx, token))
            .Where(static model => model is not null)
            .Select(static (model, _) => model!)
            .WithTrackingName(Steps.Interface);

        var targets = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                TargetAttributeName,
                static (node, _) => node is ClassDeclarationSyntax,
                static (ctx, _) => Parser.ParseTarget(ctx))
            .Where(static model => model is not null)
            .Select(static (model, _) => model!)
            .WithTrackingName(Steps.Targets)
            .Collect();

        var trace = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => options.GlobalOptions.TryGetValue("build_property.RumpTraceHypercalls", out var value)
                && string.Equals(value.Trim(), "true", StringComparison.OrdinalIgnoreCase))
            .WithTrackingName(Steps.Trace);

        // RumpHypercallVersionCheck=warning: a version mismatch is a warning (the kernel builds and refuses to boot).
        var mismatchIsWarning = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => options.GlobalOptions.TryGetValue("build_property.RumpHypercallVersionCheck", out var value)
                && string.Equals(value.Trim(), "warning", StringComparison.OrdinalIgnoreCase))
            .WithTrackingName(Steps.VersionCheck);

        var glue = interfaces.Combine(targets).Combine(trace).Combine(mismatchIsWarning)
            .Select(static (input, _) => Parser.Bind(input.Left.Left.Left, input.Left.Left.Right, input.Left.Right, input.Right))
            .WithTrackingName(Steps.Glue);

        context.RegisterSourceOutput(glue, static (spc, model) =>
        {
            foreach (var diagnostic in model.Diagnostics)
                spc.ReportDiagnostic(diagnostic.ToDiagnostic());
            spc.AddSource(model.Interface.ClassName + ".g.cs", Emitter.Emit(model));
        });
    }
}
