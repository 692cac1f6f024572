using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;

namespace Rump.Build.Tests;

/// <summary>
/// Makes commits in a test repository without touching its work tree or HEAD (git plumbing with a private index),
/// so vintages can be built from them while other tests keep using the checkout.
/// </summary>
internal static class GitCommits
{
    /// <summary>
    /// A commit on top of <paramref name="parent"/> whose tree is the parent's with <paramref name="files"/> replaced
    /// (path relative to the repository → new text); tagged <paramref name="tag"/> (moved if it exists). Returns the commit id.
    /// </summary>
    public static string CommitOnTop(string repository, string parent, string tag, string message, IReadOnlyDictionary<string, string> files)
    {
        var index = Path.Combine(Path.GetTempPath(), "rump-index-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        var env = new Dictionary<string, string> { ["GIT_INDEX_FILE"] = index };
        try
        {
            Git(repository, env, null, "read-tree", parent);
            foreach (var (path, text) in files)
            {
                var blob = Git(repository, env, text, "hash-object", "-w", "--stdin").Trim();
                Git(repository, env, null, "update-index", "--add", "--cacheinfo", "100644," + blob + "," + path);
            }
            var tree = Git(repository, env, null, "write-tree").Trim();
            var commit = Git(repository, env, null, "commit-tree", tree, "-p", parent, "-m", message).Trim();
            Git(repository, env, null, "tag", "-f", tag, commit);
            return commit;
        }
        finally
        {
            File.Delete(index);
        }
    }

    /// <summary>The text of <paramref name="path"/> at <paramref name="commit"/>.</summary>
    public static string Show(string repository, string commit, string path)
        => Git(repository, new Dictionary<string, string>(), null, "show", commit + ":" + path);

    public static string Git(string repository, IReadOnlyDictionary<string, string> environment, string? input, params string[] arguments)
    {
        var start = new ProcessStartInfo("git")
        {
            WorkingDirectory = repository,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
            StandardOutputEncoding = new System.Text.UTF8Encoding(false),
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        start.Environment["GIT_AUTHOR_NAME"] = start.Environment["GIT_COMMITTER_NAME"] = "test";
        start.Environment["GIT_AUTHOR_EMAIL"] = start.Environment["GIT_COMMITTER_EMAIL"] = "test@example.invalid";
        if (input is not null)
            start.StandardInputEncoding = new System.Text.UTF8Encoding(false);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException("git " + string.Join(" ", arguments) + " failed: " + error.Result);
        return output;
    }
}
