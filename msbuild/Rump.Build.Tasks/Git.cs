using System;
using System.Diagnostics;
using System.IO;
using System.Text;

namespace Rump.Build.Tasks;

/// <summary>Runs the git command line in one repository.</summary>
internal sealed class Git
{
    private readonly string _repository;

    public Git(string repository) => _repository = repository;

    /// <summary>True when <see cref="_repository"/> is inside a git work tree and git is installed.</summary>
    public bool IsRepository => TryRun(out var output, "rev-parse", "--is-inside-work-tree") && output.Trim() == "true";

    /// <summary>Runs git; false (with stderr in <paramref name="output"/>) when it fails or is missing.</summary>
    public bool TryRun(out string output, params string[] arguments)
    {
        var bytes = RunBytes(out var ok, out var error, arguments);
        output = ok ? Encoding.UTF8.GetString(bytes) : error;
        return ok;
    }

    /// <summary>Runs git and returns its raw standard output (for git archive).</summary>
    public byte[] RunBytes(out bool ok, out string error, params string[] arguments)
    {
        var start = new ProcessStartInfo("git")
        {
            WorkingDirectory = _repository,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        // Never prompt, never page: the build has no terminal.
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        start.Environment["GIT_PAGER"] = "cat";
        try
        {
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            using var buffer = new MemoryStream();
            process.StandardOutput.BaseStream.CopyTo(buffer);
            process.WaitForExit();
            error = stderr.Result.Trim();
            ok = process.ExitCode == 0;
            return buffer.ToArray();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            ok = false;
            error = "git could not be started: " + e.Message;
            return [];
        }
    }
}
