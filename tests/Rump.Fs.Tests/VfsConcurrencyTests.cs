using System;
using System.Linq;
using System.Threading.Tasks;
using Rump;

namespace Rump.Fs.Tests;

/// <summary>Several host threads in the kernel at once: no deadlock, no lost update, a consistent tree.</summary>
public sealed class VfsConcurrencyTests
{
    [Theory]
    [InlineData("tmpfs", 1)]
    [InlineData("tmpfs", 4)]
    [InlineData("rumpfs", 4)]
    public void ParallelCreateRenameRemove_FinishesAndLeavesAConsistentTree(string fs, int cpus)
    {
        using var k = new VfsKernel(virtualCpus: cpus);
        string root;
        if (fs == "tmpfs")
        {
            root = k.MountTmpfs("/c");
        }
        else
        {
            AssertErrno.Ok(k.Sys.Mkdir("/c", 0x1ED));
            root = "/c";
        }
        foreach (var d in new[] { "x", "y", "z" })
            AssertErrno.Ok(k.Sys.Mkdir(root + "/" + d, 0x1ED));

        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            var rng = new Random(100 + w);
            var dirs = new[] { "x", "y", "z", "x/sub", "y/sub" };
            for (var i = 0; i < 400; i++)
            {
                var a = root + "/" + dirs[rng.Next(dirs.Length)] + "/n" + rng.Next(6);
                var b = root + "/" + dirs[rng.Next(dirs.Length)] + "/n" + rng.Next(6);
                switch (rng.Next(6))
                {
                    case 0: k.Sys.Mkdir(root + "/" + dirs[rng.Next(dirs.Length)], 0x1ED); break;
                    case 1: k.Create(a, "w" + w); break;
                    case 2: k.Sys.Rename(a, b); break;
                    case 3: k.Sys.Unlink(a); break;
                    case 4: k.Sys.Rename(root + "/" + dirs[rng.Next(dirs.Length)], root + "/" + dirs[rng.Next(dirs.Length)] + "/m"); break;
                    default: k.Sys.Stat(a, out _); break;
                }
            }
        })).ToArray();
        Assert.True(Task.WaitAll(workers, TimeSpan.FromSeconds(120)), "workers did not finish: deadlock?");

        // Every name listed can be looked up, and directory link counts match their subdirectories.
        void Check(string dir)
        {
            var names = k.List(dir);
            var subdirs = 0;
            foreach (var name in names)
            {
                var st = k.Stat(dir + "/" + name);
                if (FileMode.IsDir(st.Mode))
                {
                    subdirs++;
                    Check(dir + "/" + name);
                }
            }
            Assert.Equal((uint)(2 + subdirs), k.Stat(dir).Nlink);
        }
        Check(root);
    }
}
