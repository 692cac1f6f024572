using Rump.Kern;

namespace Rump.Vfs;

/// <summary>
/// The vfs faction's init (rump_vfs_init): rumpfs as "/" with /dev, the etfs drivers (rumpblk,
/// etfschr), the syncer, and a shutdown hook that syncs every file system.
/// File system components register their <see cref="VfsOps"/> in their own Init at the same level.
/// </summary>
[Component(InitLevel.Vfs)]
internal static class VfsFaction
{
    public static void Init()
    {
        // Statics outlive an instance's shutdown: a warm boot in the same load context starts clean.
        Vfs.Reset();
        VCache.Reset();
        NameCache.Reset();
        Bio.Init();
        var error = Vfs.Register(new RumpfsVfsOps());
        if (error == 0)
            error = Vfs.MountRoot("rumpfs");
        if (error != 0)
            Kernel.Panic("vfs: cannot mount the root file system: errno " + error);
        Etfs.Init();
        Syncer.Start();
        Kernel.AddShutdownHook(static () =>
        {
            Syncer.Stop();
            Vfs.Shutdown(Kernel.Proc1, Cred.Root);
        });
    }
}
