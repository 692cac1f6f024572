using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.Linq;
using Microsoft.Build.Framework;

namespace Rump.Build.Tasks;

/// <summary>
/// Step 1 of a kernel build: decides where the kernel sources (base/, factions/, components/) of the
/// requested vintage are and what that vintage is. Default: this checkout (ref <c>worktree</c>);
/// <c>RumpVintage=&lt;git ref&gt;</c>: that commit's sources exported into obj/; <c>RumpUpstream=&lt;dir&gt;</c>: a folder.
/// </summary>
public sealed class MaterializeVintage : Microsoft.Build.Utilities.Task
{
    /// <summary>The kernel source folders a vintage consists of.</summary>
    internal static readonly string[] KernelFolders = ["base", "factions", "components"];

    private const string CommitStampFile = ".rump-vintage-commit";

    [Required] public string RepoRoot { get; set; } = "";

    /// <summary>A git ref of this repository (tag, branch, commit, HEAD~3); empty = this checkout.</summary>
    public string Vintage { get; set; } = "";

    /// <summary>A folder holding base/ factions/ components/; empty = not used.</summary>
    public string Upstream { get; set; } = "";

    /// <summary>Where a git vintage is exported (under obj/).</summary>
    [Required] public string ExportDirectory { get; set; } = "";

    /// <summary>Folder holding base/ factions/ components/ of the vintage, with a trailing slash.</summary>
    [Output] public string SourceRoot { get; set; } = "";

    [Output] public string VintageRef { get; set; } = "";
    [Output] public string VintageCommit { get; set; } = "";
    [Output] public string VintageCommitDate { get; set; } = "";
    [Output] public string VintageDirty { get; set; } = "false";

    public override bool Execute()
    {
        if (Vintage.Length > 0 && Upstream.Length > 0)
        {
            RumpErrors.Error(Log, RumpErrors.UnknownVintage, null, 0,
                "RumpVintage='" + Vintage + "' and RumpUpstream='" + Upstream + "' are both set.",
                "set only one of them (a git ref of this repository, or a folder of sources).");
            return false;
        }
        if (Upstream.Length > 0)
            return FromUpstreamFolder();
        if (Vintage.Length > 0)
            return FromGitRef();
        return FromCheckout();
    }

    private bool FromCheckout()
    {
        SourceRoot = WithSlash(RepoRoot);
        VintageRef = "worktree";
        var git = new Git(RepoRoot);
        // One call for commit and date; it fails outside a git work tree (or before the first commit).
        if (!git.TryRun(out var head, "show", "-s", "--format=%H%n%cI", "HEAD"))
        {
            // A copy without git history: nothing to name it by, and nothing proves it clean.
            Log.LogMessage(MessageImportance.Low, "Rump: " + RepoRoot + " is not a git work tree with commits; vintage commit unknown.");
            VintageCommit = "";
            VintageCommitDate = "";
            VintageDirty = "true";
            return true;
        }
        var lines = head.Split('\n', StringSplitOptions.TrimEntries);
        VintageCommit = lines[0];
        VintageCommitDate = lines.Length > 1 ? lines[1] : "";
        var statusArgs = new List<string> { "status", "--porcelain", "--untracked-files=all", "--" };
        statusArgs.AddRange(KernelFolders);
        VintageDirty = !git.TryRun(out var status, statusArgs.ToArray()) || status.Trim().Length > 0 ? "true" : "false";
        return true;
    }

    private bool FromGitRef()
    {
        var git = new Git(RepoRoot);
        if (!git.IsRepository)
        {
            RumpErrors.Error(Log, RumpErrors.UnknownVintage, null, 0,
                "RumpVintage='" + Vintage + "' needs git history, but " + RepoRoot + " is not a git work tree.",
                "build from a git clone, or use -p:RumpUpstream=<folder> with the sources of that vintage.");
            return false;
        }
        if (!git.TryRun(out var commit, "rev-parse", "--verify", "--quiet", Vintage + "^{commit}"))
        {
            git.TryRun(out var tags, "tag", "--list");
            git.TryRun(out var branches, "branch", "--format=%(refname:short)");
            var known = string.Join(", ", (branches + "\n" + tags).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(20));
            RumpErrors.Error(Log, RumpErrors.UnknownVintage, null, 0,
                "RumpVintage='" + Vintage + "' is not a commit of " + RepoRoot + " (known branches and tags: " + (known.Length > 0 ? known : "none") + ").",
                "pass a tag, a branch, a commit id or a relative ref such as HEAD~3 (git fetch first if it is remote).");
            return false;
        }
        commit = commit.Trim();
        VintageRef = Vintage;
        VintageCommit = commit;
        VintageCommitDate = git.TryRun(out var date, "show", "-s", "--format=%cI", commit) ? date.Trim() : "";
        VintageDirty = "false";
        SourceRoot = WithSlash(Path.GetFullPath(ExportDirectory));
        var stamp = Path.Combine(SourceRoot, CommitStampFile);
        if (File.Exists(stamp) && File.ReadAllText(stamp).Trim() == commit)
            return true;
        return Export(git, commit, stamp);
    }

    private bool Export(Git git, string commit, string stamp)
    {
        if (!git.TryRun(out var entries, "ls-tree", "--name-only", commit))
            return LinkFailed("git ls-tree " + commit + " failed: " + entries);
        var present = entries.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(KernelFolders.Contains).ToList();
        if (!present.Contains("base"))
        {
            RumpErrors.Error(Log, RumpErrors.UnknownVintage, null, 0,
                "RumpVintage='" + Vintage + "' (" + commit + ") has no base/ folder: it predates the kernel sources.",
                "choose a later commit.");
            return false;
        }
        var args = new List<string> { "archive", "--format=tar", commit, "--" };
        args.AddRange(present);
        var tar = git.RunBytes(out var ok, out var error, args.ToArray());
        if (!ok)
            return LinkFailed("git archive " + commit + " failed: " + error);
        if (Directory.Exists(SourceRoot))
            Directory.Delete(SourceRoot, recursive: true);
        Directory.CreateDirectory(SourceRoot);
        using (var stream = new MemoryStream(tar))
            TarFile.ExtractToDirectory(stream, SourceRoot, overwriteFiles: true);
        File.WriteAllText(stamp, commit + "\n");
        Log.LogMessage(MessageImportance.Normal, "Rump: vintage " + Vintage + " (" + commit + ") exported to " + SourceRoot);
        return true;
    }

    private bool FromUpstreamFolder()
    {
        var folder = Path.GetFullPath(Path.IsPathRooted(Upstream) ? Upstream : Path.Combine(RepoRoot, Upstream));
        if (!Directory.Exists(Path.Combine(folder, "base")))
        {
            RumpErrors.Error(Log, RumpErrors.UnknownVintage, folder, 0,
                "RumpUpstream='" + Upstream + "' is not a folder of kernel sources (no " + Path.Combine(folder, "base") + ").",
                "point RumpUpstream at a folder that holds base/ (and factions/, components/).");
            return false;
        }
        SourceRoot = WithSlash(folder);
        VintageRef = "upstream:" + Path.GetFileName(folder.TrimEnd(Path.DirectorySeparatorChar));
        var git = new Git(folder);
        if (git.IsRepository && git.TryRun(out var head, "rev-parse", "HEAD"))
        {
            VintageCommit = head.Trim();
            VintageCommitDate = git.TryRun(out var date, "show", "-s", "--format=%cI", "HEAD") ? date.Trim() : "";
            VintageDirty = git.TryRun(out var status, "status", "--porcelain", "--", ".") && status.Trim().Length == 0 ? "false" : "true";
        }
        else
        {
            VintageCommit = "";
            VintageCommitDate = "";
            VintageDirty = "false";
        }
        return true;
    }

    private bool LinkFailed(string message)
    {
        RumpErrors.Error(Log, RumpErrors.UnknownVintage, null, 0, message, "check that git works in " + RepoRoot + ".");
        return false;
    }

    private static string WithSlash(string path)
        => path.EndsWith('/') || path.EndsWith(Path.DirectorySeparatorChar) ? path : path + Path.DirectorySeparatorChar;
}
