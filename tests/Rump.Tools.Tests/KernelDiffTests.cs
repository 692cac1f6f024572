using System;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;

namespace Rump.Tools.Tests;

/// <summary>
/// <c>kernel diff</c>, <c>kernel info</c> and <c>--vintage</c> on the link map the build wrote for the default kernel
/// (and edited copies of it); building and diffing real vintages is in Rump.Build.Tests' VintageTests.
/// </summary>
public sealed class KernelDiffTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rump-diff-" + Guid.NewGuid().ToString("N").Substring(0, 8));
    private readonly string _linkMap = Path.ChangeExtension(Rump.Testing.TestKernel.KernelPath(), ".linkmap.json");

    public KernelDiffTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Diff_SameLinkMap_NoDifferences()
    {
        var run = Tool.Run(_dir, "kernel", "diff", _linkMap, _linkMap);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain(run.Lines, l => l.StartsWith("~ ") || l.StartsWith("+ ") || l.StartsWith("- "));
        Assert.Contains("hypercall interface: v1 (unchanged)", run.Lines);
        Assert.Matches(@"^0 changed, 0 added, 0 removed, \d+ unchanged \(same sources\)$", run.Lines[^1]);
    }

    [Fact]
    public void Diff_EditedCopy_ReportsChangedAddedRemovedBaseAndHypercallVersion()
    {
        var map = JsonNode.Parse(File.ReadAllText(_linkMap))!.AsObject();
        var components = map["components"]!.AsArray();
        var count = components.Count;
        components.Single(c => (string?)c!["name"] == "msdosfs")!["sourceHash"] = "sha256:" + new string('1', 64);
        components.Remove(components.Single(c => (string?)c!["name"] == "tmpfs"));
        components.Add(new JsonObject
        {
            ["name"] = "hello", ["layer"] = "component", ["factions"] = new JsonArray("dev"), ["requires"] = new JsonArray(),
            ["initLevel"] = "Dev", ["files"] = new JsonArray("components/dev/hello/Hello.cs"), ["sourceHash"] = "sha256:" + new string('2', 64),
        });
        map["base"]!["sourceHash"] = "sha256:" + new string('3', 64);
        map["hypercallVersion"] = 2;
        var edited = Path.Combine(_dir, "b.linkmap.json");
        File.WriteAllText(edited, map.ToJsonString());

        var run = Tool.Run(_dir, "kernel", "diff", _linkMap, "b.linkmap.json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var differences = run.Lines.Where(l => l.StartsWith("~ ") || l.StartsWith("+ ") || l.StartsWith("- ")).ToList();
        Assert.Equal(4, differences.Count);
        Assert.StartsWith("~ base (base) sha256:", differences[0]);
        Assert.EndsWith("-> sha256:333333333333", differences[0]);
        Assert.Equal("+ hello (component) sha256:222222222222", differences[1]);
        Assert.StartsWith("~ msdosfs (component) sha256:", differences[2]);
        Assert.EndsWith("-> sha256:111111111111", differences[2]);
        Assert.StartsWith("- tmpfs (component) sha256:", differences[3]);
        Assert.Contains("hypercall interface: v1 -> v2 (changed)", run.Lines);
        Assert.Equal("2 changed, 1 added, 1 removed, " + (count - 2) + " unchanged", run.Lines[^1]);
    }

    [Fact]
    public void Diff_VintageNotBuilt_ExitsThreeWithTheBuildCommand()
    {
        var run = Tool.Run(_dir, "kernel", "diff", "--vintage", "no-such-vintage~1", "worktree");

        Assert.Equal(ExitCodes.Kernel, run.ExitCode);
        Assert.Contains("vintage 'no-such-vintage~1' is not built for target posix", run.Stderr);
        Assert.Contains("artifacts/kernels/posix/no-such-vintage_1/Rump.Kernel.Posix.linkmap.json", run.Stderr);
        Assert.Contains("build it with `dotnet build kernels/Rump.Kernel -p:RumpVintage=no-such-vintage~1`", run.Stderr);
    }

    [Fact]
    public void Diff_BuiltVintagesOfACheckout_InTheOrderWritten()
    {
        // A checkout (marked by Rump.Build.sln) with two built vintages, x and y/1 (folder y_1), whose maps differ in msdosfs.
        File.WriteAllText(Path.Combine(_dir, "Rump.Build.sln"), "");
        var x = Path.Combine(_dir, "artifacts", "kernels", "posix", "x");
        var y = Path.Combine(_dir, "artifacts", "kernels", "posix", "y_1");
        Directory.CreateDirectory(x);
        Directory.CreateDirectory(y);
        File.Copy(_linkMap, Path.Combine(x, "Rump.Kernel.Posix.linkmap.json"));
        var map = JsonNode.Parse(File.ReadAllText(_linkMap))!.AsObject();
        map["components"]!.AsArray().Single(c => (string?)c!["name"] == "msdosfs")!["sourceHash"] = "sha256:" + new string('4', 64);
        File.WriteAllText(Path.Combine(y, "Rump.Kernel.Posix.linkmap.json"), map.ToJsonString());

        var forward = Tool.Run(_dir, "kernel", "diff", "--vintage", "x", "y/1");
        var backward = Tool.Run(_dir, "kernel", "diff", "y/1", "--vintage", "x");

        Assert.True(forward.ExitCode == 0, forward.ToString());
        Assert.True(backward.ExitCode == 0, backward.ToString());
        Assert.StartsWith("--- vintage x: ", forward.Lines[0]);
        Assert.StartsWith("+++ vintage y/1: ", forward.Lines[1]);
        Assert.Contains(forward.Lines, l => l.StartsWith("~ msdosfs (component) ") && l.EndsWith("-> sha256:444444444444"));
        Assert.StartsWith("--- vintage y/1: ", backward.Lines[0]);
        Assert.Contains(backward.Lines, l => l.StartsWith("~ msdosfs (component) sha256:444444444444 -> "));
    }

    [Fact]
    public void Diff_WrongOperands_AreUsageErrors()
    {
        Assert.Equal(ExitCodes.Usage, Tool.Run(_dir, "kernel", "diff", _linkMap).ExitCode);
        Assert.Equal(ExitCodes.Usage, Tool.Run(_dir, "kernel", "diff", "--vintage", "a").ExitCode);
        Assert.Equal(ExitCodes.Usage, Tool.Run(_dir, "kernel", "diff", "--vintage", "a", "b", "c").ExitCode);
    }

    [Fact]
    public void Diff_MissingFileExitsOne_NotALinkMapExitsThree()
    {
        var missing = Tool.Run(_dir, "kernel", "diff", _linkMap, "nope.json");
        Assert.Equal(ExitCodes.Failure, missing.ExitCode);
        Assert.Contains("rumpctl: nope.json: No such file or directory", missing.Stderr);

        File.WriteAllText(Path.Combine(_dir, "junk.json"), "{ \"kernel\": 1 ");
        var junk = Tool.Run(_dir, "kernel", "diff", _linkMap, "junk.json");
        Assert.Equal(ExitCodes.Kernel, junk.ExitCode);
        Assert.Equal("rumpctl: junk.json: not a link map (not JSON at line 1, byte 15)\n", junk.Stderr);
    }

    [Fact]
    public void Diff_TextFileNotJson_SaysNotALinkMapWithoutTheJsonReadersMessage()
    {
        File.WriteAllText(Path.Combine(_dir, "notes.txt"), "hello\n");
        var run = Tool.Run(_dir, "kernel", "diff", "notes.txt", _linkMap);
        Assert.Equal(ExitCodes.Kernel, run.ExitCode);
        Assert.Equal("rumpctl: notes.txt: not a link map (not JSON at line 1, byte 1)\n", run.Stderr);

        File.WriteAllText(Path.Combine(_dir, "list.json"), "[1, 2]");
        var other = Tool.Run(_dir, "kernel", "diff", _linkMap, "list.json");
        Assert.Equal(ExitCodes.Kernel, other.ExitCode);
        Assert.StartsWith("rumpctl: list.json: not a link map (JSON of another shape", other.Stderr);
    }

    [Fact]
    public void Info_DefaultKernel_ShowsIdentityVintageAndHashes()
    {
        var run = Tool.Run(_dir, "kernel", "info");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(run.Lines, l => l.StartsWith("Kernel     Rump.Kernel.Posix, target posix, hypercall interface v1"));
        Assert.Contains(run.Lines, l => l.StartsWith("Vintage    worktree "));
        Assert.Contains(run.Lines, l => l.StartsWith("Base       sha256:"));
        Assert.Contains(run.Lines, l => l.TrimStart().StartsWith("msdosfs ") && l.Contains(" component ") && l.Contains("sha256:"));
    }

    [Fact]
    public void Vintage_NotBuilt_VerbExitsThreeWithTheBuildCommand()
    {
        File.WriteAllBytes(Path.Combine(_dir, "x.img"), new byte[512]);
        var run = Tool.Run(_dir, "--vintage", "HEAD~99", "ls", "x.img:/");

        Assert.Equal(ExitCodes.Kernel, run.ExitCode);
        Assert.Contains("vintage 'HEAD~99' is not built for target posix: no kernel", run.Stderr);
        Assert.Contains("-p:RumpVintage=HEAD~99`", run.Stderr);
    }

    [Fact]
    public void KernelAndVintage_Together_AreAUsageError()
    {
        File.WriteAllBytes(Path.Combine(_dir, "x.img"), new byte[512]);
        var run = Tool.Run(_dir, "--vintage", "v1", "--kernel", Rump.Testing.TestKernel.KernelPath(), "ls", "x.img:/");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("--kernel and --vintage both choose the kernel", run.Stderr);
    }
}
