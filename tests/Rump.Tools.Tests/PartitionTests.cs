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
}
