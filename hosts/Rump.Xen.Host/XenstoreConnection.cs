using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Rump.Target.Xen.Abi;

namespace Rump.Xen.Host;

/// <summary>
/// One client of xenstored speaking the wire protocol: each request is a 16-byte xsd_sockmsg header
/// (type, req_id, tx_id, len) and a payload of at most 4096 bytes; each gets exactly one reply with the
/// same req_id and tx_id; watch events arrive as XS_WATCH_EVENT messages with req_id and tx_id 0.
/// </summary>
public sealed class XenstoreConnection
{
    private readonly Xenstored _store;
    private readonly Action<byte[]> _send;

    internal XenstoreConnection(Xenstored store, ushort domainId, Action<byte[]> send)
    {
        _store = store;
        DomainId = domainId;
        _send = send;
    }

    public ushort DomainId { get; }

    /// <summary>Handles one whole request message (header + payload) and sends its reply.</summary>
    public void Process(ReadOnlySpan<byte> message)
    {
        if (message.Length < XsdSockmsg.Size)
        {
            _send(Reply(XsdSockmsg.XS_ERROR, 0, 0, Err("EINVAL")));
            return;
        }
        XsdSockmsg.ReadHeader(message, out uint type, out uint reqId, out uint txId, out uint len);
        if (len > XsdSockmsg.PayloadMax || len != message.Length - XsdSockmsg.Size)
        {
            _send(Reply(XsdSockmsg.XS_ERROR, reqId, txId, Err("E2BIG")));
            return;
        }
        var payload = message.Slice(XsdSockmsg.Size).ToArray();
        byte[] reply;
        uint replyType = type;
        try
        {
            reply = Handle(type, txId, payload, out var error);
            if (error is not null)
            {
                replyType = XsdSockmsg.XS_ERROR;
                reply = Err(error);
            }
        }
        catch (FormatException)
        {
            replyType = XsdSockmsg.XS_ERROR;
            reply = Err("EINVAL");
        }
        _send(Reply(replyType, reqId, txId, reply));
        // xenstore.txt: a new watch is triggered once straight away, with the event path equal to the watch path.
        if (_pendingInitialEvent is { } first)
        {
            _pendingInitialEvent = null;
            SendWatchEvent(first.Path, first.Token);
        }
    }

    private byte[] Handle(uint type, uint txId, byte[] payload, out string? error)
    {
        error = null;
        var args = Split(payload);
        switch (type)
        {
            case XsdSockmsg.XS_READ:
            {
                byte[]? value = null;
                error = _store.Query(this, txId, root =>
                {
                    var e = Xenstored.TreeOps.Normalize(Arg(args, 0), DomainId, out var abs);
                    if (e is not null)
                        return e;
                    value = Xenstored.Find(root, abs)?.Value;
                    return value is null ? "ENOENT" : null;
                });
                return value ?? [];
            }
            case XsdSockmsg.XS_DIRECTORY:
            {
                var list = new List<byte>();
                error = _store.Query(this, txId, root =>
                {
                    var e = Xenstored.TreeOps.Normalize(Arg(args, 0), DomainId, out var abs);
                    if (e is not null)
                        return e;
                    var node = Xenstored.Find(root, abs);
                    if (node is null)
                        return "ENOENT";
                    foreach (var name in node.Children.Keys)
                    {
                        list.AddRange(Encoding.UTF8.GetBytes(name));
                        list.Add(0);
                    }
                    return list.Count > XsdSockmsg.PayloadMax ? "E2BIG" : null;
                });
                return list.ToArray();
            }
            case XsdSockmsg.XS_GET_PERMS:
            {
                string perms = "";
                error = _store.Query(this, txId, root =>
                {
                    var e = Xenstored.TreeOps.Normalize(Arg(args, 0), DomainId, out var abs);
                    if (e is not null)
                        return e;
                    var node = Xenstored.Find(root, abs);
                    perms = node?.Perms ?? "";
                    return node is null ? "ENOENT" : null;
                });
                return Z(perms);
            }
            case XsdSockmsg.XS_SET_PERMS:
                error = _store.Apply(this, txId, ops =>
                {
                    var e = Xenstored.TreeOps.Normalize(Arg(args, 0), DomainId, out var abs);
                    if (e is not null)
                        return e;
                    return ops.SetPerms(abs, string.Join('\0', args.GetRange(1, Math.Max(0, args.Count - 1))));
                });
                return Z("OK");
            case XsdSockmsg.XS_WRITE:
            {
                int nul = Array.IndexOf(payload, (byte)0);
                if (nul < 0)
                {
                    error = "EINVAL";
                    return [];
                }
                var path = Encoding.UTF8.GetString(payload, 0, nul);
                var value = payload.AsSpan(nul + 1).ToArray();
                error = _store.Apply(this, txId, ops => ops.WriteNode(path, value));
                return Z("OK");
            }
            case XsdSockmsg.XS_MKDIR:
                error = _store.Apply(this, txId, ops => ops.MkdirNode(Arg(args, 0)));
                return Z("OK");
            case XsdSockmsg.XS_RM:
                error = _store.Apply(this, txId, ops => ops.RmNode(Arg(args, 0)));
                return Z("OK");
            case XsdSockmsg.XS_WATCH:
            {
                var path = Arg(args, 0);
                var token = Arg(args, 1);
                error = _store.AddWatch(this, path, token);
                if (error is null)
                    _pendingInitialEvent = (path, token);
                return Z("OK");
            }
            case XsdSockmsg.XS_UNWATCH:
                error = _store.RemoveWatch(this, Arg(args, 0), Arg(args, 1));
                return Z("OK");
            case XsdSockmsg.XS_RESET_WATCHES:
                _store.ResetWatches(this);
                return Z("OK");
            case XsdSockmsg.XS_TRANSACTION_START:
                if (txId != 0)
                {
                    error = "EINVAL";
                    return [];
                }
                return Z(_store.StartTransaction(this).ToString(CultureInfo.InvariantCulture));
            case XsdSockmsg.XS_TRANSACTION_END:
            {
                var how = Arg(args, 0);
                if (how is not ("T" or "F"))
                {
                    error = "EINVAL";
                    return [];
                }
                error = _store.EndTransaction(this, txId, how == "T");
                return Z("OK");
            }
            case XsdSockmsg.XS_GET_DOMAIN_PATH:
            {
                if (!ushort.TryParse(Arg(args, 0), NumberStyles.None, CultureInfo.InvariantCulture, out var domid))
                {
                    error = "EINVAL";
                    return [];
                }
                return Z("/local/domain/" + domid.ToString(CultureInfo.InvariantCulture));
            }
            case XsdSockmsg.XS_INTRODUCE:
            case XsdSockmsg.XS_RELEASE:
            case XsdSockmsg.XS_RESUME:
            case XsdSockmsg.XS_SET_TARGET:
                error = DomainId == XenHypervisor.Dom0 ? "ENOSYS" : "EACCES";   // dom0-only; the builder does this here
                return [];
            default:
                error = "ENOSYS";
                return [];
        }
    }

    private (string Path, string Token)? _pendingInitialEvent;

    internal void SendWatchEvent(string path, string token)
    {
        var payload = new List<byte>(Encoding.UTF8.GetBytes(path)) { 0 };
        payload.AddRange(Encoding.UTF8.GetBytes(token));
        payload.Add(0);
        _send(Reply(XsdSockmsg.XS_WATCH_EVENT, 0, 0, payload.ToArray()));
    }

    /// <summary>The connection is gone: its watches and transactions go with it.</summary>
    public void Close() => _store.DropConnection(this);

    private static byte[] Reply(uint type, uint reqId, uint txId, byte[] payload)
    {
        var m = new byte[XsdSockmsg.Size + payload.Length];
        XsdSockmsg.WriteHeader(m, type, reqId, txId, (uint)payload.Length);
        payload.CopyTo(m, XsdSockmsg.Size);
        return m;
    }

    private static byte[] Z(string s)
    {
        var b = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, b);
        return b;
    }

    private static byte[] Err(string e) => Z(e);

    private static string Arg(List<string> args, int i) => i < args.Count ? args[i] : throw new FormatException();

    /// <summary>NUL-terminated strings of a payload (a missing last terminator is tolerated).</summary>
    private static List<string> Split(byte[] payload)
    {
        var list = new List<string>();
        int start = 0;
        for (int i = 0; i < payload.Length; i++)
        {
            if (payload[i] == 0)
            {
                list.Add(Encoding.UTF8.GetString(payload, start, i - start));
                start = i + 1;
            }
        }
        if (start < payload.Length)
            list.Add(Encoding.UTF8.GetString(payload, start, payload.Length - start));
        return list;
    }
}
