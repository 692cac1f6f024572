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

    /// <summary>
    /// FAT16 with AAA.TXT, SUB (a directory) and ZZZ.TXT, then SUB's cluster chain made a loop: the FAT entry of its
    /// first cluster points to itself in both FAT copies. The kernel answers EIO for SUB (stat sizes the chain).
    /// </summary>
    private static FatImage LoopedSubdirectory()
    {
        var image = FatImage.Create(16, 16 * 1024, name: "loop.img");
        image.Put("/AAA.TXT", "a\n");
        image.Mkdir("/SUB");
        image.Put("/SUB/IN.TXT", "in\n");
        image.Put("/ZZZ.TXT", "z\n");
        var bytes = File.ReadAllBytes(image.Path);
        int bytesPerSector = BitConverter.ToUInt16(bytes, 11), reserved = BitConverter.ToUInt16(bytes, 14);
        int fats = bytes[16], rootEntries = BitConverter.ToUInt16(bytes, 17), fatSectors = BitConverter.ToUInt16(bytes, 22);
        var root = (reserved + fats * fatSectors) * bytesPerSector;
        var cluster = -1;
        for (var entry = root; entry < root + rootEntries * 32; entry += 32)
        {
            if (Encoding.ASCII.GetString(bytes, entry, 11) == "SUB        ")
                cluster = BitConverter.ToUInt16(bytes, entry + 26);
        }
        Assert.True(cluster >= 2, "SUB not found in the root directory");
        for (var fat = 0; fat < fats; fat++)
            BitConverter.TryWriteBytes(bytes.AsSpan((reserved + fat * fatSectors) * bytesPerSector + cluster * 2, 2), (ushort)cluster);
        File.WriteAllBytes(image.Path, bytes);
        return image;
    }

    [FatKernelFact]
    public void LsLong_OneEntryCannotBeStated_ReportsItListsTheOthersExitsOne()
    {
        using var image = LoopedSubdirectory();
        var run = Tool.Run(image.Folder, "ls", "-l", image.Name + ":/");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("rumpctl: " + image.Name + ":/SUB: Input/output error\n", run.Stderr);
        Assert.Equal(3, run.Lines.Length);
        Assert.EndsWith(" AAA.TXT", run.Lines[0]);
        Assert.Matches(@"^d\?{9} \? \? \? \? +\? SUB$", run.Lines[1]);
        Assert.EndsWith(" ZZZ.TXT", run.Lines[2]);
        Assert.Equal(["AAA.TXT", "SUB", "ZZZ.TXT"], Tool.Run(image.Folder, "ls", image.Name + ":/").Lines);
    }

    [FatKernelFact]
    public void Tree_UnreadableDirectory_ReportedAndTheWalkGoesOn()
    {
        using var image = LoopedSubdirectory();
        var run = Tool.Run(image.Folder, "tree", image.Name);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("rumpctl: " + image.Name + ":/SUB: Input/output error", run.Stderr);
        Assert.Equal([image.Name + ":/", "├── AAA.TXT", "├── SUB", "└── ZZZ.TXT", "1 directory, 2 files"], run.Lines);
    }

    [FatKernelFact]
    public void StatAndDf_SeveralOperandsOneFailing_ReportEachAndGoOn()
    {
        using var image = LoopedSubdirectory();
        var stat = Tool.Run(image.Folder, "stat", image.Name + ":/AAA.TXT", image.Name + ":/SUB", image.Name + ":/ZZZ.TXT");
        Assert.Equal(1, stat.ExitCode);
        Assert.Equal("rumpctl: " + image.Name + ":/SUB: Input/output error\n", stat.Stderr);
        Assert.Equal(["  File: " + image.Name + ":/AAA.TXT", "  File: " + image.Name + ":/ZZZ.TXT"], stat.Lines.Where(l => l.StartsWith("  File:")));
        File.WriteAllText(Path.Combine(image.Folder, "not-fat.img"), new string('x', 4096));
        var df = Tool.Run(image.Folder, "df", "not-fat.img", image.Name);
        Assert.Equal(1, df.ExitCode);
        Assert.StartsWith("rumpctl: not-fat.img: ", df.Stderr);
        Assert.Equal(2, df.Lines.Length);
        Assert.StartsWith(image.Name + " ", df.Lines[1]);
    }

    [FatKernelFact]
    public void Ls_LongNameOverNameMaxUtf8Bytes_ShownByItsShortNameWhichCatReads()
    {
        // 250 UTF-16 units is a legal FAT long name; mcopy stores what its own conversion keeps of it, a name of
        // 88 UTF-16 units that takes 261 UTF-8 bytes: more than NAME_MAX, so no path can name it.
        using var image = FatImage.Create(16, 16 * 1024, name: "u.img");
        File.WriteAllText(Path.Combine(image.Folder, "hello.txt"), "hello\n");
        RealTools.RunIn(image.Folder, "mcopy", "-i", image.MtoolsImage, "hello.txt", "::/" + string.Concat(Enumerable.Repeat("日", 250)));
        RealTools.RunIn(image.Folder, "mcopy", "-i", image.MtoolsImage, "hello.txt", "::/" + string.Concat(Enumerable.Repeat("日", 85)));
        var onDisk = image.ListNames("/");
        Assert.Contains(onDisk, n => Encoding.UTF8.GetByteCount(n) > 255);
        var ls = Tool.Run(image.Folder, "ls", image.Name + ":/");
        Assert.True(ls.ExitCode == 0, ls.ToString());
        Assert.Equal(2, ls.Lines.Length);
        Assert.Contains(string.Concat(Enumerable.Repeat("日", 85)), ls.Lines);   // 255 bytes: still the long name
        var alias = ls.Lines.Single(l => l != string.Concat(Enumerable.Repeat("日", 85)));
        Assert.Matches(@"^[^.]{1,8}~\d+$", alias);
        var cat = Tool.Run(image.Folder, "cat", image.Name + ":/" + alias);
        Assert.True(cat.ExitCode == 0, cat.ToString());
        Assert.Equal("hello\n", cat.Stdout);
        // Creating such a name stays ENAMETOOLONG (NAME_MAX counts UTF-8 bytes).
        var cp = Tool.Run(image.Folder, "cp", "hello.txt", image.Name + ":/" + string.Concat(Enumerable.Repeat("日", 86)));
        Assert.Equal(1, cp.ExitCode);
        Assert.Contains("File name too long", cp.Stderr);
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
