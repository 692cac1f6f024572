using System;
using System.Threading;
using Rump.Tools;

// The native rumpctl hands commands for other kernels to the managed one with this same command line.
ManagedHandOff.Arguments = args;

// Ctrl+C stops a long copy at the next buffer; the images are still unmounted and the kernel shut down.
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupt.Cancel();
};
return RumpCtl.Run(args, ToolConsole.ForProcess(interrupt.Token));
