using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Threading;
using Rump;

namespace Rump.Kernel.Tests;

/// <summary>The posix target's host file and asynchronous block I/O hypercalls, against temp files.</summary>
public sealed class BlockIoTests : IDisposable
{
    private const int OPEN_RDWR = 2, OPEN_CREATE = 4, OPEN_EXCL = 8, OPEN_BIO = 16;
    private const int BIO_READ = 1, BIO_WRITE = 2, BIO_SYNC = 4;
    private const int FT_DIR = 1, FT_REG = 2, FT_CHR = 4;
    private const int BlockSize = 4096, Blocks = 64;

    private readonly string _dir = Directory.CreateTempSubdirectory("rump-bio-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void BioSubmit_ConcurrentWritesThenReads_CompleteOnHostThreadsHoldingACpu_DataMatchesTheFile()
    {
        var path = Path.Combine(_dir, "disk.img");
        File.WriteAllBytes(path, new byte[BlockSize * Blocks]);
        using var probe = KernelProbe.Boot(new BootOptions { VirtualCpus = 2 });
        int fd = Open(probe, path, OPEN_RDWR | OPEN_BIO);

        var completions = new ConcurrentQueue<Completion>();
        var all = new CountdownEvent(Blocks);
        var done = DoneDelegate(probe, completions, all);
        var submit = probe.Method("Kern.Hyp", "BioSubmit", 6);
        int submitter = Environment.CurrentManagedThreadId;

        probe.InKernel(() =>
        {
            for (int b = 0; b < Blocks; b++)
            {
                var data = Enumerable.Repeat((byte)(b + 1), BlockSize).ToArray();
                submit.Invoke(null, [fd, BIO_WRITE | (b % 8 == 0 ? BIO_SYNC : 0), new Memory<byte>(data), (long)b * BlockSize, done, b]);
            }
        });
        Assert.True(all.Wait(TimeSpan.FromSeconds(30)), "block writes did not complete");
        Assert.All(completions, c =>
        {
            Assert.Equal(0, c.Error);
            Assert.Equal(BlockSize, c.Transferred);
            Assert.NotEqual(submitter, c.Thread);
            Assert.True(c.HadCpu, "biodone ran without a virtual CPU");
        });

        var onDisk = File.ReadAllBytes(path);
        for (int b = 0; b < Blocks; b++)
            Assert.True(onDisk.AsSpan(b * BlockSize, BlockSize).ToArray().All(x => x == b + 1), "block " + b + " on disk");

        var buffers = Enumerable.Range(0, Blocks).Select(_ => new byte[BlockSize]).ToArray();
        completions.Clear();
        all.Reset(Blocks);
        probe.InKernel(() =>
        {
            for (int b = Blocks - 1; b >= 0; b--)
                submit.Invoke(null, [fd, BIO_READ, new Memory<byte>(buffers[b]), (long)b * BlockSize, done, b]);
        });
        Assert.True(all.Wait(TimeSpan.FromSeconds(30)), "block reads did not complete");
        Assert.All(completions, c => Assert.Equal((0, BlockSize), (c.Error, c.Transferred)));
        for (int b = 0; b < Blocks; b++)
            Assert.All(buffers[b], x => Assert.Equal(b + 1, x));
    }

    [Fact]
    public void BioSubmit_ReadPastEndOfFile_TransfersWhatExists_BadDescriptorIsEBADF()
    {
        var path = Path.Combine(_dir, "short.img");
        File.WriteAllBytes(path, new byte[1000]);
        using var probe = KernelProbe.Boot();
        int fd = Open(probe, path, OPEN_RDWR | OPEN_BIO);
        var completions = new ConcurrentQueue<Completion>();
        var all = new CountdownEvent(2);
        var done = DoneDelegate(probe, completions, all);
        var submit = probe.Method("Kern.Hyp", "BioSubmit", 6);
        probe.InKernel(() =>
        {
            submit.Invoke(null, [fd, BIO_READ, new Memory<byte>(new byte[BlockSize]), 512L, done, "short"]);
            submit.Invoke(null, [fd + 100, BIO_READ, new Memory<byte>(new byte[BlockSize]), 0L, done, "badfd"]);
        });
        Assert.True(all.Wait(TimeSpan.FromSeconds(30)));
        var byArg = completions.ToDictionary(c => (string)c.Arg!);
        Assert.Equal((0, 488), (byArg["short"].Error, byArg["short"].Transferred));
        Assert.Equal(((int)Errno.EBADF, 0), (byArg["badfd"].Error, byArg["badfd"].Transferred));
    }

    [Fact]
    public void SyncReadWrite_AndFileInfo_AgainstHostFiles()
    {
        var path = Path.Combine(_dir, "new.img");
        using var probe = KernelProbe.Boot();
        int fd = Open(probe, path, OPEN_RDWR | OPEN_CREATE | OPEN_EXCL);
        var create = new object?[] { path, OPEN_RDWR | OPEN_CREATE | OPEN_EXCL, null };
        Assert.Equal((int)Errno.EEXIST, probe.InKernel(() => (int)probe.Call("Kern.Hyp", "Open", create)!));

        File.WriteAllBytes(path, new byte[12345]);
        var info = new object?[] { path, null, null };
        Assert.Equal(0, probe.InKernel(() => (int)probe.Call("Kern.Hyp", "GetFileInfo", info)!));
        Assert.Equal((12345L, FT_REG), ((long)info[1]!, (int)info[2]!));

        var dir = new object?[] { _dir, null, null };
        Assert.Equal(0, probe.InKernel(() => (int)probe.Call("Kern.Hyp", "GetFileInfo", dir)!));
        Assert.Equal(FT_DIR, (int)dir[2]!);

        var missing = new object?[] { Path.Combine(_dir, "missing"), null, null };
        Assert.Equal((int)Errno.ENOENT, probe.InKernel(() => (int)probe.Call("Kern.Hyp", "GetFileInfo", missing)!));

        if (OperatingSystem.IsLinux())
        {
            var devnull = new object?[] { "/dev/null", null, null };
            Assert.Equal(0, probe.InKernel(() => (int)probe.Call("Kern.Hyp", "GetFileInfo", devnull)!));
            Assert.Equal(FT_CHR, (int)devnull[2]!);
        }

        Assert.Equal(0, probe.InKernel(() => (int)probe.Call("Kern.Hyp", "SyncFd", fd, 3)!));
        Assert.Equal(0, probe.InKernel(() => (int)probe.Call("Kern.Hyp", "Close", fd)!));
        Assert.Equal((int)Errno.EBADF, probe.InKernel(() => (int)probe.Call("Kern.Hyp", "Close", fd)!));
    }

    private static int Open(KernelProbe probe, string path, int flags)
    {
        var args = new object?[] { path, flags, null };
        Assert.Equal(0, probe.InKernel(() => (int)probe.Call("Kern.Hyp", "Open", args)!));
        return (int)args[2]!;
    }

    private sealed record Completion(object? Arg, int Error, int Transferred, int Thread, bool HadCpu);

    private sealed class DoneSink(KernelProbe probe, ConcurrentQueue<Completion> completions, CountdownEvent all)
    {
        public void OnDone(object? arg, int error, int transferred)
        {
            completions.Enqueue(new Completion(arg, error, transferred, Environment.CurrentManagedThreadId, probe.Get("Kern.Sched", "CurrentCpu") is not null));
            all.Signal();
        }
    }

    private static Delegate DoneDelegate(KernelProbe probe, ConcurrentQueue<Completion> completions, CountdownEvent all)
        => Delegate.CreateDelegate(probe.Type("Kern.BioDone"), new DoneSink(probe, completions, all), nameof(DoneSink.OnDone));
}
