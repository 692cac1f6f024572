using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using Rump;

namespace Rump.Kernel.Tests;

/// <summary>Virtual CPUs, kernel threads and locks under concurrency.</summary>
public class SchedulingTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void KernelThreads_NeverRunOnMoreThanTheVirtualCpus(int ncpu)
    {
        using var probe = KernelProbe.Boot(new BootOptions { VirtualCpus = ncpu });
        Assert.Equal(ncpu, (int)probe.Get("Kern.Sched", "CpuCount")!);
        int running = 0, peak = 0;
        var threads = StartKernelThreads(probe, 6, _ =>
        {
            for (int i = 0; i < 200; i++)
            {
                int now = Interlocked.Increment(ref running);
                int seen;
                while ((seen = Volatile.Read(ref peak)) < now && Interlocked.CompareExchange(ref peak, now, seen) != seen)
                {
                }
                Thread.SpinWait(2000);  // kernel code, no blocking: the CPU stays held
                Interlocked.Decrement(ref running);
                probe.Call("Kern.Clock", "Sleep", 10_000L); // blocking: releases the CPU
            }
        });
        JoinAll(probe, threads);
        Assert.InRange(peak, 1, ncpu);
    }

    [Fact]
    public void KMutex_ProtectsACounterAcrossKernelThreads()
    {
        using var probe = KernelProbe.Boot(new BootOptions { VirtualCpus = 3 });
        var m = probe.New("Kern.KMutex");
        var enter = KernelProbe.Bind<Action>(m, "Enter");
        var exit = KernelProbe.Bind<Action>(m, "Exit");
        var owned = (System.Reflection.PropertyInfo)m.GetType().GetProperty("Owned")!;
        long counter = 0;
        var threads = StartKernelThreads(probe, 6, _ =>
        {
            for (int i = 0; i < 2000; i++)
            {
                enter();
                long c = counter;
                if (i % 64 == 0)
                    Thread.Yield();
                counter = c + 1;
                if (i == 0)
                    Assert.True((bool)owned.GetValue(m)!);
                exit();
            }
        });
        JoinAll(probe, threads);
        Assert.Equal(6 * 2000, counter);
        Assert.False((bool)owned.GetValue(m)!);
    }

    [Fact]
    public void KMutex_HostThreadsHammering_WithOneVirtualCpu_DoNotDeadlock()
    {
        using var probe = KernelProbe.Boot(new BootOptions { VirtualCpus = 1 });
        var m = probe.New("Kern.KMutex");
        var enter = KernelProbe.Bind<Action>(m, "Enter");
        var exit = KernelProbe.Bind<Action>(m, "Exit");
        var sleep = probe.Method("Kern.Clock", "Sleep", 1);
        long counter = 0;
        var stop = false;
        var failures = new ConcurrentQueue<Exception>();
        var hosts = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            try
            {
                for (int i = 0; i < 300 && !Volatile.Read(ref stop); i++)
                {
                    probe.InKernel(() =>
                    {
                        enter();
                        // Block while holding the mutex: the CPU goes to a thread that will block on it.
                        sleep.Invoke(null, [20_000L]);
                        counter++;
                        exit();
                    });
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e);   // a host thread's exception must fail the test, not end the test host
            }
        })).ToList();
        hosts.ForEach(t => t.Start());
        // A deadlock is no progress at all; a loaded machine only makes progress slow (CI saw > 60 s at load 23).
        long seen = -1;
        var lastProgress = Stopwatch.StartNew();
        while (!hosts.TrueForAll(t => t.Join(TimeSpan.FromSeconds(1))))
        {
            long now = Interlocked.Read(ref counter);
            if (now != seen)
                (seen, lastProgress) = (now, Stopwatch.StartNew());
            else if (lastProgress.Elapsed > TimeSpan.FromSeconds(30))
            {
                Volatile.Write(ref stop, true);
                // Deadlocked: panic the instance so the blocked threads unwind before the probe is disposed.
                probe.Call("Kern.Kernel", "PanicNoThrow", "test: host threads on one virtual CPU deadlocked");
                hosts.ForEach(t => t.Join(TimeSpan.FromSeconds(10)));
                Assert.Fail("no progress for 30 s at " + now + " of 1200: deadlock");
            }
        }
        Assert.Empty(failures);
        Assert.Equal(1200, counter);
    }

    [Fact]
    public void KCondVar_ProducerConsumer_WithSpinMutex_OneCpu_NoLostWakeupOrDeadlock()
    {
        // A spin mutex as cv interlock with one virtual CPU: the classic rumpuser_pth deadlock if a
        // woken waiter held the mutex while waiting for the CPU that a spinner on the mutex holds.
        using var probe = KernelProbe.Boot(new BootOptions { VirtualCpus = 1 });
        var m = probe.New("Kern.KMutex", true);
        RunProducerConsumer(probe, m);
    }

    [Fact]
    public void KCondVar_ProducerConsumer_AdaptiveMutex_ThreeCpus()
    {
        using var probe = KernelProbe.Boot(new BootOptions { VirtualCpus = 3 });
        var m = probe.New("Kern.KMutex");
        RunProducerConsumer(probe, m);
    }

    [Fact]
    public void KCondVar_TimedWait_ReturnsETIMEDOUTAfterTheTime()
    {
        using var probe = KernelProbe.Boot();
        var m = probe.New("Kern.KMutex");
        var cv = probe.New("Kern.KCondVar");
        var timedWait = cv.GetType().GetMethod("TimedWait")!;
        probe.InKernel(() =>
        {
            KernelProbe.Bind<Action>(m, "Enter")();
            long t0 = (long)probe.Get("Kern.Clock", "MonotonicNanoseconds")!;
            int error = (int)timedWait.Invoke(cv, [m, 30_000_000L])!;
            long elapsed = (long)probe.Get("Kern.Clock", "MonotonicNanoseconds")! - t0;
            KernelProbe.Bind<Action>(m, "Exit")();
            Assert.Equal((int)Errno.ETIMEDOUT, error);
            Assert.InRange(elapsed, 29_000_000L, 5_000_000_000L);
        });
    }

    [Fact]
    public void KCondVar_TimedWait_Posix_NeverEndsBeforeItsTime()
    {
        // The posix target's timed waits run to a Stopwatch deadline (the kernel clock's source): a monitor's
        // millisecond timeout may return early, the wait goes on until the deadline.
        using var probe = KernelProbe.Boot();
        var m = probe.New("Kern.KMutex");
        var cv = probe.New("Kern.KCondVar");
        var timedWait = cv.GetType().GetMethod("TimedWait")!;
        probe.InKernel(() =>
        {
            KernelProbe.Bind<Action>(m, "Enter")();
            foreach (long wait in new[] { 1_000_000L, 2_500_000L, 7_300_000L, 10_000_000L, 15_100_000L })
            {
                long t0 = (long)probe.Get("Kern.Clock", "MonotonicNanoseconds")!;
                int error = (int)timedWait.Invoke(cv, [m, wait])!;
                long elapsed = (long)probe.Get("Kern.Clock", "MonotonicNanoseconds")! - t0;
                Assert.Equal((int)Errno.ETIMEDOUT, error);
                Assert.True(elapsed >= wait, "a timed wait of " + wait + " ns ended after " + elapsed + " ns");
            }
            KernelProbe.Bind<Action>(m, "Exit")();
        });
    }

    [Fact]
    public void KRwLock_ReadersShare_WriterExcludes()
    {
        using var probe = KernelProbe.Boot(new BootOptions { VirtualCpus = 4 });
        var rw = probe.New("Kern.KRwLock");
        var enter = rw.GetType().GetMethod("Enter")!;
        var tryEnter = rw.GetType().GetMethod("TryEnter")!;
        var exit = KernelProbe.Bind<Action>(rw, "Exit");
        int readersInside = 0, peakReaders = 0, writersInside = 0;
        bool overlap = false;
        var threads = StartKernelThreads(probe, 6, arg =>
        {
            bool writer = (int)arg! % 3 == 0;
            for (int i = 0; i < 300; i++)
            {
                enter.Invoke(rw, [writer]);
                if (writer)
                {
                    if (Interlocked.Increment(ref writersInside) != 1 || Volatile.Read(ref readersInside) != 0)
                        overlap = true;
                    Thread.SpinWait(200);
                    Interlocked.Decrement(ref writersInside);
                }
                else
                {
                    int r = Interlocked.Increment(ref readersInside);
                    if (Volatile.Read(ref writersInside) != 0)
                        overlap = true;
                    InterlockedMax(ref peakReaders, r);
                    Thread.SpinWait(200);
                    Interlocked.Decrement(ref readersInside);
                }
                exit();
            }
        });
        JoinAll(probe, threads);
        Assert.False(overlap, "a writer overlapped another holder");
        probe.InKernel(() =>
        {
            Assert.True((bool)tryEnter.Invoke(rw, [false])!);
            Assert.False((bool)tryEnter.Invoke(rw, [true])!);
            Assert.True((bool)rw.GetType().GetProperty("ReadHeld")!.GetValue(rw)!);
            Assert.True((bool)rw.GetType().GetMethod("TryUpgrade")!.Invoke(rw, null)!);
            Assert.True((bool)rw.GetType().GetProperty("WriteHeld")!.GetValue(rw)!);
            exit();
        });
    }

    [Fact]
    public void KThread_Join_WaitsForTheBody()
    {
        using var probe = KernelProbe.Boot(new BootOptions { VirtualCpus = 2 });
        bool done = false;
        var threads = StartKernelThreads(probe, 1, _ =>
        {
            probe.Call("Kern.Clock", "Sleep", 50_000_000L);
            done = true;
        });
        JoinAll(probe, threads);
        Assert.True(done);
    }

    [Fact]
    public void Clock_MonotonicAdvances_SleepSleeps_WallTimeIsNow()
    {
        using var probe = KernelProbe.Boot();
        probe.InKernel(() =>
        {
            long t0 = (long)probe.Get("Kern.Clock", "MonotonicNanoseconds")!;
            Assert.Equal(0, (int)probe.Call("Kern.Clock", "Sleep", 20_000_000L)!);
            long t1 = (long)probe.Get("Kern.Clock", "MonotonicNanoseconds")!;
            // Never short, also for sleeps below the runtime's coarse millisecond tick.
            Assert.InRange(t1 - t0, 20_000_000L, 5_000_000_000L);
            for (int i = 0; i < 20; i++)
            {
                long a = (long)probe.Get("Kern.Clock", "MonotonicNanoseconds")!;
                Assert.Equal(0, (int)probe.Call("Kern.Clock", "Sleep", 2_500_000L)!);
                long b = (long)probe.Get("Kern.Clock", "MonotonicNanoseconds")!;
                Assert.True(b - a >= 2_500_000L, $"a 2.5 ms sleep took {b - a} ns");
            }
            var args = new object?[] { null, null };
            probe.Method("Kern.Clock", "WallTime", 2).Invoke(null, args);
            long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            Assert.InRange((long)args[0]!, now - 2, now + 2);
            Assert.InRange((long)args[1]!, 0L, 999_999_999L);
            Assert.Equal((int)Errno.EINVAL, (int)probe.Call("Kern.Clock", "Sleep", -1L)!);
        });
    }

    [Fact]
    public void Callouts_FireOnceAfterTheirDelay_InDueOrder_StopCancels()
    {
        using var probe = KernelProbe.Boot(new BootOptions { VirtualCpus = 2 });
        var fired = new ConcurrentQueue<(string Name, long At, bool HadCpu)>();
        long t0 = 0;
        object MakeCallout(string name) => probe.New("Kern.Callout", (Action<object?>)(arg =>
            fired.Enqueue(((string)arg!, (long)probe.Get("Kern.Clock", "MonotonicNanoseconds")!, probe.Get("Kern.Sched", "CurrentCpu") is not null))), name);
        var late = MakeCallout("late");
        var early = MakeCallout("early");
        var cancelled = MakeCallout("cancelled");
        var schedule = late.GetType().GetMethod("Schedule")!;
        var stop = late.GetType().GetMethod("Stop")!;
        probe.InKernel(() =>
        {
            t0 = (long)probe.Get("Kern.Clock", "MonotonicNanoseconds")!;
            schedule.Invoke(late, [80_000_000L]);
            schedule.Invoke(cancelled, [40_000_000L]);
            schedule.Invoke(early, [20_000_000L]);
            Assert.True((bool)stop.Invoke(cancelled, null)!);
            Assert.False((bool)stop.Invoke(cancelled, null)!);
        });
        for (int i = 0; i < 300 && fired.Count < 2; i++)
            Thread.Sleep(5);
        Thread.Sleep(100);
        var list = fired.ToList();
        Assert.Equal(["early", "late"], list.Select(f => f.Name));
        Assert.True(list[0].At - t0 >= 20_000_000L);
        Assert.True(list[1].At - t0 >= 80_000_000L);
        Assert.All(list, f => Assert.True(f.HadCpu, "callout ran without a virtual CPU"));
    }

    [Fact]
    public void Callout_Halt_WaitsForARunningCall()
    {
        using var probe = KernelProbe.Boot(new BootOptions { VirtualCpus = 2 });
        var started = new ManualResetEventSlim();
        bool finished = false;
        var c = probe.New("Kern.Callout", (Action<object?>)(_ =>
        {
            started.Set();
            Thread.Sleep(100);
            finished = true;
        }), null);
        probe.InKernel(() => c.GetType().GetMethod("Schedule")!.Invoke(c, [0L]));
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)));
        probe.InKernel(() => c.GetType().GetMethod("Halt")!.Invoke(c, null));
        Assert.True(finished);
    }

    [Fact]
    public void FileDesc_LowestFree_Dup_Dup2_Close()
    {
        using var probe = KernelProbe.Boot();
        probe.InKernel(() =>
        {
            var proc1 = probe.Get("Kern.Kernel", "Proc1")!;
            var fdt = proc1.GetType().GetField("Fd")!.GetValue(proc1)!;
            var t = fdt.GetType();
            var file = CreateTestFile(probe, out var closed);
            var a = new object?[] { file, null };
            Assert.Equal(0, (int)t.GetMethod("Alloc")!.Invoke(fdt, a)!);
            Assert.Equal(0, (int)a[1]!);
            var d = new object?[] { 0, null };
            Assert.Equal(0, (int)t.GetMethod("Dup")!.Invoke(fdt, d)!);
            Assert.Equal(1, (int)d[1]!);
            Assert.Equal(0, (int)t.GetMethod("Dup2")!.Invoke(fdt, [0, 7])!);
            Assert.Equal(3, (int)t.GetProperty("Count")!.GetValue(fdt)!);
            Assert.Equal(0, (int)t.GetMethod("SetFlags")!.Invoke(fdt, [7, 1])!);
            var fl = new object?[] { 7, null };
            Assert.Equal(0, (int)t.GetMethod("GetFlags")!.Invoke(fdt, fl)!);
            Assert.Equal(1, (int)fl[1]!);
            var lwp = probe.Get("Kern.Lwp", "Current")!;
            Assert.Equal(0, (int)t.GetMethod("Close")!.Invoke(fdt, [lwp, 0])!);
            Assert.Equal((int)Errno.EBADF, (int)t.GetMethod("Close")!.Invoke(fdt, [lwp, 0])!);
            Assert.Equal(0, (int)t.GetMethod("Close")!.Invoke(fdt, [lwp, 1])!);
            Assert.False(closed());
            Assert.Equal(0, (int)t.GetMethod("Close")!.Invoke(fdt, [lwp, 7])!);
            Assert.True(closed(), "the last descriptor's close did not close the file");
            var g = new object?[] { 7, null };
            Assert.Equal((int)Errno.EBADF, (int)t.GetMethod("Get")!.Invoke(fdt, g)!);
        });
    }

    private static object CreateTestFile(KernelProbe probe, out Func<bool> closed)
    {
        // KFile is abstract and kernel-internal: derive a do-nothing file at run time; its reference
        // count reaches 0 when the last descriptor is closed.
        var kfile = probe.Type("Kern.KFile");
        var builder = System.Reflection.Emit.AssemblyBuilder.DefineDynamicAssembly(
            new System.Reflection.AssemblyName("probe-file-" + Guid.NewGuid().ToString("N")),
            System.Reflection.Emit.AssemblyBuilderAccess.RunAndCollect);
        // The runtime lets a dynamic assembly derive from another assembly's internal type when it
        // carries IgnoresAccessChecksTo naming that assembly.
        builder.SetCustomAttribute(new System.Reflection.Emit.CustomAttributeBuilder(
            typeof(System.Runtime.CompilerServices.IgnoresAccessChecksToAttribute).GetConstructor([typeof(string)])!,
            [kfile.Assembly.GetName().Name!]));
        var type = builder.DefineDynamicModule("m").DefineType("ProbeFile", System.Reflection.TypeAttributes.Public | System.Reflection.TypeAttributes.Sealed, kfile);
        type.DefineDefaultConstructor(System.Reflection.MethodAttributes.Public);
        var file = Activator.CreateInstance(type.CreateType())!;
        var refs = kfile.GetProperty("References")!;
        closed = () => (int)refs.GetValue(file)! == 0;
        return file;
    }

    private static void RunProducerConsumer(KernelProbe probe, object m)
    {
        var cv = probe.New("Kern.KCondVar");
        var enter = KernelProbe.Bind<Action>(m, "Enter");
        var exit = KernelProbe.Bind<Action>(m, "Exit");
        var wait = cv.GetType().GetMethod("Wait")!;
        var broadcast = KernelProbe.Bind<Action>(cv, "Broadcast");
        var sleep = probe.Method("Kern.Clock", "Sleep", 1);
        var queue = new Queue<int>();
        const int perProducer = 500;
        long consumed = 0, sum = 0;
        var threads = StartKernelThreads(probe, 4, arg =>
        {
            if ((int)arg! >= 2)
            {
                for (int i = 1; i <= perProducer; i++)
                {
                    // Now and then block (giving the CPU away) so consumers drain the queue and wait.
                    if (i % 25 == 0)
                        sleep.Invoke(null, [200_000L]);
                    enter();
                    queue.Enqueue(i);
                    broadcast();
                    exit();
                    // Keep the CPU a moment: a woken consumer takes the mutex back meanwhile, so the
                    // next enter finds it held by a thread that needs this CPU (the cv_wait deadlock).
                    Thread.SpinWait(5000);
                }
            }
            else
            {
                while (true)
                {
                    enter();
                    while (queue.Count == 0 && Interlocked.Read(ref consumed) < 2 * perProducer)
                        wait.Invoke(cv, [m]);
                    if (queue.Count == 0)
                    {
                        exit();
                        return;
                    }
                    sum += queue.Dequeue();
                    if (Interlocked.Increment(ref consumed) == 2 * perProducer)
                        broadcast();
                    exit();
                }
            }
        });
        JoinAll(probe, threads, TimeSpan.FromSeconds(20));
        Assert.Equal(2 * perProducer, consumed);
        Assert.Equal(2L * perProducer * (perProducer + 1) / 2, sum);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    /// <summary>Starts joinable kernel threads running <paramref name="body"/> with their index as argument.</summary>
    private static List<object> StartKernelThreads(KernelProbe probe, int count, Action<object?> body)
    {
        var create = probe.Method("Kern.KThread", "Create", 5);
        var threads = new List<object>();
        var failures = new ConcurrentQueue<Exception>();
        probe.InKernel(() =>
        {
            for (int i = 0; i < count; i++)
            {
                var args = new object?[] { "test" + i, (Action<object?>)(a =>
                {
                    try
                    {
                        body(a);
                    }
                    catch (Exception e)
                    {
                        failures.Enqueue(KernelProbe.Unwrap(e));
                    }
                }), i, true, null };
                Assert.Equal(0, (int)create.Invoke(null, args)!);
                threads.Add(args[4]!);
            }
        });
        s_failures = failures;
        return threads;
    }

    [ThreadStatic]
    private static ConcurrentQueue<Exception>? s_failures;

    private static void JoinAll(KernelProbe probe, List<object> threads, TimeSpan? timeout = null)
    {
        var joiner = new Thread(() =>
        {
            foreach (var t in threads)
                t.GetType().GetMethod("Join")!.Invoke(t, null);
        });
        joiner.Start();
        if (!joiner.Join(timeout ?? TimeSpan.FromSeconds(60)))
        {
            // Deadlocked: panic the instance so its threads unwind and the test ends instead of hanging.
            probe.Call("Kern.Kernel", "PanicNoThrow", "test: kernel threads deadlocked");
            Assert.Fail("kernel threads did not finish: deadlock");
        }
        if (s_failures is { IsEmpty: false } f)
            throw new AggregateException(f);
    }
}

