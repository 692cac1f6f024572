using System;
using System.IO;
using Rump;

namespace Rump.Testing;

/// <summary>Finds the repository and the kernel assemblies the build produced, for tests and tools.</summary>
public static class TestKernel
{
    /// <summary>The repository root (the folder holding Rump.Build.sln).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>Path of the kernel assembly for <paramref name="target"/>.</summary>
    public static string KernelPath(string target = "posix")
    {
        var title = char.ToUpperInvariant(target[0]) + target.Substring(1);
        var name = "Rump.Kernel." + title + ".dll";
        var artifact = Path.Combine(RepoRoot, "artifacts", "kernels", target, name);
        if (File.Exists(artifact))
            return artifact;
        // Interim layout, before the Rump SDK writes artifacts/: the most recently built configuration.
        string? newest = null;
        foreach (var config in new[] { "Debug", "Release" })
        {
            var interim = Path.Combine(RepoRoot, "kernels", "Rump.Kernel", "bin", config, "net10.0", name);
            if (File.Exists(interim) && (newest is null || File.GetLastWriteTimeUtc(interim) > File.GetLastWriteTimeUtc(newest)))
                newest = interim;
        }
        if (newest is not null)
            return newest;
        throw new FileNotFoundException("kernel not built: " + artifact + " (run dotnet build Rump.Build.sln)", artifact);
    }

    /// <summary>Loads and boots a fresh kernel instance in its own load context.</summary>
    public static IRumpKernel Boot(BootOptions? options = null, string target = "posix")
        => RumpKernelLoader.Boot(KernelPath(target), options);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Rump.Build.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("Rump.Build.sln not found above " + AppContext.BaseDirectory);
    }
}
