using System;
using System.IO;

namespace Rump.Tools.Tests;

/// <summary>
/// A test that needs a kernel that can mount FAT (the vfs faction, etfs and msdosfs linked in the posix kernel).
/// It is reported as skipped, with the reason, while the kernel the build produced cannot: the probe boots the
/// real kernel and mounts a real mkfs.fat image once per test run.
/// </summary>
public sealed class FatKernelFactAttribute : FactAttribute
{
    public FatKernelFactAttribute()
    {
        if (FatKernelProbe.SkipReason is string reason)
            Skip = reason;
    }
}

/// <summary>Theory form of <see cref="FatKernelFactAttribute"/>.</summary>
public sealed class FatKernelTheoryAttribute : TheoryAttribute
{
    public FatKernelTheoryAttribute()
    {
        if (FatKernelProbe.SkipReason is string reason)
            Skip = reason;
    }
}

public static class FatKernelProbe
{
    private static readonly Lazy<string?> Reason = new(Probe);

    /// <summary>Null when the default kernel mounts a FAT image; otherwise why not.</summary>
    public static string? SkipReason => Reason.Value;

    private static string? Probe()
    {
        string kernelPath;
        try
        {
            kernelPath = Rump.Testing.TestKernel.KernelPath();
        }
        catch (FileNotFoundException e)
        {
            return "no posix kernel built yet: " + e.Message;
        }
        using var image = FatImage.Create(12, 360);
        try
        {
            using var kernel = RumpKernelLoader.Boot(kernelPath);
            var err = kernel.Sys.Mkdir("/mnt", 0x1ED);
            if (err != 0 && err != (int)Errno.EEXIST)
                return "the kernel cannot mkdir /mnt: " + ErrnoText.Describe(err);
            err = kernel.Sys.EtfsRegister("/dev/probe", image.Path, EtfsType.Block, 0, new FileInfo(image.Path).Length);
            if (err != 0)
                return "the kernel cannot register an etfs block device: " + ErrnoText.Describe(err);
            err = kernel.Sys.Mount("msdos", "/mnt", PosixConst.MNT_RDONLY, "/dev/probe", "");
            if (err != 0)
                return "the kernel cannot mount a mkfs.fat image yet: mount(\"msdos\") = " + ErrnoText.Describe(err);
            kernel.Sys.Unmount("/mnt", 0);
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return "the kernel failed the FAT probe: " + e.GetType().Name + ": " + e.Message;
        }
    }
}
