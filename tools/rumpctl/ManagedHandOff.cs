using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;

namespace Rump.Tools;

/// <summary>
/// The native rumpctl carries one kernel (<see cref="BuiltInKernel"/>). A command that chooses another one
/// (<c>--kernel</c>, <c>--target xen</c>, <c>--vintage</c>) is handed to the managed rumpctl published in
/// <c>managed/</c> beside it: the process image is replaced (<c>execv</c>) with the same arguments, so the exit code,
/// signals and standard streams are the managed tool's own.
/// </summary>
public static class ManagedHandOff
{
    /// <summary>The command line of this process; set by the entry point (a host running rumpctl in-process never hands off).</summary>
    public static string[]? Arguments { get; set; }

    /// <summary>The managed rumpctl's apphost: it finds the .NET runtime the standard way (DOTNET_ROOT, install location).</summary>
    public static string ManagedTool => Path.Combine(AppContext.BaseDirectory, "managed", "rumpctl");

    /// <summary>Replaces this process with the managed rumpctl; returns only by throwing.</summary>
    /// <param name="why">What the command asked for, e.g. <c>--target xen</c>.</param>
    public static Exception Exec(string why)
    {
        var tool = ManagedTool;
        if (Arguments is null || !File.Exists(tool))
        {
            return new ToolException(why + ": this native rumpctl has only " + BuiltInKernel.Display + " built in, and the managed rumpctl "
                + "that loads other kernels is not beside it (" + tool + "); publish both with `dotnet publish tools/rumpctl -c Release`, "
                + "or run `dotnet run --project tools/rumpctl -- …`", ExitCodes.Kernel);
        }
        var argv = new List<string>(Arguments.Length + 1) { tool };
        argv.AddRange(Arguments);
        var native = new IntPtr[argv.Count + 1];
        try
        {
            for (var i = 0; i < argv.Count; i++)
                native[i] = Marshal.StringToCoTaskMemUTF8(argv[i]);
            Console.Out.Flush();
            Console.Error.Flush();
            execv(native[0], native);
            return new ToolException(why + ": cannot start the managed rumpctl " + tool + ": " + Marshal.GetLastPInvokeErrorMessage(), ExitCodes.Kernel);
        }
        finally
        {
            foreach (var pointer in native)
                Marshal.FreeCoTaskMem(pointer);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int execv(IntPtr path, IntPtr[] argv);
}
