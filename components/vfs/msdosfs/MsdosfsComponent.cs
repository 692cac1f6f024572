using Rump.Kern;
using Rump.Vfs;

namespace Rump.Fs.Msdosfs;

/// <summary>The msdosfs component (librumpfs_msdos): registers the "msdos" file system type.</summary>
[Component(InitLevel.Vfs, Factions = ["vfs"])]
internal static class MsdosfsComponent
{
    public static void Init()
    {
        int error = Vfs.Vfs.Register(new MsdosfsVfsOps());
        if (error != 0)
            KernelLog.Printf("msdosfs: cannot register the msdos file system type: error " + error);
    }
}
