using System;
using System.Globalization;
using Rump.Xen.Host;

namespace Rump.Tools;

/// <summary>
/// <c>--target xen</c>: the xen kernel boots in a domain of the in-process software hypervisor, and each image
/// becomes a virtual disk (xvda, xvdb, …) that the kernel's blkfront reaches through blkback.
/// </summary>
internal sealed class XenHosting : IDisposable
{
    private readonly XenHypervisor _hypervisor;
    private int _disks;

    public XenHosting(Action<string>? console)
    {
        _hypervisor = new XenHypervisor();
        Domain = _hypervisor.CreateDomain(new XenDomainConfig { Name = "rumpctl", Console = console });
    }

    public XenDomain Domain { get; }

    /// <summary>Hot-plugs <paramref name="fullPath"/> as the next xvd disk; the kernel then opens it by this path.</summary>
    public void AttachImage(string fullPath, bool readOnly)
    {
        if (_disks >= 16)
            throw new ToolException("the xen domain has no virtual disk left (xvda..xvdp)");
        var name = "xvd" + ((char)('a' + _disks)).ToString(CultureInfo.InvariantCulture);
        Domain.AttachDisk(new XenDiskConfig(fullPath, Writable: !readOnly, VirtualDevice: name));
        _disks++;
    }

    public void Dispose() => _hypervisor.Dispose();
}
