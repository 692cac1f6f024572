using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using Rump;

namespace Rump.Fs.Tests;

/// <summary>
/// Bounded fuzzing of the partition scanners with fixed seeds: damaged MBR/EBR and GPT sectors (GPT CRCs
/// recomputed so the damage reaches the entry checks) never crash or hang the kernel, and every wedge
/// that does appear reads at its first and last sector and stops at its end.
/// </summary>
public sealed class PartitionFuzzTests
{
    private const long DiskBytes = 16L << 20;
    private const int Rounds = 6;

    public static IEnumerable<object[]> Seeds() => new[] { new object[] { 11 }, new object[] { 2024 }, new object[] { 77777 } };

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Fuzz_DamagedMbrAndEbrs_KernelStaysUpAndWedgesStayInsideTheDisk(int seed)
    {
        using var dir = DevTestKit.Scratch();
        var pristine = DevTestKit.CreateImage(dir.Path, "pristine.img", DiskBytes);
        DevTestKit.Run("sfdisk", "-q " + DevTestKit.Quote(pristine),
            "label: dos\nstart=2048, size=4096, type=83\nstart=6144, size=20000, type=5\nsize=2048, type=83\nsize=2048, type=7\ntype=83\n");
        var ext = 6144L;
        var ebrs = new List<long> { ext };
        using (var f = File.OpenRead(pristine))
        {
            // Follow the EBR chain on the host to know where to aim.
            var sector = new byte[512];
            for (var lba = ext; ebrs.Count < 8;)
            {
                f.Position = lba * 512;
                f.ReadExactly(sector);
                var next = BinaryPrimitives.ReadUInt32LittleEndian(sector.AsSpan(446 + 16 + 8));
                if (next == 0)
                    break;
                lba = ext + next;
                ebrs.Add(lba);
            }
        }

        var random = new System.Random(seed);
        for (var round = 0; round < Rounds; round++)
        {
            var image = Path.Combine(dir.Path, "fuzz" + round + ".img");
            File.Copy(pristine, image, overwrite: true);
            using (var f = new FileStream(image, System.IO.FileMode.Open, FileAccess.ReadWrite))
            {
                for (var hits = random.Next(1, 6); hits > 0; hits--)
                {
                    var target = random.Next(2) == 0 ? 0 : ebrs[random.Next(ebrs.Count)];
                    f.Position = target * 512 + 446 + random.Next(64);
                    f.WriteByte((byte)random.Next(256));
                }
            }
            BootAndCheckWedges(image);
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Fuzz_DamagedGptEntriesWithValidCrcs_KernelStaysUpAndWedgesStayInsideTheDisk(int seed)
    {
        using var dir = DevTestKit.Scratch();
        var pristine = DevTestKit.CreateImage(dir.Path, "pristine.img", DiskBytes);
        DevTestKit.Run("sgdisk", "-n 1:2048:+2M -n 2:0:+3M -n 3:0:+1M -n 4:0:0 " + DevTestKit.Quote(pristine));

        var random = new System.Random(seed);
        for (var round = 0; round < Rounds; round++)
        {
            var image = Path.Combine(dir.Path, "fuzz" + round + ".img");
            File.Copy(pristine, image, overwrite: true);
            foreach (var headerLba in new[] { 1L, DiskBytes / 512 - 1 })
            {
                var entryIndex = random.Next(4);
                var endingLba = random.Next(3) switch
                {
                    0 => random.NextInt64(0, DiskBytes / 512 * 2),
                    1 => long.MaxValue - random.Next(1000),
                    _ => random.NextInt64(0, 5000),
                };
                DevTestKit.PatchGptEntryEnd(image, headerLba, entryIndex, endingLba);
            }
            BootAndCheckWedges(image);
        }
    }

    private static void BootAndCheckWedges(string image)
    {
        using var k = DevTestKit.Boot(new Dictionary<string, string> { ["vnd0"] = image });
        Assert.True(k.Kernel.IsRunning);
        for (var n = 1; n <= 140; n++)
        {
            var path = "/dev/vnd0p" + n;
            if (k.Sys.Stat(path, out _) != 0)
                continue;
            var fd = k.Open(path, OpenFlags.O_RDONLY);
            Assert.Equal(0, k.Sys.LSeek(fd, 0, PosixConst.SEEK_END, out var size));
            Assert.InRange(size, 512, DiskBytes);
            Assert.Equal(0, size % 512);
            k.ReadSector(fd, 0);
            k.ReadSector(fd, size / 512 - 1);
            Assert.Equal(0, k.PRead(fd, size, 512, out var past));
            Assert.Empty(past);
            Assert.Equal(0, k.Sys.Close(fd));
        }
    }
}
