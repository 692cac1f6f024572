using System;
using System.Collections.Generic;
using System.IO;

namespace Rump.Tools;

/// <summary>Finds the kernel assembly to boot: <c>--kernel PATH</c>, else the one the build produced for <c>--target</c>.</summary>
public static class KernelLocator
{
    public static readonly string[] KnownTargets = ["posix", "xen", "hw"];

    /// <summary>The file name the toolchain gives a target's kernel: <c>Rump.Kernel.Posix.dll</c>.</summary>
    public static string KernelFileName(string target)
        => "Rump.Kernel." + char.ToUpperInvariant(target[0]) + target.Substring(1) + ".dll";

    /// <summary>
    /// The default kernel of <paramref name="target"/>: <c>artifacts/kernels/TARGET/</c> of the repository the tool
    /// runs from (or the current folder is in), then a kernel copied beside the tool.
    /// </summary>
    public static string Find(string target, string workingDirectory, out IReadOnlyList<string> searched)
    {
        var name = KernelFileName(target);
        var places = new List<string>();
        foreach (var root in RepoRoots(workingDirectory))
        {
            places.Add(Path.Combine(root, "artifacts", "kernels", target, name));
            // The kernel project's own output, for builds that do not copy to artifacts/.
            foreach (var config in new[] { "Release", "Debug" })
                places.Add(Path.Combine(root, "kernels", "Rump.Kernel", "bin", config, "net10.0", name));
        }
        places.Add(Path.Combine(AppContext.BaseDirectory, "kernels", target, name));
        searched = places;
        foreach (var place in places)
        {
            if (File.Exists(place))
                return place;
        }
        var build = "`dotnet build kernels/Rump.Kernel" + (target == "posix" ? "" : " -p:RumpTarget=" + target) + "`";
        var file = Path.Combine("artifacts", "kernels", target, name);
        // Outside a checkout (a published rumpctl elsewhere) a build cannot help this tool: the build writes the
        // checkout's artifacts/, which only a publish carries into kernels/ beside the tool.
        throw new ToolException(
            "no " + target + " kernel found (looked for " + string.Join(", ", places) + "); "
            + (places.Count > 1
                ? "build it with " + build + " or pass --kernel PATH"
                : "this rumpctl runs outside a Rump.Build checkout: pass --kernel CHECKOUT/" + file + " (build it there with " + build
                  + "), or build it and publish rumpctl again (the publish carries the kernels built under artifacts/kernels/ into "
                  + Path.Combine(AppContext.BaseDirectory, "kernels") + ")"),
            ExitCodes.Kernel);
    }

    /// <summary>The repository holding the tool, then the one holding the working directory (deduplicated).</summary>
    public static IEnumerable<string> RepoRoots(string workingDirectory)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var start in new[] { AppContext.BaseDirectory, workingDirectory })
        {
            var root = FindRepoRoot(start);
            if (root is not null && seen.Add(root))
                yield return root;
        }
    }

    public static string? FindRepoRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Rump.Build.sln")))
                return dir.FullName;
        }
        return null;
    }
}
