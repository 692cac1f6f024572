using System.Linq;

namespace Rump.Generators.Tests.Infrastructure;

/// <summary>The real base/syscalls.master and variants of it.</summary>
internal static class Masters
{
    public const string Path = TestKernel.SourceRoot + "base/syscalls.master";

    public static string Real => Repo.Read("base/syscalls.master");

    /// <summary>The real table with one more line appended.</summary>
    public static string RealWith(string line) => Real.TrimEnd('\n') + "\n" + line + "\n";
}
