using System.Linq;
using Microsoft.CodeAnalysis;

namespace Rump.Generators.Tests.Infrastructure;

internal static class Compiles
{
    /// <summary>Fails with the errors when the compilation (sources + generated code) has any.</summary>
    public static void WithoutErrors(Compilation compilation)
    {
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "compilation errors:\n" + Snapshot.Describe(errors));
    }
}
