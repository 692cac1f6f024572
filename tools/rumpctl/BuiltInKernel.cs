using System;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Reflection;

namespace Rump.Tools;

/// <summary>
/// The posix kernel compiled into a native (ahead-of-time compiled) rumpctl. A native executable cannot load an
/// assembly at run time, so <c>dotnet publish tools/rumpctl</c> compiles the default kernel into the executable; the
/// kernel keeps its own assembly identity and isolated <c>RumpNs.</c> names and is still found through its
/// <see cref="RumpKernelEntryAttribute"/>, exactly as <see cref="RumpKernelLoader"/> finds it in a file. Other kernels
/// (<c>--kernel</c>, <c>--target xen</c>, <c>--vintage</c>) run in the managed rumpctl published beside it
/// (<see cref="ManagedHandOff"/>).
/// </summary>
public static class BuiltInKernel
{
    public const string Target = "posix";

    /// <summary>The assembly name the toolchain gives the posix kernel (<c>Rump.Kernel.Posix</c>).</summary>
    public static readonly string AssemblyName = Path.GetFileNameWithoutExtension(KernelLocator.KernelFileName(Target));

    /// <summary>The feature switch the native publish turns off (rumpctl.csproj); the compiler then drops the loading code.</summary>
    public const string LoadsKernelFilesSwitch = "Rump.Tools.LoadsKernelFiles";

    /// <summary>
    /// True in the managed rumpctl, which loads kernel assemblies from files; false in the native one, which cannot load
    /// an assembly at run time and boots the kernel compiled into it.
    /// </summary>
    [FeatureSwitchDefinition(LoadsKernelFilesSwitch)]
    public static bool LoadsKernelFiles
        => AppContext.TryGetSwitch(LoadsKernelFilesSwitch, out var enabled) ? enabled : true;

    /// <summary>True in the native rumpctl.</summary>
    public static bool IsNative => !LoadsKernelFiles;

    /// <summary>How messages name the built-in kernel.</summary>
    public static string Display => "the built-in " + Target + " kernel (" + AssemblyName + ")";

    /// <summary>The link map published beside the native rumpctl for its built-in kernel (<c>kernels/posix/…linkmap.json</c>).</summary>
    public static string LinkMapPath
        => Path.Combine(AppContext.BaseDirectory, "kernels", Target, Path.ChangeExtension(KernelLocator.KernelFileName(Target), ".linkmap.json"));

    /// <summary>True when <paramref name="options"/> ask for the kernel compiled into this executable.</summary>
    public static bool Serves(KernelOptions options)
        => options.KernelPath is null && options.Vintage is null && string.Equals(options.Target, Target, StringComparison.Ordinal);

    /// <summary>The factory of the compiled-in kernel.</summary>
    public static IRumpKernelFactory Factory()
    {
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(AssemblyName));
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            throw new ToolException("this native rumpctl was built without its kernel (" + AssemblyName + "); publish it with "
                + "`dotnet publish tools/rumpctl -c Release`", ExitCodes.Kernel);
        }
        var entry = assembly.GetCustomAttribute<RumpKernelEntryAttribute>()
            ?? throw new ToolException(AssemblyName + " compiled into this rumpctl is not a Rump.Build kernel (no RumpKernelEntry attribute)", ExitCodes.Kernel);
        return (IRumpKernelFactory)Activator.CreateInstance(entry.FactoryType, nonPublic: true)!;
    }
}
