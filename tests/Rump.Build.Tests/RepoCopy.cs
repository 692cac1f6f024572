using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using Rump.Testing;

namespace Rump.Build.Tests;

/// <summary>
/// A temporary copy of the repository with only what a kernel build needs (and Rump.Build.sln, which marks a
/// checkout's root for rumpctl), as a git repository with one commit. The first build builds the task and generator projects; later builds reuse them
/// (-p:BuildProjectReferences=false) so each test pays only for its kernel.
/// </summary>
public sealed class RepoCopy : IDisposable
{
    private static readonly string[] Folders = ["msbuild", "abstractions", "generators", "kernels", "base", "factions", "components", "targets"];
    private static readonly string[] Files = ["Rump.Build.sln", "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "global.json", "NuGet.config", "nuget.config"];

    public RepoCopy()
    {
        Root = Path.Combine(Path.GetTempPath(), "rump-build-tests-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        Directory.CreateDirectory(Root);
        foreach (var file in Files.Where(f => File.Exists(Path.Combine(TestKernel.RepoRoot, f))))
            File.Copy(Path.Combine(TestKernel.RepoRoot, file), Path.Combine(Root, file));
        foreach (var folder in Folders)
            CopyFolder(Path.Combine(TestKernel.RepoRoot, folder), Path.Combine(Root, folder));
        File.WriteAllText(Path.Combine(Root, ".gitignore"), "bin/\nobj/\nartifacts/\n");
        Git("init", "-q");
        Git("add", "-A");
        Git("-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "-q", "-m", "copy");

        // Builds tasks, generators and the contract once; the result is what every test reuses.
        var first = Run("build", KernelProject, "-p:RumpComponents=none");
        if (first.ExitCode != 0)
            throw new InvalidOperationException("the first kernel build of the repository copy failed:\n" + first.Output);
    }

    public string Root { get; }

    public string KernelProject => Path.Combine(Root, "kernels", "Rump.Kernel", "Rump.Kernel.csproj");

    public string Artifacts(string target = "posix") => Path.Combine(Root, "artifacts", "kernels", target);

    /// <summary>dotnet build of the kernel project with the given properties, reusing the built tools.</summary>
    public BuildResult BuildKernel(params string[] arguments)
        => Run(["build", KernelProject, "--no-restore", "-p:BuildProjectReferences=false", .. arguments]);

    /// <summary>Writes a source file (path relative to the copy) and returns its full path.</summary>
    public string Write(string relativePath, string text)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Removes test-made folders again (component folders, targets).</summary>
    public void Remove(params string[] relativePaths)
    {
        foreach (var relative in relativePaths)
        {
            var path = Path.Combine(Root, relative);
            if (Directory.Exists(path))
                Directory.Delete(path, recursive: true);
            else if (File.Exists(path))
                File.Delete(path);
        }
    }

    public string Git(params string[] arguments) => Execute("git", arguments).Output;

    public BuildResult Run(params string[] dotnetArguments)
        => Execute("dotnet", [.. dotnetArguments, "-nodeReuse:false", "-v:m", "-clp:NoSummary"]);

    private BuildResult Execute(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        // The test host runs under dotnet test: its MSBuild settings must not leak into the child build.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k == "DOTNET_HOST_PATH").ToList())
            start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException(program + " " + string.Join(" ", arguments) + " did not finish in 5 minutes:\n" + output);
        }
        process.WaitForExit();
        return new BuildResult(process.ExitCode, output.ToString());
    }

    private static void CopyFolder(string from, string to)
    {
        if (!Directory.Exists(from))
            return;
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var folder in Directory.EnumerateDirectories(from))
        {
            var name = Path.GetFileName(folder);
            if (name is "bin" or "obj" or "TestResults" || name.StartsWith('.'))
                continue;
            CopyFolder(folder, Path.Combine(to, name));
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A kernel assembly may still be mapped by a load context that has not been collected yet.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

public sealed record BuildResult(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Lines of the output that are errors with <paramref name="code"/>.</summary>
    public IReadOnlyList<string> Errors(string code)
        => Output.Split('\n').Where(l => l.Contains("error " + code + ":", StringComparison.Ordinal)).Select(l => l.Trim()).Distinct().ToList();
}

[CollectionDefinition(Name)]
public sealed class RepoCopyCollection : ICollectionFixture<RepoCopy>
{
    public const string Name = "repository copy";
}
