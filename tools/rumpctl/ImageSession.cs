using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Rump.Tools;

/// <summary>A file system of an image mounted in the kernel.</summary>
public sealed record MountedImage(ImageSpec Spec, string FullImagePath, string Device, string MountPoint, string FsType, bool ReadOnly)
{
    /// <summary>The kernel path of <paramref name="pathInImage"/> (a normalized absolute path on this file system).</summary>
    public string KernelPath(string pathInImage) => pathInImage == "/" ? MountPoint : MountPoint + pathInImage;

    /// <summary>How the user names this file system: <c>disk.img</c> or <c>disk.img:2</c>.</summary>
    public string DisplayName => Spec.Partition is int p ? Spec.Image + ":" + p.ToString(CultureInfo.InvariantCulture) : Spec.Image;
}

/// <summary>A partition the dev faction found on a disk (a wedge <c>/dev/KEYpN</c>).</summary>
public sealed record PartitionInfo(int Number, string Device, long Size, string? FsType, RumpStatVfs? Usage);

/// <summary>
/// One booted kernel with the images of one rumpctl command: load + boot, <c>EtfsRegister("/dev/imgN", image,
/// Block)</c>, mount each file system on <c>/mnt</c>, <c>/mnt1</c>… and, at the end, unmount, remove the etfs keys
/// and shut down. The tool reaches the kernel only through <see cref="ISyscalls"/>.
/// </summary>
public sealed class ImageSession : IDisposable
{
    /// <summary>File system types tried in order; a kernel without one answers ENODEV and the next is tried.</summary>
    public static readonly string[] ProbedFileSystems = ["msdos", "ext2fs", "ffs", "cd9660"];

    private readonly IRumpKernel _kernel;
    private readonly KernelOptions _options;
    private readonly ToolConsole _console;
    private readonly Dictionary<string, string> _devices = new(StringComparer.Ordinal);        // full image path → /dev/imgN
    private readonly HashSet<string> _readOnlyDevices = new(StringComparer.Ordinal);          // /dev/imgN attached read-only
    private readonly Dictionary<string, MountedImage> _mounts = new(StringComparer.Ordinal);   // device → mount
    private readonly Dictionary<string, List<string>> _scanLines = new(StringComparer.Ordinal); // /dev/imgN → what the partition scan logged
    private readonly XenHosting? _xen;
    private readonly List<string> _kernelLines;   // the kernel console (lock it: kernel threads append)
    private bool _closed;

    private ImageSession(IRumpKernel kernel, KernelOptions options, ToolConsole console, XenHosting? xen, List<string> kernelLines)
    {
        _kernel = kernel;
        _options = options;
        _console = console;
        _xen = xen;
        _kernelLines = kernelLines;
    }

    public ISyscalls Sys => _kernel.Sys;

    public IRumpKernel Kernel => _kernel;

    public KernelOptions Options => _options;

    public IReadOnlyCollection<MountedImage> Mounts => _mounts.Values;

    /// <summary>
    /// Loads the chosen kernel into its own load context and boots it; in the native rumpctl, boots the kernel compiled
    /// into it, or hands a command that chooses another kernel to the managed rumpctl.
    /// </summary>
    public static ImageSession Boot(KernelOptions options, ToolConsole console)
    {
        if (options.KernelPath is not null && options.Vintage is not null)
            throw new ToolException("--kernel and --vintage both choose the kernel; pass one of them", ExitCodes.Usage);
        string kernelName;   // how messages name it: "kernel PATH" or "the built-in posix kernel (…)"
        IRumpKernelFactory factory;
        Func<BootOptions, IRumpKernel> bootKernel;
        Action release;
        if (BuiltInKernel.LoadsKernelFiles)
        {
            var path = options.KernelPath is not null ? console.HostPath(options.KernelPath)
                : options.Vintage is not null ? VintageLocator.FindKernel(options.Target, options.Vintage, console.WorkingDirectory)
                : KernelLocator.Find(options.Target, console.WorkingDirectory, out _);
            var loader = LoadKernelFile(path);
            kernelName = "kernel " + path;
            factory = loader.Factory;
            bootKernel = loader.BootInstance;
            release = loader.Unload;
        }
        else
        {
            // The native rumpctl: its own kernel, or the managed rumpctl for any other.
            if (!BuiltInKernel.Serves(options))
                throw ManagedHandOff.Exec(options.KernelPath is not null ? "--kernel " + options.KernelPath
                    : options.Vintage is not null ? "--vintage " + options.Vintage : "--target " + options.Target);
            kernelName = BuiltInKernel.Display;
            factory = BuiltInKernel.Factory();
            bootKernel = factory.Boot;
            release = static () => { };
        }

        var missing = options.Components
            .Where(c => !factory.Info.Components.Any(linked => string.Equals(linked.Name, c, StringComparison.Ordinal)))
            .ToList();
        if (missing.Count > 0)
        {
            release();
            var linked = string.Join(", ", factory.Info.Components.Select(c => c.Name).Order(StringComparer.Ordinal));
            var inCheckout = KernelLocator.RepoRoots(console.WorkingDirectory).Any();
            throw new ToolException(
                kernelName + " does not link component(s) " + string.Join(", ", missing) + " (it links: " + linked + "); "
                + (UnknownComponents(missing, console.WorkingDirectory)
                   ?? (inCheckout
                       ? "build a kernel that does with `dotnet build kernels/Rump.Kernel -p:RumpComponents=" + string.Join(';', options.Components) + "` and pass it with --kernel"
                       : "this rumpctl is outside a Rump.Build checkout: build a kernel with them there and pass it with --kernel")),
                ExitCodes.Kernel);
        }

        // The console is kept (a file system's mount warnings are shown to the user); --verbose also prints it.
        var kernelLines = new List<string>();
        Action<string> kernelConsole = line =>
        {
            lock (kernelLines)
            {
                if (kernelLines.Count < MaxKernelLines)
                    kernelLines.Add(line);
            }
            if (options.Verbose)
                console.Error.WriteLine("[kernel] " + line);
        };
        // A xen kernel boots in a domain of the software hypervisor; its console is the domain's console ring.
        var xen = factory.Info.Target == "xen" ? new XenHosting(kernelConsole) : null;
        var boot = new BootOptions
        {
            Verbose = options.Verbose,
            HostName = "rumpctl",
            // Lock written images (flock) so that two writers never share one image.
            Parameters = new Dictionary<string, string> { ["RUMP_LOCKDISKS"] = "1" },
            Console = kernelConsole,
            Xen = xen?.Domain.Port,
        };
        IRumpKernel kernel;
        try
        {
            kernel = bootKernel(boot);
        }
        catch (RumpKernelPanicException e)
        {
            xen?.Dispose();
            release();
            throw new ToolException(kernelName + " panicked during boot: " + e.PanicMessage, ExitCodes.Kernel);
        }
        catch (NotSupportedException e)
        {
            // The kernel refuses its target glue (hypercall interface version outside the target's range).
            release();
            xen?.Dispose();
            throw new ToolException(kernelName + " refuses to boot: " + e.Message, ExitCodes.Kernel);
        }
        catch
        {
            xen?.Dispose();
            throw;
        }
        return new ImageSession(kernel, options, console, xen, kernelLines);
    }

    /// <summary>
    /// When the checkout is known (the tool or the working directory is in one) and a wanted component has no folder
    /// <c>components/FACTION/NAME</c> there, no build can link it: say so, with the components that exist. Null when
    /// every wanted component exists there, or no checkout is known.
    /// </summary>
    private static string? UnknownComponents(IReadOnlyList<string> missing, string workingDirectory)
    {
        foreach (var root in KernelLocator.RepoRoots(workingDirectory))
        {
            var folder = Path.Combine(root, "components");
            if (!Directory.Exists(folder))
                continue;
            var existing = Directory.EnumerateDirectories(folder).SelectMany(Directory.EnumerateDirectories)
                .Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
            var unknown = missing.Where(m => !existing.Contains(m, StringComparer.Ordinal)).ToList();
            if (unknown.Count == 0)
                return null;
            return "there is no component " + string.Join(", ", unknown) + " in " + folder + " (the components are: " + string.Join(", ", existing) + ")";
        }
        return null;
    }

    private const int MaxKernelLines = 10_000;

    /// <summary>Kernel console lines from <paramref name="start"/> on that a file system driver wrote (they start with "NAME:").</summary>
    private List<string> DriverLines(int start)
    {
        lock (_kernelLines)
            return _kernelLines.Skip(start).Where(l => l.StartsWith("msdosfs:", StringComparison.Ordinal) || l.StartsWith("ext2fs:", StringComparison.Ordinal)
                                                         || l.StartsWith("ffs:", StringComparison.Ordinal) || l.StartsWith("cd9660:", StringComparison.Ordinal)).ToList();
    }

    /// <summary>
    /// Kernel console lines from <paramref name="start"/> on that the partition scan wrote about a problem with disk
    /// <paramref name="key"/> ("dk: img0: …"; not the "dk: img0p1 at img0" attach lines).
    /// </summary>
    private List<string> ScanLines(int start, string key)
    {
        var prefix = "dk: " + key.Substring(key.LastIndexOf('/') + 1) + ": ";
        lock (_kernelLines)
            return _kernelLines.Skip(start).Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).ToList();
    }

    private int KernelLineCount
    {
        get
        {
            lock (_kernelLines)
                return _kernelLines.Count;
        }
    }

    /// <summary>Loads a kernel assembly from a file (the managed rumpctl only).</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification =
        "Reached only when BuiltInKernel.LoadsKernelFiles is true; the native publish sets that feature switch to false, so the compiler removes this call.")]
    private static RumpKernelLoader LoadKernelFile(string path)
    {
        try
        {
            // One kernel per process, never unloaded: non-collectible, so its ReadyToRun code runs instead of the JIT.
            return RumpKernelLoader.Load(path, collectible: false);
        }
        catch (Exception e) when (e is FileNotFoundException or BadImageFormatException or FileLoadException or InvalidCastException or MissingMethodException)
        {
            throw new ToolException("cannot load kernel " + path + ": " + KernelLoadProblem(e), ExitCodes.Kernel);
        }
    }

    /// <summary>Registers the image file as a block device once per session; returns its key (<c>/dev/imgN</c>).</summary>
    public string Attach(ImageSpec spec, out string fullPath, bool readOnly = false)
    {
        fullPath = _console.HostPath(spec.Image);
        // A symbolic link names the image it points to (FileInfo.Length of a link is the link's own size).
        fullPath = HostErrors.ResolveLinks(fullPath, spec.Image);
        if (_devices.TryGetValue(fullPath, out var existing))
            return existing;
        if (Directory.Exists(fullPath))
            throw new ToolErrnoException((int)Errno.EISDIR, spec.Image);
        if (!File.Exists(fullPath))
            throw new ToolErrnoException((int)Errno.ENOENT, spec.Image);
        var size = new FileInfo(fullPath).Length;
        var key = "/dev/img" + _devices.Count.ToString(CultureInfo.InvariantCulture);
        // Decided before the kernel opens the image: once it holds the image's lock, a test open here would fail.
        readOnly |= _options.ReadOnly || IsReadOnlyFile(fullPath, spec.Image);
        // Under xen the image is first a virtual disk of the domain; the kernel finds it by this path.
        _xen?.AttachImage(fullPath, readOnly);
        // Read-only sessions share the image with other readers; a writer locks it (EBUSY for the others).
        var linesBefore = KernelLineCount;
        var err = Sys.EtfsRegister(key, fullPath, readOnly ? EtfsType.BlockReadOnly : EtfsType.Block, 0, size);
        if (err == (int)Errno.EBUSY)
            throw ImageInUse(spec.Image);
        if (err == (int)Errno.ENOSYS)
            throw NoFileSystems("has no vfs faction (etfs, mount, file system drivers): its file system calls answer ENOSYS");
        if (err != 0)
            throw new ToolErrnoException(err, spec.Image);
        _devices.Add(fullPath, key);
        if (readOnly)
            _readOnlyDevices.Add(key);
        // What the dev faction's partition scan said about this disk (a partition past the end of the image, a
        // corrupt table): a warning the user sees, and the reason "no partition N" gives.
        var scanLines = ScanLines(linesBefore, key);
        _scanLines[key] = scanLines;
        // Shown when the command is about the whole disk; a command on a partition that attached does not need them,
        // and one on a partition that did not gets the reason in its error (Mount).
        if (spec.Partition is null)
            WarnScan(spec, key);
        return key;
    }

    /// <summary>The kernel cannot mount images at all: exit 3 with the command that builds one that can.</summary>
    private ToolException NoFileSystems(string what)
        => new("kernel " + _kernel.Info.Kernel + " " + what + "; build a kernel with the vfs faction and msdosfs: `dotnet build kernels/Rump.Kernel` "
               + "(all components) or `dotnet build kernels/Rump.Kernel -p:RumpComponents=msdosfs`", ExitCodes.Kernel);

    /// <summary>Why a kernel assembly did not load, in words (an exception's Message is a resource key in the published tool).</summary>
    private static string KernelLoadProblem(Exception e) => e switch
    {
        FileNotFoundException => "no such file",
        BadImageFormatException => "it is not a Rump.Build kernel (not a .NET assembly, or one without a RumpKernelEntry attribute)",
        FileLoadException => "the runtime cannot load it",
        _ => "it is not a Rump.Build kernel (its kernel entry cannot be made)",
    };

    /// <summary>The image is locked (flock) by another writer: a kernel of another rumpctl, or a program such as mtools.</summary>
    private static ToolException ImageInUse(string image) => new(image + ": image in use (another rumpctl or program is writing it)");

    /// <summary>True when the image file cannot be written (no write bits, or opening it for writing fails).</summary>
    private static bool IsReadOnlyFile(string fullPath, string image)
    {
        try
        {
            if (!OperatingSystem.IsWindows()
                && (File.GetUnixFileMode(fullPath) & (UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) == 0)
                return true;
            using var handle = File.OpenHandle(fullPath, System.IO.FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            return false;
        }
        catch (IOException e) when (e.HResult == 11)
        {
            // EWOULDBLOCK from flock: another rumpctl (or program) holds the image for writing.
            throw ImageInUse(image);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return true;
        }
    }

    /// <summary>Mounts the file system <paramref name="spec"/> names (whole disk or partition N), once per session.</summary>
    public MountedImage Mount(ImageSpec spec, bool readOnly = false)
    {
        var key = Attach(spec, out var fullPath, readOnly);
        var device = spec.Partition is int p ? key + "p" + p.ToString(CultureInfo.InvariantCulture) : key;
        if (_mounts.TryGetValue(device, out var mounted))
            return mounted;

        if (spec.Partition is not null && (spec.Partition == 0 || Sys.Stat(device, out _) != 0))
        {
            var because = SkippedBecause(key, spec.Partition.Value);
            if (because.Length == 0)
                WarnScan(spec, key);   // e.g. a GPT cut short: why there is no table
            throw new ToolException(spec.Image + (spec.Partition == 0 ? ": partition 0 does not exist; partitions are numbered from 1" : ": no partition " + spec.Partition)
                                    + because + " (" + DescribePartitions(spec) + ")");
        }

        readOnly |= _readOnlyDevices.Contains(key);
        var mountPoint = _mounts.Count == 0 ? "/mnt" : "/mnt" + _mounts.Count.ToString(CultureInfo.InvariantCulture);
        var err = Sys.Mkdir(mountPoint, 0x1ED /* 0755 */);
        if (err != 0 && err != (int)Errno.EEXIST)
            throw new ToolErrnoException(err, mountPoint + " (kernel mount point)");

        var flags = readOnly ? PosixConst.MNT_RDONLY : 0;
        var displayName = spec.Partition is int q ? spec.Image + ":" + q.ToString(CultureInfo.InvariantCulture) : spec.Image;
        var firstRealError = 0;
        var kernelLinesBefore = KernelLineCount;
        foreach (var fsType in ProbedFileSystems)
        {
            err = Sys.Mount(fsType, mountPoint, flags, device, "");
            // What the driver said about the image (truncated, not cleanly unmounted): a warning the user sees.
            if (!_options.Verbose)
            {
                foreach (var line in DriverLines(kernelLinesBefore))
                    _console.Error.WriteLine("rumpctl: warning: " + displayName + ": kernel: " + line);
            }
            kernelLinesBefore = KernelLineCount;
            if (err == 0)
            {
                mounted = new MountedImage(spec, fullPath, device, mountPoint, fsType, readOnly);
                _mounts.Add(device, mounted);
                return mounted;
            }
            // ENODEV: this kernel has no such file system; anything else: that driver looked and refused.
            if (err != (int)Errno.ENODEV && firstRealError == 0)
                firstRealError = err;
        }
        if (firstRealError == 0)
            throw NoFileSystems("links no file system driver that can mount " + displayName + " (tried " + string.Join(", ", ProbedFileSystems) + ")");
        if (spec.Partition is null && HasPartitions(key))
            throw new ToolException(displayName + ": " + ErrnoText.Describe(firstRealError) + "; the disk has partitions: name one, e.g. " + spec.Image + ":1:" + spec.Path + " (" + DescribePartitions(spec) + ")");
        throw new ToolErrnoException(firstRealError, displayName);
    }

    /// <summary>True when the dev faction attached partition wedges to this disk.</summary>
    public bool HasPartitions(string deviceKey) => Sys.Stat(deviceKey + "p1", out _) == 0;

    /// <summary>The partitions of a disk (wedges <c>KEYp1</c>, <c>KEYp2</c>…), each with its size and, when it mounts, its file system.</summary>
    public IReadOnlyList<PartitionInfo> ListPartitions(ImageSpec spec)
    {
        var key = Attach(spec, out _, readOnly: true);
        var list = new List<PartitionInfo>();
        // Wedge numbers may have gaps (MBR slot 1 empty, 2 used): probe the slots an MBR or a GPT can hold.
        for (var n = 1; n <= 128; n++)
        {
            var device = key + "p" + n.ToString(CultureInfo.InvariantCulture);
            if (Sys.Stat(device, out _) != 0)
            {
                if (n > 4 && list.Count > 0 && list[^1].Number < n - 8)
                    break;
                continue;
            }
            var size = DeviceSize(device);
            string? fsType = null;
            RumpStatVfs? usage = null;
            try
            {
                var mounted = Mount(spec with { Partition = n, Path = "/", HasPath = false }, readOnly: true);
                fsType = mounted.FsType;
                if (Sys.StatVfs(mounted.MountPoint, out var st) == 0)
                    usage = st;
            }
            catch (Exception e) when (e is ToolErrnoException or ToolException)
            {
            }
            list.Add(new PartitionInfo(n, device, size, fsType, usage));
        }
        return list;
    }

    private void WarnScan(ImageSpec spec, string key)
    {
        if (_options.Verbose || !_scanLines.TryGetValue(key, out var lines))
            return;
        foreach (var line in lines)
            _console.Error.WriteLine("rumpctl: warning: " + spec.Image + ": kernel: " + line);
    }

    /// <summary>
    /// Why the scan did not attach partition <paramref name="number"/>, from its log line ("MBR partition 2 (…) ends
    /// past the end of the disk …"): ": the table has it, but …"; "" when the scan said nothing about it.
    /// </summary>
    private string SkippedBecause(string key, int number)
    {
        if (number <= 0 || !_scanLines.TryGetValue(key, out var lines))
            return "";
        var marker = " partition " + number.ToString(CultureInfo.InvariantCulture) + " (";
        foreach (var line in lines)
        {
            var at = line.IndexOf(marker, StringComparison.Ordinal);
            if (at < 0)
                continue;
            var text = line.Substring(line.IndexOf(':', 4) + 2);   // past "dk: imgN: "
            foreach (var tail in new[] { "; not attached", "; skipped" })
            {
                var cut = text.IndexOf(tail, StringComparison.Ordinal);
                if (cut > 0)
                    text = text.Substring(0, cut);
            }
            return ": the partition table has it, but the kernel did not attach it: " + text;
        }
        return "";
    }

    private string DescribePartitions(ImageSpec spec)
    {
        var key = Attach(spec, out _);
        var numbers = new List<string>();
        for (var n = 1; n <= 128; n++)
        {
            if (Sys.Stat(key + "p" + n.ToString(CultureInfo.InvariantCulture), out _) == 0)
                numbers.Add(n.ToString(CultureInfo.InvariantCulture));
        }
        return numbers.Count == 0 ? "the disk has no partition table" : "partitions: " + string.Join(", ", numbers);
    }

    /// <summary>Size of a block device: lseek to its end.</summary>
    private long DeviceSize(string device)
    {
        if (Sys.Open(device, OpenFlags.O_RDONLY, 0, out var fd) != 0)
            return -1;
        try
        {
            if (Sys.LSeek(fd, 0, PosixConst.SEEK_END, out var end) == 0 && end > 0)
                return end;
            return Sys.FStat(fd, out var st) == 0 ? st.Size : -1;
        }
        finally
        {
            Sys.Close(fd);
        }
    }

    /// <summary>
    /// Unmounts every file system (writing back what is dirty), removes the etfs keys and shuts the kernel down.
    /// Returns the errors met: an unmount that fails means data may not have reached the image.
    /// </summary>
    public IReadOnlyList<string> Close()
    {
        var errors = new List<string>();
        if (_closed)
            return errors;
        _closed = true;
        try
        {
            if (_kernel.IsRunning)
            {
                foreach (var mount in _mounts.Values.Reverse())
                {
                    var err = _kernel.Sys.Unmount(mount.MountPoint, 0);
                    if (err != 0)
                        errors.Add(mount.DisplayName + ": unmount: " + ErrnoText.Describe(err));
                }
                foreach (var key in _devices.Values)
                    _kernel.Sys.EtfsRemove(key);
            }
        }
        catch (RumpKernelPanicException e)
        {
            errors.Add("kernel panic: " + e.PanicMessage);
        }
        finally
        {
            _mounts.Clear();
            _devices.Clear();
            try
            {
                _kernel.Shutdown();
            }
            catch (RumpKernelPanicException e)
            {
                errors.Add("kernel panic during shutdown: " + e.PanicMessage);
            }
            _xen?.Dispose();
        }
        return errors;
    }

    public void Dispose() => Close();
}
