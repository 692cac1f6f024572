using System;
using Rump.Bench;

// Rump.Bench <verb>: each verb measures one thing in one run and prints a small table.
var verb = args.Length > 0 ? args[0] : "help";
switch (verb)
{
    case "boot":
        return BootBench.Run(args.AsSpan(1).ToArray());
    default:
        Console.Error.WriteLine("usage: dotnet run -c Release --project bench/Rump.Bench -- <verb>");
        Console.Error.WriteLine("  boot [warm-runs] [kernel.dll]   first boot (incl. JIT), boot in a new load context, warm boot, shutdown, getpid");
        return verb == "help" ? 0 : 2;
}
