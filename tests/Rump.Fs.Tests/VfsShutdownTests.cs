using System;
using System.IO;
using System.Text;
using Rump;
using Rump.Fs.Tests.Support;
using Rump.Testing;
using Xunit;

namespace Rump.Fs.Tests;

/// <summary>
/// A host that disposes the kernel without closing its files or unmounting (the README's "boot a kernel from your own
/// program" snippet) gets clean disks: a halt syncs and unmounts every file system, as NetBSD's vfs_shutdown does.
/// </summary>
public sealed class VfsShutdownTests
{
    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    public void Dispose_WithOpenFileCwdAndNestedMount_LeavesBothImagesClean(int bits)
    {
        var folder = Directory.CreateTempSubdirectory("rump-halt-").FullName;
        try
        {
            var outer = Path.Combine(folder, "outer.img");
            var inner = Path.Combine(folder, "inner.img");
            FatTools.MkFs(outer, bits, bits == 32 ? 40 * 1024 : 16 * 1024);
            FatTools.MkFs(inner, 12, 1440);
            FatTools.Mmd(outer, "/sub");
            var data = new byte[70_000];
            new Random(bits).NextBytes(data);

            using (var kernel = TestKernel.Boot())
            {
                var sys = kernel.Sys;
                Assert.Equal(0, FatKernelHost.MountImage(sys, outer, readOnly: false, out var mnt, out _));
                // A second file system mounted inside the first: the halt must unmount it before its parent.
                Assert.Equal(0, sys.EtfsRegister("/dev/inner", inner, EtfsType.Block, 0, 0));
                Assert.Equal(0, sys.Mount("msdos", mnt + "/sub", 0, "/dev/inner", ""));
                FatKernelHost.WriteFile(sys, mnt + "/sub/in.bin", "inner"u8);
                // Left open, written, with the current directory inside the mount: nothing is closed by the host.
                Assert.Equal(0, sys.Open(mnt + "/open.bin", OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0x1A4, out int fd));
                Assert.Equal(0, sys.Write(fd, data, out long written));
                Assert.Equal(data.Length, written);
                Assert.Equal(0, sys.Chdir(mnt));
            }

            foreach (var image in new[] { outer, inner })
            {
                var fsck = FatTools.FsckNoChange(image);
                Assert.True(fsck.ExitCode == 0 && !fsck.Stdout.Contains("Dirty bit", StringComparison.Ordinal), image + ": fsck.fat -n: " + fsck.Stdout + fsck.Stderr);
            }
            Assert.Equal(data, FatTools.McopyOut(outer, "/open.bin"));
            Assert.Equal("inner"u8.ToArray(), FatTools.McopyOut(inner, "/in.bin"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
