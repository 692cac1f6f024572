using System.Threading;

namespace Rump.Kern;

/// <summary>
/// Kernel memory (kmem_alloc/kmem_free) through the memory hypercalls, charged against the boot
/// memory limit (RUMP_MEMLIMIT). Past the limit an allocation fails with ENOMEM; the kernel never
/// asks the host for more than the limit allows.
/// </summary>
internal static class Kmem
{
    // Both fields are updated with atomic operations only (no lock): s_inUse is the sum of the sizes
    // of all live allocations; s_limit is set once at boot before any allocation (0 = no limit).
    private static long s_inUse;
    private static long s_limit;

    /// <summary>Bytes currently allocated.</summary>
    public static long InUse => Volatile.Read(ref s_inUse);

    /// <summary>The memory limit in bytes; 0 means no limit.</summary>
    public static long Limit => Volatile.Read(ref s_limit);

    /// <summary>Allocates <paramref name="size"/> zeroed bytes; ENOMEM past the limit, EINVAL for a negative size.</summary>
    public static int Alloc(int size, out byte[] memory)
    {
        memory = [];
        if (size < 0)
            return Errno.EINVAL;
        if (size == 0)
            return 0;
        long now = Interlocked.Add(ref s_inUse, size);
        long limit = Volatile.Read(ref s_limit);
        if (limit != 0 && now > limit)
        {
            Interlocked.Add(ref s_inUse, -size);
            return Errno.ENOMEM;
        }
        int error = Hyp.Malloc(size, 8, out memory);
        if (error != 0)
        {
            Interlocked.Add(ref s_inUse, -size);
            memory = [];
            return error;
        }
        return 0;
    }

    /// <summary>Returns memory obtained from <see cref="Alloc"/>.</summary>
    public static void Free(byte[] memory)
    {
        if (memory.Length == 0)
            return;
        Interlocked.Add(ref s_inUse, -memory.Length);
        Hyp.Free(memory);
    }

    /// <summary>Boot: sets the limit and forgets a previous instance's accounting.</summary>
    internal static void Init(long limit)
    {
        Volatile.Write(ref s_inUse, 0);
        Volatile.Write(ref s_limit, limit < 0 ? 0 : limit);
    }
}
