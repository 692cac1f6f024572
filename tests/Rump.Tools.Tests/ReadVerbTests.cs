using System;
using System.IO;
using System.Linq;
using System.Text;

namespace Rump.Tools.Tests;

/// <summary>ls, cat, tree, stat, df on images made by mkfs.fat and mtools, checked against what mtools reports.</summary>
public sealed class ReadVerbTests
{
    private static FatImage Populated(int fatBits)
    {
        var size = fatBits switch { 12 => 1440, 16 => 16 * 1024, _ => 40 * 1024 };
        var image = FatImage.Create(fatBits, size);
        image.Mkdir("/DOCS", "/DOCS/sub", "/photos", "/empty");
        image.Put("/DOCS/Readme.txt", "read me\n");
        image.Put("/DOCS/A long file name with spaces.txt", "long\n");
        image.Put("/DOCS/Ünïcödé café.txt", "unicode\n");
        image.Put("/DOCS/lower.txt", "lower\n");
        image.Put("/DOCS/sub/deep.bin", Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7)).ToArray());
        image.Put("/photos/日本.jpg", new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 });
        image.Put("/zero.txt", Array.Empty<byte>());
        return image;
    }

    [FatKernelTheory]
    [InlineData(12)]
    [InlineData(16)]
    [InlineData(32)]
    public void Ls_Directory_ListsTheNamesMtoolsLists(int fatBits)
    {
        using var image = Populated(fatBits);
        foreach (var dir in new[] { "/", "/DOCS", "/DOCS/sub", "/photos", "/empty" })
        {
            var run = Tool.Run(image.Folder, "ls", image.Name + ":" + dir);
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal(image.ListNames(dir), run.Lines.ToList());
        }
    }

    [FatKernelFact]
    public void LsLong_SizesAndTypes_MatchTheFiles()
    {
        using var image = Populated(16);
        var run = Tool.Run(image.Folder, "ls", "-l", image.Name + ":/DOCS");
        Assert.True(run.ExitCode == 0, run.ToString());
        var line = run.Lines.Single(l => l.EndsWith(" Readme.txt", StringComparison.Ordinal));
        Assert.StartsWith("-", line);
        Assert.Contains(" 8 ", line);
        Assert.StartsWith("d", run.Lines.Single(l => l.EndsWith(" sub", StringComparison.Ordinal)));
    }

    [FatKernelFact]
    public void LsAll_ShowsDotEntries()
    {
        using var image = Populated(12);
        var run = Tool.Run(image.Folder, "ls", "-a", image.Name + ":/DOCS");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(".", run.Lines[0]);
        Assert.Equal("..", run.Lines[1]);
    }

    [FatKernelFact]
    public void Ls_File_PrintsItsName()
    {
        using var image = Populated(12);
        var run = Tool.Run(image.Folder, "ls", image.Name + ":/DOCS/Readme.txt");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["Readme.txt"], run.Lines);
    }

    [FatKernelFact]
    public void Ls_MissingPath_ExitsOneWithErrnoMessage()
    {
        using var image = Populated(12);
        var run = Tool.Run(image.Folder, "ls", image.Name + ":/x/y");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Equal("rumpctl: " + image.Name + ":/x/y: No such file or directory\n", run.Stderr);
    }

    [FatKernelFact]
    public void Ls_MissingImage_ExitsOne()
    {
        using var image = Populated(12);
        var run = Tool.Run(image.Folder, "ls", "nope.img:/");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Equal("rumpctl: nope.img: No such file or directory\n", run.Stderr);
    }

    [FatKernelFact]
    public void Ls_NotAFileSystem_ExitsOneNamingTheImage()
    {
        using var image = Populated(12);
        File.WriteAllBytes(Path.Combine(image.Folder, "random.img"), Enumerable.Range(0, 512 * 64).Select(i => (byte)(i * 31 + 7)).ToArray());
        var run = Tool.Run(image.Folder, "ls", "random.img:/");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.StartsWith("rumpctl: random.img", run.Stderr);
    }

    [FatKernelFact]
    public void Cat_File_WritesTheBytesMtoolsReads()
    {
        using var image = Populated(16);
        foreach (var path in new[] { "/DOCS/Readme.txt", "/DOCS/sub/deep.bin", "/DOCS/Ünïcödé café.txt", "/photos/日本.jpg", "/zero.txt" })
        {
            var run = Tool.Run(image.Folder, "cat", image.Name + ":" + path);
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal(image.Read(path), run.StdoutBytes);
        }
    }

    [FatKernelFact]
    public void Cat_Directory_ExitsOneIsADirectory()
    {
        using var image = Populated(12);
        var run = Tool.Run(image.Folder, "cat", image.Name + ":/DOCS");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Equal("rumpctl: " + image.Name + ":/DOCS: Is a directory\n", run.Stderr);
    }

    [FatKernelFact]
    public void Cat_SeveralFilesOneMissing_PrintsTheOthersAndExitsOne()
    {
        using var image = Populated(12);
        var run = Tool.Run(image.Folder, "cat", image.Name + ":/DOCS/Readme.txt", image.Name + ":/nope", image.Name + ":/DOCS/lower.txt");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Equal("read me\nlower\n", run.Stdout);
        Assert.Contains(image.Name + ":/nope: No such file or directory", run.Stderr);
    }

    [FatKernelFact]
    public void Tree_CountsEveryDirectoryAndFile()
    {
        using var image = Populated(32);
        var run = Tool.Run(image.Folder, "tree", image.Name);
        Assert.True(run.ExitCode == 0, run.ToString());
        var all = image.ListRecursive();
        var directories = all.Count(l => l.EndsWith('/'));
        var files = all.Count - directories;
        Assert.Equal(directories + " directories, " + files + " files", run.Lines[^1]);
        Assert.Contains(run.Lines, l => l.EndsWith("└── deep.bin", StringComparison.Ordinal) || l.EndsWith("├── deep.bin", StringComparison.Ordinal));
    }

    [FatKernelFact]
    public void Stat_File_ReportsSizeAndType()
    {
        using var image = Populated(16);
        var run = Tool.Run(image.Folder, "stat", image.Name + ":/DOCS/sub/deep.bin");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("  File: " + image.Name + ":/DOCS/sub/deep.bin", run.Lines[0]);
        Assert.StartsWith("  Size: 70000 ", run.Lines[1]);
        Assert.EndsWith("regular file", run.Lines[1]);
    }

    [FatKernelFact]
    public void Df_ReportsTheFileSystemAndItsSize()
    {
        using var image = Populated(16);
        var run = Tool.Run(image.Folder, "df", image.Name);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith("Filesystem", run.Lines[0]);
        var cells = run.Lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(image.Name, cells[0]);
        Assert.Equal("msdos", cells[1]);
        var totalKiB = long.Parse(cells[2]);
        Assert.InRange(totalKiB, 15 * 1024, 16 * 1024);   // data area of a 16 MiB FAT16
    }

    [FatKernelFact]
    public void Demo_NoArguments_PrintsBannerLinkSummaryAndTheSampleImage()
    {
        var repo = KernelLocator.FindRepoRoot(AppContext.BaseDirectory)!;
        var run = Tool.Run(repo);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Kernel     ", run.Stdout);
        Assert.Contains("target posix", run.Stdout);
        Assert.Contains("Components ", run.Stdout);
        Assert.Contains("samples/sample.img:/", run.Stdout);
        Assert.Contains("Readme.txt", run.Stdout);
        Assert.Contains("Ünïcödé — naïve café.txt", run.Stdout);
        Assert.Contains("日本語の写真.txt", run.Stdout);
        // The hints name `rumpctl`; before it is published, the tool says how to run it.
        Assert.Contains("dotnet run --project tools/rumpctl -- ARGS", run.Stdout);
    }

    [FatKernelFact]
    public void Process_CatAndExitCodes_AsAUserRunsIt()
    {
        using var image = Populated(12);
        var ok = Tool.RunProcess(image.Folder, "cat", image.Name + ":/DOCS/Readme.txt");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Equal("read me\n", Encoding.UTF8.GetString(ok.StdoutBytes));
        var missing = Tool.RunProcess(image.Folder, "cat", image.Name + ":/x/y");
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("rumpctl: " + image.Name + ":/x/y: No such file or directory\n", missing.Stderr);
    }
}
