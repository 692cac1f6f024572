using System;
using Rump.Kern;

namespace Rump.Dev.Random;

using Errno = Rump.Kern.Errno;

/// <summary>
/// /dev/random and /dev/urandom (rnd(4)): reads come from the host's entropy through the random
/// hypercall; writes are accepted (NetBSD mixes them into the pool; the host pool needs no help).
/// </summary>
[Component(InitLevel.Dev)]
internal sealed class RandomDevice : CharDeviceSwitch
{
    public const int MinorRandom = 0, MinorUrandom = 1;

    public static void Init()
    {
        var error = DevSw.AttachChar("rnd", new RandomDevice(), out var major);
        if (error == 0)
            error = DevSw.AddNode("random", block: false, new DevT(major, MinorRandom));
        if (error == 0)
            error = DevSw.AddNode("urandom", block: false, new DevT(major, MinorUrandom));
        if (error != 0)
            KernelLog.Printf("rnd: cannot attach (error " + error + ")");
    }

    public override int Open(DevT dev, int flags) => dev.Minor is MinorRandom or MinorUrandom ? 0 : Errno.ENXIO;

    public override int Close(DevT dev, int flags) => 0;

    public override int Read(DevT dev, Span<byte> buffer, long offset, out int nread)
    {
        nread = 0;
        while (nread < buffer.Length)
        {
            var error = Hyp.GetRandom(buffer.Slice(nread), 0, out var got);
            if (error != 0)
                return nread > 0 ? 0 : error;
            if (got <= 0)
                return nread > 0 ? 0 : Errno.EIO;
            nread += got;
        }
        return 0;
    }

    public override int Write(DevT dev, ReadOnlySpan<byte> buffer, long offset, out int nwritten)
    {
        nwritten = buffer.Length;
        return 0;
    }
}
