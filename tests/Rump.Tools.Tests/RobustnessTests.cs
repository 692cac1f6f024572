using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;

namespace Rump.Tools.Tests;

/// <summary>What a new user tried to break: paths leaving the image, full standard output, symlinked
/// images, unknown options, copying a directory into itself, two writers on one image.</summary>
public sealed class RobustnessTests
{
    [FatKernelFact]
    public void RmRecursive_DotDotPaths_StayInsideTheImage_AndNeverEmptyIt()
    {
        using var image = FatImage.Create(16, 16 * 1024);
        image.Mkdir("/x");
        image.Put("/keep.txt", "kept\n");
        foreach (var path in new[] { ":/x/..", ":/..", ":/../.." })
        {
            var run = Tool.Run(image.Folder, "rm", "-r", image.Name + path);
            Assert.Equal(1, run.ExitCode);
            // A last ".." is refused as GNU rm refuses it, before it could name the root (or any directory).
            Assert.Contains("refusing to remove '.' or '..' directory", run.Stderr);
        }
        var root = Tool.Run(image.Folder, "rm", "-r", image.Name + ":/");
        Assert.Equal(1, root.ExitCode);
        Assert.Contains("refusing to remove the root directory", root.Stderr);
        Assert.Equal("kept\n"u8.ToArray(), image.Read("/keep.txt"));
        Assert.Equal(0, image.Fsck().Item1);
    }

    [FatKernelFact]
    public void Ls_DotDotAboveTheRoot_ListsTheImageRoot_NotTheKernelsTree()
    {
        using var image = FatImage.Create(12, 2 * 1024);
        image.Put("/only.txt", "x");
        var run = Tool.Run(image.Folder, "ls", image.Name + ":/../..");
        Assert.True(run.ExitCode == 0, run.ToString());
        var names = Encoding.UTF8.GetString(run.StdoutBytes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(new[] { "only.txt" }, names);
    }

    [FatKernelFact]
    public void Cat_StandardOutputFull_IsAToolError_NotACrash()
    {
        using var image = FatImage.Create(12, 2 * 1024);
        image.Put("/a.txt", new string('a', 100_000));
        var run = Tool.RunProcessWithStdout(image.Folder, "/dev/full", "cat", image.Name + ":/a.txt");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("rumpctl: standard output: No space left on device", run.Stderr);
        Assert.DoesNotContain("Unhandled exception", run.Stderr);
    }

    [FatKernelFact]
    public void Ls_ThroughASymbolicLink_ListsTheImageItPointsTo()
    {
        using var image = FatImage.Create(12, 2 * 1024);
        image.Put("/linked.txt", "x");
        File.CreateSymbolicLink(Path.Combine(image.Folder, "link.img"), image.Name);
        var run = Tool.Run(image.Folder, "ls", "link.img:/");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("linked.txt", Encoding.UTF8.GetString(run.StdoutBytes));
    }

    [Fact]
    public void UnknownOption_IsAUsageError_AndNothingRuns()
    {
        var run = Tool.Run(Path.GetTempPath(), "ls", "--frob", "missing.img:/");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("unknown option '--frob'", run.Stderr);
        Assert.Empty(run.StdoutBytes);
    }

    [FatKernelFact]
    public void Cp_FileOntoItself_IsRefused_AndTheFileKeepsItsBytes()
    {
        using var image = FatImage.Create(16, 16 * 1024);
        image.Put("/r.txt", "keep me");
        // The same name, the same directory as target, and another case of the name (one file on FAT).
        foreach (var target in new[] { ":/r.txt", ":/", ":/R.TXT" })
        {
            var run = Tool.Run(image.Folder, "cp", image.Name + ":/r.txt", image.Name + target);
            Assert.Equal(1, run.ExitCode);
            Assert.Contains("are the same file", run.Stderr);
            Assert.Equal("keep me", Encoding.UTF8.GetString(image.Read("/r.txt")));
        }
        Assert.Equal(0, image.Fsck().Item1);
    }

    [FatKernelFact]
    public void CpRecursive_DirectoryIntoItself_IsRefusedBeforeCopying()
    {
        using var image = FatImage.Create(16, 16 * 1024);
        image.Mkdir("/d");
        image.Put("/d/f.txt", "f");
        var run = Tool.Run(image.Folder, "cp", "-r", image.Name + ":/d", image.Name + ":/d/");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("into itself", run.Stderr);
        var listing = Tool.Run(image.Folder, "tree", image.Name + ":/");
        Assert.DoesNotContain("d/d", Encoding.UTF8.GetString(listing.StdoutBytes).Replace("── ", "/"));
        Assert.Equal(0, image.Fsck().Item1);
    }

    [FatKernelFact]
    public void TwoWriters_OnOneImage_OneIsRefused_AndTheImageStaysClean()
    {
        // Room for both files: when the in-process writer wins the race and finishes before the
        // process starts, the process then writes too, and must not meet ENOSPC.
        using var image = FatImage.Create(32, 80 * 1024);
        var a = new byte[24 << 20];
        var b = new byte[24 << 20];
        new Random(3).NextBytes(a);
        new Random(4).NextBytes(b);
        File.WriteAllBytes(Path.Combine(image.Folder, "a.bin"), a);
        File.WriteAllBytes(Path.Combine(image.Folder, "b.bin"), b);
        // One writer as a process, one in-process, started together: whichever opens the image second
        // must be refused (flock), never interleave its clusters with the other's.
        var first = Tool.StartProcess(image.Folder, "cp", "a.bin", image.Name + ":/a.bin");
        ToolRun? refused = null;
        var bWritten = false;
        while (!first.HasExited)
        {
            var attempt = Tool.Run(image.Folder, "cp", "b.bin", image.Name + ":/b.bin");
            if (attempt.ExitCode != 0)
                refused = attempt;
            else
                bWritten = true;
            if (refused is not null)
                break;
        }
        Assert.True(first.WaitForExit(120_000));
        var firstStderr = first.StandardError.ReadToEnd();
        if (first.ExitCode != 0)
            Assert.Contains("image in use", firstStderr);
        if (refused is not null)
            Assert.Contains("image in use", refused.Stderr);
        Assert.True(first.ExitCode != 0 || refused is not null || bWritten, "no writer ran");
        Assert.Equal(0, image.Fsck().Item1);
        if (first.ExitCode == 0)
            Assert.Equal(a, image.Read("/a.bin"));
        if (bWritten)
            Assert.Equal(b, image.Read("/b.bin"));
    }
}
