using System;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Threading.Tasks;
using Rump;
using Rump.Fs.Tests.Support;
using Rump.Testing;

namespace Rump.Fs.Tests;

/// <summary>
/// A bounded fuzz smoke test: the seeds in tests/fuzz-seeds/msdosfs, mutated deterministically in their
/// metadata (boot sector, FATs, directories), are mounted, listed and read through a booted kernel for a few
/// seconds. Every call must come back with 0 or an errno; no exception, no hang, the kernel keeps running.
/// </summary>
public sealed class MsdosfsFuzzSmokeTests : IDisposable
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);
    private const int MutableBytes = 1 << 20;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rump-fatfuzz-" + Guid.NewGuid().ToString("N"));

    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public MsdosfsFuzzSmokeTests(Xunit.Abstractions.ITestOutputHelper output)
    {
        _output = output;
        Directory.CreateDirectory(_dir);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private string Seed(string name)
    {
        var src = Path.Combine(TestKernel.RepoRoot, "tests", "fuzz-seeds", "msdosfs", name + ".img.gz");
        var dst = Path.Combine(_dir, name + ".img");
        using (var gz = new GZipStream(File.OpenRead(src), CompressionMode.Decompress))
        using (var f = File.Create(dst))
            gz.CopyTo(f);
        return dst;
    }

    [Theory]
    [InlineData("fat12")]
    [InlineData("fat16")]
    [InlineData("fat32")]
    public void MutatedSeeds_MountListRead_NeverThrowOrHang(string seed)
    {
        var img = Seed(seed);
        var original = File.ReadAllBytes(img);
        Assert.Equal(0, FatTools.FsckNoChange(img).ExitCode);
        using var kernel = TestKernel.Boot();
        var sys = kernel.Sys;
        int iterations = 0, mounted = 0;
        var work = Task.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            int prefix = Math.Min(MutableBytes, original.Length);
            var image = new byte[prefix];
            for (int i = 0; clock.Elapsed < Budget; i++, iterations++)
            {
                original.AsSpan(0, prefix).CopyTo(image);
                Mutate(image, new Random(i * 7919 + seed.Length));
                using (var f = new FileStream(img, System.IO.FileMode.Open))
                    f.Write(image);
                if (Exercise(sys, img, readOnly: i % 3 != 0))
                    mounted++;
            }
        });
        Assert.True(work.Wait(HangLimit), "fuzz iteration hung (" + iterations + " done)");
        _output.WriteLine($"{seed}: {iterations} mutated images, {mounted} mounted");
        Assert.True(kernel.IsRunning);
        Assert.True(iterations > 0);
        // The mutations leave many images mountable: the test exercises more than the boot sector checks.
        Assert.True(mounted > 0, "no mutated image mounted");
    }

    private static void Mutate(byte[] image, Random r)
    {
        int n = r.Next(1, 9);
        for (int k = 0; k < n; k++)
        {
            // Mostly the first sectors (boot sector, FSInfo, FAT starts, fixed root), sometimes anywhere.
            int at = r.Next(4) switch
            {
                0 => r.Next(Math.Min(512, image.Length)),
                1 => r.Next(Math.Min(16 * 1024, image.Length)),
                _ => r.Next(image.Length),
            };
            switch (r.Next(4))
            {
                case 0: image[at] = (byte)r.Next(256); break;
                case 1: image[at] ^= (byte)(1 << r.Next(8)); break;
                case 2: image[at] = 0xFF; break;
                default: image[at] = 0; break;
            }
        }
    }

    /// <summary>Mounts, walks (bounded), reads and, on a writable mount, writes; returns whether it mounted.</summary>
    private static bool Exercise(ISyscalls sys, string img, bool readOnly)
    {
        const string key = "/dev/fuzz", mnt = "/fuzz";
        Assert.Equal(0, sys.EtfsRegister(key, img, EtfsType.Block, 0, 0));
        sys.Mkdir(mnt, 0x1ED);
        int e = sys.Mount("msdos", mnt, readOnly ? PosixConst.MNT_RDONLY : 0, key, "");
        bool ok = e == 0;
        if (ok)
        {
            int budget = 300;
            Walk(sys, mnt, 6, ref budget);
            if (!readOnly)
            {
                if (sys.Open(mnt + "/fuzz new file.txt", OpenFlags.O_CREAT | OpenFlags.O_WRONLY, 0x1A4, out int fd) == 0)
                {
                    sys.Write(fd, new byte[5000], out _);
                    sys.Close(fd);
                }
                sys.Mkdir(mnt + "/fuzzdir", 0x1ED);
                sys.Rename(mnt + "/dir", mnt + "/fuzzdir/moved");
                sys.Unlink(mnt + "/lower.txt");
            }
            Assert.Equal(0, sys.Unmount(mnt, PosixConst.MNT_FORCE));
        }
        Assert.Equal(0, sys.EtfsRemove(key));
        return ok;
    }

    private static void Walk(ISyscalls sys, string path, int depth, ref int budget)
    {
        var entries = FatKernelHost.ReadDir(sys, path, out _);
        foreach (var (name, type) in entries)
        {
            if (name is "." or ".." || --budget <= 0)
                continue;
            var child = path + "/" + name;
            sys.Stat(child, out _);
            if (type == Dirent.DT_DIR && depth > 0)
                Walk(sys, child, depth - 1, ref budget);
            else if (sys.Open(child, OpenFlags.O_RDONLY, 0, out int fd) == 0)
            {
                sys.Read(fd, new byte[65536], out _);
                sys.Close(fd);
            }
        }
    }
}
