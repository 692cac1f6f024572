using System;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Rump.Tools.Tests;

/// <summary>
/// What a fresh user met (issue 5): messages that name the wrong path or leak .NET text, and copy/rename edge cases.
/// Every write is followed by fsck.fat -n and by mtools reading back the result.
/// </summary>
public sealed class FreshUserTests
{
    /// <summary>A .NET resource key (the published tool runs with UseSystemResourceKeys): <c>IO_SharingViolation_File</c>.</summary>
    private static readonly Regex ResourceKey = new(@"\b[A-Z][A-Za-z]+_[A-Z][A-Za-z]+(_[A-Za-z]+)*\b");

    private static void AssertClean(FatImage image)
    {
        var (code, output) = image.Fsck();
        Assert.True(code == 0, "fsck.fat -n found errors:\n" + output);
    }

    [FatKernelFact]
    public void Mv_TargetParentMissing_NamesTheParentNotTheSource()
    {
        using var image = FatImage.Create(12, 1440);
        image.Put("/z", "z");
        var run = Tool.Run(image.Folder, "mv", image.Name + ":/z", image.Name + ":/nonexist/z");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Equal("rumpctl: " + image.Name + ":/nonexist: No such file or directory\n", run.Stderr);

        var deeper = Tool.Run(image.Folder, "mv", image.Name + ":/z", image.Name + ":/a/b/z");
        Assert.Equal("rumpctl: " + image.Name + ":/a: No such file or directory\n", deeper.Stderr);

        var missingSource = Tool.Run(image.Folder, "mv", image.Name + ":/nope", image.Name + ":/nonexist/z");
        Assert.Equal("rumpctl: " + image.Name + ":/nope: No such file or directory\n", missingSource.Stderr);
        AssertClean(image);
        Assert.Equal(["/z"], image.ListRecursive());
    }

    [FatKernelFact]
    public void Cp_TargetIsTheImageItself_SaysSoWithoutResourceKeys()
    {
        using var image = FatImage.Create(12, 1440);
        image.Put("/f", "data");
        var before = File.ReadAllBytes(image.Path);
        // As a process: the published settings (UseSystemResourceKeys) apply there, as for a user.
        foreach (var args in new[] { new[] { "cp", image.Name + ":/f", image.Name }, new[] { "cp", image.Name, image.Name + ":/copy" } })
        {
            var run = Tool.RunProcess(image.Folder, args);
            Assert.Equal(ExitCodes.Failure, run.ExitCode);
            Assert.Equal("rumpctl: " + image.Name + ": is the image being worked on (it cannot also be a plain file of the same copy)\n", run.Stderr);
            Assert.DoesNotMatch(ResourceKey, run.Stderr);
        }
        Assert.Equal(before, File.ReadAllBytes(image.Path));
        AssertClean(image);
    }

    [FatKernelFact]
    public void Cp_HostFileLockedByAnotherWriter_SaysInUseWithoutResourceKeys()
    {
        using var image = FatImage.Create(12, 1440);
        image.Put("/f", "data");
        var locked = Path.Combine(image.Folder, "locked.bin");
        File.WriteAllText(locked, "old");
        // FileShare.None takes an exclusive flock, as another rumpctl writing that file as its image would.
        using (File.Open(locked, System.IO.FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            var run = Tool.RunProcess(image.Folder, "cp", image.Name + ":/f", "locked.bin");
            Assert.Equal(ExitCodes.Failure, run.ExitCode);
            Assert.Equal("rumpctl: locked.bin: in use: another program holds its lock\n", run.Stderr);
            Assert.DoesNotMatch(ResourceKey, run.Stderr);
        }
        Assert.Equal("old", File.ReadAllText(locked));
    }

    [FatKernelFact]
    public void SymbolicLinkLoop_AsImageOrHostFile_IsELOOP_NotACrash()
    {
        using var image = FatImage.Create(12, 1440);
        image.Put("/f", "data");
        File.CreateSymbolicLink(Path.Combine(image.Folder, "a.lnk"), "b.lnk");
        File.CreateSymbolicLink(Path.Combine(image.Folder, "b.lnk"), "a.lnk");

        var asImage = Tool.Run(image.Folder, "ls", "a.lnk:/");
        Assert.Equal(ExitCodes.Failure, asImage.ExitCode);
        Assert.Equal("rumpctl: a.lnk: Too many levels of symbolic links\n", asImage.Stderr);
        var asTarget = Tool.Run(image.Folder, "cp", image.Name + ":/f", "a.lnk");
        Assert.Equal("rumpctl: a.lnk: Too many levels of symbolic links\n", asTarget.Stderr);
        var asSource = Tool.Run(image.Folder, "cp", "a.lnk", image.Name + ":/g");
        Assert.Equal("rumpctl: a.lnk: Too many levels of symbolic links\n", asSource.Stderr);
        AssertClean(image);
        Assert.Equal(["/f"], image.ListRecursive());
    }

    [FatKernelFact]
    public void Cp_RegularFileInTheMiddleOfAPath_IsNotADirectory_BothDirections()
    {
        using var image = FatImage.Create(12, 1440);
        image.Put("/file", "in image");
        File.WriteAllText(Path.Combine(image.Folder, "file"), "on host");

        var toHost = Tool.Run(image.Folder, "cp", image.Name + ":/file", "file/x");
        Assert.Equal("rumpctl: file/x: Not a directory\n", toHost.Stderr);
        var fromHost = Tool.Run(image.Folder, "cp", "file/x", image.Name + ":/");
        Assert.Equal("rumpctl: file/x: Not a directory\n", fromHost.Stderr);
        var toImage = Tool.Run(image.Folder, "cp", "file", image.Name + ":/file/x");
        Assert.Equal("rumpctl: " + image.Name + ":/file/x: Not a directory\n", toImage.Stderr);
        var fromImage = Tool.Run(image.Folder, "cp", image.Name + ":/file/x", "out");
        Assert.Equal("rumpctl: " + image.Name + ":/file/x: Not a directory\n", fromImage.Stderr);
        Assert.All(new[] { toHost, fromHost, toImage, fromImage }, r => Assert.Equal(ExitCodes.Failure, r.ExitCode));

        Assert.Equal("on host", File.ReadAllText(Path.Combine(image.Folder, "file")));
        Assert.False(File.Exists(Path.Combine(image.Folder, "out")));
        AssertClean(image);
        Assert.Equal(["/file"], image.ListRecursive());
    }

    [Fact]
    public void Target_Hw_ExitsTwoListingTheTargetsThatExist()
    {
        var folder = Directory.CreateTempSubdirectory("rumpctl-test-").FullName;
        try
        {
            var run = Tool.Run(folder, "--target", "hw", "ls", "disk.img:/");
            Assert.Equal(ExitCodes.Usage, run.ExitCode);
            Assert.Contains("rumpctl: --target hw: no such target; the targets are posix, xen (hw is not implemented yet", run.Stderr);
            Assert.DoesNotContain("dotnet build", run.Stderr);

            var other = Tool.Run(folder, "--target", "arm", "ls", "disk.img:/");
            Assert.Equal(ExitCodes.Usage, other.ExitCode);
            Assert.Contains("rumpctl: --target arm: no such target; the targets are posix, xen\n", other.Stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [FatKernelFact]
    public void Partition0_SaysPartitionsAreNumberedFromOne_AndListsThem()
    {
        using var disk = FatImage.CreatePartitioned(gpt: false, 16, 20);
        var run = Tool.Run(disk.Folder, "ls", disk.Name + ":0:/");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Equal("rumpctl: " + disk.Name + ": partition 0 does not exist; partitions are numbered from 1 (partitions: 1, 2)\n", run.Stderr);

        using var plain = FatImage.Create(12, 1440);
        var bare = Tool.Run(plain.Folder, "ls", plain.Name + ":p0");
        Assert.Equal("rumpctl: " + plain.Name + ": partition 0 does not exist; partitions are numbered from 1 (the disk has no partition table)\n", bare.Stderr);
    }

    [FatKernelFact]
    public void TruncatedImage_WarnsAtMountNamingBothSizes_AndWritesStayInside()
    {
        using var image = FatImage.Create(16, 16 * 1024, name: "whole.img");
        image.Put("/front.txt", "in front");
        var fullSize = new FileInfo(image.Path).Length;
        using (var f = new FileStream(image.Path, System.IO.FileMode.Open))
            f.SetLength(4 << 20);
        File.WriteAllBytes(Path.Combine(image.Folder, "new.bin"), Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray());

        var ls = Tool.Run(image.Folder, "ls", image.Name + ":/");
        Assert.Equal(0, ls.ExitCode);
        Assert.Equal(["front.txt"], ls.Lines);
        Assert.Contains("rumpctl: warning: whole.img: kernel: msdosfs: ", ls.Stderr);
        Assert.Contains("truncated: the file system is " + fullSize + " bytes, the device " + (4 << 20), ls.Stderr);

        var cp = Tool.Run(image.Folder, "cp", "new.bin", image.Name + ":/new.bin");
        Assert.True(cp.ExitCode == 0, cp.ToString());
        Assert.Contains("truncated", cp.Stderr);
        Assert.Equal(4 << 20, new FileInfo(image.Path).Length);   // nothing written past the end
        using (var f = new FileStream(image.Path, System.IO.FileMode.Open))
            f.SetLength(fullSize);
        AssertClean(image);
        Assert.Equal(File.ReadAllBytes(Path.Combine(image.Folder, "new.bin")), image.Read("/new.bin"));
    }

    [FatKernelFact]
    public void Mv_CaseOnly_ChangesTheStoredName()
    {
        using var image = FatImage.Create(12, 1440);
        image.Put("/readme.txt", "read me");
        image.Put("/Long Name.txt", "long");
        image.Mkdir("/Notes", "/Notes/inner");
        var run = Tool.Run(image.Folder, "mv", image.Name + ":/readme.txt", image.Name + ":/README.TXT");
        Assert.True(run.ExitCode == 0, run.ToString());
        var lfn = Tool.Run(image.Folder, "mv", image.Name + ":/Long Name.txt", image.Name + ":/long name.TXT");
        Assert.True(lfn.ExitCode == 0, lfn.ToString());
        // A directory: the existing "notes" is the source itself, not a directory to move it into.
        var directory = Tool.Run(image.Folder, "mv", image.Name + ":/Notes", image.Name + ":/notes");
        Assert.True(directory.ExitCode == 0, directory.ToString());
        AssertClean(image);
        Assert.Equal(["README.TXT", "long name.TXT", "notes"], image.ListNames("/"));
        Assert.Equal(["inner"], image.ListNames("/notes"));
        Assert.Equal("read me"u8.ToArray(), image.Read("/README.TXT"));
        Assert.Equal("long"u8.ToArray(), image.Read("/long name.TXT"));
    }

    [FatKernelFact]
    public void CpRecursive_NamesFatRejects_ReportsEachGoesOnExitsOne()
    {
        using var image = FatImage.Create(12, 1440);
        var tree = Path.Combine(image.Folder, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "sub"));
        File.WriteAllText(Path.Combine(tree, "a.txt"), "a");
        File.WriteAllText(Path.Combine(tree, "b:c.txt"), "colon");
        File.WriteAllText(Path.Combine(tree, "d*e.txt"), "star");
        File.WriteAllText(Path.Combine(tree, "sub", "f.txt"), "f");
        File.WriteAllText(Path.Combine(tree, "z.txt"), "z");

        var run = Tool.Run(image.Folder, "cp", "-r", "tree", image.Name + ":/");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Equal(
            "rumpctl: " + image.Name + ":/tree/b:c.txt: Invalid argument\n" +
            "rumpctl: " + image.Name + ":/tree/d*e.txt: Invalid argument\n",
            run.Stderr);
        AssertClean(image);
        Assert.Equal(["/tree/", "/tree/a.txt", "/tree/sub/", "/tree/sub/f.txt", "/tree/z.txt"], image.ListRecursive());
        Assert.Equal("z"u8.ToArray(), image.Read("/tree/z.txt"));
    }

    [FatKernelFact]
    public void CpHostFile_OntoANameDifferingInCase_OverwritesAndStoresTheNameAsWritten()
    {
        using var image = FatImage.Create(12, 1440);
        image.Put("/README.TXT", "old contents, longer");
        File.WriteAllText(Path.Combine(image.Folder, "readme.txt"), "new");
        var run = Tool.Run(image.Folder, "cp", "readme.txt", image.Name + ":/");
        Assert.True(run.ExitCode == 0, run.ToString());
        AssertClean(image);
        // As mcopy -o does: one file, the new contents, the spelling of the name copied.
        Assert.Equal(["readme.txt"], image.ListNames("/"));
        Assert.Equal("new"u8.ToArray(), image.Read("/readme.txt"));

        // The same spelling again: nothing to rename, still one file.
        var again = Tool.Run(image.Folder, "cp", "readme.txt", image.Name + ":/readme.txt");
        Assert.True(again.ExitCode == 0, again.ToString());
        AssertClean(image);
        Assert.Equal(["readme.txt"], image.ListNames("/"));
    }

    [FatKernelFact]
    public void Vintage_RefMovedSinceTheBuild_WarnsNamingBothCommitsAndTheRebuildCommand()
    {
        // A checkout whose branch "moving" had commit 1 when its vintage kernel was built, and commit 2 now. The kernel
        // is the build's real one; its link map records commit 1, as a build of the branch at that time would.
        var checkout = Directory.CreateTempSubdirectory("rumpctl-vintage-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(checkout, "Rump.Build.sln"), "");
            Git(checkout, "init", "-q", "-b", "moving");
            Git(checkout, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "one");
            var built = Git(checkout, "rev-parse", "HEAD").Trim();
            Git(checkout, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "two");
            var now = Git(checkout, "rev-parse", "HEAD").Trim();

            var kernel = Rump.Testing.TestKernel.KernelPath();
            var folder = Path.Combine(checkout, "artifacts", "kernels", "posix", "moving");
            Directory.CreateDirectory(folder);
            File.Copy(kernel, Path.Combine(folder, Path.GetFileName(kernel)));
            var map = JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(kernel, ".linkmap.json")))!;
            map["vintage"] = new JsonObject { ["ref"] = "moving", ["commit"] = built, ["commitDate"] = "", ["dirty"] = false };
            File.WriteAllText(Path.Combine(folder, Path.GetFileName(Path.ChangeExtension(kernel, ".linkmap.json"))), map.ToJsonString());

            using var image = FatImage.Create(12, 1440);
            image.Put("/a.txt", "a");
            File.Copy(image.Path, Path.Combine(checkout, "disk.img"));
            var run = Tool.Run(checkout, "--vintage", "moving", "ls", "disk.img:/");
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal(["a.txt"], run.Lines);
            Assert.Equal(
                "rumpctl: warning: vintage 'moving' is now commit " + now[..12] + ", but its built kernel is of commit " + built[..12]
                + "; rebuild it with `dotnet build kernels/Rump.Kernel -p:RumpVintage=moving`\n",
                run.Stderr);

            var info = Tool.Run(checkout, "kernel", "info", "--vintage", "moving");
            Assert.True(info.ExitCode == 0, info.ToString());
            Assert.Equal(run.Stderr, info.Stderr);

            // Rebuilt (the link map records the ref's commit again): no warning.
            map["vintage"]!["commit"] = now;
            File.WriteAllText(Path.Combine(folder, Path.GetFileName(Path.ChangeExtension(kernel, ".linkmap.json"))), map.ToJsonString());
            var current = Tool.Run(checkout, "--vintage", "moving", "ls", "disk.img:/");
            Assert.True(current.ExitCode == 0, current.ToString());
            Assert.Equal("", current.Stderr);
        }
        finally
        {
            Directory.Delete(checkout, recursive: true);
        }
    }

    private static string Git(string folder, params string[] args) => RealTools.RunIn(folder, "git", args);
}
