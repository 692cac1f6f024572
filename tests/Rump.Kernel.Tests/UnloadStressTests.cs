using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using Rump;
using Rump.Testing;

namespace Rump.Kernel.Tests;

/// <summary>
/// Kernels in collectible load contexts loaded, booted, used and unloaded over and over from several host
/// threads at once, with short-lived host threads making system calls (their managed thread ids are reused):
/// the target keeps curlwp in a per-instance table, not in thread statics of the collectible assembly.
/// </summary>
public class UnloadStressTests
{
    private const int HostThreads = 3;
    private const int ContextsPerThread = 3;
    private const int BootsPerContext = 2;
    private const int CallersPerBoot = 2;

    [Fact]
    public void CollectibleKernels_BootedAndUnloadedFromSeveralThreads_EveryInstanceWorks_AndEveryContextUnloads()
    {
        var weakContexts = new ConcurrentBag<WeakReference>();
        var failures = new ConcurrentQueue<string>();
        var workers = new Thread[HostThreads];
        for (int w = 0; w < HostThreads; w++)
        {
            int worker = w;
            workers[w] = new Thread(() =>
            {
                try
                {
                    for (int c = 0; c < ContextsPerThread; c++)
                        weakContexts.Add(LoadBootUseUnload("w" + worker + "c" + c, failures));
                }
                catch (Exception e)
                {
                    failures.Enqueue("worker " + worker + ": " + e);
                }
            }) { IsBackground = true, Name = "unload stress " + worker };
            workers[w].Start();
        }
        foreach (var t in workers)
            t.Join();

        Assert.Empty(failures);
        Assert.Equal(HostThreads * ContextsPerThread, weakContexts.Count);
        for (int i = 0; i < 50 && AnyAlive(weakContexts); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(AnyAlive(weakContexts), "a kernel's load context is still alive after shutdown and unload");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference LoadBootUseUnload(string name, ConcurrentQueue<string> failures)
    {
        var loader = RumpKernelLoader.Load(TestKernel.KernelPath());
        var weak = loader.ContextWeakReference();
        for (int boot = 0; boot < BootsPerContext; boot++)
        {
            // Warm boots of one context, then the last boot hands the context to the loader to unload.
            string hostName = name + "b" + boot;
            var options = new BootOptions { HostName = hostName, VirtualCpus = 2 };
            var kernel = boot == BootsPerContext - 1 ? loader.BootInstance(options) : loader.Factory.Boot(options);
            try
            {
                UseFromShortLivedThreads(kernel, hostName, failures);
            }
            finally
            {
                kernel.Shutdown();
            }
        }
        return weak;
    }

    /// <summary>System calls from threads that end right after; each checks what it reads back.</summary>
    private static void UseFromShortLivedThreads(IRumpKernel kernel, string hostName, ConcurrentQueue<string> failures)
    {
        var callers = new List<Thread>();
        for (int i = 0; i < CallersPerBoot; i++)
        {
            string dir = "/" + hostName + "-" + i;
            var t = new Thread(() =>
            {
                try
                {
                    Expect(kernel.Sys.GetPid(out int pid) == 0 && pid == 1, "getpid", failures);
                    Expect(BootTests.HostName(kernel) == hostName, "hostname", failures);
                    Expect(kernel.Sys.Mkdir(dir, 0x1ED) == 0, "mkdir " + dir, failures);
                    var data = Encoding.UTF8.GetBytes(dir);
                    Expect(kernel.Sys.Open(dir + "/f", OpenFlags.O_CREAT | OpenFlags.O_RDWR, 0x1A4, out int fd) == 0, "open", failures);
                    Expect(kernel.Sys.Write(fd, data, out long written) == 0 && written == data.Length, "write", failures);
                    var back = new byte[data.Length];
                    Expect(kernel.Sys.PRead(fd, back, 0, out long read) == 0 && read == data.Length && back.AsSpan().SequenceEqual(data), "read back", failures);
                    Expect(kernel.Sys.Close(fd) == 0, "close", failures);
                }
                catch (Exception e)
                {
                    failures.Enqueue(hostName + ": " + e);
                }
            }) { IsBackground = true };
            t.Start();
            callers.Add(t);
        }
        // And from the booting thread, between the others.
        Expect(kernel.Sys.GetPid(out int mine) == 0 && mine == 1, "getpid on the booting thread", failures);
        foreach (var t in callers)
            t.Join();
    }

    private static void Expect(bool ok, string what, ConcurrentQueue<string> failures)
    {
        if (!ok)
            failures.Enqueue(what + " failed");
    }

    private static bool AnyAlive(IEnumerable<WeakReference> weak)
    {
        foreach (var w in weak)
        {
            if (w.IsAlive)
                return true;
        }
        return false;
    }
}
