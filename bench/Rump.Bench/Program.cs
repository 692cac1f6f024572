using System;
using System.Collections.Generic;
using System.Linq;
using Rump.Bench;

// Rump.Bench VERB: `dotnet run -c Release --project bench/Rump.Bench -- VERB [options]`.
// Each verb measures its ratios in ONE run (baseline and subject side by side) and prints them.
// `noop`: start the runtime and return, nothing else: the start-up floor fs-ls compares rumpctl with.
if (args is ["noop"])
    return 0;
var verbs = new SortedDictionary<string, (string Help, Func<string[], int> Run)>(StringComparer.Ordinal)
{
    ["boot"] = ("[warm-runs] [kernel.dll]: first boot (incl. JIT), boot in a new load context, warm boot, shutdown, getpid", BootBench.Run),
    ["fs-read"] = ("in-process: read(2) of a 256 MiB file vs RandomAccess.Read of the same bytes; random 4 KiB reads", FsBench.Read),
    ["fs-cp"] = ("whole process: rumpctl cp vs mcopy, 1 GiB out of and into an image", FsBench.Copy),
    ["fs-small"] = ("[--files N] [--short-names]: whole process: rumpctl cp -r / rm -r of 2000 small files (long names, or 8.3) vs mcopy -s / mdeltree", FsBench.Small),
    ["fs-ls"] = ("whole process: rumpctl ls wall time on a small image", FsBench.Ls),
    ["fs-walk"] = ("whole process: rumpctl tree vs mdir -/ on a 10k-file tree", FsBench.Walk),
    ["fs"] = ("all fs-* benchmarks in order", FsBench.All),
    ["xen"] = ("[--size MiB]: xen kernel on the software hypervisor: boot time; sequential read of a 64 MiB file, xen vs posix on one image", XenBench.Run),
};

var verbName = args.Length > 0 ? args[0] : "help";
if (!verbs.TryGetValue(verbName, out var verb))
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project bench/Rump.Bench -- VERB [options]");
    foreach (var (name, (help, _)) in verbs)
        Console.Error.WriteLine("  " + name.PadRight(10) + help);
    return verbName == "help" ? 0 : 2;
}
return verb.Run(args.Skip(1).ToArray());
