using System;
using System.IO;
using System.Linq;

namespace Rump.Tools.Tests;

/// <summary>cp, mkdir, rm, mv: every write is followed by fsck.fat -n and by mtools reading back the result.</summary>
public sealed class WriteVerbTests
{
    private static void AssertClean(FatImage image)
    {
        var (code, output) = image.Fsck();
        Assert.True(code == 0, "fsck.fat -n found errors:\n" + output);
    }

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [FatKernelTheory]
    [InlineData(12)]
    [InlineData(16)]
    [InlineData(32)]
    public void CpHostToImage_File_FsckCleanAndMtoolsReadsTheSameBytes(int fatBits)
    {
        using var image = FatImage.Create(fatBits, fatBits == 32 ? 40 * 1024 : fatBits == 16 ? 16 * 1024 : 8 * 1024);
        var content = Pattern(3 * 1024 * 1024 + 123, fatBits);
        File.WriteAllBytes(Path.Combine(image.Folder, "payload.bin"), content);
        var run = Tool.Run(image.Folder, "cp", "payload.bin", image.Name + ":/payload.bin");
        Assert.True(run.ExitCode == 0, run.ToString());
        AssertClean(image);
        Assert.Equal(content, image.Read("/payload.bin"));
    }

    [FatKernelFact]
    public void CpHostToImage_IntoExistingDirectory_KeepsTheName()
    {
        using var image = FatImage.Create(16, 16 * 1024);
        image.Mkdir("/backup");
        File.WriteAllText(Path.Combine(image.Folder, "A long name.txt"), "hello\n");
        var run = Tool.Run(image.Folder, "cp", "A long name.txt", image.Name + ":/backup/");
        Assert.True(run.ExitCode == 0, run.ToString());
        AssertClean(image);
        Assert.Equal("hello\n"u8.ToArray(), image.Read("/backup/A long name.txt"));
    }

    [FatKernelFact]
    public void CpRecursive_HostTree_ArrivesWholeAndClean()
    {
        using var image = FatImage.Create(32, 40 * 1024);
        var photos = Path.Combine(image.Folder, "photos");
        Directory.CreateDirectory(Path.Combine(photos, "2024", "summer"));
        File.WriteAllBytes(Path.Combine(photos, "a.jpg"), Pattern(5000, 1));
        File.WriteAllBytes(Path.Combine(photos, "2024", "Ünïcödé.jpg"), Pattern(70_000, 2));
        File.WriteAllBytes(Path.Combine(photos, "2024", "summer", "beach with a long name.jpg"), Pattern(1, 3));
        File.WriteAllBytes(Path.Combine(photos, "2024", "summer", "empty.jpg"), Array.Empty<byte>());
        image.Mkdir("/backup");
        var run = Tool.Run(image.Folder, "cp", "-r", "./photos", image.Name + ":/backup/");
        Assert.True(run.ExitCode == 0, run.ToString());
        AssertClean(image);
        Assert.Equal(
            ["/backup/", "/backup/photos/", "/backup/photos/2024/", "/backup/photos/2024/summer/", "/backup/photos/2024/summer/beach with a long name.jpg",
             "/backup/photos/2024/summer/empty.jpg", "/backup/photos/2024/Ünïcödé.jpg", "/backup/photos/a.jpg"],
            image.ListRecursive());
        Assert.Equal(Pattern(70_000, 2), image.Read("/backup/photos/2024/Ünïcödé.jpg"));
    }

    [FatKernelTheory]
    [InlineData(16)]
    [InlineData(32)]
    public void CpRecursive_ManySmallFiles_FsckCleanAndMtoolsListsAndReadsEvery(int fatBits)
    {
        // Three directories of 150 files with long names (each needs long-name entries and a ~N alias) and one of
        // 8.3 names: the directories grow over several clusters while entries are added.
        using var image = FatImage.Create(fatBits, fatBits == 32 ? 40 * 1024 : 16 * 1024);
        var tree = Path.Combine(image.Folder, "many");
        var expected = new System.Collections.Generic.List<string> { "/many/" };
        var contents = new System.Collections.Generic.Dictionary<string, byte[]>();
        for (var d = 0; d < 4; d++)
        {
            var dirName = d < 3 ? "album number " + d : "PLAIN";
            Directory.CreateDirectory(Path.Combine(tree, dirName));
            expected.Add("/many/" + dirName + "/");
            for (var i = 0; i < 150; i++)
            {
                var name = d < 3 ? "photo number " + i + ".jpg" : "F" + i + ".TXT";
                var content = Pattern(i * 37 % 3000, d * 1000 + i);
                File.WriteAllBytes(Path.Combine(tree, dirName, name), content);
                expected.Add("/many/" + dirName + "/" + name);
                contents["/many/" + dirName + "/" + name] = content;
            }
        }
        expected.Sort(StringComparer.Ordinal);

        var run = Tool.Run(image.Folder, "cp", "-r", "many", image.Name + ":/");
        Assert.True(run.ExitCode == 0, run.ToString());
        AssertClean(image);
        Assert.Equal(expected, image.ListRecursive());
        var back = Path.Combine(image.Folder, "back");
        RealTools.Run("mcopy", "-s", "-n", "-i", image.Path, "::/many", back);
        foreach (var (path, content) in contents)
            Assert.Equal(content, File.ReadAllBytes(back + path.Substring("/many".Length)));
    }

    [FatKernelFact]
    public void RmRecursive_ManySmallFiles_LeavesAnEmptyCleanVolume()
    {
        using var image = FatImage.Create(32, 40 * 1024);
        var tree = Path.Combine(image.Folder, "many");
        for (var d = 0; d < 3; d++)
        {
            Directory.CreateDirectory(Path.Combine(tree, "album number " + d));
            for (var i = 0; i < 120; i++)
                File.WriteAllBytes(Path.Combine(tree, "album number " + d, "photo number " + i + ".jpg"), Pattern(i * 53 % 5000, i));
        }
        RealTools.Run("mcopy", "-s", "-i", image.Path, tree, "::/");
        image.Put("/keep.txt", "kept");

        var run = Tool.Run(image.Folder, "rm", "-r", image.Name + ":/many");
        Assert.True(run.ExitCode == 0, run.ToString());
        AssertClean(image);
        Assert.Equal(["/keep.txt"], image.ListRecursive());
        Assert.Equal("kept"u8.ToArray(), image.Read("/keep.txt"));
        // Every cluster of the tree is free again: fsck.fat counts what it counts on a fresh image with that one file.
        using var reference = FatImage.Create(32, 40 * 1024);
        reference.Put("/keep.txt", "kept");
        Assert.Equal(FsckSummary(reference), FsckSummary(image));
    }

    /// <summary>fsck.fat's last line without the image name: "N files, used/total clusters".</summary>
    private static string FsckSummary(FatImage image)
    {
        var lines = image.Fsck().Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var last = lines[^1];
        return last.Substring(last.IndexOf(": ", StringComparison.Ordinal) + 2);
    }

    [FatKernelFact]
    public void Cp_DirectoryWithoutR_ExitsOne()
    {
        using var image = FatImage.Create(12, 1440);
        Directory.CreateDirectory(Path.Combine(image.Folder, "dir"));
        var run = Tool.Run(image.Folder, "cp", "dir", image.Name + ":/");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Contains("dir: is a directory (use -r to copy it)", run.Stderr);
    }

    [FatKernelFact]
    public void CpImageToHost_FileIntoCurrentDirectory_SameBytes()
    {
        using var image = FatImage.Create(16, 16 * 1024);
        image.Mkdir("/backup");
        var content = Pattern(2_000_000, 9);
        image.Put("/backup/a.jpg", content);
        var run = Tool.Run(image.Folder, "cp", image.Name + ":/backup/a.jpg", "./");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(image.Folder, "a.jpg")));
    }

    [FatKernelFact]
    public void CpImageToHost_Recursive_SameTree()
    {
        using var image = FatImage.Create(12, 1440);
        image.Mkdir("/d", "/d/e");
        image.Put("/d/one.txt", "1");
        image.Put("/d/e/two long name.txt", "22");
        var run = Tool.Run(image.Folder, "cp", "-r", image.Name + ":/d", "out");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("1", File.ReadAllText(Path.Combine(image.Folder, "out", "one.txt")));
        Assert.Equal("22", File.ReadAllText(Path.Combine(image.Folder, "out", "e", "two long name.txt")));
    }

    [FatKernelFact]
    public void CpWithinImage_CopiesThroughTheKernel()
    {
        using var image = FatImage.Create(16, 16 * 1024);
        image.Put("/src.bin", Pattern(100_000, 4));
        var run = Tool.Run(image.Folder, "cp", image.Name + ":/src.bin", image.Name + ":/copy.bin");
        Assert.True(run.ExitCode == 0, run.ToString());
        AssertClean(image);
        Assert.Equal(Pattern(100_000, 4), image.Read("/copy.bin"));
    }

    [FatKernelFact]
    public void Cp_ImageFull_ExitsOneNoSpaceAndStaysClean()
    {
        using var image = FatImage.Create(12, 360);
        File.WriteAllBytes(Path.Combine(image.Folder, "big.bin"), Pattern(1_000_000, 5));
        var run = Tool.Run(image.Folder, "cp", "big.bin", image.Name + ":/big.bin");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Contains(image.Name + ":/big.bin: No space left on device", run.Stderr);
        AssertClean(image);
    }

    [FatKernelFact]
    public void Mkdir_Parents_CreatesEachLevel()
    {
        using var image = FatImage.Create(12, 1440);
        var run = Tool.Run(image.Folder, "mkdir", "-p", image.Name + ":/a/Long Directory Name/c");
        Assert.True(run.ExitCode == 0, run.ToString());
        AssertClean(image);
        Assert.Equal(["/a/", "/a/Long Directory Name/", "/a/Long Directory Name/c/"], image.ListRecursive());
        var again = Tool.Run(image.Folder, "mkdir", "-p", image.Name + ":/a/Long Directory Name/c");
        Assert.Equal(0, again.ExitCode);
    }

    [FatKernelFact]
    public void Mkdir_Existing_ExitsOneFileExists()
    {
        using var image = FatImage.Create(12, 1440);
        image.Mkdir("/a");
        var run = Tool.Run(image.Folder, "mkdir", image.Name + ":/a");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Equal("rumpctl: " + image.Name + ":/a: File exists\n", run.Stderr);
    }

    [FatKernelFact]
    public void Mkdir_MissingParent_ExitsOneNoSuchFile()
    {
        using var image = FatImage.Create(12, 1440);
        var run = Tool.Run(image.Folder, "mkdir", image.Name + ":/x/y");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Equal("rumpctl: " + image.Name + ":/x/y: No such file or directory\n", run.Stderr);
    }

    [FatKernelFact]
    public void Rm_FileAndRecursiveDirectory_GoneAndClean()
    {
        using var image = FatImage.Create(16, 16 * 1024);
        image.Mkdir("/keep", "/tree", "/tree/sub");
        image.Put("/keep/k.txt", "k");
        image.Put("/tree/a.txt", "a");
        image.Put("/tree/sub/b with long name.txt", Pattern(40_000, 6));
        image.Put("/single.txt", "s");
        var run = Tool.Run(image.Folder, "rm", "-r", image.Name + ":/tree", image.Name + ":/single.txt");
        Assert.True(run.ExitCode == 0, run.ToString());
        AssertClean(image);
        Assert.Equal(["/keep/", "/keep/k.txt"], image.ListRecursive());
    }

    [FatKernelFact]
    public void Rm_DirectoryWithoutR_ExitsOneIsADirectory()
    {
        using var image = FatImage.Create(12, 1440);
        image.Mkdir("/d");
        var run = Tool.Run(image.Folder, "rm", image.Name + ":/d");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Equal("rumpctl: " + image.Name + ":/d: Is a directory\n", run.Stderr);
    }

    [FatKernelFact]
    public void Rm_ForceOnMissing_ExitsZero()
    {
        using var image = FatImage.Create(12, 1440);
        Assert.Equal(0, Tool.Run(image.Folder, "rm", "-f", image.Name + ":/nope").ExitCode);
        Assert.Equal(ExitCodes.Failure, Tool.Run(image.Folder, "rm", image.Name + ":/nope").ExitCode);
    }

    [FatKernelFact]
    public void Mv_RenameAndMoveIntoDirectory_MtoolsSeesTheNewNames()
    {
        using var image = FatImage.Create(12, 1440);
        image.Mkdir("/dir");
        image.Put("/old.txt", "content");
        image.Put("/other.txt", "other");
        var rename = Tool.Run(image.Folder, "mv", image.Name + ":/old.txt", image.Name + ":/A much longer new name.txt");
        Assert.True(rename.ExitCode == 0, rename.ToString());
        var move = Tool.Run(image.Folder, "mv", image.Name + ":/other.txt", image.Name + ":/dir");
        Assert.True(move.ExitCode == 0, move.ToString());
        AssertClean(image);
        Assert.Equal(["/A much longer new name.txt", "/dir/", "/dir/other.txt"], image.ListRecursive());
        Assert.Equal("content"u8.ToArray(), image.Read("/A much longer new name.txt"));
    }

    [FatKernelFact]
    public void ReadOnlyOption_WriteFails_ReadOnlyFileSystemAndImageUnchanged()
    {
        using var image = FatImage.Create(12, 1440);
        var before = File.ReadAllBytes(image.Path);
        var run = Tool.Run(image.Folder, "--ro", "mkdir", image.Name + ":/x");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Equal("rumpctl: " + image.Name + ":/x: Read-only file system\n", run.Stderr);
        Assert.Equal(before, File.ReadAllBytes(image.Path));
    }

    [FatKernelFact]
    public void ReadOnlyImageFile_IsMountedReadOnly()
    {
        using var image = FatImage.Create(12, 1440);
        File.SetUnixFileMode(image.Path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var before = File.ReadAllBytes(image.Path);
        var run = Tool.Run(image.Folder, "mkdir", image.Name + ":/x");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Equal("rumpctl: " + image.Name + ":/x: Read-only file system\n", run.Stderr);
        Assert.Equal(before, File.ReadAllBytes(image.Path));
        Assert.Equal(0, Tool.Run(image.Folder, "ls", image.Name + ":/").ExitCode);
    }

    [FatKernelFact]
    public void Process_CpIntoImage_AsAUserRunsIt()
    {
        using var image = FatImage.Create(16, 16 * 1024);
        File.WriteAllBytes(Path.Combine(image.Folder, "f.bin"), Pattern(300_000, 8));
        var run = Tool.RunProcess(image.Folder, "cp", "f.bin", image.Name + ":/f.bin");
        Assert.True(run.ExitCode == 0, run.ToString());
        AssertClean(image);
        Assert.Equal(Pattern(300_000, 8), image.Read("/f.bin"));
    }

    private static FatImage DotImage()
    {
        var image = FatImage.Create(16, 16 * 1024);
        image.Mkdir("/deep", "/deep/a", "/D2", "/DOCS");
        image.Put("/D2/x", "x");
        image.Put("/DOCS/y", "y");
        image.Put("/empty.dat", "");
        return image;
    }

    private static readonly string[] DotImageTree = ["/D2/", "/D2/x", "/deep/", "/deep/a/", "/DOCS/", "/DOCS/y", "/empty.dat"];

    [FatKernelTheory]
    [InlineData("/deep/a/..")]
    [InlineData("/D2/.")]
    [InlineData("/D2/..")]
    [InlineData("/.")]
    public void RmRecursive_DotOrDotDotLast_RefusedLikeGnuRmNothingRemoved(string path)
    {
        using var image = DotImage();
        var run = Tool.Run(image.Folder, "rm", "-r", "-f", image.Name + ":" + path);
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("rumpctl: refusing to remove '.' or '..' directory: skipping '" + image.Name + ":" + path + "'\n", run.Stderr);
        AssertClean(image);
        Assert.Equal(DotImageTree.Order(StringComparer.Ordinal), image.ListRecursive().Order(StringComparer.Ordinal));
    }

    [FatKernelTheory]
    [InlineData("/DOCS/.")]
    [InlineData("/deep/a/..")]
    public void Mv_DotOrDotDotSource_EinvalNothingRenamed(string path)
    {
        using var image = DotImage();
        var run = Tool.Run(image.Folder, "mv", image.Name + ":" + path, image.Name + ":/D2");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("rumpctl: " + image.Name + ":" + path + ": Invalid argument\n", run.Stderr);
        AssertClean(image);
        Assert.Equal(DotImageTree.Order(StringComparer.Ordinal), image.ListRecursive().Order(StringComparer.Ordinal));
    }

    [FatKernelFact]
    public void MkdirParents_DotDotInTheMiddle_CreatesEachComponentAsWritten()
    {
        using var image = DotImage();
        var run = Tool.Run(image.Folder, "mkdir", "-p", image.Name + ":/a/../b/./c");
        Assert.True(run.ExitCode == 0, run.ToString());
        AssertClean(image);
        Assert.Contains("/a/", image.ListRecursive());
        Assert.Contains("/b/c/", image.ListRecursive());
        // Without -p, the directory ".." steps out of must exist, as namei requires.
        run = Tool.Run(image.Folder, "mkdir", image.Name + ":/q/../r");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("rumpctl: " + image.Name + ":/q: No such file or directory\n", run.Stderr);
        Assert.DoesNotContain("/r/", image.ListRecursive());
    }

    [FatKernelTheory]
    [InlineData("rm", "/empty.dat/")]
    [InlineData("cat", "/empty.dat/")]
    [InlineData("cat", "/empty.dat/.")]
    [InlineData("stat", "/empty.dat/")]
    [InlineData("ls", "/empty.dat/")]
    public void TrailingSlashOnAFile_NotADirectoryAndNothingRemoved(string verb, string path)
    {
        using var image = DotImage();
        var run = Tool.Run(image.Folder, verb, image.Name + ":" + path);
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("rumpctl: " + image.Name + ":/empty.dat/: Not a directory\n", run.Stderr);
        AssertClean(image);
        Assert.Contains("/empty.dat", image.ListRecursive());
    }

    [FatKernelFact]
    public void DotDotAfterAFileOrMissingName_ErrorsAsNamei_AfterADirectoryWorks()
    {
        using var image = DotImage();
        var run = Tool.Run(image.Folder, "cat", image.Name + ":/empty.dat/../D2/x");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("rumpctl: " + image.Name + ":/empty.dat: Not a directory\n", run.Stderr);
        run = Tool.Run(image.Folder, "rm", image.Name + ":/nope/../D2/x");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("rumpctl: " + image.Name + ":/nope: No such file or directory\n", run.Stderr);
        Assert.Contains("/D2/x", image.ListRecursive());
        run = Tool.Run(image.Folder, "rm", "-r", image.Name + ":/DOCS/../deep/a/");
        Assert.True(run.ExitCode == 0, run.ToString());
        AssertClean(image);
        Assert.DoesNotContain("/deep/a/", image.ListRecursive());
        Assert.Contains("/deep/", image.ListRecursive());
    }

    [FatKernelFact]
    public void Mv_FileToANewNameWithTrailingSlash_NotADirectory()
    {
        using var image = DotImage();
        var run = Tool.Run(image.Folder, "mv", image.Name + ":/D2/x", image.Name + ":/new/");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Not a directory", run.Stderr);
        AssertClean(image);
        Assert.Contains("/D2/x", image.ListRecursive());
    }
}
