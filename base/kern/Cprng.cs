using System;

namespace Rump.Kern;

/// <summary>Kernel random numbers (cprng_strong) from the entropy hypercall.</summary>
internal static class Cprng
{
    /// <summary>Fills <paramref name="buffer"/> with random bytes; EIO if the host's source fails.</summary>
    public static int Fill(Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int error = Hyp.GetRandom(buffer, 0, out int length);
            if (error != 0)
                return error;
            if (length <= 0 || length > buffer.Length)
                return Errno.EIO;
            buffer = buffer.Slice(length);
        }
        return 0;
    }

    /// <summary>cprng_strong32.</summary>
    public static uint UInt32()
    {
        Span<byte> b = stackalloc byte[4];
        if (Fill(b) != 0)
            Kernel.Panic("cprng: entropy hypercall failed");
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    /// <summary>cprng_strong64.</summary>
    public static ulong UInt64()
    {
        Span<byte> b = stackalloc byte[8];
        if (Fill(b) != 0)
            Kernel.Panic("cprng: entropy hypercall failed");
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(b);
    }
}
