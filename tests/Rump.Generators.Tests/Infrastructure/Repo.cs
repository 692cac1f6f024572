using System;
using System.IO;
using System.Runtime.CompilerServices;

namespace Rump.Generators.Tests.Infrastructure;

/// <summary>Paths in the repository checkout the tests were compiled from.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string File(string relativePath) => Path.Combine(Root, relativePath.Replace('/', Path.DirectorySeparatorChar));

    public static string Read(string relativePath) => System.IO.File.ReadAllText(File(relativePath));

    private static string FindRoot([CallerFilePath] string here = "")
    {
        for (var dir = Path.GetDirectoryName(here); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (System.IO.File.Exists(Path.Combine(dir, "Rump.Build.sln")))
                return dir;
        }
        throw new InvalidOperationException("Rump.Build.sln not found above " + here);
    }
}
