using System;
using Rump.Kern;

namespace Rump.Dev.Zero;

/// <summary>/dev/zero (mem(4) minor 12): reads fill the buffer with zero bytes, writes succeed and vanish.</summary>
[Component(InitLevel.Dev)]
internal sealed class ZeroDevice : CharDeviceSwitch
{
    public static void Init()
    {
        var error = DevSw.AttachChar("zero", new ZeroDevice(), out var major);
        if (error == 0)
            error = DevSw.AddNode("zero", block: false, new DevT(major, 0));
        if (error != 0)
            KernelLog.Printf("zero: cannot attach (error " + error + ")");
    }

    public override int Open(DevT dev, int flags) => 0;

    public override int Close(DevT dev, int flags) => 0;

    public override int Read(DevT dev, Span<byte> buffer, long offset, out int nread)
    {
        buffer.Clear();
        nread = buffer.Length;
        return 0;
    }

    public override int Write(DevT dev, ReadOnlySpan<byte> buffer, long offset, out int nwritten)
    {
        nwritten = buffer.Length;
        return 0;
    }
}
