using System.Collections.Generic;
using Rump;

namespace Rump.Fs.Tests;

/// <summary>md: a memory disk sized by the mdN boot parameter and counted against the memory limit.</summary>
public sealed class DevMdTests
{
    [Fact]
    public void Md_BootParameter_GivesAZeroedDiskThatKeepsWrites()
    {
        using var k = DevTestKit.Boot(new Dictionary<string, string> { ["md0"] = "1m" });
        var fd = k.Open("/dev/md0", OpenFlags.O_RDWR);
        Assert.Equal(0, k.PRead(fd, 0, 4096, out var fresh));
        Assert.All(fresh, b => Assert.Equal(0, b));
        var sector = DevTestKit.Marker("md0 sector 77");
        Assert.Equal(0, k.Sys.PWrite(fd, sector, 77 * 512, out var n));
        Assert.Equal(512, n);
        Assert.Equal(sector, k.ReadSector(fd, 77));
        Assert.Equal(0, k.PRead(fd, 1 << 20, 512, out var atEnd));
        Assert.Empty(atEnd);
        Assert.Equal(0, k.Sys.Close(fd));
    }

    [Fact]
    public void Md_LargerThanTheMemoryLimit_IsNotCreatedAndLogsENOMEM()
    {
        using var k = DevTestKit.Boot(new Dictionary<string, string> { ["md0"] = "64m" }, memoryLimit: 16L << 20);
        Assert.Equal((int)Errno.ENOENT, k.Sys.Stat("/dev/md0", out _));
        Assert.Contains("md0: cannot create", k.Console);
    }
}
