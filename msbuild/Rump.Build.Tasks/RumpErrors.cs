using Microsoft.Build.Utilities;

namespace Rump.Build.Tasks;

/// <summary>
/// The toolchain's error codes (RUMP0001–0099, registered in docs/errors.md). Every error says what went
/// wrong, where (file or component) and how to fix it, and carries a help link to its section.
/// </summary>
internal static class RumpErrors
{
    public const string UnknownTarget = "RUMP0001";
    public const string UnknownComponent = "RUMP0002";
    public const string DependencyCycle = "RUMP0003";
    public const string MissingFaction = "RUMP0004";
    public const string BadDeclaration = "RUMP0005";
    public const string UnknownVintage = "RUMP0006";
    public const string HypercallVersionMismatch = "RUMP0007";
    public const string SourceOutsideComponent = "RUMP0008";
    public const string VintageDoesNotCompile = "RUMP0009";
    public const string HostApiInKernel = "RUMP0010";
    public const string LinkFailed = "RUMP0011";

    public static string HelpLink(string code)
        => "https://github.com/rump-build/rump-build/blob/main/docs/errors.md#" + code.ToLowerInvariant();

    /// <summary>Logs "<paramref name="what"/> Fix: <paramref name="fix"/>" against a file (and line, when known).</summary>
    public static void Error(TaskLoggingHelper log, string code, string? file, int line, string what, string fix)
        => log.LogError(
            subcategory: null,
            errorCode: code,
            helpKeyword: null,
            helpLink: HelpLink(code),
            file: file,
            lineNumber: line,
            columnNumber: 0,
            endLineNumber: 0,
            endColumnNumber: 0,
            message: what + " Fix: " + fix + " (see " + HelpLink(code) + ")");
}
