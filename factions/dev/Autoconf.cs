using System;
using System.Collections.Generic;

namespace Rump.Dev;

using Errno = Rump.Kern.Errno;

/// <summary>A driver known to autoconf (struct cfdriver): a name and its units.</summary>
internal sealed class CfDriver
{
    public CfDriver(string name) => Name = name;

    public string Name { get; }

    /// <summary>Attached units, indexed by unit number; null = free. Protected by Autoconf's lock.</summary>
    internal readonly List<Device?> Units = new();
}

/// <summary>A node of the device tree (device_t): "vnd0", "dk3", "mainbus0".</summary>
internal sealed class Device
{
    internal Device(CfDriver driver, int unit, Device? parent, object? softc)
    {
        Driver = driver;
        Unit = unit;
        Parent = parent;
        Softc = softc;
        Name = driver.Name + unit.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>dv_xname.</summary>
    public string Name { get; }
    public CfDriver Driver { get; }
    public int Unit { get; }
    public Device? Parent { get; }
    /// <summary>The driver's per-unit state (device_private).</summary>
    public object? Softc { get; }

    /// <summary>Children in attach order. Protected by Autoconf's lock.</summary>
    internal readonly List<Device> Children = new();

    /// <summary>Called by <see cref="Autoconf.Detach"/> after the children are gone; returns 0 or errno (EBUSY keeps the device).</summary>
    public Func<Device, int>? DetachHook { get; set; }

    public override string ToString() => Name;
}

/// <summary>
/// Autoconfiguration, reduced to what a rump kernel needs (subr_autoconf.c without the config(8) tables):
/// drivers allocate units, devices attach under a parent and detach children first.
/// </summary>
/// <remarks>Locking: the tree, the driver list and every driver's unit table are protected by <see cref="s_lock"/>.</remarks>
internal static class Autoconf
{
    private static readonly Rump.Kern.KMutex s_lock = new();
    private static readonly Dictionary<string, CfDriver> s_drivers = new(StringComparer.Ordinal);
    private static readonly List<Device> s_all = new();
    private static Device? s_root;

    /// <summary>Forgets the device tree of an earlier instance (warm boot: statics outlive shutdown).</summary>
    internal static void Reset()
    {
        s_lock.Enter();
        s_drivers.Clear();
        s_all.Clear();
        s_root = null;
        s_lock.Exit();
    }

    /// <summary>The root of the tree ("mainbus0"), created on first use.</summary>
    public static Device Root
    {
        get
        {
            s_lock.Enter();
            try
            {
                if (s_root is null)
                {
                    var driver = DriverLocked("mainbus");
                    s_root = new Device(driver, 0, null, null);
                    driver.Units.Add(s_root);
                    s_all.Add(s_root);
                }
                return s_root;
            }
            finally
            {
                s_lock.Exit();
            }
        }
    }

    /// <summary>The driver named <paramref name="name"/>, registered on first use (config_cfdriver_attach).</summary>
    public static CfDriver Driver(string name)
    {
        s_lock.Enter();
        try
        {
            return DriverLocked(name);
        }
        finally
        {
            s_lock.Exit();
        }
    }

    /// <summary>
    /// Attaches a device (config_attach_pseudo): <paramref name="unit"/> ≥ 0 asks for that unit (EBUSY when
    /// taken), -1 takes the lowest free one. The parent defaults to the root.
    /// </summary>
    public static int Attach(CfDriver driver, int unit, Device? parent, object? softc, out Device? device)
    {
        device = null;
        var p = parent ?? Root;
        s_lock.Enter();
        try
        {
            if (!s_all.Contains(p))
                return Rump.Kern.Errno.ENXIO;
            if (unit < 0)
            {
                unit = driver.Units.IndexOf(null);
                if (unit < 0)
                    unit = driver.Units.Count;
            }
            else if (unit < driver.Units.Count && driver.Units[unit] is not null)
            {
                return Rump.Kern.Errno.EBUSY;
            }

            while (driver.Units.Count <= unit)
                driver.Units.Add(null);
            device = new Device(driver, unit, p, softc);
            driver.Units[unit] = device;
            p.Children.Add(device);
            s_all.Add(device);
            return 0;
        }
        finally
        {
            s_lock.Exit();
        }
    }

    /// <summary>
    /// Detaches a device and, first, its children (config_detach); ENXIO when not attached, or the
    /// errno of a detach hook that refused (the device and its remaining children stay).
    /// </summary>
    public static int Detach(Device device)
    {
        Device[] children;
        s_lock.Enter();
        if (!s_all.Contains(device))
        {
            s_lock.Exit();
            return Rump.Kern.Errno.ENXIO;
        }
        children = device.Children.ToArray();
        s_lock.Exit();

        for (var i = children.Length - 1; i >= 0; i--)
        {
            var error = Detach(children[i]);
            if (error != 0 && error != Rump.Kern.Errno.ENXIO)
                return error;
        }

        // The hook runs without the tree lock: drivers take their own locks and may detach other devices.
        var hookError = device.DetachHook?.Invoke(device) ?? 0;
        if (hookError != 0)
            return hookError;

        s_lock.Enter();
        try
        {
            if (!s_all.Remove(device))
                return Rump.Kern.Errno.ENXIO;
            device.Parent?.Children.Remove(device);
            device.Driver.Units[device.Unit] = null;
            if (ReferenceEquals(device, s_root))
                s_root = null;
            return 0;
        }
        finally
        {
            s_lock.Exit();
        }
    }

    /// <summary>The attached device named <paramref name="name"/> (device_find_by_xname), or null.</summary>
    public static Device? Find(string name)
    {
        s_lock.Enter();
        try
        {
            foreach (var d in s_all)
            {
                if (d.Name == name)
                    return d;
            }
            return null;
        }
        finally
        {
            s_lock.Exit();
        }
    }

    /// <summary>All attached devices, in attach order.</summary>
    public static Device[] Devices()
    {
        s_lock.Enter();
        try
        {
            return s_all.ToArray();
        }
        finally
        {
            s_lock.Exit();
        }
    }

    private static CfDriver DriverLocked(string name)
    {
        if (!s_drivers.TryGetValue(name, out var driver))
        {
            driver = new CfDriver(name);
            s_drivers.Add(name, driver);
        }
        return driver;
    }
}
