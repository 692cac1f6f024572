using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace Rump.Tools;

/// <summary>
/// Finds the kernel (and link map) the build produced for a vintage: <c>artifacts/kernels/TARGET/VINTAGE/</c>, where
/// VINTAGE is the ref with every character outside <c>[A-Za-z0-9._-]</c> replaced by <c>_</c> (as msbuild/Sdk/Sdk.props
/// names it: <c>HEAD~3</c> → <c>HEAD_3</c>). The vintage <c>worktree</c> is the default kernel (this checkout).
/// </summary>
public static class VintageLocator
{
    /// <summary>The name of the checkout's own vintage (what its link map records as ref).</summary>
    public const string Worktree = "worktree";

    private static readonly Regex Unsafe = new("[^A-Za-z0-9._-]", RegexOptions.CultureInvariant);

    /// <summary>The folder name of a vintage under artifacts/kernels/TARGET/ (empty for <see cref="Worktree"/>).</summary>
    public static string FolderName(string vintage)
        => vintage == Worktree ? "" : Unsafe.Replace(vintage, "_");

    /// <summary>The build command that produces <paramref name="vintage"/>'s kernel for <paramref name="target"/>.</summary>
    public static string BuildCommand(string target, string vintage)
        => "dotnet build kernels/Rump.Kernel" + (target == "posix" ? "" : " -p:RumpTarget=" + target)
           + (vintage == Worktree ? "" : " -p:RumpVintage=" + Quote(vintage));

    /// <summary>The vintage's kernel assembly; a ToolException (exit 3) naming the build command when it is not built.</summary>
    public static string FindKernel(string target, string vintage, string workingDirectory)
        => Find(target, vintage, workingDirectory, KernelLocator.KernelFileName(target), "kernel");

    /// <summary>The vintage's link map (<c>Rump.Kernel.Posix.linkmap.json</c> beside the kernel).</summary>
    public static string FindLinkMap(string target, string vintage, string workingDirectory)
        => Find(target, vintage, workingDirectory, Path.ChangeExtension(KernelLocator.KernelFileName(target), ".linkmap.json"), "link map");

    private static string Find(string target, string vintage, string workingDirectory, string fileName, string what)
    {
        if (vintage.Length == 0)
            throw new ToolException("--vintage needs a git ref (tag, branch, commit, HEAD~3) or 'worktree'", ExitCodes.Usage);
        var folder = FolderName(vintage);
        var places = KernelLocator.RepoRoots(workingDirectory)
            .Select(root => Path.Combine(root, "artifacts", "kernels", target, folder, fileName))
            .ToList();
        foreach (var place in places)
        {
            if (File.Exists(place))
                return place;
        }
        var looked = places.Count > 0 ? " (looked for " + places[0] + ")" : " (no Rump.Build checkout above the working directory)";
        throw new ToolException(
            "vintage '" + vintage + "' is not built for target " + target + ": no " + what + looked
            + "; build it with `" + BuildCommand(target, vintage) + "`",
            ExitCodes.Kernel);
    }

    /// <summary>
    /// A warning when the built kernel of a git-ref vintage no longer is what the ref names: the ref (a branch,
    /// <c>HEAD~3</c>) has moved since the build, so the kernel's link map records another commit. The built kernel is
    /// still used (it is a kernel of that vintage's past, and rebuilding takes minutes): the warning names both commits
    /// and the command that rebuilds it. Null when they agree, for <c>worktree</c>, for a vintage not built, and when
    /// git cannot resolve the ref (nothing to compare with).
    /// </summary>
    public static string? StaleWarning(string target, string vintage, string workingDirectory)
    {
        if (vintage == Worktree || vintage.Length == 0)
            return null;
        string linkMapPath;
        try
        {
            linkMapPath = FindLinkMap(target, vintage, workingDirectory);
        }
        catch (ToolException)
        {
            return null;   // not built: the kernel lookup says so, with the build command
        }
        var root = KernelLocator.FindRepoRoot(Path.GetDirectoryName(linkMapPath)!);
        if (root is null)
            return null;
        string built;
        try
        {
            built = LinkMapFile.Load(linkMapPath, linkMapPath).VintageCommit;
        }
        catch (Exception e) when (e is ToolException or ToolErrnoException)
        {
            return null;
        }
        var now = ResolveCommit(root, vintage);
        if (now is null || built.Length == 0 || string.Equals(now, built, StringComparison.OrdinalIgnoreCase))
            return null;
        return "vintage '" + vintage + "' is now commit " + Short(now) + ", but its built kernel is of commit " + Short(built)
               + "; rebuild it with `" + BuildCommand(target, vintage) + "`";
    }

    private static string Short(string commit) => commit.Substring(0, Math.Min(12, commit.Length));

    /// <summary>The commit <paramref name="reference"/> names in the repository at <paramref name="root"/> (git rev-parse); null when git cannot say.</summary>
    private static string? ResolveCommit(string root, string reference)
    {
        try
        {
            var start = new System.Diagnostics.ProcessStartInfo("git")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { "-C", root, "rev-parse", "--verify", "--quiet", "--end-of-options", reference + "^{commit}" })
                start.ArgumentList.Add(arg);
            using var git = System.Diagnostics.Process.Start(start);
            if (git is null)
                return null;
            var stderr = git.StandardError.ReadToEndAsync();
            var output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            _ = stderr.Result;
            return git.ExitCode == 0 && output.Length >= 7 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;   // no git on PATH
        }
    }

    private static string Quote(string value)
        => value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '~' or '^' or '/' or '@') ? value : "'" + value.Replace("'", "'\\''") + "'";
}
