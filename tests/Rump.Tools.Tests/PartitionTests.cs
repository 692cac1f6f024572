using System.Linq;

namespace Rump.Tools.Tests;

/// <summary>Partitioned disks (sfdisk MBR and GPT, FAT formatted in place): IMAGE:N:/path and the partition list.</summary>
public sealed class PartitionTests
{
    [FatKernelTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ls_BarePartitionedDisk_ListsItsPartitions(bool gpt)
    {
        using var disk = FatImage.CreatePartitioned(gpt, 16, 20);
        var run = Tool.Run(disk.Folder, "ls", disk.Name);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(disk.Name + ": 2 partitions", run.Lines[0]);
        Assert.StartsWith("p1    /dev/img0p1     16.0 MiB", run.Lines[2]);
        Assert.Contains("msdos", run.Lines[2]);
        Assert.StartsWith("p2    /dev/img0p2     20.0 MiB", run.Lines[3]);
    }

    [FatKernelTheory]
    [InlineData("2")]
    [InlineData("p2")]
    public void Ls_Partition_ListsWhatMtoolsSeesAtItsOffset(string partition)
    {
        using var disk = FatImage.CreatePartitioned(false, 16, 20);
        var second = disk.Partition(2);
        second.Mkdir("/in-p2");
        second.Put("/in-p2/file on p2.txt", "p2\n");
        var run = Tool.Run(disk.Folder, "ls", disk.Name + ":" + partition + ":/in-p2");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["file on p2.txt"], run.Lines);
        var cat = Tool.Run(disk.Folder, "cat", disk.Name + ":" + partition + ":/in-p2/file on p2.txt");
        Assert.Equal("p2\n", cat.Stdout);
    }

    [FatKernelFact]
    public void Cp_IntoPartition_MtoolsReadsItBack()
    {
        using var disk = FatImage.CreatePartitioned(true, 16, 16);
        System.IO.File.WriteAllText(System.IO.Path.Combine(disk.Folder, "x.txt"), "into p1\n");
        var run = Tool.Run(disk.Folder, "cp", "x.txt", disk.Name + ":1:/x.txt");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("into p1\n"u8.ToArray(), disk.Partition(1).Read("/x.txt"));
        Assert.Empty(disk.Partition(2).ListRecursive());
    }

    [FatKernelFact]
    public void Ls_MissingPartition_ExitsOneNamingThePartitions()
    {
        using var disk = FatImage.CreatePartitioned(false, 16);
        var run = Tool.Run(disk.Folder, "ls", disk.Name + ":3:/");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Contains("no partition 3", run.Stderr);
        Assert.Contains("partitions: 1", run.Stderr);
    }

    [FatKernelFact]
    public void Ls_WholeDiskPathOnPartitionedDisk_AsksForAPartition()
    {
        using var disk = FatImage.CreatePartitioned(false, 16, 16);
        var run = Tool.Run(disk.Folder, "ls", disk.Name + ":/");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Contains("the disk has partitions: name one, e.g. " + disk.Name + ":1:/", run.Stderr);
    }

    [FatKernelFact]
    public void TruncatedDisk_PartitionPastTheEnd_WarnedAndNamedAsSuch()
    {
        // sfdisk MBR: p1 16 MiB, p2 20 MiB; the image is then cut to 40 MiB, so p2 ends past the end of the image.
        using var disk = FatImage.CreatePartitioned(false, 16, 30);
        using (var f = new System.IO.FileStream(disk.Path, System.IO.FileMode.Open))
            f.SetLength(40L << 20);
        var ls = Tool.Run(disk.Folder, "ls", disk.Name);
        Assert.True(ls.ExitCode == 0, ls.ToString());
        Assert.Equal(disk.Name + ": 1 partition", ls.Lines[0]);
        var warning = Assert.Single(ls.Stderr.Split('\n', System.StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("rumpctl: warning: " + disk.Name + ": kernel: dk: img0: MBR partition 2 (", warning);
        Assert.Contains("past the end of the disk of 81920 sectors", warning);
        Assert.Contains("not attached", warning);

        var p2 = Tool.Run(disk.Folder, "ls", disk.Name + ":2:/");
        Assert.Equal(ExitCodes.Failure, p2.ExitCode);
        Assert.Contains("rumpctl: " + disk.Name + ": no partition 2: the partition table has it, but the kernel did not attach it: MBR partition 2 (", p2.Stderr);
        Assert.Contains("past the end of the disk", p2.Stderr);
        Assert.Contains("(partitions: 1)", p2.Stderr);
        // Said once: the error carries the reason, no warning repeats it.
        Assert.DoesNotContain("rumpctl: warning:", p2.Stderr);

        // A command on the partition that attached is not about partition 2: no warning.
        var p1 = Tool.Run(disk.Folder, "ls", disk.Name + ":1:/");
        Assert.True(p1.ExitCode == 0, p1.ToString());
        Assert.Equal("", p1.Stderr);
    }

    [FatKernelTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Df_BarePartitionedDisk_OneRowPerPartitionANoteForTheOneWithoutFileSystem(bool gpt)
    {
        using var disk = FatImage.CreatePartitioned(gpt, 16, 20, 16);
        // Partition 3 loses its boot sector: no file system to mount.
        using (var f = new System.IO.FileStream(disk.Path, System.IO.FileMode.Open))
        {
            f.Position = disk.PartitionStartSector(3) * 512;
            f.Write(new byte[512]);
        }
        var run = Tool.Run(disk.Folder, "df", disk.Name);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith("Filesystem", run.Lines[0]);
        Assert.Equal(3, run.Lines.Length);
        var first = run.Lines[1].Split(' ', System.StringSplitOptions.RemoveEmptyEntries);
        var second = run.Lines[2].Split(' ', System.StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([disk.Name + ":1", "msdos"], first.Take(2));
        Assert.Equal([disk.Name + ":2", "msdos"], second.Take(2));
        Assert.InRange(long.Parse(first[2]), 15 * 1024, 16 * 1024);
        Assert.InRange(long.Parse(second[2]), 19 * 1024, 20 * 1024);
        Assert.StartsWith("rumpctl: note: " + disk.Name + ":3: ", run.Stderr);
        Assert.Contains("partition 3: no file system this kernel mounts; not shown", run.Stderr);
        // One partition named: that one only, as before.
        var one = Tool.Run(disk.Folder, "df", disk.Name + ":2");
        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.Equal(2, one.Lines.Length);
        Assert.StartsWith(disk.Name + ":2 ", one.Lines[1]);
    }
}
