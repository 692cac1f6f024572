using System;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace Rump;

/// <summary>
/// Loads a kernel assembly into its own collectible load context. Each loaded kernel has its own statics,
/// so kernels of different targets and vintages, and several instances of one, run side by side.
/// </summary>
public sealed class RumpKernelLoader
{
    private readonly KernelLoadContext _context;
    private IRumpKernel? _booted;

    private RumpKernelLoader(KernelLoadContext context, IRumpKernelFactory factory)
    {
        _context = context;
        Factory = factory;
    }

    public IRumpKernelFactory Factory { get; }

    public KernelInfo Info => Factory.Info;

    /// <summary>Loads the kernel assembly at <paramref name="path"/> into a new collectible load context.</summary>
    public static RumpKernelLoader Load(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new FileNotFoundException("kernel assembly not found: " + full, full);
        var context = new KernelLoadContext(full);
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
            context.Unload();
            throw;
        }
    }

    /// <summary>Loads and boots in one step; disposing the kernel unloads its load context.</summary>
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

    /// <summary>Boots the kernel of this load context (once).</summary>
    public IRumpKernel BootInstance(BootOptions options)
    {
        if (_booted is not null)
            throw new InvalidOperationException("this load context already booted a kernel; load another for a second instance");
        _booted = new UnloadingKernel(Factory.Boot(options), this);
        return _booted;
    }

    /// <summary>Starts unloading the load context. Call after shutdown; the context is collected once unreferenced.</summary>
    public void Unload() => _context.Unload();

    /// <summary>A weak handle to the load context, to observe that unloading completed.</summary>
    public WeakReference ContextWeakReference() => new(_context, trackResurrection: false);

    private sealed class KernelLoadContext : AssemblyLoadContext
    {
        private readonly AssemblyDependencyResolver _resolver;

        public KernelLoadContext(string kernelPath)
            : base("rump-kernel:" + Path.GetFileNameWithoutExtension(kernelPath), isCollectible: true)
            => _resolver = new AssemblyDependencyResolver(kernelPath);

        protected override Assembly? Load(AssemblyName name)
        {
            // The contract is shared with the host; everything else the kernel needs is its own.
            if (name.Name == typeof(IRumpKernel).Assembly.GetName().Name)
                return null;
            var path = _resolver.ResolveAssemblyToPath(name);
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
