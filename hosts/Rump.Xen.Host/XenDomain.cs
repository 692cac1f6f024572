using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Rump.Target.Xen.Abi;

namespace Rump.Xen.Host;

/// <summary>A disk for a guest: a host image file served by blkback as virtual device <see cref="VirtualDevice"/>.</summary>
public sealed record XenDiskConfig(string Path, bool Writable = true, string VirtualDevice = "xvda");

/// <summary>What the domain builder makes.</summary>
public sealed record XenDomainConfig
{
    public string Name { get; init; } = "rump";
    /// <summary>The guest's memory (pages it owns: rings, grant-table-backed buffers).</summary>
    public long MemoryBytes { get; init; } = 16L << 20;
    public IReadOnlyList<XenDiskConfig> Disks { get; init; } = [];
    /// <summary>start_info.cmd_line: NAME=value boot parameters.</summary>
    public string CommandLine { get; init; } = "";
    /// <summary>Receives each line the guest writes on its console (also kept in <see cref="XenDomain.ConsoleLines"/>).</summary>
    public Action<string>? Console { get; init; }
}

/// <summary>A guest domain on the software hypervisor: its port (to boot a xen kernel with), console and disks.</summary>
public sealed class XenDomain
{
    private readonly XenHypervisor _hv;
    private readonly Domain _domain;
    private readonly XenDomainConfig _config;
    private readonly List<BlkBack> _disks = [];
    private readonly List<ulong> _frames = [];
    private StoreRingServer? _store;
    private ConsoleBackend? _console;
    private int _destroyed;

    internal XenDomain(XenHypervisor hv, Domain domain, XenDomainConfig config)
    {
        _hv = hv;
        _domain = domain;
        _config = config;
        domain.Owner = this;
    }

    public ushort Id => _domain.Id;
    public string Name => _config.Name;

    /// <summary>The hypervisor port for <c>BootOptions.Xen</c>.</summary>
    public IXenHypervisorPort Port { get; private set; } = null!;

    /// <summary>The console back end (xenconsoled's part).</summary>
    public ConsoleBackend Console => _console!;

    public IReadOnlyList<string> ConsoleLines => _console?.Lines ?? [];

    public IReadOnlyList<BlkBack> Disks
    {
        get
        {
            lock (_disks)
                return _disks.ToArray();
        }
    }

    /// <summary>Set once the guest called SCHEDOP_shutdown.</summary>
    public XenShutdownReason? ShutdownReason { get; internal set; }

    /// <summary>The domain's xenstore home, /local/domain/&lt;id&gt;.</summary>
    public string HomePath => "/local/domain/" + Id.ToString(CultureInfo.InvariantCulture);

    internal void Build()
    {
        long pages = Math.Max(64, _config.MemoryBytes / XenPage.Size);
        for (long i = 0; i < pages; i++)
        {
            if (!_hv.Memory.TryAllocate(Id, out var f))
                throw new InvalidOperationException("the machine has no memory left for domain " + _config.Name + " (" + pages + " pages)");
            _frames.Add(f);
        }
        if (!_hv.Memory.TryAllocate(Id, out var siFrame))
            throw new InvalidOperationException("the machine has no memory left for a shared-info page");
        _domain.SharedInfoFrame = siFrame;
        _domain.SharedInfoPage = _hv.Memory.Get(siFrame)!;
        // Every event channel starts masked, as on Xen: the guest unmasks the ports it binds.
        for (int w = 0; w < 64; w++)
            Shared.U64(_domain.SharedInfoPage, SharedInfo.EvtchnMask + w * 8) = ulong.MaxValue;
        _domain.SetWallClock();
        _domain.UpdateTime();

        // The builder puts the two rings in the last pages of the guest's memory.
        ulong storeFrame = _frames[^2], consoleFrame = _frames[^1];
        Check(_hv.AllocUnbound(_domain, XenHypervisor.Dom0, null, out uint storePort), "store event channel");
        Check(_hv.AllocUnbound(_domain, XenHypervisor.Dom0, null, out uint consolePort), "console event channel");

        var home = HomePath;
        var store = _hv.Store;
        store.Write(home + "/name", _config.Name);
        store.Write(home + "/domid", Id.ToString(CultureInfo.InvariantCulture));
        store.Mkdir(home + "/device");
        store.Mkdir(home + "/data");
        store.Write(home + "/memory/target", (pages * XenPage.Size / 1024).ToString(CultureInfo.InvariantCulture));
        store.Write(home + "/console/ring-ref", consoleFrame.ToString(CultureInfo.InvariantCulture));
        store.Write(home + "/console/port", consolePort.ToString(CultureInfo.InvariantCulture));
        store.Write(home + "/console/type", "xenconsoled");

        _console = new ConsoleBackend(_hv, this, _hv.Memory.Get(consoleFrame)!, consolePort, _config.Console);
        _store = new StoreRingServer(_hv, this, _hv.Memory.Get(storeFrame)!, storePort);

        Port = new DomainPort(_hv, _domain, this, new XenStartInfo
        {
            DomainId = Id,
            Frames = _frames.ToArray(),
            SharedInfoFrame = siFrame,
            StoreFrame = storeFrame,
            StoreEventChannel = storePort,
            ConsoleFrame = consoleFrame,
            ConsoleEventChannel = consolePort,
            CommandLine = _config.CommandLine,
        });
        foreach (var disk in _config.Disks)
            AttachDisk(disk);
        store.FireSpecial("@introduceDomain");
    }

    /// <summary>Adds a disk (blkback in InitWait); the guest's blkfront finds it in xenstore.</summary>
    public BlkBack AttachDisk(XenDiskConfig disk)
    {
        var devid = VirtualDeviceNumber(disk.VirtualDevice);
        lock (_disks)
        {
            if (_disks.Any(d => d.DeviceId == devid))
                throw new ArgumentException("domain " + Name + " already has a disk " + disk.VirtualDevice, nameof(disk));
        }
        var back = BlkBack.Create(_hv, this, disk, devid);
        lock (_disks)
            _disks.Add(back);
        return back;
    }

    /// <summary>xvdX → 202 &lt;&lt; 8 | 16 * X (the Linux xvd numbering Xen tools use).</summary>
    public static int VirtualDeviceNumber(string name)
    {
        var n = name.StartsWith("/dev/", StringComparison.Ordinal) ? name.Substring(5) : name;
        if (n.Length == 4 && n.StartsWith("xvd", StringComparison.Ordinal) && n[3] is >= 'a' and <= 'p')
            return (202 << 8) | (16 * (n[3] - 'a'));
        throw new ArgumentException("virtual device '" + name + "' is not xvda..xvdp", nameof(name));
    }

    internal void GuestShutdown(XenShutdownReason reason)
    {
        ShutdownReason = reason;
        Destroy();
    }

    /// <summary>Tears the domain down: back ends disconnect, xenstore entries go, memory returns to the machine.</summary>
    public void Destroy()
    {
        if (System.Threading.Interlocked.Exchange(ref _destroyed, 1) != 0)
            return;
        _domain.MarkDying();
        foreach (var d in Disks)
            d.Destroy();
        _store?.Stop();
        _console?.Stop();
        var store = _hv.Store;
        store.ReleaseDomain(Id);
        store.RemoveIfExists(HomePath);
        store.RemoveIfExists("/local/domain/0/backend/vbd/" + Id.ToString(CultureInfo.InvariantCulture));
        store.FireSpecial("@releaseDomain");
        lock (_hv.Gate)
        {
            for (uint p = 1; p < _domain.Ports.Length; p++)
            {
                if (_domain.Ports[p] is not null)
                    _hv.Close(_domain, p);
            }
        }
        _domain.DisposeTimer();
        _hv.RemoveDomain(Id);
        foreach (var f in _frames)
            _hv.Memory.Free(f);
        foreach (var f in _domain.GrantFrames)
            _hv.Memory.Free(f);
        if (_domain.SharedInfoFrame != 0)
            _hv.Memory.Free(_domain.SharedInfoFrame);
    }

    public bool IsDestroyed => System.Threading.Volatile.Read(ref _destroyed) != 0;

    private static void Check(int error, string what)
    {
        if (error != 0)
            throw new InvalidOperationException("domain builder: " + what + " failed (Xen error " + error + ")");
    }
}

/// <summary>The hypervisor port of one guest: each member is what the hypercall would do.</summary>
internal sealed class DomainPort : IXenHypervisorPort
{
    private const int MaxGrantFrames = 32;
    private readonly XenHypervisor _hv;
    private readonly Domain _domain;
    private readonly XenDomain _owner;

    public DomainPort(XenHypervisor hv, Domain domain, XenDomain owner, XenStartInfo info)
    {
        _hv = hv;
        _domain = domain;
        _owner = owner;
        StartInfo = info;
    }

    public XenStartInfo StartInfo { get; }

    public int MapFrame(ulong frame, out Memory<byte> page)
    {
        page = default;
        if (_domain.Dying)
            return XenErrno.ESRCH;
        if (_hv.Memory.OwnerOf(frame) != _domain.Id || _hv.Memory.Get(frame) is not byte[] p)
            return XenErrno.EPERM;
        page = p;
        return 0;
    }

    public int GrantTableSetup(int frames, out ulong[] frameList)
    {
        frameList = [];
        if (frames < 1 || frames > MaxGrantFrames)
            return XenErrno.EINVAL;
        lock (_hv.Gate)
        {
            if (_domain.Dying)
                return XenErrno.ESRCH;
            while (_domain.GrantFrames.Count < frames)
            {
                if (!_hv.Memory.TryAllocate(_domain.Id, out var f))
                    return XenErrno.ENOMEM;
                _domain.GrantFrames.Add(f);
            }
            frameList = _domain.GrantFrames.Take(frames).ToArray();
            return 0;
        }
    }

    public int EventChannelAllocUnbound(ushort remoteDomain, out uint port) => _hv.AllocUnbound(_domain, remoteDomain, null, out port);

    public int EventChannelBindVirq(uint virq, out uint port) => _hv.BindVirq(_domain, virq, out port);

    public int EventChannelSend(uint port) => _hv.Send(_domain, port);

    public int EventChannelClose(uint port) => _hv.Close(_domain, port);

    public int EventChannelUnmask(uint port)
    {
        if (port == 0 || port >= SharedInfo.EventChannels)
            return XenErrno.EINVAL;
        _domain.Unmasked(port);
        return 0;
    }

    public int SetTimer(long systemTimeNanoseconds)
    {
        if (systemTimeNanoseconds < 0)
            return XenErrno.EINVAL;
        _domain.SetTimer(systemTimeNanoseconds);
        return 0;
    }

    public long ReadTimestampCounter() => System.Diagnostics.Stopwatch.GetTimestamp();

    public void Block() => _domain.Block();

    public void Shutdown(XenShutdownReason reason) => _owner.GuestShutdown(reason);
}
