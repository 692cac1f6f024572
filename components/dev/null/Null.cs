using System;
using Rump.Kern;

namespace Rump.Dev.Null;

/// <summary>/dev/null (mem(4) minor 2): reads return end of file, writes succeed and vanish.</summary>
[Component(InitLevel.Dev)]
internal sealed class NullDevice : CharDeviceSwitch
{
    public static void Init()
    {
        var error = DevSw.AttachChar("null", new NullDevice(), out var major);
        if (error == 0)
            error = DevSw.AddNode("null", block: false, new DevT(major, 0));
        if (error != 0)
            KernelLog.Printf("null: cannot attach (error " + error + ")");
    }

    public override int Open(DevT dev, int flags) => 0;

    public override int Close(DevT dev, int flags) => 0;

    public override int Read(DevT dev, Span<byte> buffer, long offset, out int nread)
    {
        nread = 0;
        return 0;
    }

    public override int Write(DevT dev, ReadOnlySpan<byte> buffer, long offset, out int nwritten)
    {
        nwritten = buffer.Length;
        return 0;
    }
}
