using System;
using System.IO;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Rump.Generators.Components;

/// <summary>
/// Writes ComponentRegistry (the components of this kernel in boot order and RunInit(level)) from
/// rump.components.txt and the [Component] classes, and KernelIdentity from the build properties.
/// Without a components file (the interim kernel project) the components come from the classes alone.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class ComponentRegistryGenerator : IIncrementalGenerator
{
    public const string ComponentAttributeName = "Rump.Kern.ComponentAttribute";
    public const string ComponentsFileName = "rump.components.txt";

    /// <summary>Step names, shared with the caching tests.</summary>
    public static class Steps
    {
        public const string Classes = "Components.Classes";
        public const string File = "Components.File";
        public const string Registry = "Components.Registry";
        public const string Identity = "Components.Identity";
        public const string IsKernel = "Components.IsKernel";
    }

    /// <summary>The base's init-level enum: only a compilation that has it is a kernel.</summary>
    public const string InitLevelName = "Rump.Kern.InitLevel";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // Rump.Abstractions and other non-kernel projects that load the generators get nothing.
        var isKernel = context.CompilationProvider
            .Select(static (compilation, _) => compilation.GetTypeByMetadataName(InitLevelName) is not null)
            .WithTrackingName(Steps.IsKernel);

        var classes = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                ComponentAttributeName,
                static (node, _) => node is ClassDeclarationSyntax,
                static (ctx, _) => Parser.ParseClass(ctx))
            .Where(static model => model is not null)
            .Select(static (model, _) => model!)
            .WithTrackingName(Steps.Classes)
            .Collect();

        var file = context.AdditionalTextsProvider
            .Where(static text => string.Equals(Path.GetFileName(text.Path), ComponentsFileName, StringComparison.OrdinalIgnoreCase))
            .Select(static (text, token) => text.GetText(token)?.ToString() ?? "")
            .Collect()
            .Select(static (texts, _) => Parser.ParseFile(texts))
            .WithTrackingName(Steps.File);

        var registry = classes.Combine(file).Combine(isKernel)
            .Select(static (input, _) => input.Right ? Parser.Build(input.Left.Left, input.Left.Right) : null)
            .WithTrackingName(Steps.Registry);

        context.RegisterSourceOutput(registry, static (spc, model) =>
        {
            if (model is null)
                return;
            foreach (var diagnostic in model.Diagnostics)
                spc.ReportDiagnostic(diagnostic.ToDiagnostic());
            spc.AddSource("ComponentRegistry.g.cs", Emitter.EmitRegistry(model));
        });

        var identity = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => Parser.ParseIdentity(options.GlobalOptions))
            .WithTrackingName(Steps.Identity)
            .Combine(isKernel);

        context.RegisterSourceOutput(identity, static (spc, input) =>
        {
            if (input.Right)
                spc.AddSource("KernelIdentity.g.cs", Emitter.EmitIdentity(input.Left));
        });
    }
}
