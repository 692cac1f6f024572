using System;
using Rump.Kern;

namespace Rump.Dev.Md;

using Errno = Rump.Kern.Errno;

/// <summary>
/// md(4): a memory disk in kernel memory (counted against the boot memory limit). Units are created with
/// <see cref="Create"/> or at boot with the parameters <c>md0</c>…<c>md3</c> = size in bytes (suffix
/// <c>k</c> or <c>m</c> allowed). Unit N appears as block device node "mdN".
/// </summary>
[Component(InitLevel.Dev)]
internal static class Md
{
    public const string Driver = "md";
    private const int BootUnits = 4;

    private static readonly KMutex s_configLock = new();
    private static DiskSwitch? s_sw;

    public static void Init()
    {
        var error = DiskSwitch.Create(Driver, out s_sw);
        if (error != 0)
        {
            KernelLog.Printf("md: cannot attach the block driver (error " + error + ")");
            return;
        }
        for (var unit = 0; unit < BootUnits; unit++)
        {
            if (Hyp.GetParam(Driver + unit.ToString(System.Globalization.CultureInfo.InvariantCulture), out var text) != 0)
                continue;
            if (!TryParseSize(text, out var bytes))
            {
                KernelLog.Printf("md" + unit + ": bad size \"" + text + "\"");
                continue;
            }
            error = Create(unit, bytes);
            if (error != 0)
                KernelLog.Printf("md" + unit + ": cannot create " + bytes + " bytes (error " + error + ")");
        }
    }

    /// <summary>
    /// MD_SETCONF: a zero-filled memory disk of <paramref name="bytes"/> (a multiple of 512, at most
    /// 2 GiB). EINVAL for a bad size or unit, EBUSY when the unit exists, ENOMEM past the memory limit.
    /// </summary>
    public static int Create(int unit, long bytes)
    {
        var sw = s_sw;
        if (sw is null)
            return Errno.ENXIO;
        if (unit < 0 || unit > 255 || bytes <= 0 || bytes > int.MaxValue - Buf.DEV_BSIZE || bytes % Buf.DEV_BSIZE != 0)
            return Errno.EINVAL;
        s_configLock.Enter();
        try
        {
            if (sw.Unit(unit) is not null)
                return Errno.EBUSY;
            var error = Kmem.Alloc((int)bytes, out var memory);
            if (error != 0)
                return error;
            var name = Driver + unit.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var md = new MdDevice(new Disk(name, Buf.DEV_BSIZE, bytes / Buf.DEV_BSIZE, "memory"), memory);
            error = sw.AttachUnit(md, unit, out var dev);
            if (error != 0)
            {
                Kmem.Free(memory);
                return error;
            }
            if (Rump.Dev.Autoconf.Attach(Rump.Dev.Autoconf.Driver(Driver), unit, null, md, out var device) == 0)
                md.Device = device;
            error = DevSw.AddNode(name, block: true, dev);
            if (error != 0)
            {
                Teardown(sw, unit, md);
                return error;
            }
            return 0;
        }
        finally
        {
            s_configLock.Exit();
        }
    }

    /// <summary>Frees the unit and its memory; ENXIO when it does not exist.</summary>
    public static int Destroy(int unit)
    {
        var sw = s_sw;
        if (sw is null)
            return Errno.ENXIO;
        s_configLock.Enter();
        try
        {
            if (sw.Unit(unit) is not MdDevice md)
                return Errno.ENXIO;
            DevSw.RemoveNode(md.Disk.Name);
            Teardown(sw, unit, md);
            return 0;
        }
        finally
        {
            s_configLock.Exit();
        }
    }

    internal static bool TryParseSize(string text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrEmpty(text))
            return false;
        long scale = 1;
        var digits = text;
        var last = char.ToLowerInvariant(text[^1]);
        if (last == 'k' || last == 'm')
        {
            scale = last == 'k' ? 1024 : 1024 * 1024;
            digits = text.Substring(0, text.Length - 1);
        }
        if (!long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
            return false;
        try
        {
            bytes = checked(n * scale);
        }
        catch (OverflowException)
        {
            return false;
        }
        return true;
    }

    private static void Teardown(DiskSwitch sw, int unit, MdDevice md)
    {
        sw.DetachUnit(unit);
        md.Drain();
        if (md.Device is not null)
            Rump.Dev.Autoconf.Detach(md.Device);
        md.Release();
    }
}

/// <summary>One memory disk: requests complete at once by copying to or from its memory.</summary>
/// <remarks>Locking: <see cref="_rw"/> orders copies against each other (readers share) and against release.</remarks>
internal sealed class MdDevice : DiskDevice
{
    private readonly KRwLock _rw = new();
    private byte[]? _memory;

    public MdDevice(Disk disk, byte[] memory)
        : base(disk, BufQueue.Fcfs, maxInFlight: 1, readOnly: false)
        => _memory = memory;

    protected override int DiskStart(Buf bp)
    {
        var length = bp.Count - bp.Resid;
        var writer = !bp.IsRead;
        _rw.Enter(writer);
        var error = 0;
        var memory = _memory;
        if (memory is null)
        {
            error = Errno.ENXIO;
        }
        else
        {
            var offset = (int)bp.ByteOffset;   // the disk is < 2 GiB and the request was bounds-checked
            if (bp.IsRead)
                memory.AsSpan(offset, length).CopyTo(bp.Data.AsSpan(bp.DataOffset, length));
            else
                bp.Data.AsSpan(bp.DataOffset, length).CopyTo(memory.AsSpan(offset, length));
        }
        _rw.Exit();
        if (error != 0)
            return error;
        DiskDone(bp, 0);
        return 0;
    }

    protected override int DiskReadDirect(long blkno, Span<byte> buffer, out int transferred)
    {
        transferred = 0;
        _rw.Enter(false);
        var memory = _memory;
        if (memory is not null)
            memory.AsSpan((int)(blkno * Buf.DEV_BSIZE), buffer.Length).CopyTo(buffer);   // bounds-checked, < 2 GiB
        _rw.Exit();
        if (memory is null)
            return Errno.ENXIO;
        transferred = buffer.Length;
        return 0;
    }

    protected override int DiskWriteDirect(long blkno, ReadOnlySpan<byte> data, out int transferred)
    {
        transferred = 0;
        _rw.Enter(true);
        var memory = _memory;
        if (memory is not null)
            data.CopyTo(memory.AsSpan((int)(blkno * Buf.DEV_BSIZE), data.Length));
        _rw.Exit();
        if (memory is null)
            return Errno.ENXIO;
        transferred = data.Length;
        return 0;
    }

    internal void Release()
    {
        _rw.Enter(true);
        var memory = _memory;
        _memory = null;
        _rw.Exit();
        if (memory is not null)
            Kmem.Free(memory);
    }
}
