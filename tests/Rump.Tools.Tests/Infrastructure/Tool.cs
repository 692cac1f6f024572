using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;

namespace Rump.Tools.Tests;

/// <summary>What one run of rumpctl printed and returned.</summary>
public sealed record ToolRun(int ExitCode, byte[] StdoutBytes, string Stderr)
{
    public string Stdout => Encoding.UTF8.GetString(StdoutBytes);

    public string[] Lines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => "exit " + ExitCode + "\n--- stdout\n" + Stdout + "--- stderr\n" + Stderr;
}

/// <summary>Runs rumpctl in-process through its command entry point, or as a process, in a given folder.</summary>
public static class Tool
{
    /// <summary>In-process: <see cref="RumpCtl.Run"/> with buffers for standard output and error.</summary>
    public static ToolRun Run(string workingDirectory, params string[] args)
    {
        var stdout = new MemoryStream();
        var stderr = new StringWriter { NewLine = "\n" };
        var console = new ToolConsole(stdout, stderr, workingDirectory: workingDirectory);
        var exit = RumpCtl.Run(args, console);
        return new ToolRun(exit, stdout.ToArray(), stderr.ToString());
    }

    /// <summary>As a process: <c>dotnet rumpctl.dll ARGS</c> (the build copies rumpctl.dll beside the tests).</summary>
    public static ToolRun RunProcess(string workingDirectory, params string[] args) =>
        RunExecutable("dotnet", [Path.Combine(AppContext.BaseDirectory, "rumpctl.dll"), .. args], workingDirectory);

    /// <summary>Runs <paramref name="executable"/> with <paramref name="args"/> and collects what it printed (2 minutes at most).</summary>
    public static ToolRun RunExecutable(string executable, string[] args, string workingDirectory)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var stdout = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(stdout);
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException(executable + " " + string.Join(' ', args) + " did not finish in 120 s");
        }
        return new ToolRun(process.ExitCode, stdout.ToArray(), stderr.Result);
    }

    /// <summary>As a process with standard output sent to <paramref name="stdoutPath"/> (e.g. /dev/full).</summary>
    public static ToolRun RunProcessWithStdout(string workingDirectory, string stdoutPath, params string[] args)
    {
        var quoted = string.Join(' ', args.Select(a => "'" + a.Replace("'", "'\\''") + "'"));
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec dotnet '" + Path.Combine(AppContext.BaseDirectory, "rumpctl.dll") + "' " + quoted + " > '" + stdoutPath + "'");
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("rumpctl " + string.Join(' ', args) + " did not finish in 120 s");
        }
        return new ToolRun(process.ExitCode, Array.Empty<byte>(), stderr);
    }

    /// <summary>Starts rumpctl as a process and returns at once (standard error redirected, read it after exit).</summary>
    public static Process StartProcess(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rumpctl.dll"));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.RedirectStandardOutput = false;
        return Process.Start(start)!;
    }
}
