using System;
using System.Collections.Generic;

namespace Rump.Tools;

/// <summary>
/// What one verb runs with: the console, the kernel options, the session (booted on first use) and the exit
/// code so far. Errors on one operand are reported and the verb goes on with the next, like coreutils.
/// </summary>
public sealed class VerbContext
{
    private ImageSession? _session;
    private readonly HashSet<string> _images = new(StringComparer.Ordinal);   // full paths of the mounted images

    public VerbContext(ToolConsole console, KernelOptions options)
    {
        Console = console;
        Options = options;
    }

    public ToolConsole Console { get; }
    public KernelOptions Options { get; }
    public int ExitCode { get; private set; }

    /// <summary>The booted kernel with this command's images; booted on first use.</summary>
    public ImageSession Session => _session ??= BootSession();

    private ImageSession BootSession()
    {
        // The native rumpctl hands a --vintage command to the managed one, which warns: warn once, there.
        if (Options.Vintage is not null && Options.KernelPath is null && BuiltInKernel.LoadsKernelFiles
            && VintageLocator.StaleWarning(Options.Target, Options.Vintage, Console.WorkingDirectory) is string warning)
            Console.Error.WriteLine("rumpctl: warning: " + warning);
        return ImageSession.Boot(Options, Console);
    }

    public bool HasSession => _session is not null;

    /// <summary>Parses an image location, or ends the verb with a usage error.</summary>
    public ImageSpec Spec(string argument)
    {
        if (!ImageSpec.TryParse(argument, Console.WorkingDirectory, out var spec, out var error))
            throw new ToolException(error!, ExitCodes.Usage);
        return spec;
    }

    public MountedImage Mount(ImageSpec spec, bool readOnly = false)
    {
        var mounted = Session.Mount(spec, readOnly);
        _images.Add(mounted.FullImagePath);
        return mounted;
    }

    /// <summary>True when <paramref name="fullPath"/> (links resolved) is an image this command has mounted.</summary>
    public bool IsImageInUse(string fullPath) => _images.Contains(fullPath);

    /// <summary>
    /// The mounted file system of <paramref name="spec"/>; unless <paramref name="walkDotDot"/> is false, each directory
    /// a <c>..</c> of its path stepped out of is checked as namei would have (missing: ENOENT, a file: ENOTDIR).
    /// </summary>
    public ImageTree Tree(ImageSpec spec, bool readOnly = false, bool walkDotDot = true)
    {
        var tree = new ImageTree(Session.Sys, Mount(spec, readOnly));
        if (walkDotDot)
        {
            foreach (var parent in spec.DotDotParents)
            {
                if (!FileMode.IsDir(tree.Stat(parent).Mode))
                    throw new ToolErrnoException((int)Errno.ENOTDIR, tree.Display(parent));
            }
        }
        return tree;
    }

    /// <summary>Runs <paramref name="action"/> for each operand; a failure is printed and the next operand runs.</summary>
    public void ForEach<T>(IEnumerable<T> operands, Action<T> action)
    {
        foreach (var operand in operands)
        {
            Console.Cancellation.ThrowIfCancellationRequested();
            try
            {
                action(operand);
            }
            catch (ToolErrnoException e)
            {
                Fail(e.Message);
            }
            catch (ToolException e) when (e.ExitCode == ExitCodes.Failure)
            {
                Fail(e.Message);
            }
        }
    }

    /// <summary>Prints <c>rumpctl: message</c> and remembers the exit code (the first failure's code wins).</summary>
    public void Fail(string message, int exitCode = ExitCodes.Failure)
    {
        try
        {
            Console.Out.Flush();
        }
        catch (ToolException e)
        {
            Console.Error.WriteLine("rumpctl: " + e.Message);
            if (ExitCode == 0)
                ExitCode = e.ExitCode;
        }
        Console.Error.WriteLine("rumpctl: " + message);
        if (ExitCode == 0)
            ExitCode = exitCode;
    }

    /// <summary>Unmounts, removes the etfs keys, shuts the kernel down; reports what that met.</summary>
    public void Close()
    {
        if (_session is null)
            return;
        var session = _session;
        _session = null;
        foreach (var error in session.Close())
            Fail(error);
    }
}
