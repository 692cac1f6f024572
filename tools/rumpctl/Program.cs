using System;
using System.Threading;
using Rump.Tools;

// Ctrl+C stops a long copy at the next buffer; the images are still unmounted and the kernel shut down.
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupt.Cancel();
};
return RumpCtl.Run(args, ToolConsole.ForProcess(interrupt.Token));
