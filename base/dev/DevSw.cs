using System;
using System.Collections.Generic;

namespace Rump.Kern;

/// <summary>
/// The device switch tables and the named device nodes (NetBSD's subr_devsw.c plus the names /dev shows).
/// Drivers attach their switches and add nodes; the vfs faction's /dev lists the nodes and specfs routes
/// opens and I/O to the switch of a node's major. Kept in the base so that vfs and dev stay independent.
/// </summary>
/// <remarks>
/// Locking: every table below is protected by <see cref="s_lock"/>. The events run without the lock
/// held, on the thread that added or removed the node, after the change is visible.
/// </remarks>
internal static class DevSw
{
    private static readonly KMutex s_lock = new();

    /// <summary>Block switches indexed by major; null = free. Protected by s_lock.</summary>
    private static readonly List<(string Driver, BlockDeviceSwitch? Switch)> s_block = new();

    /// <summary>Character switches indexed by major; null = free. Protected by s_lock.</summary>
    private static readonly List<(string Driver, CharDeviceSwitch? Switch)> s_char = new();

    /// <summary>Device nodes by name (ordinal). Protected by s_lock.</summary>
    private static readonly Dictionary<string, (bool Block, DevT Dev)> s_nodes = new(StringComparer.Ordinal);

    /// <summary>A block device node was added: the disk layer scans it for partitions.</summary>
    public static event Action<string, DevT>? BlockNodeAdded;

    /// <summary>A block device node was removed: layers built on it (wedges) detach.</summary>
    public static event Action<string, DevT>? BlockNodeRemoved;

    /// <summary>
    /// Forgets every switch, node and event subscriber. For a warm boot in the same load context: the
    /// boot must call it before the first init level (statics outlive an instance's shutdown).
    /// </summary>
    internal static void Reset()
    {
        s_lock.Enter();
        s_block.Clear();
        s_char.Clear();
        s_nodes.Clear();
        BlockNodeAdded = null;
        BlockNodeRemoved = null;
        s_lock.Exit();
    }

    /// <summary>Attaches a block driver under a new major (devsw_attach); EEXIST when the driver name is taken.</summary>
    public static int AttachBlock(string driver, BlockDeviceSwitch sw, out int major)
    {
        s_lock.Enter();
        try
        {
            return Attach(s_block, driver, sw, out major);
        }
        finally
        {
            s_lock.Exit();
        }
    }

    /// <summary>Attaches a character driver under a new major; EEXIST when the driver name is taken.</summary>
    public static int AttachChar(string driver, CharDeviceSwitch sw, out int major)
    {
        s_lock.Enter();
        try
        {
            return Attach(s_char, driver, sw, out major);
        }
        finally
        {
            s_lock.Exit();
        }
    }

    /// <summary>Detaches a block driver (devsw_detach); ENXIO when no such major, EBUSY while a node uses it.</summary>
    public static int DetachBlock(int major)
    {
        s_lock.Enter();
        try
        {
            if ((uint)major >= (uint)s_block.Count || s_block[major].Switch is null)
                return Errno.ENXIO;
            if (MajorInUse(block: true, major))
                return Errno.EBUSY;
            s_block[major] = (s_block[major].Driver, null);
            return 0;
        }
        finally
        {
            s_lock.Exit();
        }
    }

    /// <summary>Detaches a character driver; ENXIO when no such major, EBUSY while a node uses it.</summary>
    public static int DetachChar(int major)
    {
        s_lock.Enter();
        try
        {
            if ((uint)major >= (uint)s_char.Count || s_char[major].Switch is null)
                return Errno.ENXIO;
            if (MajorInUse(block: false, major))
                return Errno.EBUSY;
            s_char[major] = (s_char[major].Driver, null);
            return 0;
        }
        finally
        {
            s_lock.Exit();
        }
    }

    /// <summary>The block switch of <paramref name="major"/> (bdevsw_lookup), or null.</summary>
    public static BlockDeviceSwitch? Block(int major)
    {
        s_lock.Enter();
        var sw = (uint)major < (uint)s_block.Count ? s_block[major].Switch : null;
        s_lock.Exit();
        return sw;
    }

    /// <summary>The character switch of <paramref name="major"/> (cdevsw_lookup), or null.</summary>
    public static CharDeviceSwitch? Char(int major)
    {
        s_lock.Enter();
        var sw = (uint)major < (uint)s_char.Count ? s_char[major].Switch : null;
        s_lock.Exit();
        return sw;
    }

    /// <summary>Major of an attached driver by name (devsw_name2blk / name2chr); ENXIO when unknown.</summary>
    public static int MajorOf(string driver, bool block, out int major)
    {
        s_lock.Enter();
        try
        {
            if (block)
                major = s_block.FindIndex(e => e.Switch is not null && e.Driver == driver);
            else
                major = s_char.FindIndex(e => e.Switch is not null && e.Driver == driver);
            return major < 0 ? Errno.ENXIO : 0;
        }
        finally
        {
            s_lock.Exit();
        }
    }

    /// <summary>
    /// Adds a named device node (what /dev shows). EINVAL for an empty name or one containing '/',
    /// ENXIO when no switch is attached under the major, EEXIST when the name is taken. Adding a block
    /// node raises <see cref="BlockNodeAdded"/>.
    /// </summary>
    public static int AddNode(string name, bool block, DevT dev)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('/') || name == "." || name == "..")
            return Errno.EINVAL;
        s_lock.Enter();
        try
        {
            var attached = block
                ? (uint)dev.Major < (uint)s_block.Count && s_block[dev.Major].Switch is not null
                : (uint)dev.Major < (uint)s_char.Count && s_char[dev.Major].Switch is not null;
            if (!attached)
                return Errno.ENXIO;
            if (!s_nodes.TryAdd(name, (block, dev)))
                return Errno.EEXIST;
        }
        finally
        {
            s_lock.Exit();
        }

        if (block)
            BlockNodeAdded?.Invoke(name, dev);
        return 0;
    }

    /// <summary>Removes a device node; ENOENT when there is none. Removing a block node raises <see cref="BlockNodeRemoved"/>.</summary>
    public static int RemoveNode(string name)
    {
        (bool Block, DevT Dev) node;
        s_lock.Enter();
        try
        {
            if (!s_nodes.Remove(name, out node))
                return Errno.ENOENT;
        }
        finally
        {
            s_lock.Exit();
        }

        if (node.Block)
            BlockNodeRemoved?.Invoke(name, node.Dev);
        return 0;
    }

    /// <summary>Finds a device node by name.</summary>
    public static bool LookupNode(string name, out bool block, out DevT dev)
    {
        s_lock.Enter();
        var found = s_nodes.TryGetValue(name, out var node);
        s_lock.Exit();
        block = node.Block;
        dev = found ? node.Dev : DevT.NoDev;
        return found;
    }

    /// <summary>The name of the node for a device (devsw_getname + unit), or null.</summary>
    public static string? NodeName(bool block, DevT dev)
    {
        s_lock.Enter();
        try
        {
            foreach (var (name, node) in s_nodes)
            {
                if (node.Block == block && node.Dev == dev)
                    return name;
            }
            return null;
        }
        finally
        {
            s_lock.Exit();
        }
    }

    /// <summary>The names of all device nodes, sorted (ordinal).</summary>
    public static string[] NodeNames()
    {
        s_lock.Enter();
        var names = new string[s_nodes.Count];
        s_nodes.Keys.CopyTo(names, 0);
        s_lock.Exit();
        Array.Sort(names, StringComparer.Ordinal);
        return names;
    }

    private static int Attach<TSwitch>(List<(string Driver, TSwitch? Switch)> table, string driver, TSwitch sw, out int major)
        where TSwitch : class
    {
        major = -1;
        if (string.IsNullOrEmpty(driver))
            return Errno.EINVAL;
        var previous = -1;
        for (var i = 0; i < table.Count; i++)
        {
            if (table[i].Driver != driver)
                continue;
            if (table[i].Switch is not null)
                return Errno.EEXIST;
            previous = i;   // re-attach keeps the driver's major, as devsw_attach does
        }

        if (previous >= 0)
        {
            table[previous] = (driver, sw);
            major = previous;
        }
        else
        {
            table.Add((driver, sw));
            major = table.Count - 1;
        }
        return 0;
    }

    private static bool MajorInUse(bool block, int major)
    {
        foreach (var node in s_nodes.Values)
        {
            if (node.Block == block && node.Dev.Major == major)
                return true;
        }
        return false;
    }
}
