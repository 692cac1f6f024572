using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using Microsoft.Win32.SafeHandles;
using Rump;
using Rump.Tools;
using static Rump.Bench.FsBenchSupport;

namespace Rump.Bench;

/// <summary>File-system benchmarks (issue 5): each prints its ratio measured in this run.</summary>
internal static class FsBench
{
    public static int All(string[] args)
    {
        var code = Read(args);
        code |= Ls(args);
        code |= Walk(args);
        code |= Copy(args);
        code |= Small(args);
        return code;
    }

    /// <summary>
    /// In-process: sequential read of a 256 MiB file through the kernel's read(2) (1 MiB buffers) vs
    /// RandomAccess.Read of the same bytes from the image file (the page-cache limit), then random 4 KiB reads; kernel
    /// and host runs alternate.
    /// </summary>
    public static int Read(string[] args)
    {
        var dir = WorkDirectory(args);
        var mib = IntOption(args, "--size", 256);
        long bytes = (long)mib << 20;
        var payload = RandomFile(dir, "read-" + mib + ".bin", bytes);
        var image = FatImage(dir, "read.img", mib + 64, (payload, "/big.bin"));
        var offset = LocateContiguous(image, payload, bytes);

        using var kernel = RumpKernelLoader.Boot(KernelLocator.Find("posix", Environment.CurrentDirectory, out _));
        var sys = kernel.Sys;
        Check(sys.Mkdir("/mnt", 0x1ED), "mkdir /mnt");
        Check(sys.EtfsRegister("/dev/img0", image, EtfsType.Block, 0, new FileInfo(image).Length), "etfs_register");
        Check(sys.Mount("msdos", "/mnt", PosixConst.MNT_RDONLY, "/dev/img0", ""), "mount msdos");
        Check(sys.Open("/mnt/big.bin", OpenFlags.O_RDONLY, 0, out var fd), "open /mnt/big.bin");
        using var handle = File.OpenHandle(image, System.IO.FileMode.Open, FileAccess.Read);
        var buffer = GC.AllocateUninitializedArray<byte>(1 << 20, pinned: true);

        TimeSpan KernelSequential()
        {
            Check(sys.LSeek(fd, 0, PosixConst.SEEK_SET, out _), "lseek");
            var clock = Stopwatch.StartNew();
            long total = 0;
            while (true)
            {
                Check(sys.Read(fd, buffer, out var n), "read");
                if (n == 0)
                    break;
                total += n;
            }
            clock.Stop();
            if (total != bytes)
                throw new InvalidOperationException("read(2) returned " + total + " bytes, expected " + bytes);
            return clock.Elapsed;
        }

        TimeSpan HostSequential()
        {
            var clock = Stopwatch.StartNew();
            for (long done = 0; done < bytes;)
                done += RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, bytes - done)), offset + done);
            clock.Stop();
            return clock.Elapsed;
        }

        var (kernelSeq, hostSeq) = MedianInterleaved(5, KernelSequential, HostSequential);
        var seqRatio = hostSeq.TotalSeconds / kernelSeq.TotalSeconds;
        Console.WriteLine($"fs-read sequential {mib} MiB, 1 MiB buffers: kernel read(2) {MiBps(bytes, kernelSeq)}, RandomAccess.Read {MiBps(bytes, hostSeq)}, ratio {Ratio(seqRatio)} (goal >= 0.80×)");

        const int reads = 20_000;
        var small = buffer.AsSpan(0, 4096).ToArray();
        var positions = new long[reads];
        var random = new Random(42);
        for (var i = 0; i < reads; i++)
            positions[i] = random.NextInt64(bytes / 4096) * 4096;

        TimeSpan KernelRandom()
        {
            var clock = Stopwatch.StartNew();
            foreach (var p in positions)
                Check(sys.PRead(fd, small, p, out _), "pread");
            clock.Stop();
            return clock.Elapsed;
        }

        TimeSpan HostRandom()
        {
            var clock = Stopwatch.StartNew();
            foreach (var p in positions)
                RandomAccess.Read(handle, small, offset + p);
            clock.Stop();
            return clock.Elapsed;
        }

        var (kernelRandom, hostRandom) = MedianInterleaved(3, KernelRandom, HostRandom);
        var randomRatio = hostRandom.TotalSeconds / kernelRandom.TotalSeconds;
        Console.WriteLine($"fs-read random 4 KiB x {reads}: kernel pread(2) {kernelRandom.TotalMicroseconds / reads:0.00} us/read, RandomAccess.Read {hostRandom.TotalMicroseconds / reads:0.00} us/read, ratio {Ratio(randomRatio)}");

        sys.Close(fd);
        sys.Unmount("/mnt", 0);
        return 0;
    }

    /// <summary>Whole process: rumpctl cp vs mcopy for a 1 GiB file, out of the image and into a fresh image (runs alternate).</summary>
    public static int Copy(string[] args)
    {
        var dir = WorkDirectory(args);
        var mib = IntOption(args, "--copy-size", 1024);
        long bytes = (long)mib << 20;
        var payload = RandomFile(dir, "copy-" + mib + ".bin", bytes);
        var image = FatImage(dir, "copy.img", mib + 128, (payload, "/big.bin"));
        var outFile = Path.Combine(dir, "out.bin");
        // The fixture just dirtied over 1 GiB of page cache: write it back now, not during the timed runs (the
        // kernel's writeback and dirty-page throttling otherwise land in whichever copy runs first).
        Run("sync");

        var cpu = new ProcessCpuTimes();
        var (rumpctl, prefix) = Rumpctl();

        TimeSpan RumpctlOut()
        {
            File.Delete(outFile);
            return cpu.Timed("rumpctl-out", rumpctl, [.. prefix, "cp", image + ":/big.bin", outFile]);
        }

        TimeSpan McopyOut()
        {
            File.Delete(outFile);
            return cpu.Timed("mcopy-out", "mcopy", "-n", "-i", image, "::/big.bin", outFile);
        }

        var (rumpOut, mtoolsOut) = MedianInterleaved(3, RumpctlOut, McopyOut);
        Console.WriteLine($"fs-cp {mib} MiB image -> host: rumpctl cp {Ms(rumpOut)} ({MiBps(bytes, rumpOut)}), mcopy {Ms(mtoolsOut)} ({MiBps(bytes, mtoolsOut)}), ratio {Ratio(mtoolsOut.TotalSeconds / rumpOut.TotalSeconds)} (goal >= 0.70×); CPU time {Ms(cpu.Median("rumpctl-out"))} vs {Ms(cpu.Median("mcopy-out"))}, ratio {Ratio(cpu.Ratio("mcopy-out", "rumpctl-out"))}");
        File.Delete(outFile);

        var target = Path.Combine(dir, "into.img");
        TimeSpan RumpctlIn()
        {
            FatImage(dir, "into.img", mib + 128);
            return cpu.Timed("rumpctl-in", rumpctl, [.. prefix, "cp", payload, target + ":/big.bin"]);
        }

        TimeSpan McopyIn()
        {
            FatImage(dir, "into.img", mib + 128);
            return cpu.Timed("mcopy-in", "mcopy", "-i", target, payload, "::/big.bin");
        }

        var (rumpIn, mtoolsIn) = MedianInterleaved(3, RumpctlIn, McopyIn);
        Console.WriteLine($"fs-cp {mib} MiB host -> image: rumpctl cp {Ms(rumpIn)} ({MiBps(bytes, rumpIn)}), mcopy {Ms(mtoolsIn)} ({MiBps(bytes, mtoolsIn)}), ratio {Ratio(mtoolsIn.TotalSeconds / rumpIn.TotalSeconds)} (goal >= 0.70×); CPU time {Ms(cpu.Median("rumpctl-in"))} vs {Ms(cpu.Median("mcopy-in"))}, ratio {Ratio(cpu.Ratio("mcopy-in", "rumpctl-in"))}");
        File.Delete(target);
        return 0;
    }

    /// <summary>
    /// Whole process, many small files: <c>rumpctl cp -r</c> of a host tree into a fresh image vs <c>mcopy -s</c>, then
    /// <c>rumpctl rm -r</c> of that tree vs <c>mdeltree</c> (each on a copy of one image mcopy filled); runs alternate.
    /// </summary>
    public static int Small(string[] args)
    {
        var dir = WorkDirectory(args);
        var files = IntOption(args, "--files", 2000);
        const int perDirectory = 100;   // mtools' ~N alias search is quadratic in a directory: keep its side sane
        // --short-names: 8.3 names (ALB00/P0000.JPG), one directory entry per file instead of long-name entries too.
        var shortNames = Array.IndexOf(args, "--short-names") >= 0;
        var tree = Path.Combine(dir, "small-tree-" + files + (shortNames ? "-83" : ""));
        if (!Directory.Exists(tree))
        {
            var staging = tree + ".tmp";
            if (Directory.Exists(staging))
                Directory.Delete(staging, true);
            var random = new Random(7);
            for (var i = 0; i < files; i++)
            {
                var album = (i / perDirectory).ToString("00", CultureInfo.InvariantCulture);
                var sub = Path.Combine(staging, shortNames ? "ALB" + album : "album " + album);
                Directory.CreateDirectory(sub);
                var bytes = new byte[random.Next(100, 8192)];
                random.NextBytes(bytes);
                var number = i.ToString("0000", CultureInfo.InvariantCulture);
                File.WriteAllBytes(Path.Combine(sub, shortNames ? "P" + number + ".JPG" : "photo " + number + ".jpg"), bytes);
            }
            Directory.Move(staging, tree);
        }
        var (rumpctl, prefix) = Rumpctl();
        Console.WriteLine("rumpctl: " + RumpctlDescription());
        var cpu = new ProcessCpuTimes();
        const int imageMib = 128;
        var target = Path.Combine(dir, "small-into.img");

        TimeSpan RumpctlIn()
        {
            FatImage(dir, "small-into.img", imageMib);
            var wall = cpu.Timed("rumpctl-in", rumpctl, [.. prefix, "cp", "-r", tree, target + ":/"]);
            CheckClean(target);
            return wall;
        }

        TimeSpan McopyIn()
        {
            FatImage(dir, "small-into.img", imageMib);
            return cpu.Timed("mcopy-in", "mcopy", "-s", "-i", target, tree, "::/");
        }

        var (rumpIn, mtoolsIn) = MedianInterleaved(3, RumpctlIn, McopyIn);
        Console.WriteLine($"fs-small cp -r {files} files ({files / perDirectory} directories) host -> image: rumpctl cp -r {Ms(rumpIn)}, mcopy -s {Ms(mtoolsIn)}, ratio {Ratio(mtoolsIn.TotalSeconds / rumpIn.TotalSeconds)}; CPU time {Ms(cpu.Median("rumpctl-in"))} vs {Ms(cpu.Median("mcopy-in"))}");

        var filled = FatImage(dir, "small-filled.img", imageMib);
        Run("mcopy", "-s", "-i", filled, tree, "::/");
        var victim = Path.Combine(dir, "small-rm.img");
        var inImage = "/" + Path.GetFileName(tree);

        TimeSpan RumpctlRm()
        {
            File.Copy(filled, victim, overwrite: true);
            Run("sync");   // the copy's dirty pages: not for rumpctl's unmount fsync to write back inside the timing
            var wall = cpu.Timed("rumpctl-rm", rumpctl, [.. prefix, "rm", "-r", victim + ":" + inImage]);
            CheckClean(victim);
            return wall;
        }

        TimeSpan Mdeltree()
        {
            File.Copy(filled, victim, overwrite: true);
            Run("sync");
            return cpu.Timed("mdeltree", "mdeltree", "-i", victim, "::" + inImage);
        }

        var (rumpRm, mtoolsRm) = MedianInterleaved(3, RumpctlRm, Mdeltree);
        Console.WriteLine($"fs-small rm -r {files} files: rumpctl rm -r {Ms(rumpRm)}, mdeltree {Ms(mtoolsRm)}, ratio {Ratio(mtoolsRm.TotalSeconds / rumpRm.TotalSeconds)}; CPU time {Ms(cpu.Median("rumpctl-rm"))} vs {Ms(cpu.Median("mdeltree"))}");
        File.Delete(target);
        File.Delete(victim);
        return 0;
    }

    /// <summary>The benchmark measures correct work only: fsck.fat -n must pass after each rumpctl run.</summary>
    private static void CheckClean(string image)
    {
        var (code, output) = Exec("fsck.fat", "-n", image);
        if (code != 0)
            throw new InvalidOperationException("fsck.fat -n " + image + " failed after rumpctl:\n" + output);
    }

    /// <summary>Whole process: wall time of <c>rumpctl ls</c> on the sample image.</summary>
    public static int Ls(string[] args)
    {
        var sample = Demo.FindSample(Environment.CurrentDirectory);
        Console.WriteLine("rumpctl: " + RumpctlDescription());
        var ls = Median(10, () => TimeRumpctl("ls", sample + ":/"));
        var lsLong = Median(10, () => TimeRumpctl("ls", "-l", sample + ":/DOCS"));
        var help = Median(10, () => TimeRumpctl("--help"));
        // The floor: a .NET process that starts the runtime and returns from Main (this benchmark's apphost).
        var empty = Median(10, () => TimeProcess(Path.Combine(AppContext.BaseDirectory, "Rump.Bench"), "noop"));
        var mdir = Median(10, () => TimeProcess("mdir", "-i", sample, "::/"));
        Console.WriteLine($"fs-ls small image: rumpctl ls {Ms(ls)}, rumpctl ls -l {Ms(lsLong)} (goal < 150 ms); "
            + $"rumpctl --help (no kernel) {Ms(help)}; empty .NET Main {Ms(empty)}; mdir {Ms(mdir)} for scale");
        return 0;
    }

    /// <summary>Whole process: walking a tree of 10 000 files, rumpctl tree vs mdir -/.</summary>
    public static int Walk(string[] args)
    {
        var dir = WorkDirectory(args);
        var files = IntOption(args, "--files", 10_000);
        var tree = Path.Combine(dir, "walk-tree-" + files);
        if (!Directory.Exists(tree))
        {
            var staging = tree + ".tmp";
            if (Directory.Exists(staging))
                Directory.Delete(staging, true);
            for (var i = 0; i < files; i++)
            {
                var sub = Path.Combine(staging, "dir" + (i / 100).ToString("000"));
                Directory.CreateDirectory(sub);
                File.WriteAllText(Path.Combine(sub, "file number " + i + ".txt"), i.ToString());
            }
            Directory.Move(staging, tree);
        }
        var image = Path.Combine(dir, "walk-" + files + ".img");
        if (!File.Exists(image))
        {
            FatImage(dir, "walk-" + files + ".img.tmp", 256);
            Run("mcopy", "-s", "-i", image + ".tmp", tree, "::/");
            File.Move(image + ".tmp", image);
        }
        Console.WriteLine("rumpctl: " + RumpctlDescription());
        var rump = Median(3, () => TimeRumpctl("tree", image));
        var mdir = Median(3, () => TimeProcess("mdir", "-/", "-i", image, "::/"));
        Console.WriteLine($"fs-walk {files} files in {files / 100} directories: rumpctl tree {Ms(rump)}, mdir -/ {Ms(mdir)}, ratio {Ratio(mdir.TotalSeconds / rump.TotalSeconds)} (goal >= 1×)");
        return 0;
    }

    /// <summary>Byte offset of the file's data in the image; the file must lie in one run (a fresh image, one mcopy).</summary>
    private static long LocateContiguous(string image, string payload, long bytes)
    {
        var head = new byte[4096];
        using (var p = File.OpenRead(payload))
            p.ReadExactly(head);
        using var img = File.OpenHandle(image, System.IO.FileMode.Open, FileAccess.Read);
        var block = new byte[1 << 20];
        var length = RandomAccess.GetLength(img);
        for (long pos = 0; pos < length; pos += block.Length)
        {
            var n = RandomAccess.Read(img, block, pos);
            for (var i = 0; i + head.Length <= n; i += 512)
            {
                if (block.AsSpan(i, head.Length).SequenceEqual(head))
                {
                    var start = pos + i;
                    VerifySame(img, start, payload, bytes);
                    return start;
                }
            }
        }
        throw new InvalidOperationException("file data not found in " + image);
    }

    private static void VerifySame(SafeFileHandle img, long start, string payload, long bytes)
    {
        var a = new byte[1 << 20];
        var b = new byte[1 << 20];
        using var p = File.OpenHandle(payload, System.IO.FileMode.Open, FileAccess.Read);
        for (long done = 0; done < bytes; done += a.Length)
        {
            var n = (int)Math.Min(a.Length, bytes - done);
            RandomAccess.Read(img, a.AsSpan(0, n), start + done);
            RandomAccess.Read(p, b.AsSpan(0, n), done);
            if (!a.AsSpan(0, n).SequenceEqual(b.AsSpan(0, n)))
                throw new InvalidOperationException("the file is not contiguous in the image; the baseline would read other bytes");
        }
    }

    private static void Check(int err, string what)
    {
        if (err != 0)
            throw new InvalidOperationException(what + ": " + ErrnoText.Describe(err));
    }
}
