using Rump.Kern;

namespace Rump.Dev;

/// <summary>
/// The dev faction (librumpdev): the device tree, disks, buffer queues and partition wedges. Its init
/// attaches the wedge driver so that every block device node added later is scanned for partitions.
/// </summary>
[Component(InitLevel.Dev)]
internal static class DevFaction
{
    public static void Init()
    {
        Autoconf.Reset();   // warm boot in the same load context starts from an empty tree
        _ = Autoconf.Root;
        var error = Wedges.Init();
        if (error != 0)
            KernelLog.Printf("dev: cannot attach the dk driver (error " + error + "); partitions will not appear");
    }
}
