using System;
using System.Linq;
using Rump;

namespace Rump.Kernel.Tests;

public class MemoryTests
{
    private const int ENOMEM = 12;

    [Fact]
    public void Kmem_PastBootMemoryLimit_ReturnsENOMEM_AndFreeingMakesRoom()
    {
        using var probe = KernelProbe.Boot(new BootOptions { MemoryLimit = 1 << 20 });
        var alloc = probe.Method("Kern.Kmem", "Alloc", 2);
        var free = probe.Method("Kern.Kmem", "Free", 1);
        Assert.Equal(1L << 20, (long)probe.Get("Kern.Kmem", "Limit")!);
        long before = (long)probe.Get("Kern.Kmem", "InUse")!;

        var first = new object?[] { 768 << 10, null };
        Assert.Equal(0, (int)alloc.Invoke(null, first)!);
        Assert.Equal(768 << 10, ((byte[])first[1]!).Length);
        Assert.Equal(before + (768 << 10), (long)probe.Get("Kern.Kmem", "InUse")!);

        var second = new object?[] { 512 << 10, null };
        Assert.Equal(ENOMEM, (int)alloc.Invoke(null, second)!);
        Assert.Empty((byte[])second[1]!);
        Assert.Equal(before + (768 << 10), (long)probe.Get("Kern.Kmem", "InUse")!);

        free.Invoke(null, [first[1]]);
        Assert.Equal(0, (int)alloc.Invoke(null, second)!);
        free.Invoke(null, [second[1]]);
        Assert.Equal(before, (long)probe.Get("Kern.Kmem", "InUse")!);
    }

    [Fact]
    public void Kmem_NoLimit_AllocatesZeroedMemory()
    {
        using var probe = KernelProbe.Boot();
        var args = new object?[] { 4096, null };
        Assert.Equal(0, (int)probe.Call("Kern.Kmem", "Alloc", args)!);
        var memory = (byte[])args[1]!;
        Assert.Equal(4096, memory.Length);
        Assert.All(memory, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Kmem_NegativeSize_ReturnsEINVAL()
    {
        using var probe = KernelProbe.Boot();
        Assert.Equal((int)Errno.EINVAL, (int)probe.Call("Kern.Kmem", "Alloc", -1, null)!);
    }

    [Fact]
    public void Kmem_ConcurrentAllocations_NeverExceedTheLimit()
    {
        const int limit = 64 << 10;
        using var probe = KernelProbe.Boot(new BootOptions { MemoryLimit = limit, VirtualCpus = 4 });
        var alloc = probe.Method("Kern.Kmem", "Alloc", 2);
        int granted = 0;
        System.Threading.Tasks.Parallel.For(0, 200, _ =>
        {
            var args = new object?[] { 1024, null };
            if ((int)alloc.Invoke(null, args)! == 0)
                System.Threading.Interlocked.Increment(ref granted);
        });
        Assert.Equal(64, granted);
        Assert.Equal((long)limit, (long)probe.Get("Kern.Kmem", "InUse")!);
    }
}

public class EntropyTests
{
    [Fact]
    public void Cprng_GivesDistinctValues()
    {
        using var probe = KernelProbe.Boot();
        var values = probe.InKernel(() => new[]
        {
            (ulong)probe.Call("Kern.Cprng", "UInt64")!,
            (ulong)probe.Call("Kern.Cprng", "UInt64")!,
            (ulong)probe.Call("Kern.Cprng", "UInt64")!,
        });
        Assert.Equal(3, values.Distinct().Count());
    }
}
