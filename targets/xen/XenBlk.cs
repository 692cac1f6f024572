using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using Rump.Target.Xen.Abi;


namespace Rump.Target.Xen;

using Errno = Rump.Kern.Errno;

/// <summary>
/// The block devices the kernel opens by host path: a path names a virtual disk of this domain when it
/// equals its back end's "params" (the host image path the toolstack wrote) or its "dev" name (xvda,
/// /dev/xvda). Found in xenstore under device/vbd, connected on first use, open descriptors map to them.
/// </summary>
internal static class XenBlk
{
    // s_gate protects s_devices and s_fds.
    private static readonly object s_gate = new();
    private static readonly Dictionary<string, BlkfrontDevice> s_devices = new(StringComparer.Ordinal);
    private static readonly List<(BlkfrontDevice Device, bool Writable)?> s_fds = [];
    // Serializes discovery and handshakes (xenstore traffic, one device at a time).
    private static readonly object s_connectGate = new();

    public static void Start()
    {
        lock (s_gate)
        {
            s_devices.Clear();
            s_fds.Clear();
        }
    }

    /// <summary>Finds (and on first use connects) the disk named by <paramref name="path"/>.</summary>
    public static int Lookup(string path, out BlkfrontDevice? device)
    {
        device = null;
        if (string.IsNullOrEmpty(path))
            return Errno.ENOENT;
        lock (s_connectGate)
        {
            lock (s_gate)
            {
                if (s_devices.TryGetValue(path, out device))
                    return device.Usable ? 0 : Errno.ENXIO;
            }
            int error = XenStore.Directory("device/vbd", out var ids);
            if (error == Errno.ENOENT)
                return Errno.ENOENT;
            if (error != 0)
                return error;
            foreach (var id in ids)
            {
                var node = "device/vbd/" + id;
                if (XenStore.Read(node + "/backend", out var backend) != 0)
                    continue;
                XenStore.Read(backend + "/params", out var parameters);
                XenStore.Read(backend + "/dev", out var dev);
                bool match = path == parameters || (dev.Length > 0 && (path == dev || path == "/dev/" + dev));
                if (!match)
                    continue;
                ushort backendId = XenStore.Read(node + "/backend-id", out var bid) == 0
                    && ushort.TryParse(bid, NumberStyles.None, CultureInfo.InvariantCulture, out var b) ? b : (ushort)0;
                var name = dev.Length > 0 ? dev : id;
                // One device object per disk, whatever name the kernel used for it.
                lock (s_gate)
                {
                    foreach (var d in s_devices.Values)
                    {
                        if (d.NodePath == node)
                        {
                            s_devices[path] = d;
                            device = d;
                            return d.Usable ? 0 : Errno.ENXIO;
                        }
                    }
                }
                var fresh = new BlkfrontDevice(node, backend, backendId, name);
                error = fresh.Connect();
                if (error != 0)
                {
                    fresh.Shutdown();
                    return error == Errno.ETIMEDOUT ? Errno.ENXIO : error;
                }
                lock (s_gate)
                    s_devices[path] = fresh;
                device = fresh;
                return 0;
            }
            return Errno.ENOENT;
        }
    }

    public static int Open(string path, bool write, out int fd)
    {
        fd = -1;
        int error = Lookup(path, out var device);
        if (error != 0)
            return error;
        if (write && device!.ReadOnly)
            return Errno.EROFS;
        lock (s_gate)
        {
            for (int i = 0; i < s_fds.Count; i++)
            {
                if (s_fds[i] is null)
                {
                    s_fds[i] = (device!, write);
                    fd = i;
                    return 0;
                }
            }
            s_fds.Add((device!, write));
            fd = s_fds.Count - 1;
            return 0;
        }
    }

    public static int Close(int fd)
    {
        lock (s_gate)
        {
            if ((uint)fd >= (uint)s_fds.Count || s_fds[fd] is null)
                return Errno.EBADF;
            s_fds[fd] = null;
            return 0;
        }
    }

    public static BlkfrontDevice? Get(int fd, out bool writable)
    {
        lock (s_gate)
        {
            if ((uint)fd < (uint)s_fds.Count && s_fds[fd] is { } e)
            {
                writable = e.Writable;
                return e.Device;
            }
        }
        writable = false;
        return null;
    }

    /// <summary>Instance exit: every front end closes.</summary>
    public static void Shutdown()
    {
        List<BlkfrontDevice> all;
        lock (s_gate)
        {
            all = [.. new HashSet<BlkfrontDevice>(s_devices.Values)];
            s_devices.Clear();
            s_fds.Clear();
        }
        foreach (var d in all)
            d.Shutdown();
    }
}
