using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Rump;

namespace Rump.Fs.Tests;

/// <summary>A FAT file system inside a partition, made by sfdisk + mkfs.fat --offset + mcopy, mounts from its wedge.</summary>
public sealed class PartitionMountTests
{
    [Theory]
    [InlineData("mbr")]
    [InlineData("gpt")]
    public void Wedge_FatInSecondPartition_MountsAndReadsWhatMcopyWrote(string scheme)
    {
        using var dir = DevTestKit.Scratch();
        var image = DevTestKit.CreateImage(dir.Path, "disk.img", 48L << 20);
        if (scheme == "mbr")
            DevTestKit.Run("sfdisk", "-q " + DevTestKit.Quote(image), "label: dos\nstart=2048, size=8192, type=83\nstart=12288, size=61440, type=c\n");
        else
            DevTestKit.Run("sgdisk", "-n 1:2048:+4M -t 1:8300 -n 2:12288:+30M -t 2:0700 " + DevTestKit.Quote(image));
        var p2 = (scheme == "mbr" ? DevTestKit.SfdiskPartitions(image) : DevTestKit.SgdiskPartitions(image)).Single(p => p.Number == 2);
        DevTestKit.Run("mkfs.fat", "-F 16 -n INSIDE --offset " + p2.Start + " " + DevTestKit.Quote(image) + " " + (p2.Size / 2));
        var hostFile = Path.Combine(dir.Path, "hello.txt");
        File.WriteAllText(hostFile, "hello from partition 2\n");
        DevTestKit.Run("mcopy", "-i " + DevTestKit.Quote(image + "@@" + p2.Start * 512) + " " + DevTestKit.Quote(hostFile) + " ::/HELLO.TXT");

        using var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = image });
        Assert.Equal(0, k.Sys.Mkdir("/mnt", 0x1ED));
        Assert.Equal(0, k.Sys.Mount("msdos", "/mnt", PosixConst.MNT_RDONLY, "/dev/vnd0p2", ""));
        var fd = k.Open("/mnt/HELLO.TXT", OpenFlags.O_RDONLY);
        var buffer = new byte[100];
        Assert.Equal(0, k.Sys.Read(fd, buffer, out var n));
        Assert.Equal("hello from partition 2\n", Encoding.ASCII.GetString(buffer, 0, (int)n));
        Assert.Equal(0, k.Sys.Close(fd));
        Assert.Equal(0, k.Sys.Unmount("/mnt", 0));
    }
}
