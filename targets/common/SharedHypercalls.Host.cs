using System;
using System.Collections.Generic;
using System.Globalization;
using System.Security.Cryptography;
using System.Threading;
using Rump.Kern;

namespace Rump.Target.Common;

// Inside Rump.*, a bare Errno would bind to the host contract's Rump.Errno enum; the kernel's are ints.
using Errno = Rump.Kern.Errno;

/// <summary>Boot parameters, memory, host threads and entropy: the same on every target of host threads.</summary>
internal abstract partial class SharedHypercalls
{
    // Set by the target's options hook (TargetSetup.Configure) before Init; read-only while the instance runs.
    private static Dictionary<string, string> s_params = new(StringComparer.Ordinal);

    // s_threadsGate protects s_threads (threads created by ThreadCreate and not yet joined at exit).
    private static readonly object s_threadsGate = new();
    private static readonly List<Thread> s_threads = [];

    // Bytes handed out by Malloc and not freed; atomic operations only.
    private static long s_allocated;

    /// <summary>Host bytes allocated for the kernel.</summary>
    internal static long Allocated => Volatile.Read(ref s_allocated);

    /// <summary>Host threads started for the kernel that are still alive.</summary>
    internal static int LiveThreads
    {
        get
        {
            lock (s_threadsGate)
            {
                int n = 0;
                foreach (var t in s_threads)
                {
                    if (t.IsAlive)
                        n++;
                }
                return n;
            }
        }
    }

    /// <summary>
    /// The parameters the kernel reads (rump_init's environment) from the host's typed boot options, then
    /// <paramref name="targetDefaults"/> (e.g. a domain's command line), then the explicit
    /// <see cref="BootOptions.Parameters"/>, which win as environment variables do for rump_init.
    /// </summary>
    protected static void SetBootParameters(BootOptions options, IEnumerable<KeyValuePair<string, string>> targetDefaults)
    {
        var p = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["RUMP_NCPU"] = options.VirtualCpus.ToString(CultureInfo.InvariantCulture),
            ["RUMP_MEMLIMIT"] = options.MemoryLimit.ToString(CultureInfo.InvariantCulture),
            ["RUMP_VERBOSE"] = options.Verbose ? "1" : "0",
            ["RUMP_HOSTNAME"] = options.HostName,
        };
        foreach (var kv in targetDefaults)
            p[kv.Key] = kv.Value;
        foreach (var kv in options.Parameters)
            p[kv.Key] = kv.Value;
        s_params = p;
    }

    public static int GetParam(string name, out string value)
    {
        if (s_params.TryGetValue(name, out var v))
        {
            value = v;
            return 0;
        }
        value = "";
        return Errno.ENOENT;
    }

    // ---- memory ----

    public static int Malloc(int size, int alignment, out byte[] memory)
    {
        if (size < 0)
        {
            memory = [];
            return Errno.EINVAL;
        }
        try
        {
            memory = GC.AllocateArray<byte>(size);
        }
        catch (OutOfMemoryException)
        {
            memory = [];
            return Errno.ENOMEM;
        }
        Interlocked.Add(ref s_allocated, size);
        return 0;
    }

    public static void Free(byte[] memory) => Interlocked.Add(ref s_allocated, -memory.Length);

    // ---- threads ----

    public static int ThreadCreate(ThreadFunc body, object? arg, string name, bool joinable, out object thread)
    {
        var t = new Thread(() => body(arg))
        {
            IsBackground = true,
            Name = s_threadNamePrefix + name,
        };
        lock (s_threadsGate)
        {
            s_threads.RemoveAll(static x => !x.IsAlive && x.ThreadState.HasFlag(ThreadState.Stopped));
            s_threads.Add(t);
        }
        try
        {
            t.Start();
        }
        catch (OutOfMemoryException)
        {
            lock (s_threadsGate)
                s_threads.Remove(t);
            thread = t;
            return Errno.EAGAIN;
        }
        thread = t;
        return 0;
    }

    public static int ThreadJoin(object thread)
    {
        if (thread is not Thread t)
            return Errno.EINVAL;
        if (t == Thread.CurrentThread)
            return Errno.EDEADLK;
        t.Join();
        return 0;
    }

    /// <summary>At a halt: lets the host threads of returned kernel threads finish their last steps.</summary>
    protected static void JoinThreads(TimeSpan timeout)
    {
        Thread[] threads;
        lock (s_threadsGate)
        {
            threads = s_threads.ToArray();
            s_threads.Clear();
        }
        var current = Thread.CurrentThread;
        foreach (var t in threads)
        {
            if (t != current && t.IsAlive)
                t.Join(timeout);
        }
    }

    // ---- entropy ----

    /// <summary>The host's CSPRNG (on xen it stands for the CPU's RDRAND/RDSEED: a PV guest has no entropy hypercall).</summary>
    public static int GetRandom(Span<byte> buffer, int flags, out int length)
    {
        RandomNumberGenerator.Fill(buffer);
        length = buffer.Length;
        return 0;
    }
}
