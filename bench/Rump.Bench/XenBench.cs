using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using Rump;
using Rump.Tools;
using Rump.Xen.Host;
using static Rump.Bench.FsBenchSupport;

namespace Rump.Bench;

/// <summary>The xen target (issue 3): sequential read through blkfront vs the posix kernel on one image, and boot time.</summary>
internal static class XenBench
{
    public static int Run(string[] args)
    {
        var dir = WorkDirectory(args);
        var mib = IntOption(args, "--size", 64);
        long bytes = (long)mib << 20;
        var payload = RandomFile(dir, "xen-read-" + mib + ".bin", bytes);
        var image = FatImage(dir, "xen-read.img", mib + 32, (payload, "/big.bin"));
        var posixPath = KernelLocator.Find("posix", Environment.CurrentDirectory, out _);
        var xenPath = KernelLocator.Find("xen", Environment.CurrentDirectory, out _);
        var buffer = GC.AllocateUninitializedArray<byte>(1 << 20, pinned: true);

        // ---- boot: first boot (load + JIT), then warm boots of the same load context in fresh domains ----
        using var hv = new XenHypervisor();
        var clock = Stopwatch.StartNew();
        var loader = RumpKernelLoader.Load(xenPath);
        var firstDomain = hv.CreateDomain(new XenDomainConfig { Name = "first" });
        var first = loader.Factory.Boot(new BootOptions { Xen = firstDomain.Port });
        var firstBoot = clock.Elapsed;
        first.Shutdown();
        var warm = new List<TimeSpan>();
        for (int i = 0; i < 30; i++)
        {
            var domain = hv.CreateDomain(new XenDomainConfig { Name = "warm" + i });
            clock.Restart();
            var k = loader.Factory.Boot(new BootOptions { Xen = domain.Port });
            warm.Add(clock.Elapsed);
            k.Shutdown();
        }
        loader.Unload();
        warm.Sort();
        Console.WriteLine($"xen boot on the software hypervisor: first boot incl. load + JIT {Ms(firstBoot)}, warm boot (new domain, same load context) median {Ms(warm[warm.Count / 2])}, min {Ms(warm[0])}");

        // ---- sequential read of the same file through both kernels ----
        TimeSpan Sequential(ISyscalls sys)
        {
            Check(sys.Open("/mnt/big.bin", OpenFlags.O_RDONLY, 0, out var fd), "open /mnt/big.bin");
            try
            {
                var c = Stopwatch.StartNew();
                long total = 0;
                while (true)
                {
                    Check(sys.Read(fd, buffer, out var n), "read");
                    if (n == 0)
                        break;
                    total += n;
                }
                c.Stop();
                if (total != bytes)
                    throw new InvalidOperationException("read(2) returned " + total + " bytes, expected " + bytes);
                return c.Elapsed;
            }
            finally
            {
                sys.Close(fd);
            }
        }

        static void Mount(ISyscalls sys, string image)
        {
            Check(sys.Mkdir("/mnt", 0x1ED), "mkdir /mnt");
            Check(sys.EtfsRegister("/dev/img0", image, EtfsType.BlockReadOnly, 0, 0), "etfs_register");
            Check(sys.Mount("msdos", "/mnt", PosixConst.MNT_RDONLY, "/dev/img0", ""), "mount msdos");
        }

        using var posix = RumpKernelLoader.Boot(posixPath);
        Mount(posix.Sys, image);
        var domainForRead = hv.CreateDomain(new XenDomainConfig { Name = "read", Disks = [new XenDiskConfig(image, Writable: false)] });
        using var xen = RumpKernelLoader.Boot(xenPath, new BootOptions { Xen = domainForRead.Port });
        Mount(xen.Sys, image);
        // Interleaved runs: both kernels see the same page-cache state and machine load.
        var posixRuns = new List<TimeSpan>();
        var xenRuns = new List<TimeSpan>();
        for (int i = 0; i < 5; i++)
        {
            posixRuns.Add(Sequential(posix.Sys));
            xenRuns.Add(Sequential(xen.Sys));
        }
        posixRuns.Sort();
        xenRuns.Sort();
        var p = posixRuns[2];
        var x = xenRuns[2];
        var disk = domainForRead.Disks[0];
        Console.WriteLine($"xen-read sequential {mib} MiB, 1 MiB read(2): xen (blkfront → blkback) {MiBps(bytes, x)}, posix {MiBps(bytes, p)}, ratio xen/posix {Ratio(p.TotalSeconds / x.TotalSeconds)} ({disk.Requests} blkif requests)");
        return 0;
    }

    private static void Check(int errno, string what)
    {
        if (errno != 0)
            throw new InvalidOperationException(what + ": " + ErrnoText.Describe(errno));
    }
}
