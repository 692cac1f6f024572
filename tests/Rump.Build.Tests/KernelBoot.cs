using System;
using System.Collections.Generic;
using System.IO;
using Rump;

namespace Rump.Build.Tests;

/// <summary>Boots a built kernel like any host: by path, through Rump.Abstractions only.</summary>
internal static class KernelBoot
{
    /// <summary>
    /// Boots a private copy of <paramref name="kernelPath"/> (a later build may rewrite the original while
    /// this load context still maps it), collects the console, shuts down.
    /// </summary>
    public static (KernelInfo Info, IReadOnlyList<string> Console) BootAndShutdown(string kernelPath)
    {
        var copy = Path.Combine(Path.GetTempPath(), "rump-boot-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        Directory.CreateDirectory(copy);
        var dll = Path.Combine(copy, Path.GetFileName(kernelPath));
        File.Copy(kernelPath, dll);
        var pdb = Path.ChangeExtension(kernelPath, ".pdb");
        if (File.Exists(pdb))
            File.Copy(pdb, Path.ChangeExtension(dll, ".pdb"));
        var console = new List<string>();
        using (var kernel = RumpKernelLoader.Boot(dll, new BootOptions { Console = line => { lock (console) console.Add(line); } }))
        {
            Assert.True(kernel.IsRunning);
            var info = kernel.Info;
            kernel.Shutdown();
            lock (console)
                return (info, console.ToArray());
        }
    }
}
