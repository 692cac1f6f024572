using System;
using System.Linq;
using System.Reflection;
using Rump;
using Rump.Testing;

namespace Rump.Kernel.Tests;

/// <summary>
/// White-box access to a booted kernel's internals for tests of the base layer (memory, locks,
/// threads, callouts, block I/O), which have no system call of their own. The kernel is loaded by
/// path in its own load context, like any host does; the probe reaches its internal types by
/// reflection, under <c>Rump.*</c> (interim build) or <c>RumpNs.*</c> (after the link step).
/// Kernel code runs inside <see cref="InKernel"/>, which enters and leaves the kernel exactly as the
/// generated system-call table does (SyscallEntry.Enter/Exit).
/// </summary>
internal sealed class KernelProbe : IDisposable
{
    private readonly RumpKernelLoader _loader;
    private readonly Assembly _kernel;

    private KernelProbe(RumpKernelLoader loader, IRumpKernel instance)
    {
        _loader = loader;
        Instance = instance;
        _kernel = loader.Factory.GetType().Assembly;
    }

    public IRumpKernel Instance { get; }

    public RumpKernelLoader Loader => _loader;

    public static KernelProbe Boot(BootOptions? options = null)
    {
        var loader = RumpKernelLoader.Load(TestKernel.KernelPath());
        var instance = loader.BootInstance(options ?? new BootOptions());
        return new KernelProbe(loader, instance);
    }

    /// <summary>A kernel type by its source name, e.g. "Kern.Kmem" or "Target.Posix.PosixHypercalls".</summary>
    public Type Type(string name)
        => _kernel.GetType("Rump." + name) ?? _kernel.GetType("RumpNs." + name)
           ?? throw new InvalidOperationException("kernel type not found: " + name);

    public object? Call(string type, string method, params object?[] args)
        => Method(type, method, args.Length).Invoke(null, args);

    public object? Get(string type, string property)
        => Type(type).GetProperty(property, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null);

    public MethodInfo Method(string type, string method, int parameters)
        => Type(type).GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance)
               .Single(m => m.Name == method && m.GetParameters().Length == parameters);

    public object New(string type, params object?[] args)
        => Activator.CreateInstance(Type(type), BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, null, args, null)!;

    /// <summary>Runs <paramref name="body"/> on the calling thread as kernel code: with an lwp and a virtual CPU.</summary>
    public T InKernel<T>(Func<T> body)
    {
        var entry = Type("Kern.SyscallEntry");
        var args = new object?[1];
        int error = (int)entry.GetMethod("Enter", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!.Invoke(null, args)!;
        if (error != 0)
            throw new InvalidOperationException("SyscallEntry.Enter failed: " + error);
        try
        {
            return body();
        }
        finally
        {
            entry.GetMethod("Exit", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!.Invoke(null, [args[0]]);
        }
    }

    public void InKernel(Action body) => InKernel(() => { body(); return 0; });

    /// <summary>An instance method of a kernel object as a delegate (fast enough for concurrency tests).</summary>
    public static TDelegate Bind<TDelegate>(object target, string method) where TDelegate : Delegate
        => (TDelegate)Delegate.CreateDelegate(typeof(TDelegate), target, method);

    /// <summary>Unwraps reflection's TargetInvocationException so tests see the kernel's own exception.</summary>
    public static Exception Unwrap(Exception e) => e is TargetInvocationException { InnerException: { } inner } ? Unwrap(inner) : e;

    public void Dispose() => Instance.Dispose();
}
