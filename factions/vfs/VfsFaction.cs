using Rump.Kern;

namespace Rump.Vfs;

/// <summary>
/// The vfs faction's init (rump_vfs_init): the root file system, /dev, etfs, the syncer.
/// File system components register their <see cref="VfsOps"/> in their own Init at the same level.
/// </summary>
[Component(InitLevel.Vfs)]
internal static class VfsFaction
{
    public static void Init()
    {
        Syncer.Start();
    }
}
