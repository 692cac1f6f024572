using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;

namespace Rump.Tools.Tests;

/// <summary>
/// Publishes rumpctl as users get it (<c>dotnet publish tools/rumpctl -c Release</c>: a native executable with the posix
/// kernel compiled in, and the managed tool in <c>managed/</c>) once per test run, into a temporary folder.
/// </summary>
public sealed class PublishedRumpctl : IDisposable
{
    public PublishedRumpctl()
    {
        Folder = Path.Combine(Path.GetTempPath(), "rumpctl-native-" + Guid.NewGuid().ToString("N"));
        var project = Path.Combine(Rump.Testing.TestKernel.RepoRoot, "tools", "rumpctl", "rumpctl.csproj");
        // The kernel the test build produced is compiled in (RumpctlBuildKernel=false: the publish must not rebuild
        // artifacts/kernels/ while other tests boot it).
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Rump.Testing.TestKernel.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "publish", project, "-c", "Release", "-o", Folder, "-p:RumpctlBuildKernel=false", "-nodeReuse:false", "-v:m", "-clp:NoSummary" })
            start.ArgumentList.Add(arg);
        // The test host runs under dotnet test: its MSBuild settings must not leak into the child build.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k == "DOTNET_HOST_PATH").ToList())
            start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("dotnet publish tools/rumpctl did not finish in 10 minutes:\n" + stdout);
        }
        PublishLog = "exit " + process.ExitCode + "\n" + stdout + stderr.Result;
        Published = process.ExitCode == 0 && File.Exists(Native);
    }

    public string Folder { get; }

    /// <summary>The native executable.</summary>
    public string Native => Path.Combine(Folder, "rumpctl");

    public bool Published { get; }

    public string PublishLog { get; }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// The published native rumpctl: the same results as the managed tool for every verb family, real-tool checks of its
/// writes, and the hand-off of other kernels to the managed tool published beside it.
/// </summary>
public sealed class NativeRumpctlTests : IClassFixture<PublishedRumpctl>
{
    private readonly PublishedRumpctl _published;

    public NativeRumpctlTests(PublishedRumpctl published)
    {
        _published = published;
        Assert.True(published.Published, "dotnet publish tools/rumpctl failed:\n" + published.PublishLog);
    }

    [FatKernelFact]
    public void Publish_NativeExecutable_NeedsNoManagedAssemblies()
    {
        // One native file: no rumpctl.dll, kernel dll or runtime beside it (the managed tool has its own folder).
        Assert.False(File.Exists(Path.Combine(_published.Folder, "rumpctl.dll")));
        Assert.False(File.Exists(Path.Combine(_published.Folder, "Rump.Kernel.Posix.dll")));
        Assert.True(File.Exists(Path.Combine(_published.Folder, "managed", "rumpctl.dll")));
        Assert.True(File.Exists(Path.Combine(_published.Folder, "kernels", "posix", "Rump.Kernel.Posix.linkmap.json")));
        var head = new byte[4];
        using (var file = File.OpenRead(_published.Native))
            file.ReadExactly(head);
        Assert.Equal(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F' }, head);
    }

    [FatKernelTheory]
    [InlineData(12)]
    [InlineData(32)]
    public void ReadVerbs_PrintWhatTheManagedToolPrints(int fatBits)
    {
        using var image = FatImage.Create(fatBits, fatBits == 32 ? 40 * 1024 : 1440);
        image.Mkdir("/DOCS", "/DOCS/deep", "/DOCS/deep/er");
        image.Put("/DOCS/A long file name with spaces.txt", "spaces\n");
        image.Put("/DOCS/Ünïcödé — naïve café.txt", "unicode\n");
        image.Put("/DOCS/deep/er/leaf.bin", new byte[70_000]);
        image.Put("/readme.txt", "hello from mtools\n");
        string[][] commands =
        [
            ["ls", "-l", image.Name + ":/DOCS"],
            ["ls", "-la", image.Name + ":/"],
            ["tree", image.Name],
            ["cat", image.Name + ":/DOCS/Ünïcödé — naïve café.txt"],
            ["stat", image.Name + ":/DOCS/deep/er/leaf.bin"],
            ["df", image.Name],
        ];
        foreach (var args in commands)
        {
            var managed = Tool.Run(image.Folder, args);
            var native = RunNative(image.Folder, args);
            Assert.True(native.ExitCode == 0, string.Join(' ', args) + ": " + native);
            Assert.Equal(managed.ExitCode, native.ExitCode);
            Assert.Equal(managed.Stdout, native.Stdout);
        }
        Assert.Equal("unicode\n", RunNative(image.Folder, "cat", image.Name + ":/DOCS/Ünïcödé — naïve café.txt").Stdout);
    }

    [FatKernelFact]
    public void Cp_BothWays_FsckCleanAndMtoolsReadsTheSameBytes()
    {
        using var image = FatImage.Create(16, 16 * 1024);
        var content = new byte[5 * 1024 * 1024 + 4321];
        new Random(5).NextBytes(content);
        var tree = Path.Combine(image.Folder, "photos");
        Directory.CreateDirectory(Path.Combine(tree, "2024"));
        File.WriteAllBytes(Path.Combine(tree, "2024", "big picture.jpg"), content);
        File.WriteAllText(Path.Combine(tree, "note.txt"), "note\n");

        var copyIn = RunNative(image.Folder, "cp", "-r", "photos", image.Name + ":/backup");
        Assert.True(copyIn.ExitCode == 0, copyIn.ToString());
        var (fsck, output) = image.Fsck();
        Assert.True(fsck == 0, "fsck.fat -n found errors:\n" + output);
        Assert.Equal(content, image.Read("/backup/2024/big picture.jpg"));
        Assert.Equal("note\n"u8.ToArray(), image.Read("/backup/note.txt"));

        var copyOut = RunNative(image.Folder, "cp", image.Name + ":/backup/2024/big picture.jpg", "back.jpg");
        Assert.True(copyOut.ExitCode == 0, copyOut.ToString());
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(image.Folder, "back.jpg")));

        var remove = RunNative(image.Folder, "rm", "-r", image.Name + ":/backup/2024");
        Assert.True(remove.ExitCode == 0, remove.ToString());
        (fsck, output) = image.Fsck();
        Assert.True(fsck == 0, "fsck.fat -n found errors after rm -r:\n" + output);
        Assert.Equal(["/backup/", "/backup/note.txt"], image.ListRecursive());
    }

    [FatKernelFact]
    public void Errors_ReadAsTheManagedToolsWithTheSameExitCodes()
    {
        using var image = FatImage.Create(12, 1440);
        string[][] commands =
        [
            ["ls", image.Name + ":/no/such/dir"],      // errno: exit 1
            ["ls", "--no-such-option", image.Name],   // usage: exit 2
            ["cat", "missing.img:/x"],                // the image itself is missing
        ];
        foreach (var args in commands)
        {
            var managed = Tool.Run(image.Folder, args);
            var native = RunNative(image.Folder, args);
            Assert.NotEqual(0, native.ExitCode);
            Assert.Equal(managed.ExitCode, native.ExitCode);
            Assert.Equal(managed.Stderr, native.Stderr);
        }
        Assert.Contains("No such file or directory", RunNative(image.Folder, "ls", image.Name + ":/no/such/dir").Stderr);
    }

    [FatKernelFact]
    public void KernelOption_IsHandedToTheManagedTool()
    {
        using var image = FatImage.Create(12, 1440);
        image.Put("/a.txt", "a");
        var kernel = Rump.Testing.TestKernel.KernelPath();
        var run = RunNative(image.Folder, "--kernel", kernel, "ls", image.Name + ":/");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["a.txt"], run.Lines);

        // Only the managed tool loads kernel files: its loader's message proves which process answered.
        var notAKernel = Path.Combine(image.Folder, "not-a-kernel.dll");
        File.WriteAllText(notAKernel, "not an assembly");
        run = RunNative(image.Folder, "--kernel", notAKernel, "ls", image.Name + ":/");
        Assert.Equal(ExitCodes.Kernel, run.ExitCode);
        Assert.Contains("cannot load kernel " + notAKernel, run.Stderr);
    }

    [FatKernelFact]
    public void KernelOption_WithoutTheManagedTool_ExitsThreeAndSaysWhatIsMissing()
    {
        using var image = FatImage.Create(12, 1440);
        var alone = Path.Combine(image.Folder, "alone");
        Directory.CreateDirectory(alone);
        File.Copy(_published.Native, Path.Combine(alone, "rumpctl"));
        File.SetUnixFileMode(Path.Combine(alone, "rumpctl"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var run = RunProcess(Path.Combine(alone, "rumpctl"), image.Folder, "--target", "xen", "ls", image.Name + ":/");
        Assert.Equal(ExitCodes.Kernel, run.ExitCode);
        Assert.Contains("--target xen", run.Stderr);
        Assert.Contains("managed rumpctl", run.Stderr);
        Assert.Contains(Path.Combine(alone, "managed", "rumpctl"), run.Stderr);

        // Its own kernel still works alone.
        image.Put("/b.txt", "b");
        run = RunProcess(Path.Combine(alone, "rumpctl"), image.Folder, "ls", image.Name + ":/");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["b.txt"], run.Lines);
    }

    [FatKernelFact]
    public void TargetXen_OutsideTheCheckout_BootsTheXenKernelThePublishCarried()
    {
        // The test build built the xen kernel (XenTargetTests) before this publish: managed/kernels/xen/ has it.
        Assert.True(File.Exists(Path.Combine(_published.Folder, "managed", "kernels", "xen", "Rump.Kernel.Xen.dll")), "the publish did not carry the xen kernel");
        using var image = FatImage.Create(12, 1440);
        image.Put("/a.txt", "a");
        var run = RunNative(image.Folder, "--target", "xen", "ls", image.Name + ":/");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["a.txt"], run.Lines);
    }

    [FatKernelFact]
    public void TargetXen_OutsideTheCheckout_WithoutTheKernel_TellsWhatHelps()
    {
        using var image = FatImage.Create(12, 1440);
        var copy = Path.Combine(image.Folder, "pubout");
        RealTools.Run("cp", "-a", _published.Folder, copy);
        Directory.Delete(Path.Combine(copy, "managed", "kernels", "xen"), recursive: true);
        var run = RunProcess(Path.Combine(copy, "rumpctl"), image.Folder, "--target", "xen", "ls", image.Name + ":/");
        Assert.Equal(ExitCodes.Kernel, run.ExitCode);
        Assert.Contains("no xen kernel found (looked for " + Path.Combine(copy, "managed", "kernels", "xen", "Rump.Kernel.Xen.dll") + ")", run.Stderr);
        Assert.Contains("this rumpctl runs outside a Rump.Build checkout: pass --kernel CHECKOUT/artifacts/kernels/xen/Rump.Kernel.Xen.dll", run.Stderr);
    }

    [FatKernelFact]
    public void KernelInfo_DescribesTheCompiledInKernel()
    {
        var run = RunNative(_published.Folder, "kernel", "info");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Kernel     Rump.Kernel.Posix, target posix, hypercall interface v1", run.Stdout);
        Assert.Contains(Path.Combine(_published.Folder, "kernels", "posix", "Rump.Kernel.Posix.linkmap.json"), run.Stdout);
        Assert.Contains("msdosfs", run.Stdout);
    }

    [FatKernelTheory]
    [InlineData("TERM", ExitCodes.Terminated)]
    [InlineData("INT", ExitCodes.Interrupted)]
    public void Signal_DuringACopy_StopsIt_UnmountsClean_AndExitsWithTheSignalsCode(string signal, int expectedExit)
    {
        using var image = FatImage.Create(16, 16 * 1024);
        // The source is a FIFO this test feeds: the copy is provably in progress while the signal arrives.
        var fifo = Path.Combine(image.Folder, "feed");
        RealTools.Run("mkfifo", fifo);
        var start = new ProcessStartInfo(_published.Native)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = image.Folder,
        };
        foreach (var arg in new[] { "cp", "feed", image.Name + ":/copied.bin" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var chunk = new byte[64 * 1024];
        new Random(7).NextBytes(chunk);
        var written = 0;
        try
        {
            // Opening for writing returns once rumpctl opened the FIFO to read: it has booted, mounted and is copying.
            using var feed = new FileStream(fifo, System.IO.FileMode.Open, FileAccess.Write);
            feed.Write(chunk);
            feed.Flush();
            written++;
            RealTools.Run("kill", "-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            // Keep the copy's read returning until the cancellation is seen at a buffer boundary and rumpctl exits.
            var deadline = Stopwatch.StartNew();
            while (!process.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                feed.Write(chunk);
                feed.Flush();
                written++;
                process.WaitForExit(20);
            }
        }
        catch (IOException)
        {
            // EPIPE: rumpctl closed the FIFO while stopping.
        }
        Assert.True(process.WaitForExit(60_000), "rumpctl did not stop after SIG" + signal);
        Assert.True(process.ExitCode == expectedExit, "exit " + process.ExitCode + "\n" + stderr.Result + stdout.Result);
        Assert.Contains("interrupted", stderr.Result);
        // Unmounted: FAT, directory and the clean flag were written back; fsck.fat -n also checks the dirty bit.
        var (fsck, output) = image.Fsck();
        Assert.True(fsck == 0, "fsck.fat -n after SIG" + signal + ":\n" + output);
        // What was copied before the stop is in the image, as cp(1) leaves a partial file.
        Assert.True(written >= 1);
        var copied = image.Read("/copied.bin");
        Assert.True(copied.Length % chunk.Length == 0 && copied.Length <= written * chunk.Length, "partial copy of " + copied.Length + " bytes");
        for (var at = 0; at < copied.Length; at += chunk.Length)
            Assert.True(copied.AsSpan(at, chunk.Length).SequenceEqual(chunk), "bytes differ in the chunk at " + at);
    }

    private ToolRun RunNative(string workingDirectory, params string[] args) => RunProcess(_published.Native, workingDirectory, args);

    private static ToolRun RunProcess(string tool, string workingDirectory, params string[] args) => Tool.RunExecutable(tool, args, workingDirectory);
}
