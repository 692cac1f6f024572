using System;
using System.Runtime.InteropServices;
using System.Threading;
using Rump.Tools;

// The native rumpctl hands commands for other kernels to the managed one with this same command line.
ManagedHandOff.Arguments = args;

// Ctrl+C (SIGINT) and SIGTERM stop a long copy at the next buffer; the images are still unmounted (their FAT
// written back and the dirty bit cleared) and the kernel shut down. A second signal ends the process at once.
using var interrupt = new CancellationTokenSource();
var interruptedExit = ExitCodes.Interrupted;
void Stop(PosixSignalContext signal)
{
    if (interrupt.IsCancellationRequested)
        return;   // the second one: the default action ends the process
    signal.Cancel = true;
    if (signal.Signal == PosixSignal.SIGTERM)
        interruptedExit = ExitCodes.Terminated;
    interrupt.Cancel();
}
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
var exit = RumpCtl.Run(args, ToolConsole.ForProcess(interrupt.Token));
return exit == ExitCodes.Interrupted ? interruptedExit : exit;
