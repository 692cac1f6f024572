using System;
using System.IO;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Rump.Generators.Syscalls;

/// <summary>
/// Reads base/syscalls.master (an AdditionalFiles item) in one of two roles
/// (<c>build_property.RumpSyscallRole</c>): <c>host</c> writes the typed host API (ISyscalls,
/// SyscallNumbers) into Rump.Abstractions; <c>kernel</c> writes the kernel dispatch (SyscallTable),
/// bound statically to the [Syscall("name")] methods of the kernel.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class SyscallGenerator : IIncrementalGenerator
{
    public const string SyscallsFileName = "syscalls.master";
    public const string SyscallAttributeName = "Rump.Kern.SyscallAttribute";

    /// <summary>Step names, shared with the caching tests.</summary>
    public static class Steps
    {
        public const string Role = "Syscalls.Role";
        public const string Table = "Syscalls.Table";
        public const string Implementations = "Syscalls.Implementations";
        public const string KernelTable = "Syscalls.KernelTable";
    }

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var role = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => options.GlobalOptions.TryGetValue("build_property.RumpSyscallRole", out var value)
                ? value.Trim().ToLowerInvariant()
                : "")
            .WithTrackingName(Steps.Role);

        var tables = context.AdditionalTextsProvider
            .Where(static file => string.Equals(Path.GetFileName(file.Path), SyscallsFileName, StringComparison.OrdinalIgnoreCase))
            .Select(static (file, token) => Parser.ParseTable(file.Path, file.GetText(token)))
            .WithTrackingName(Steps.Table)
            .Collect();

        // Host role: the typed API and the numbers.
        context.RegisterSourceOutput(role.Combine(tables), static (spc, input) =>
        {
            var (currentRole, parsed) = input;
            if (currentRole != "host")
                return;
            foreach (var table in parsed)
            {
                foreach (var diagnostic in table.Diagnostics)
                    spc.ReportDiagnostic(diagnostic.ToDiagnostic());
                spc.AddSource("ISyscalls.g.cs", Emitter.EmitHostInterface(table));
                spc.AddSource("SyscallNumbers.g.cs", Emitter.EmitNumbers(table));
                break;
            }
        });

        // Kernel role: bind each declared call to its implementation.
        var implementations = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                SyscallAttributeName,
                static (node, _) => node is MethodDeclarationSyntax,
                static (ctx, _) => Parser.ParseImplementation(ctx))
            .Where(static implementation => implementation is not null)
            .Select(static (implementation, _) => implementation!)
            .WithTrackingName(Steps.Implementations)
            .Collect();

        var kernelTable = role.Combine(tables).Combine(implementations)
            .Select(static (input, _) =>
            {
                var ((currentRole, parsed), linked) = input;
                return currentRole == "kernel" && parsed.Length > 0 ? Parser.Bind(parsed[0], linked) : null;
            })
            .WithTrackingName(Steps.KernelTable);

        context.RegisterSourceOutput(kernelTable, static (spc, model) =>
        {
            if (model is null)
                return;
            foreach (var diagnostic in model.Diagnostics)
                spc.ReportDiagnostic(diagnostic.ToDiagnostic());
            spc.AddSource("SyscallTable.g.cs", Emitter.EmitKernelTable(model));
        });
    }
}
