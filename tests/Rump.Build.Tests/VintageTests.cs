using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Rump;
using Rump.Tools;

namespace Rump.Build.Tests;

/// <summary>
/// Vintages end to end, in the repository copy: commit A (the copy as it is, tag <c>va</c>) and commit B (tag
/// <c>vb</c>: msdosfs lists the volume label as a file again, one component changed) are built with
/// <c>-p:RumpVintage</c>, compared with <c>rumpctl kernel diff</c>, and booted side by side in one process on
/// copies of one image made by mkfs.fat. Commits are made with git plumbing, so the checkout other tests use
/// stays as it is.
/// </summary>
[Collection(RepoCopyCollection.Name)]
public sealed class VintageTests
{
    private const string KernelFile = "Rump.Kernel.Posix.dll";
    private const string LinkMapFile = "Rump.Kernel.Posix.linkmap.json";
    private const string LabelSourcePath = "components/vfs/msdosfs/OnDisk/FatVolume.Dir.cs";

    // msdosfs skips the volume-label entry when it reads a directory; vintage B does not.
    private const string VolumeLabelFilterCode = """
                    if (entry.IsVolumeLabel)
                    {
                        expect = 0;
                        continue;
                    }

        """;

    // Both vintages are built once per repository copy and shared by the tests below.
    private static readonly ConcurrentDictionary<string, Lazy<BuiltPair>> s_pairs = new();

    private readonly RepoCopy _repo;

    public VintageTests(RepoCopy repo) => _repo = repo;

    private sealed record BuiltPair(string CommitA, string CommitB, BuildResult BuildA, BuildResult BuildB);

    private BuiltPair Pair => s_pairs.GetOrAdd(_repo.Root, _ => new Lazy<BuiltPair>(BuildPair)).Value;

    private BuiltPair BuildPair()
    {
        var commitA = _repo.Git("rev-parse", "HEAD").Trim();
        _repo.Git("tag", "-f", "va", commitA);
        var original = GitCommits.Show(_repo.Root, commitA, LabelSourcePath);
        Assert.Contains(VolumeLabelFilterCode, original);
        var commitB = GitCommits.CommitOnTop(_repo.Root, commitA, "vb", "msdosfs: list the volume label entry",
            new Dictionary<string, string> { [LabelSourcePath] = original.Replace(VolumeLabelFilterCode, "") });
        var buildA = _repo.BuildKernel("-p:RumpVintage=va");
        var buildB = _repo.BuildKernel("-p:RumpVintage=vb");
        return new BuiltPair(commitA, commitB, buildA, buildB);
    }

    private string Artifact(string vintage, string file) => Path.Combine(_repo.Artifacts(), vintage, file);

    [Fact]
    public void TwoCommits_LinkMapsDifferInExactlyTheChangedComponentsHash()
    {
        var pair = Pair;
        Assert.True(pair.BuildA.Succeeded, pair.BuildA.Output);
        Assert.True(pair.BuildB.Succeeded, pair.BuildB.Output);

        var a = LinkMap.Load(Artifact("va", LinkMapFile));
        var b = LinkMap.Load(Artifact("vb", LinkMapFile));
        Assert.Equal(("va", pair.CommitA, false), Vintage(a));
        Assert.Equal(("vb", pair.CommitB, false), Vintage(b));
        Assert.Equal(a.Root.GetProperty("base").GetProperty("sourceHash").GetString(), b.Root.GetProperty("base").GetProperty("sourceHash").GetString());

        var hashesA = Hashes(a);
        var hashesB = Hashes(b);
        Assert.Equal(hashesA.Keys.Order(), hashesB.Keys.Order());
        var changed = hashesA.Keys.Where(name => hashesA[name] != hashesB[name]).ToList();
        Assert.Equal(["msdosfs"], changed);

        // Per vintage: intermediate files too, and the default kernel's obj/ and artifacts are not touched.
        var obj = Path.Combine(_repo.Root, "kernels", "Rump.Kernel", "obj", "Debug", "posix");
        Assert.True(File.Exists(Path.Combine(obj, "va", "linked", KernelFile)));
        Assert.True(File.Exists(Path.Combine(obj, "vb", "linked", KernelFile)));
        Assert.True(File.Exists(Path.Combine(obj, "vb", "vintage", LabelSourcePath)));
        Assert.DoesNotContain("entry.IsVolumeLabel", File.ReadAllText(Path.Combine(obj, "vb", "vintage", LabelSourcePath)));
        Assert.Equal(File.ReadAllText(Path.Combine(_repo.Root, LabelSourcePath)), File.ReadAllText(Path.Combine(obj, "va", "vintage", LabelSourcePath)));
    }

    [Fact]
    public void KernelDiff_OfTheTwoVintages_ReportsExactlyTheChangedComponent()
    {
        var pair = Pair;
        Assert.True(pair.BuildA.Succeeded && pair.BuildB.Succeeded, pair.BuildA.Output + pair.BuildB.Output);

        var byVintage = RunRumpctl("kernel", "diff", "--vintage", "va", "vb");
        var byFile = RunRumpctl("kernel", "diff", Artifact("va", LinkMapFile), Artifact("vb", LinkMapFile));

        foreach (var run in new[] { byVintage, byFile })
        {
            Assert.True(run.Exit == 0, run.Stderr + run.Stdout);
            var differences = run.Lines.Where(l => l.StartsWith("~ ", StringComparison.Ordinal) || l.StartsWith("+ ", StringComparison.Ordinal)
                || l.StartsWith("- ", StringComparison.Ordinal)).ToList();
            var line = Assert.Single(differences);
            Assert.StartsWith("~ msdosfs (component) sha256:", line);
            Assert.Contains("hypercall interface: v1 (unchanged)", run.Lines);
            Assert.StartsWith("1 changed, 0 added, 0 removed, ", run.Lines[^1]);
        }
        Assert.Contains("vintage va " + pair.CommitA.Substring(0, 12), byVintage.Stdout);
    }

    [Fact]
    public void SideBySide_TwoVintagesInOneProcess_EachBehavesAsItsSources()
    {
        var pair = Pair;
        Assert.True(pair.BuildA.Succeeded && pair.BuildB.Succeeded, pair.BuildA.Output + pair.BuildB.Output);
        var folder = Path.Combine(Path.GetTempPath(), "rump-vintage-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        Directory.CreateDirectory(folder);
        try
        {
            // One image made by the real tools; each kernel gets its own copy.
            var image = Path.Combine(folder, "label.img");
            Tool(folder, "mkfs.fat", "-C", "-F", "12", "-n", "VOLA", "--invariant", image, "1440");
            File.WriteAllText(Path.Combine(folder, "hello.txt"), "hello\n");
            Tool(folder, "mcopy", "-i", image, Path.Combine(folder, "hello.txt"), "::/hello.txt");
            File.Copy(image, Path.Combine(folder, "a.img"));
            File.Copy(image, Path.Combine(folder, "b.img"));

            using var kernelA = RumpKernelLoader.Boot(PrivateCopy(Artifact("va", KernelFile), folder, "a"), new BootOptions { HostName = "a" });
            using var kernelB = RumpKernelLoader.Boot(PrivateCopy(Artifact("vb", KernelFile), folder, "b"), new BootOptions { HostName = "b" });
            Assert.True(kernelA.IsRunning && kernelB.IsRunning);
            Assert.Equal(new VintageInfo("va", pair.CommitA, kernelA.Info.Vintage.CommitDate, false), kernelA.Info.Vintage);
            Assert.Equal("vb", kernelB.Info.Vintage.Ref);
            Assert.Equal(pair.CommitB, kernelB.Info.Vintage.Commit);
            Assert.Contains("vintage va " + pair.CommitA.Substring(0, 7), kernelA.Banner);
            Assert.Contains("vintage vb " + pair.CommitB.Substring(0, 7), kernelB.Banner);
            Assert.NotEqual(kernelA.Info.Components.Single(c => c.Name == "msdosfs").SourceHash, kernelB.Info.Components.Single(c => c.Name == "msdosfs").SourceHash);

            var rootA = MountAndList(kernelA.Sys, Path.Combine(folder, "a.img"));
            var rootB = MountAndList(kernelB.Sys, Path.Combine(folder, "b.img"));

            Assert.Equal(["hello.txt"], rootA);
            Assert.Equal(["VOLA", "hello.txt"], rootB);
            kernelA.Shutdown();
            kernelB.Shutdown();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static (string, string, bool) Vintage(LinkMap map)
    {
        var v = map.Root.GetProperty("vintage");
        return (v.GetProperty("ref").GetString()!, v.GetProperty("commit").GetString()!, v.GetProperty("dirty").GetBoolean());
    }

    private static Dictionary<string, string> Hashes(LinkMap map)
        => map.Root.GetProperty("components").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("sourceHash").GetString()!);

    /// <summary>Root directory names through mount + getdents, sorted (ordinal).</summary>
    private static List<string> MountAndList(ISyscalls sys, string image)
    {
        Assert.Equal(0, sys.EtfsRegister("/dev/img0", image, EtfsType.Block, 0, 0));
        Assert.Equal(0, sys.Mkdir("/mnt", 0x1ED));
        Assert.Equal(0, sys.Mount("msdos", "/mnt", PosixConst.MNT_RDONLY, "/dev/img0", ""));
        var names = new List<string>();
        Assert.Equal(0, sys.Open("/mnt", OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0, out var fd));
        var buffer = new byte[4096];
        while (true)
        {
            Assert.Equal(0, sys.GetDents(fd, buffer, out var n));
            if (n == 0)
                break;
            for (var offset = 0; offset < n;)
            {
                var length = Dirent.Read(buffer.AsSpan(offset, n - offset), out _, out _, out var name);
                Assert.True(length > 0);
                if (name is not "." and not "..")
                    names.Add(name);
                offset += length;
            }
        }
        Assert.Equal(0, sys.Close(fd));
        Assert.Equal(0, sys.Unmount("/mnt", 0));
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>A copy of the kernel (and pdb) in its own folder: later builds may rewrite the artifact while it is loaded.</summary>
    private static string PrivateCopy(string kernel, string folder, string name)
    {
        var target = Path.Combine(folder, name);
        Directory.CreateDirectory(target);
        var dll = Path.Combine(target, Path.GetFileName(kernel));
        File.Copy(kernel, dll);
        var pdb = Path.ChangeExtension(kernel, ".pdb");
        if (File.Exists(pdb))
            File.Copy(pdb, Path.ChangeExtension(dll, ".pdb"));
        return dll;
    }

    internal static void Tool(string folder, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["MTOOLS_SKIP_CHECK"] = "1";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, program + " " + string.Join(" ", arguments) + ": " + output + error.Result);
    }

    internal sealed record ToolRun(int Exit, string Stdout, string Stderr)
    {
        public string[] Lines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>rumpctl in-process, in the repository copy (so --vintage finds its artifacts).</summary>
    private ToolRun RunRumpctl(params string[] args) => RunRumpctlIn(_repo.Root, args);

    internal static ToolRun RunRumpctlIn(string workingDirectory, params string[] args)
    {
        var stdout = new MemoryStream();
        var stderr = new StringWriter { NewLine = "\n" };
        var exit = RumpCtl.Run(args, new ToolConsole(stdout, stderr, workingDirectory: workingDirectory));
        return new ToolRun(exit, System.Text.Encoding.UTF8.GetString(stdout.ToArray()), stderr.ToString());
    }
}
