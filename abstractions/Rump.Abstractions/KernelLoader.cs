using System;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace Rump;

/// <summary>
/// Loads a kernel assembly into its own load context. Each loaded kernel has its own statics, so kernels of
/// different targets and vintages, and several instances of one, run side by side. The context is collectible by
/// default (shutdown unloads the kernel); a one-shot host that never unloads loads it non-collectible
/// (<see cref="Load(string, bool)"/>), which lets the runtime use the kernel's ReadyToRun code instead of
/// JIT-compiling every method (the runtime ignores precompiled code in collectible contexts).
/// </summary>
public sealed class RumpKernelLoader
{
    /// <summary>
    /// Why loading is not trim-safe: a kernel assembly loaded from a file may use runtime code a trimmed (native) host
    /// removed. Such a host compiles its kernel in instead (see tools/rumpctl's BuiltInKernel).
    /// </summary>
    public const string TrimmingNote = "Loads a kernel assembly from a file: a trimmed or native host may lack runtime code that kernel uses; compile the kernel into such a host instead";

    private readonly KernelLoadContext _context;
    private IRumpKernel? _booted;

    private RumpKernelLoader(KernelLoadContext context, IRumpKernelFactory factory)
    {
        _context = context;
        Factory = factory;
    }

    public IRumpKernelFactory Factory { get; }

    public KernelInfo Info => Factory.Info;

    /// <summary>True when shutting the kernel down unloads its load context.</summary>
    public bool IsCollectible => _context.IsCollectible;

    /// <summary>Loads the kernel assembly at <paramref name="path"/> into a new collectible load context.</summary>
    [RequiresUnreferencedCode(TrimmingNote)]
    public static RumpKernelLoader Load(string path) => Load(path, collectible: true);

    /// <summary>
    /// Loads the kernel assembly at <paramref name="path"/> into a new load context. A non-collectible context
    /// stays in the process until it exits (<see cref="Unload"/> does nothing) but runs the kernel's ReadyToRun
    /// code; each load still gets its own statics. The runtime runs an image's precompiled code only in the first
    /// load context that maps that file: later loads of the same path JIT (copy the file for a second fast one).
    /// </summary>
    [RequiresUnreferencedCode(TrimmingNote)]
    public static RumpKernelLoader Load(string path, bool collectible)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new FileNotFoundException("kernel assembly not found: " + full, full);
        var context = new KernelLoadContext(full, collectible);
        try
        {
            var assembly = context.LoadFromAssemblyPath(full);
            var entry = assembly.GetCustomAttribute<RumpKernelEntryAttribute>()
                ?? throw new BadImageFormatException(full + " is not a Rump.Build kernel (no RumpKernelEntry attribute)");
            var factory = (IRumpKernelFactory)Activator.CreateInstance(entry.FactoryType, nonPublic: true)!;
            return new RumpKernelLoader(context, factory);
        }
        catch
        {
            if (context.IsCollectible)
                context.Unload();
            throw;
        }
    }

    /// <summary>Loads and boots in one step; disposing the kernel unloads its load context.</summary>
    [RequiresUnreferencedCode(TrimmingNote)]
    public static IRumpKernel Boot(string path, BootOptions? options = null)
    {
        var loader = Load(path);
        try
        {
            return loader.BootInstance(options ?? new BootOptions());
        }
        catch
        {
            // A kernel that refused to boot (or panicked) is of no use to anyone: let its load context go.
            loader.Unload();
            throw;
        }
    }

    /// <summary>Loads non-collectible (ReadyToRun code runs) and boots: for one-shot hosts that never unload.</summary>
    [RequiresUnreferencedCode(TrimmingNote)]
    public static IRumpKernel BootOnce(string path, BootOptions? options = null)
    {
        var loader = Load(path, collectible: false);
        return loader.BootInstance(options ?? new BootOptions());
    }

    /// <summary>Boots the kernel of this load context (once).</summary>
    public IRumpKernel BootInstance(BootOptions options)
    {
        if (_booted is not null)
            throw new InvalidOperationException("this load context already booted a kernel; load another for a second instance");
        _booted = new UnloadingKernel(Factory.Boot(options), this);
        return _booted;
    }

    /// <summary>
    /// Starts unloading the load context. Call after shutdown; the context is collected once unreferenced.
    /// A non-collectible context cannot unload: it stays until the process exits.
    /// </summary>
    public void Unload()
    {
        if (_context.IsCollectible)
            _context.Unload();
    }

    /// <summary>A weak handle to the load context, to observe that unloading completed.</summary>
    public WeakReference ContextWeakReference() => new(_context, trackResurrection: false);

    private sealed class KernelLoadContext : AssemblyLoadContext
    {
        private readonly string _kernelPath;
        // Only for a kernel with a deps.json: the host resolver loads hostpolicy and reads it, start-up time a
        // kernel that references nothing but the runtime and the contract need not spend.
        private AssemblyDependencyResolver? _resolver;

        public KernelLoadContext(string kernelPath, bool collectible)
            : base("rump-kernel:" + Path.GetFileNameWithoutExtension(kernelPath), isCollectible: collectible)
            => _kernelPath = kernelPath;

        protected override Assembly? Load(AssemblyName name)
        {
            // The contract is shared with the host; everything else the kernel needs is its own.
            if (name.Name == typeof(IRumpKernel).Assembly.GetName().Name)
                return null;
            string? path;
            if (File.Exists(Path.ChangeExtension(_kernelPath, ".deps.json")))
            {
                path = (_resolver ??= new AssemblyDependencyResolver(_kernelPath)).ResolveAssemblyToPath(name);
            }
            else
            {
                // No deps.json (the toolchain's kernels): an assembly beside the kernel, else the runtime's.
                var beside = Path.Combine(Path.GetDirectoryName(_kernelPath)!, name.Name + ".dll");
                path = name.Name is not null && File.Exists(beside) ? beside : null;
            }
            return path is null ? null : LoadFromAssemblyPath(path);
        }
    }

    /// <summary>Shutdown also unloads the load context, so a host needs no second step.</summary>
    private sealed class UnloadingKernel : IRumpKernel
    {
        private IRumpKernel? _inner;
        private readonly KernelInfo _info;
        private readonly string _banner;
        private RumpKernelLoader? _loader;

        public UnloadingKernel(IRumpKernel inner, RumpKernelLoader loader)
        {
            _inner = inner;
            _info = inner.Info;
            _banner = inner.Banner;
            _loader = loader;
        }

        public KernelInfo Info => _info;
        public string Banner => _banner;
        public ISyscalls Sys => _inner?.Sys ?? throw new ObjectDisposedException("kernel", "the kernel was shut down");
        public bool IsRunning => _inner?.IsRunning ?? false;

        public void Shutdown()
        {
            var inner = _inner;
            if (inner is null)
                return;
            try
            {
                inner.Shutdown();
            }
            finally
            {
                _inner = null;
                _loader?.Unload();
                _loader = null;
            }
        }

        public void Dispose() => Shutdown();
    }
}
