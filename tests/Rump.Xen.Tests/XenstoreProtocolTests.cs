using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Rump.Target.Xen.Abi;
using Rump.Xen.Host;

namespace Rump.Xen.Tests;

/// <summary>xenstored's wire protocol, checked against Xen's docs/misc/xenstore.txt.</summary>
public class XenstoreProtocolTests : IDisposable
{
    private readonly XenHypervisor _hv = new(16L << 20);
    private readonly List<(uint Type, uint ReqId, uint TxId, byte[] Payload)> _received = [];
    private readonly XenstoreConnection _conn;
    private uint _nextId = 100;

    public XenstoreProtocolTests() => _conn = _hv.Store.Connect(7, Receive);

    public void Dispose() => _hv.Dispose();

    private void Receive(byte[] message)
    {
        XsdSockmsg.ReadHeader(message, out uint type, out uint reqId, out uint txId, out uint len);
        Assert.Equal(message.Length - XsdSockmsg.Size, (int)len);
        lock (_received)
            _received.Add((type, reqId, txId, message.AsSpan(XsdSockmsg.Size).ToArray()));
    }

    /// <summary>Sends one request; returns its reply (same req_id) and removes it from the received list.</summary>
    private (uint Type, uint TxId, byte[] Payload) Send(uint type, byte[] payload, uint tx = 0)
    {
        uint id = _nextId++;
        var m = new byte[XsdSockmsg.Size + payload.Length];
        XsdSockmsg.WriteHeader(m, type, id, tx, (uint)payload.Length);
        payload.CopyTo(m, XsdSockmsg.Size);
        _conn.Process(m);
        lock (_received)
        {
            var reply = _received.Single(r => r.ReqId == id);
            _received.Remove(reply);
            return (reply.Type, reply.TxId, reply.Payload);
        }
    }

    private List<(string Path, string Token)> TakeWatchEvents()
    {
        _hv.Store.Directory("/");   // the store's watch delivery is synchronous for wire connections
        lock (_received)
        {
            var events = _received.Where(r => r.Type == XsdSockmsg.XS_WATCH_EVENT).ToList();
            _received.RemoveAll(r => r.Type == XsdSockmsg.XS_WATCH_EVENT);
            Assert.All(events, e => Assert.Equal((0u, 0u), (e.ReqId, e.TxId)));   // "req_id and tx_id are both 0"
            return events.Select(e =>
            {
                var parts = Encoding.UTF8.GetString(e.Payload).Split('\0');
                Assert.Equal("", parts[^1]);   // <epath>|<token>|: both NUL-terminated
                return (parts[0], parts[1]);
            }).ToList();
        }
    }

    private static byte[] Z(params string[] parts) => Encoding.UTF8.GetBytes(string.Concat(parts.Select(p => p + "\0")));

    private static byte[] PathValue(string path, string value) => Encoding.UTF8.GetBytes(path + "\0" + value);

    private static string Text(byte[] b) => Encoding.UTF8.GetString(b);

    [Fact]
    public void Read_MissingNode_ErrorReplyCarriesTheErrnoName()
    {
        var r = Send(XsdSockmsg.XS_READ, Z("/local/domain/7/nothing"));
        Assert.Equal(XsdSockmsg.XS_ERROR, r.Type);
        Assert.Equal("ENOENT\0", Text(r.Payload));
    }

    [Fact]
    public void Write_CreatesParents_ReadReturnsTheValueWithoutNul_DirectoryListsLeafNames()
    {
        Assert.Equal("OK\0", Text(Send(XsdSockmsg.XS_WRITE, PathValue("/tool/a/b/c", "v1")).Payload));
        var read = Send(XsdSockmsg.XS_READ, Z("/tool/a/b/c"));
        Assert.Equal(XsdSockmsg.XS_READ, read.Type);
        Assert.Equal("v1", Text(read.Payload));
        Assert.Equal("", Text(Send(XsdSockmsg.XS_READ, Z("/tool/a/b")).Payload));   // parents have empty values
        Send(XsdSockmsg.XS_WRITE, PathValue("/tool/a/b/d", ""));
        Assert.Equal("c\0d\0", Text(Send(XsdSockmsg.XS_DIRECTORY, Z("/tool/a/b")).Payload));
    }

    [Fact]
    public void RelativePaths_AreUnderTheDomainsHome()
    {
        Send(XsdSockmsg.XS_WRITE, PathValue("data/x", "42"));
        Assert.Equal("42", _hv.Store.Read("/local/domain/7/data/x"));
        Assert.Equal("/local/domain/3\0", Text(Send(XsdSockmsg.XS_GET_DOMAIN_PATH, Z("3")).Payload));
    }

    [Fact]
    public void Mkdir_KeepsExistingValue_Rm_IsQuietForMissingNodeButNotForMissingParent()
    {
        Send(XsdSockmsg.XS_WRITE, PathValue("/tool/m", "keep"));
        Assert.Equal("OK\0", Text(Send(XsdSockmsg.XS_MKDIR, Z("/tool/m")).Payload));
        Assert.Equal("keep", _hv.Store.Read("/tool/m"));
        Assert.Equal("OK\0", Text(Send(XsdSockmsg.XS_RM, Z("/tool/m/none")).Payload));
        var r = Send(XsdSockmsg.XS_RM, Z("/tool/none/none"));
        Assert.Equal((XsdSockmsg.XS_ERROR, "ENOENT\0"), (r.Type, Text(r.Payload)));
        Assert.Equal("OK\0", Text(Send(XsdSockmsg.XS_RM, Z("/tool/m")).Payload));
        Assert.Null(_hv.Store.Read("/tool/m"));
    }

    [Fact]
    public void Watch_FiresOnceAtOnce_ThenForChangesBelow_AndWithTheWatchPathWhenAParentGoes()
    {
        Send(XsdSockmsg.XS_MKDIR, Z("/tool/w/sub"));
        Assert.Equal("OK\0", Text(Send(XsdSockmsg.XS_WATCH, Z("/tool/w/sub", "tok")).Payload));
        Assert.Equal([("/tool/w/sub", "tok")], TakeWatchEvents());
        _hv.Store.Write("/tool/w/sub/leaf", "1");
        Assert.Equal([("/tool/w/sub/leaf", "tok")], TakeWatchEvents());
        _hv.Store.Write("/tool/other", "1");
        Assert.Empty(TakeWatchEvents());
        _hv.Store.Remove("/tool/w");
        Assert.Equal([("/tool/w/sub", "tok")], TakeWatchEvents());
        Assert.Equal("OK\0", Text(Send(XsdSockmsg.XS_UNWATCH, Z("/tool/w/sub", "tok")).Payload));
        _hv.Store.Write("/tool/w/sub/again", "1");
        Assert.Empty(TakeWatchEvents());
    }

    [Fact]
    public void Watch_Relative_EventPathsAreRelative()
    {
        Send(XsdSockmsg.XS_WATCH, Z("device", "rel"));
        Assert.Equal([("device", "rel")], TakeWatchEvents());
        _hv.Store.Write("/local/domain/7/device/vbd/51712/state", "1");
        Assert.Contains(("device/vbd/51712/state", "rel"), TakeWatchEvents());
    }

    [Fact]
    public void Transaction_ChangesInvisibleUntilCommit_InterveningWriteMakesCommitEAGAIN()
    {
        var start = Send(XsdSockmsg.XS_TRANSACTION_START, Z(""));
        Assert.Equal(XsdSockmsg.XS_TRANSACTION_START, start.Type);
        uint tx = uint.Parse(Text(start.Payload).TrimEnd('\0'), System.Globalization.CultureInfo.InvariantCulture);
        Assert.NotEqual(0u, tx);
        var w = Send(XsdSockmsg.XS_WRITE, PathValue("/tool/t", "in-tx"), tx);
        Assert.Equal(tx, w.TxId);
        Assert.Null(_hv.Store.Read("/tool/t"));
        Assert.Equal("in-tx", Text(Send(XsdSockmsg.XS_READ, Z("/tool/t"), tx).Payload));
        Assert.Equal("OK\0", Text(Send(XsdSockmsg.XS_TRANSACTION_END, Z("T"), tx).Payload));
        Assert.Equal("in-tx", _hv.Store.Read("/tool/t"));

        uint tx2 = uint.Parse(Text(Send(XsdSockmsg.XS_TRANSACTION_START, Z("")).Payload).TrimEnd('\0'), System.Globalization.CultureInfo.InvariantCulture);
        Send(XsdSockmsg.XS_WRITE, PathValue("/tool/t", "second"), tx2);
        _hv.Store.Write("/tool/elsewhere", "x");   // an intervening write
        var end = Send(XsdSockmsg.XS_TRANSACTION_END, Z("T"), tx2);
        Assert.Equal((XsdSockmsg.XS_ERROR, "EAGAIN\0"), (end.Type, Text(end.Payload)));
        Assert.Equal("in-tx", _hv.Store.Read("/tool/t"));

        uint tx3 = uint.Parse(Text(Send(XsdSockmsg.XS_TRANSACTION_START, Z("")).Payload).TrimEnd('\0'), System.Globalization.CultureInfo.InvariantCulture);
        Send(XsdSockmsg.XS_WRITE, PathValue("/tool/t", "aborted"), tx3);
        Assert.Equal("OK\0", Text(Send(XsdSockmsg.XS_TRANSACTION_END, Z("F"), tx3).Payload));
        Assert.Equal("in-tx", _hv.Store.Read("/tool/t"));
        var gone = Send(XsdSockmsg.XS_READ, Z("/tool/t"), tx3);
        Assert.Equal((XsdSockmsg.XS_ERROR, "ENOENT\0"), (gone.Type, Text(gone.Payload)));   // the tx_id is no longer valid
    }

    [Fact]
    public void BadRequests_InvalidPath_UnknownType_OversizedPayload()
    {
        Assert.Equal("EINVAL\0", Text(Send(XsdSockmsg.XS_READ, Z("/tool/bad path")).Payload));
        Assert.Equal("EINVAL\0", Text(Send(XsdSockmsg.XS_READ, Z("/tool//x")).Payload));
        Assert.Equal("ENOSYS\0", Text(Send(99, Z("x")).Payload));
        Assert.Equal("EACCES\0", Text(Send(XsdSockmsg.XS_INTRODUCE, Z("9", "1", "1")).Payload));   // dom0 only
        var big = Send(XsdSockmsg.XS_WRITE, PathValue("/tool/big", new string('x', XsdSockmsg.PayloadMax)));
        Assert.Equal((XsdSockmsg.XS_ERROR, "E2BIG\0"), (big.Type, Text(big.Payload)));
    }

    [Fact]
    public void GuestHandshake_OverTheRing_FrontendNodesWrittenByTheXenKernel()
    {
        using var s = new Scratch();
        var img = Tools.MakeFatImage(s, kib: 1024);
        using var m = XenMachine.Boot(new XenDiskConfig(img));
        FsOps.MountFat(m.Sys, img);
        var disk = m.Domain.Disks[0];
        var store = m.Hypervisor.Store;
        Assert.Equal("4", store.Read(disk.FrontendPath + "/state"));   // XenbusStateConnected
        Assert.Equal("4", store.Read(disk.BackendPath + "/state"));
        Assert.Equal("x86_64-abi", store.Read(disk.FrontendPath + "/protocol"));
        Assert.True(uint.TryParse(store.Read(disk.FrontendPath + "/ring-ref"), out uint gref) && gref >= GrantEntryV1.NrReservedEntries);
        Assert.True(uint.TryParse(store.Read(disk.FrontendPath + "/event-channel"), out uint port) && port > 0);
        Assert.Equal((new System.IO.FileInfo(img).Length / 512).ToString(System.Globalization.CultureInfo.InvariantCulture), store.Read(disk.BackendPath + "/sectors"));
    }
}
