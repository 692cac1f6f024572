using System;
using System.Collections.Generic;
using Rump.Kern;

namespace Rump.Dev;

/// <summary>
/// A partition as a block device (NetBSD's dk(4) wedge): requests are bounds-checked against the
/// partition, then offset onto the parent disk and passed to its strategy routine.
/// </summary>
internal sealed class Wedge : DiskDevice
{
    private readonly BlockDeviceSwitch _parent;
    private readonly DevT _parentDev;
    /// <summary>Start of the partition on the parent, in DEV_BSIZE blocks.</summary>
    private readonly long _offsetBlocks;
    private readonly Action<Buf> _childDone;
    /// <summary>Nested bufs to reuse (getiobuf/putiobuf); protected by the DiskDevice lock.</summary>
    private readonly Stack<Buf> _freeChildren = new();

    public Wedge(Disk disk, string parentName, BlockDeviceSwitch parent, DevT parentDev, long offsetBlocks, bool readOnly, Partition partition)
        : base(disk, BufQueue.Fcfs, maxInFlight: 64, readOnly)
    {
        ParentName = parentName;
        _parent = parent;
        _parentDev = parentDev;
        _offsetBlocks = offsetBlocks;
        Partition = partition;
        _childDone = ChildDone;
    }

    public string ParentName { get; }
    public Partition Partition { get; }
    public DevT Dev { get; internal set; }
    public long OffsetBytes => _offsetBlocks * Buf.DEV_BSIZE;

    public override int Open(int flags) => _parent.Open(_parentDev, flags);

    public override int Close(int flags) => _parent.Close(_parentDev, flags);

    public override int Sync() => _parent.Sync(_parentDev);

    protected override int DiskStart(Buf bp)
    {
        // dkstart: a nested buf for the parent, covering the part of the request inside the partition.
        Lock.Enter();
        _freeChildren.TryPop(out var child);
        Lock.Exit();
        child ??= new Buf();
        child.Reset(_parentDev, bp.Flags, bp.Data, bp.DataOffset, bp.Count - bp.Resid, _offsetBlocks + bp.Blkno);
        child.Private = bp;
        child.IoDone = _childDone;
        _parent.Strategy(child);
        return 0;
    }

    // Direct transfers go to the parent at the partition's offset (the bounds were checked against the partition).
    protected override int DiskReadDirect(long blkno, Span<byte> buffer, out int transferred)
        => _parent.ReadDirect(_parentDev, _offsetBlocks + blkno, buffer, out transferred);

    protected override int DiskWriteDirect(long blkno, ReadOnlySpan<byte> data, out int transferred)
        => _parent.WriteDirect(_parentDev, _offsetBlocks + blkno, data, out transferred);

    private void ChildDone(Buf child)
    {
        var bp = (Buf)child.Private!;
        var error = child.Error;
        if (error == 0)
            bp.Resid += child.Resid;
        // Biodone is finished with the child once it calls us, and nobody else holds it: reuse it.
        child.Private = null;
        Lock.Enter();
        if (_freeChildren.Count < MaxInFlight)
            _freeChildren.Push(child);
        Lock.Exit();
        DiskDone(bp, error);
    }
}

/// <summary>
/// The wedge layer: the "dk" block driver and the partition discovery that runs for every block device
/// node (DevSw.BlockNodeAdded). Partition N of disk "vnd0" becomes node "vnd0pN".
/// </summary>
/// <remarks>Locking: <see cref="s_lock"/> protects <see cref="s_byParent"/>; the dk switch has its own lock.</remarks>
internal static class Wedges
{
    public const string Driver = "dk";

    private static readonly KMutex s_lock = new();
    private static readonly Dictionary<string, List<Wedge>> s_byParent = new(StringComparer.Ordinal);
    private static DiskSwitch? s_dk;

    /// <summary>The dk block major, or -1 before <see cref="Init"/>.</summary>
    public static int Major => s_dk?.Major ?? -1;

    /// <summary>Attaches the dk driver and starts watching block device nodes.</summary>
    public static int Init()
    {
        s_lock.Enter();
        s_byParent.Clear();   // wedges of an earlier instance in this load context are gone with it
        s_lock.Exit();
        var error = DiskSwitch.Create(Driver, out var dk);
        if (error != 0)
            return error;
        s_dk = dk;
        DevSw.BlockNodeAdded += OnBlockNodeAdded;
        DevSw.BlockNodeRemoved += OnBlockNodeRemoved;
        return 0;
    }

    /// <summary>The wedges of disk node <paramref name="parentName"/>, by partition number.</summary>
    public static Wedge[] Of(string parentName)
    {
        s_lock.Enter();
        try
        {
            return s_byParent.TryGetValue(parentName, out var list) ? list.ToArray() : [];
        }
        finally
        {
            s_lock.Exit();
        }
    }

    /// <summary>
    /// Scans <paramref name="parentName"/> and adds a wedge per partition found (dkwedge_discover).
    /// Returns the number of wedges added; a disk that already has wedges is left alone.
    /// </summary>
    public static int Discover(string parentName, DevT parentDev)
    {
        var dk = s_dk;
        if (dk is null || parentDev.Major == dk.Major)
            return 0;   // wedges are not scanned for wedges
        var sw = DevSw.Block(parentDev.Major);
        if (sw is null)
            return 0;

        s_lock.Enter();
        var known = s_byParent.ContainsKey(parentName);
        s_lock.Exit();
        if (known)
            return 0;

        if (sw.Open(parentDev, BlockDeviceSwitch.FREAD) != 0)
        {
            KernelLog.Printf("dk: " + parentName + ": cannot open for the partition scan");
            return 0;
        }
        var found = new List<Partition>();
        TableKind kind;
        try
        {
            kind = PartitionScanner.Scan(parentName, sw, parentDev, found);
        }
        finally
        {
            sw.Close(parentDev, BlockDeviceSwitch.FREAD);
        }
        if (kind is TableKind.None or TableKind.Corrupt || found.Count == 0)
            return 0;

        sw.GetSize(parentDev, out _, out var sectorSize);
        var readOnly = sw.IsReadOnly(parentDev);
        var parentDevice = Autoconf.Find(parentName);
        var added = new List<Wedge>();
        foreach (var p in found)
        {
            var name = parentName + "p" + p.Number.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var overlap = added.Find(w => p.StartSector < w.Partition.StartSector + w.Partition.Sectors
                                          && w.Partition.StartSector < p.StartSector + p.Sectors);
            if (overlap is not null)
            {
                // dkwedge_add refuses overlapping wedges: the first one in table order wins.
                KernelLog.Printf("dk: " + parentName + ": partition " + p.Number + " overlaps " + overlap.Disk.Name + "; skipped");
                continue;
            }
            long offsetBlocks;
            try
            {
                offsetBlocks = checked(p.StartSector * (sectorSize / Buf.DEV_BSIZE));
                _ = checked(p.Sectors * sectorSize);
            }
            catch (OverflowException)
            {
                KernelLog.Printf("dk: " + parentName + ": partition " + p.Number + " too large; skipped");
                continue;
            }
            var label = p.Scheme + " " + p.Type + (p.Name.Length != 0 ? " " + p.Name : "");
            var wedge = new Wedge(new Disk(name, sectorSize, p.Sectors, label), parentName, sw, parentDev, offsetBlocks, readOnly, p);
            if (dk.AttachUnit(wedge, -1, out var dev) != 0)
                continue;
            wedge.Dev = dev;
            if (Autoconf.Attach(Autoconf.Driver(Driver), dev.Minor, parentDevice, wedge, out var device) == 0)
                wedge.Device = device;
            var error = DevSw.AddNode(name, block: true, dev);
            if (error != 0)
            {
                KernelLog.Printf("dk: " + name + ": cannot add the device node (error " + error + "); skipped");
                Remove(dk, wedge);
                continue;
            }
            added.Add(wedge);
            KernelLog.Debug("dk: " + name + " at " + parentName + ": " + label + ", start " + p.StartSector + ", " + p.Sectors + " sectors");
        }

        s_lock.Enter();
        s_byParent[parentName] = added;
        s_lock.Exit();
        return added.Count;
    }

    /// <summary>Removes every wedge of <paramref name="parentName"/> (dkwedge_delall); later I/O to them fails with ENXIO.</summary>
    public static int DeleteAll(string parentName)
    {
        var dk = s_dk;
        List<Wedge>? list;
        s_lock.Enter();
        s_byParent.Remove(parentName, out list);
        s_lock.Exit();
        if (dk is null || list is null)
            return 0;
        foreach (var wedge in list)
        {
            DevSw.RemoveNode(wedge.Disk.Name);
            Remove(dk, wedge);
        }
        return list.Count;
    }

    private static void Remove(DiskSwitch dk, Wedge wedge)
    {
        dk.DetachUnit(wedge.Dev.Minor);
        wedge.Drain();
        if (wedge.Device is not null)
            Autoconf.Detach(wedge.Device);
    }

    private static void OnBlockNodeAdded(string name, DevT dev) => Discover(name, dev);

    private static void OnBlockNodeRemoved(string name, DevT dev)
    {
        if (dev.Major != Major)
            DeleteAll(name);
    }
}
