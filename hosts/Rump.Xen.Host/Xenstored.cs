using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Rump.Target.Xen.Abi;

namespace Rump.Xen.Host;

/// <summary>
/// xenstored: a tree of nodes with string values, transactions, and watches, after Xen's
/// docs/misc/xenstore.txt. dom0 code calls it directly; guests speak the wire protocol over their store
/// ring (<see cref="XenstoreConnection"/>). Permissions are stored but not enforced.
/// </summary>
public sealed class Xenstored
{
    private readonly XenHypervisor _hv;
    // _gate protects the tree, _generation, _watches, _transactions, _nextTx.
    private readonly object _gate = new();
    private Node _root = Node.NewRoot();
    private long _generation;
    private readonly List<WatchEntry> _watches = [];
    private readonly Dictionary<uint, Transaction> _transactions = [];
    private uint _nextTx = 1;

    internal Xenstored(XenHypervisor hv) => _hv = hv;

    // ---------------- dom0 API ----------------

    /// <summary>The value at <paramref name="path"/>, or null when there is no such node.</summary>
    public string? Read(string path)
    {
        lock (_gate)
            return Find(_root, path) is { } n ? Encoding.UTF8.GetString(n.Value) : null;
    }

    public void Write(string path, string value) => Check(Apply(Dom0Conn, 0, c => c.WriteNode(path, Encoding.UTF8.GetBytes(value))), path);

    public void Mkdir(string path) => Check(Apply(Dom0Conn, 0, c => c.MkdirNode(path)), path);

    public void Remove(string path) => Check(Apply(Dom0Conn, 0, c => c.RmNode(path)), path);

    public void RemoveIfExists(string path)
    {
        var e = Apply(Dom0Conn, 0, c => c.RmNode(path));
        if (e is not (null or "ENOENT"))
            Check(e, path);   // ENOENT: the parent is gone too
    }

    public IReadOnlyList<string> Directory(string path)
    {
        lock (_gate)
            return Find(_root, path)?.Children.Keys.ToArray() ?? [];
    }

    /// <summary>A dom0 watch: <paramref name="callback"/> gets the changed path, on dom0's loop (and once at once, as xenstored fires new watches).</summary>
    public IDisposable Watch(string path, Action<string> callback)
    {
        var w = new WatchEntry(null, path, path, "dom0", callback);
        lock (_gate)
            _watches.Add(w);
        _hv.Loop.Post(() => callback(path));
        return new Unwatcher(this, w);
    }

    private sealed class Unwatcher(Xenstored store, WatchEntry w) : IDisposable
    {
        public void Dispose()
        {
            lock (store._gate)
                store._watches.Remove(w);
        }
    }

    private static void Check(string? error, string path)
    {
        if (error is not null)
            throw new InvalidOperationException("xenstore: " + path + ": " + error);
    }

    private XenstoreConnection? _dom0Conn;
    private XenstoreConnection Dom0Conn => _dom0Conn ??= new XenstoreConnection(this, XenHypervisor.Dom0, _ => { });

    /// <summary>A wire-protocol connection for domain <paramref name="domid"/>; replies and watch events go to <paramref name="send"/>.</summary>
    public XenstoreConnection Connect(ushort domid, Action<byte[]> send) => new(this, domid, send);

    /// <summary>Fires watches on a special path (@introduceDomain, @releaseDomain).</summary>
    internal void FireSpecial(string path)
    {
        List<(WatchEntry, string)> events;
        lock (_gate)
            events = _watches.Where(w => w.AbsPath == path).Select(w => (w, w.ReportedPath(path))).ToList();
        Deliver(events);
    }

    /// <summary>Drops the watches and transactions of a domain's connections (XS_RELEASE).</summary>
    internal void ReleaseDomain(ushort domid)
    {
        lock (_gate)
        {
            _watches.RemoveAll(w => w.Connection?.DomainId == domid);
            foreach (var id in _transactions.Where(t => t.Value.Connection.DomainId == domid).Select(t => t.Key).ToList())
                _transactions.Remove(id);
        }
    }

    internal void DropConnection(XenstoreConnection c)
    {
        lock (_gate)
        {
            _watches.RemoveAll(w => w.Connection == c);
            foreach (var id in _transactions.Where(t => t.Value.Connection == c).Select(t => t.Key).ToList())
                _transactions.Remove(id);
        }
    }

    // ---------------- operations (for connections) ----------------

    /// <summary>
    /// Runs <paramref name="op"/> on the tree of transaction <paramref name="txId"/> (0 = none) and fires the
    /// watches of what it changed (at once, or when the transaction commits). Returns null or an error string.
    /// </summary>
    internal string? Apply(XenstoreConnection conn, uint txId, Func<TreeOps, string?> op)
    {
        List<(WatchEntry, string)> events;
        lock (_gate)
        {
            Transaction? tx = null;
            if (txId != 0 && (!_transactions.TryGetValue(txId, out tx) || tx.Connection != conn))
                return "ENOENT";
            var ops = new TreeOps(tx?.Root ?? _root, conn.DomainId);
            var error = op(ops);
            if (error is not null || ops.Changed.Count == 0)
                return error;
            if (tx is not null)
            {
                tx.Changed.AddRange(ops.Changed);
                return null;
            }
            _generation++;
            events = CollectEvents(ops.Changed);
        }
        Deliver(events);
        return null;
    }

    internal string? Query(XenstoreConnection conn, uint txId, Func<Node, string?> query)
    {
        lock (_gate)
        {
            Transaction? tx = null;
            if (txId != 0 && (!_transactions.TryGetValue(txId, out tx) || tx.Connection != conn))
                return "ENOENT";
            return query(tx?.Root ?? _root);
        }
    }

    internal uint StartTransaction(XenstoreConnection conn)
    {
        lock (_gate)
        {
            uint id = _nextTx++;
            if (_nextTx == 0)
                _nextTx = 1;
            _transactions[id] = new Transaction(conn, _root.Clone(), _generation);
            return id;
        }
    }

    /// <summary>XS_TRANSACTION_END: commit (EAGAIN when the store changed since the start) or abort.</summary>
    internal string? EndTransaction(XenstoreConnection conn, uint txId, bool commit)
    {
        List<(WatchEntry, string)> events;
        lock (_gate)
        {
            if (!_transactions.TryGetValue(txId, out var tx) || tx.Connection != conn)
                return "ENOENT";
            _transactions.Remove(txId);
            if (!commit || tx.Changed.Count == 0)
                return null;
            if (tx.StartGeneration != _generation)
                return "EAGAIN";
            _root = tx.Root;
            _generation++;
            events = CollectEvents(tx.Changed);
        }
        Deliver(events);
        return null;
    }

    internal string? AddWatch(XenstoreConnection conn, string path, string token)
    {
        string abs;
        lock (_gate)
        {
            if (!path.StartsWith('@'))
            {
                var e = TreeOps.Normalize(path, conn.DomainId, out abs);
                if (e is not null)
                    return e;
            }
            else
            {
                abs = path;
            }
            if (_watches.Any(w => w.Connection == conn && w.Path == path && w.Token == token))
                return "EEXIST";
            _watches.Add(new WatchEntry(conn, path, abs, token, null));
        }
        return null;
    }

    internal string? RemoveWatch(XenstoreConnection conn, string path, string token)
    {
        lock (_gate)
            return _watches.RemoveAll(w => w.Connection == conn && w.Path == path && w.Token == token) == 0 ? "ENOENT" : null;
    }

    internal void ResetWatches(XenstoreConnection conn)
    {
        lock (_gate)
            _watches.RemoveAll(w => w.Connection == conn);
    }

    private List<(WatchEntry, string)> CollectEvents(List<(string Path, bool Removed)> changed)
    {
        var events = new List<(WatchEntry, string)>();
        foreach (var (path, removed) in changed)
        {
            foreach (var w in _watches)
            {
                if (w.AbsPath.StartsWith('@'))
                    continue;
                // A watch sees changes to its node and everything below it; a removal also reaches
                // watches on nodes below the removed one.
                if (IsSelfOrBelow(path, w.AbsPath))
                    events.Add((w, w.ReportedPath(path)));
                else if (removed && IsSelfOrBelow(w.AbsPath, path))
                    events.Add((w, w.ReportedPath(w.AbsPath)));
            }
        }
        return events;
    }

    private void Deliver(List<(WatchEntry W, string Path)> events)
    {
        foreach (var (w, path) in events)
        {
            if (w.Connection is null)
            {
                var cb = w.Callback!;
                _hv.Loop.Post(() => cb(path));
            }
            else
            {
                w.Connection.SendWatchEvent(path, w.Token);
            }
        }
    }

    internal static bool IsSelfOrBelow(string path, string ancestor)
        => path == ancestor || ancestor == "/" || (path.StartsWith(ancestor, StringComparison.Ordinal) && path.Length > ancestor.Length && path[ancestor.Length] == '/');

    internal static Node? Find(Node root, string absPath)
    {
        if (absPath == "/")
            return root;
        var node = root;
        foreach (var part in absPath.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!node.Children.TryGetValue(part, out var child))
                return null;
            node = child;
        }
        return node;
    }

    internal sealed class Node
    {
        public byte[] Value = [];
        public string Perms = "n0";
        public OrderedDictionary<string, Node> Children = new(StringComparer.Ordinal);

        public static Node NewRoot()
        {
            var r = new Node();
            r.Children["local"] = new Node();
            r.Children["local"].Children["domain"] = new Node();
            r.Children["tool"] = new Node();
            return r;
        }

        public Node Clone()
        {
            var n = new Node { Value = Value, Perms = Perms };
            foreach (var kv in Children)
                n.Children[kv.Key] = kv.Value.Clone();
            return n;
        }
    }

    private sealed record Transaction(XenstoreConnection Connection, Node Root, long StartGeneration)
    {
        public List<(string, bool)> Changed { get; } = [];
    }

    private sealed record WatchEntry(XenstoreConnection? Connection, string Path, string AbsPath, string Token, Action<string>? Callback)
    {
        /// <summary>A watch set with a relative path gets relative event paths.</summary>
        public string ReportedPath(string absolute)
        {
            if (Path.StartsWith('/') || Path.StartsWith('@') || Connection is null)
                return absolute;
            var home = "/local/domain/" + Connection.DomainId.ToString(CultureInfo.InvariantCulture) + "/";
            return absolute.StartsWith(home, StringComparison.Ordinal) ? absolute.Substring(home.Length) : absolute;
        }
    }

    /// <summary>Changes to one tree (the store's or a transaction's copy), recording what changed.</summary>
    internal sealed class TreeOps(Node root, ushort domid)
    {
        public List<(string Path, bool Removed)> Changed { get; } = [];

        public static string? Normalize(string path, ushort domid, out string abs)
        {
            abs = "";
            if (path.Length == 0)
                return "EINVAL";
            abs = path[0] == '/' ? path : "/local/domain/" + domid.ToString(CultureInfo.InvariantCulture) + "/" + path;
            if (abs.Length > XsdSockmsg.AbsPathMax || (path[0] != '/' && path.Length > XsdSockmsg.RelPathMax))
                return "E2BIG";
            if (abs != "/" && (abs.EndsWith('/') || abs.Contains("//", StringComparison.Ordinal)))
                return "EINVAL";
            foreach (char c in abs)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '/' or '_' or '-' or '@'))
                    return "EINVAL";
            }
            return null;
        }

        public string? WriteNode(string path, byte[] value)
        {
            var e = Normalize(path, domid, out var abs);
            if (e is not null)
                return e;
            var node = root;
            var sofar = "";
            foreach (var part in abs.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                sofar += "/" + part;
                if (!node.Children.TryGetValue(part, out var child))
                {
                    child = new Node();
                    node.Children[part] = child;
                    Changed.Add((sofar, false));
                }
                node = child;
            }
            node.Value = value;
            if (Changed.Count == 0 || Changed[^1].Path != abs)
                Changed.Add((abs, false));
            return null;
        }

        public string? MkdirNode(string path)
        {
            var e = Normalize(path, domid, out var abs);
            if (e is not null)
                return e;
            if (Find(root, abs) is not null)
                return null;   // mkdir of an existing node succeeds and changes nothing
            return WriteNode(abs, []);
        }

        public string? SetPerms(string abs, string perms)
        {
            var node = Find(root, abs);
            if (node is null)
                return "ENOENT";
            node.Perms = perms;
            Changed.Add((abs, false));
            return null;
        }

        public string? RmNode(string path)
        {
            var e = Normalize(path, domid, out var abs);
            if (e is not null)
                return e;
            if (abs == "/")
                return "EINVAL";
            int slash = abs.LastIndexOf('/');
            var parent = Find(root, slash == 0 ? "/" : abs.Substring(0, slash));
            // xenstore.txt: not an error if the node does not exist, but an error if its parent does not either.
            if (parent is null)
                return "ENOENT";
            if (parent.Children.Remove(abs.Substring(slash + 1)))
                Changed.Add((abs, true));
            return null;
        }
    }
}
