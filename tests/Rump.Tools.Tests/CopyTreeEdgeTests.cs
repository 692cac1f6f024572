using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;

namespace Rump.Tools.Tests;

/// <summary>
/// What a fresh user met copying host trees (issue: cp edge cases): FIFOs, names that are not UTF-8, names that differ
/// only in case, links that loop, and messages that suggested what cannot work. Every write is checked by fsck.fat -n
/// and read back with mtools.
/// </summary>
public sealed class CopyTreeEdgeTests
{
    private static void AssertClean(FatImage image)
    {
        var (code, output) = image.Fsck();
        Assert.True(code == 0, "fsck.fat -n found errors:\n" + output);
    }

    [FatKernelFact]
    public void CpR_TreeWithAFifo_SkipsItWithAMessage_CopiesTheRest_ExitsOne()
    {
        using var image = FatImage.Create(16, 16 * 1024);
        var tree = Path.Combine(image.Folder, "stree");
        Directory.CreateDirectory(tree);
        File.WriteAllText(Path.Combine(tree, "a.txt"), "a");
        RealTools.Run("mkfifo", Path.Combine(tree, "fifo"));
        File.WriteAllText(Path.Combine(tree, "z.txt"), "z");
        // As a process (killed after 2 minutes): before the fix the copy sat in open(2) of the FIFO for ever.
        var run = Tool.RunProcess(image.Folder, "cp", "-r", "stree", image.Name + ":/stree");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Equal("rumpctl: stree/fifo: not a regular file or directory (skipped)\n", run.Stderr);
        AssertClean(image);
        Assert.Equal(["/stree/", "/stree/a.txt", "/stree/z.txt"], image.ListRecursive());
        Assert.Equal("z", Encoding.UTF8.GetString(image.Read("/stree/z.txt")));
    }

    /// <summary>The thread of the rumpctl process whose name (/proc comm, 15 bytes at most) is <paramref name="comm"/>, asleep in a system call.</summary>
    private static bool HasSleepingThread(int pid, string comm)
    {
        try
        {
            foreach (var task in Directory.EnumerateDirectories("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/task"))
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') != comm)
                    continue;
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                if (stat.Substring(stat.LastIndexOf(')') + 2, 1) == "S")
                    return true;
            }
        }
        catch (IOException)
        {
        }
        return false;
    }

    private static void WaitFor(Func<bool> condition, Process process, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (process.HasExited)
                Assert.Fail("rumpctl ended before " + what + ": " + process.StandardError.ReadToEnd());
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "no " + what + " in 60 s");
            Thread.Sleep(20);
        }
    }

    [FatKernelTheory]
    [InlineData("INT", ExitCodes.Interrupted, false)]
    [InlineData("TERM", ExitCodes.Terminated, false)]
    [InlineData("INT", ExitCodes.Interrupted, true)]
    [InlineData("TERM", ExitCodes.Terminated, true)]
    public void Cp_NamedFifo_OneSignalStopsIt_BlockedInOpenOrRead_UnmountsClean(string signal, int expectedExit, bool blockedInRead)
    {
        using var image = FatImage.Create(16, 16 * 1024);
        var fifo = Path.Combine(image.Folder, "ff");
        RealTools.Run("mkfifo", fifo);
        using var process = Tool.StartProcess(image.Folder, "cp", "ff", image.Name + ":/ff");
        FileStream? feed = null;
        try
        {
            if (blockedInRead)
            {
                // Opening for writing returns once rumpctl opened the FIFO; then its reader waits in read(2).
                feed = new FileStream(fifo, System.IO.FileMode.Open, FileAccess.Write);
                feed.Write("hello\n"u8);
                feed.Flush();
                WaitFor(() => HasSleepingThread(process.Id, "rumpctl cp read"), process, "reader thread asleep in read(2)");
            }
            else
            {
                WaitFor(() => HasSleepingThread(process.Id, "rumpctl cp open"), process, "opening thread asleep in open(2)");
            }
            RealTools.Run("kill", "-" + signal, process.Id.ToString(CultureInfo.InvariantCulture));
            var stopped = process.WaitForExit(15_000);
            if (!stopped)
                process.Kill();
            Assert.True(stopped, "one SIG" + signal + " did not stop rumpctl blocked in " + (blockedInRead ? "read" : "open"));
            Assert.Equal(expectedExit, process.ExitCode);
            Assert.Equal("rumpctl: interrupted\n", process.StandardError.ReadToEnd());
        }
        finally
        {
            feed?.Dispose();
        }
        AssertClean(image);
        if (blockedInRead)
            Assert.Equal("hello\n", Encoding.UTF8.GetString(image.Read("/ff")));
        else
            Assert.Empty(image.ListRecursive());
    }

    [FatKernelFact]
    public void Cp_NamedFifo_IsCopiedToItsEnd()
    {
        using var image = FatImage.Create(12, 1440);
        var fifo = Path.Combine(image.Folder, "ff");
        RealTools.Run("mkfifo", fifo);
        var writer = new Thread(() =>
        {
            using var feed = new FileStream(fifo, System.IO.FileMode.Open, FileAccess.Write);
            feed.Write("through the pipe\n"u8);
        });
        writer.Start();
        var run = Tool.Run(image.Folder, "cp", "ff", image.Name + ":/piped.txt");
        writer.Join();
        Assert.True(run.ExitCode == 0, run.ToString());
        AssertClean(image);
        Assert.Equal("through the pipe\n", Encoding.UTF8.GetString(image.Read("/piped.txt")));
    }

    /// <summary>A host file named with the byte 0xE9 (Latin-1 é), which is no UTF-8, made by the shell.</summary>
    private static void MakeLatin1Name(string folder, string directory)
        => RealTools.RunIn(folder, "sh", "-c", "printf x > \"" + directory + "/$(printf '\\351')latin1.txt\"");

    [FatKernelFact]
    public void CpR_NameNotUtf8_IsReportedNotDropped_TheRestIsCopied()
    {
        using var image = FatImage.Create(12, 1440);
        Directory.CreateDirectory(Path.Combine(image.Folder, "b2"));
        File.WriteAllText(Path.Combine(image.Folder, "b2", "ok.txt"), "ok");
        MakeLatin1Name(image.Folder, "b2");

        var run = Tool.Run(image.Folder, "cp", "-r", "b2", image.Name + ":/b2");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Equal("rumpctl: b2/?latin1.txt: file name is not valid UTF-8 (skipped)\n", run.Stderr);
        AssertClean(image);
        Assert.Equal(["/b2/", "/b2/ok.txt"], image.ListRecursive());

        // Named on the command line (the shell passes the raw byte; .NET decodes it to U+FFFD): that, not ENOENT.
        var (code, _, stderr) = RealTools.Exec(image.Folder, "sh", "-c",
            "exec dotnet '" + Path.Combine(AppContext.BaseDirectory, "rumpctl.dll") + "' cp \"b2/$(printf '\\351')latin1.txt\" " + image.Name + ":/");
        Assert.Equal(ExitCodes.Failure, code);
        Assert.StartsWith("rumpctl: b2/?latin1.txt: file name is not valid UTF-8", stderr);
        Assert.DoesNotContain("No such file", stderr);
    }

    [FatKernelFact]
    public void CpR_NamesDifferingOnlyInCase_SecondIsReportedNotWritten_NothingLostSilently()
    {
        using var image = FatImage.Create(16, 16 * 1024);
        var tree = Path.Combine(image.Folder, "ctree");
        Directory.CreateDirectory(Path.Combine(tree, "Dir"));
        Directory.CreateDirectory(Path.Combine(tree, "dir"));
        File.WriteAllText(Path.Combine(tree, "Dir", "a"), "a");
        File.WriteAllText(Path.Combine(tree, "dir", "b"), "b");
        File.WriteAllText(Path.Combine(tree, "readme.txt"), "one\n");
        File.WriteAllText(Path.Combine(tree, "README.TXT"), "TWO\n");

        // Ordinal order: Dir, README.TXT, dir, readme.txt: the first spelling of each name is written.
        var run = Tool.Run(image.Folder, "cp", "-r", "ctree", image.Name + ":/ctree");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Equal(
            "rumpctl: ctree/dir: name collides with ctree/Dir on this file system (skipped)\n"
            + "rumpctl: ctree/readme.txt: name collides with ctree/README.TXT on this file system (skipped)\n", run.Stderr);
        AssertClean(image);
        Assert.Equal(["/ctree/", "/ctree/Dir/", "/ctree/Dir/a", "/ctree/README.TXT"], image.ListRecursive());
        Assert.Equal("TWO\n", Encoding.UTF8.GetString(image.Read("/ctree/README.TXT")));
    }

    [FatKernelFact]
    public void CpR_FileThatWasOnTheImageBefore_IsStillOverwritten_InAnotherCase()
    {
        using var image = FatImage.Create(12, 1440);
        image.Mkdir("/ctree");
        image.Put("/ctree/README.TXT", "old");
        Directory.CreateDirectory(Path.Combine(image.Folder, "ctree"));
        File.WriteAllText(Path.Combine(image.Folder, "ctree", "readme.txt"), "new");

        var run = Tool.Run(image.Folder, "cp", "-r", "ctree", image.Name + ":/");
        Assert.True(run.ExitCode == 0, run.ToString());
        AssertClean(image);
        Assert.Equal(["/ctree/", "/ctree/readme.txt"], image.ListRecursive());
        Assert.Equal("new", Encoding.UTF8.GetString(image.Read("/ctree/readme.txt")));
    }

    [FatKernelFact]
    public void CpR_LinkBackToAnAncestor_IsADirectoryCycle_ReportedOnce_OtherLinksFollowed()
    {
        using var image = FatImage.Create(16, 16 * 1024);
        var d = Path.Combine(image.Folder, "d");
        Directory.CreateDirectory(Path.Combine(d, "sub"));
        Directory.CreateDirectory(Path.Combine(image.Folder, "other"));
        File.WriteAllText(Path.Combine(d, "f"), "f");
        File.WriteAllText(Path.Combine(image.Folder, "other", "o"), "o");
        Directory.CreateSymbolicLink(Path.Combine(d, "sub", "loop"), "..");
        Directory.CreateSymbolicLink(Path.Combine(d, "linked"), "../other");

        var run = Tool.Run(image.Folder, "cp", "-r", "d", image.Name + ":/d");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Equal("rumpctl: d/sub/loop: directory cycle: it leads back to d (skipped)\n", run.Stderr);
        AssertClean(image);
        // A link to a directory elsewhere is followed, as mcopy does (FAT stores no links).
        Assert.Equal(["/d/", "/d/f", "/d/linked/", "/d/linked/o", "/d/sub/"], image.ListRecursive());
    }

    [FatKernelFact]
    public void CpR_ImageRootIntoADirectory_CopiesItsEntries()
    {
        using var image = FatImage.Create(16, 16 * 1024);
        image.Mkdir("/DIR");
        image.Put("/DIR/in.txt", "in");
        image.Put("/top.txt", "top");
        Directory.CreateDirectory(Path.Combine(image.Folder, "out"));

        var run = Tool.Run(image.Folder, "cp", "-r", image.Name + ":/", "out/");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("top", File.ReadAllText(Path.Combine(image.Folder, "out", "top.txt")));
        Assert.Equal("in", File.ReadAllText(Path.Combine(image.Folder, "out", "DIR", "in.txt")));

        var withoutR = Tool.Run(image.Folder, "cp", image.Name + ":/", "out/");
        Assert.Equal(ExitCodes.Failure, withoutR.ExitCode);
        Assert.Equal("rumpctl: " + image.Name + ":/: is a directory (use -r to copy it)\n", withoutR.Stderr);
    }

    [FatKernelFact]
    public void Cp_EmptyPath_IsAUsageError_NamingIt()
    {
        using var image = FatImage.Create(12, 1440);
        var run = Tool.Run(image.Folder, "cp", "", image.Name + ":/");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal("rumpctl: cp: operand 1 is an empty path (''); name a host path or IMAGE:/path\n", run.Stderr);
        AssertClean(image);
        Assert.Empty(image.ListRecursive());
    }

    [FatKernelFact]
    public void Ls_GarbagePartition_IsAUsageError_PartitionZeroStillSaysNumberedFromOne()
    {
        using var image = FatImage.CreatePartitioned(gpt: false, 16);
        foreach (var part in new[] { "-1", "x", "p" })
        {
            var run = Tool.Run(image.Folder, "ls", image.Name + ":" + part + ":/");
            Assert.Equal(ExitCodes.Usage, run.ExitCode);
            Assert.Equal("rumpctl: " + image.Name + ":" + part + ":/: '" + part
                         + "' is not a partition number; write IMAGE:N:/path or IMAGE:pN:/path (partitions are numbered from 1)\n", run.Stderr);
        }
        var zero = Tool.Run(image.Folder, "ls", image.Name + ":0:/");
        Assert.Equal(ExitCodes.Failure, zero.ExitCode);
        Assert.Contains("partition 0 does not exist; partitions are numbered from 1", zero.Stderr);
    }

    [FatKernelFact]
    public void Cp_IntoMissingDirectoryWithSlash_IsENOENT_IntoAFileWithSlash_IsENOTDIR()
    {
        using var image = FatImage.Create(12, 1440);
        image.Put("/file", "f");
        File.WriteAllText(Path.Combine(image.Folder, "hello.txt"), "hello");
        var missing = Tool.Run(image.Folder, "cp", "hello.txt", image.Name + ":/nodir/");
        Assert.Equal(ExitCodes.Failure, missing.ExitCode);
        Assert.Equal("rumpctl: " + image.Name + ":/nodir: No such file or directory\n", missing.Stderr);
        var file = Tool.Run(image.Folder, "cp", "hello.txt", image.Name + ":/file/");
        Assert.Equal("rumpctl: " + image.Name + ":/file: Not a directory\n", file.Stderr);
        AssertClean(image);
        Assert.Equal(["/file"], image.ListRecursive());
    }

    [FatKernelFact]
    public void Components_NoSuchComponentInTheCheckout_SaysSoAndListsThem()
    {
        using var image = FatImage.Create(12, 1440);
        var run = Tool.Run(image.Folder, "ls", "--components", "msdosfs,ext2fs", image.Name + ":/");
        Assert.Equal(ExitCodes.Kernel, run.ExitCode);
        var components = Path.Combine(Rump.Testing.TestKernel.RepoRoot, "components");
        var existing = Directory.EnumerateDirectories(components).SelectMany(Directory.EnumerateDirectories)
            .Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Contains("there is no component ext2fs in " + components + " (the components are: " + string.Join(", ", existing) + ")", run.Stderr);
        Assert.DoesNotContain("RumpComponents=", run.Stderr);
    }
}
