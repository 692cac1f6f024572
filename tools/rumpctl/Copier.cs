using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;

namespace Rump.Tools;

/// <summary>
/// Copies files and trees between two <see cref="IFileTree"/>s with one buffer of <see cref="BufferSize"/> bytes,
/// drawing a progress bar for large files on a terminal.
/// </summary>
public sealed class Copier : IDisposable
{
    /// <summary>
    /// Bytes per read and write: large enough that msdosfs reads it straight into the buffer in one device request
    /// per cluster run (≥ its 64 KiB direct-read threshold), small enough to stay in the CPU cache between the
    /// read and the write — 1 MiB buffers made the host side of a copy 3× slower here (measured with dd: 1 GiB
    /// page cache to page cache, 8.9 s with 1 MiB blocks, 2.7 s with 128 KiB).
    /// </summary>
    public const int BufferSize = 128 * 1024;

    /// <summary>
    /// Files at least this large are copied by <see cref="PipelinedCopy"/> (a reader thread beside the writing one)
    /// when the machine has more than one core; below it the thread's start costs more than the overlap gains.
    /// </summary>
    public const long PipelineThreshold = 4L << 20;

    /// <summary>Files at least this large get a progress bar (when standard error is a terminal).</summary>
    public const long ProgressThreshold = 16L << 20;

    private readonly ToolConsole _console;
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);

    public Copier(ToolConsole console) => _console = console;

    /// <summary>
    /// When set, a failure on one entry of a tree (a name the file system rejects, a file that cannot be read) is
    /// reported here and the copy goes on with the next entry, as cp -r does; unset, it ends the copy.
    /// </summary>
    public Action<string>? EntryFailed { get; init; }

    public long FilesCopied { get; private set; }
    public long BytesCopied { get; private set; }

    /// <summary>
    /// Targets this copy created, by path in a case-insensitive table, with the source each came from: a later source
    /// whose name meets one of them only in case is a collision when the target file system says it is the same file.
    /// </summary>
    private readonly Dictionary<string, (string Target, string Source)> _created = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Copies <paramref name="source"/> (a file, or with <paramref name="recursive"/> a directory) to <paramref name="target"/>.</summary>
    public void Copy(IFileTree from, string source, IFileTree to, string target, bool recursive)
    {
        if (!from.TryStat(source, out var info))
        {
            if (from is HostTree && HasUndecodableName(source))
                throw new ToolException(from.Display(source).Replace('\uFFFD', '?') + ": file name is not valid UTF-8 (rumpctl sees its bytes only as U+FFFD and cannot open it)");
            throw new ToolErrnoException((int)Errno.ENOENT, from.Display(source));
        }
        if (info.IsDirectory)
        {
            if (!recursive)
                throw new ToolException(from.Display(source) + ": is a directory (use -r to copy it)");
            CopyTree(from, source, info, to, target, new List<(EntryInfo, string)>());
            return;
        }
        // A FIFO, terminal or socket named on the command line is copied (`cp /dev/stdin img:/x`), read to its end.
        CopyFile(from, source, info, to, target);
    }

    /// <summary>
    /// A host name that was not valid UTF-8: .NET decodes its bytes to U+FFFD and cannot open it by that name (and
    /// the name it could store is not the file's). A name that really holds U+FFFD is found and never reported.
    /// </summary>
    private static bool HasUndecodableName(string path) => path.Contains('\uFFFD');

    private static ToolException NotUtf8(string display)
        => new(display.Replace('\uFFFD', '?') + ": file name is not valid UTF-8 (skipped)");

    /// <summary>
    /// Copies a directory. Host symbolic links are followed (as mcopy does: FAT has no links), so a link back to a
    /// directory being copied would nest without end: <paramref name="onPath"/> holds the directories from the top of
    /// this copy down to here (device and inode), and a child that is one of them is reported and skipped.
    /// FIFOs, sockets and devices inside a tree are not opened (a FIFO would block the copy): reported and skipped.
    /// </summary>
    private void CopyTree(IFileTree from, string source, in EntryInfo sourceInfo, IFileTree to, string target, List<(EntryInfo Info, string Display)> onPath)
    {
        Claim(from, source, to, target);
        to.EnsureDirectory(target);
        Created(from, source, target);
        onPath.Add((sourceInfo, from.Display(source)));
        try
        {
            foreach (var name in from.List(source))
            {
                _console.Cancellation.ThrowIfCancellationRequested();
                var childSource = from.Combine(source, name);
                var childTarget = to.Combine(target, name);
                try
                {
                    if (!from.TryStat(childSource, out var info))
                    {
                        if (from is HostTree && HasUndecodableName(name))
                            throw NotUtf8(from.Display(childSource));
                        continue;   // removed while we walked
                    }
                    if (info.IsDirectory)
                    {
                        foreach (var (ancestor, display) in onPath)
                        {
                            if (ancestor.IsSameFileAs(info))
                                throw new ToolException(from.Display(childSource) + ": directory cycle: it leads back to " + display + " (skipped)");
                        }
                        CopyTree(from, childSource, info, to, childTarget, onPath);
                    }
                    else if (!info.IsRegular)
                    {
                        throw new ToolException(from.Display(childSource) + ": not a regular file or directory (skipped)");
                    }
                    else
                    {
                        CopyFile(from, childSource, info, to, childTarget);
                    }
                }
                catch (Exception e) when (EntryFailed is not null && e is ToolErrnoException or ToolException { ExitCode: ExitCodes.Failure })
                {
                    EntryFailed(e.Message);
                }
            }
        }
        finally
        {
            onPath.RemoveAt(onPath.Count - 1);
        }
    }

    /// <summary>
    /// Refuses a target whose name differs only in case from one this copy created, when the target file system
    /// resolves both to one file (FAT): writing it would overwrite (or merge into) what this copy just wrote. A file
    /// that was on the image before the copy is still overwritten, as mcopy -o does.
    /// </summary>
    private void Claim(IFileTree from, string source, IFileTree to, string target)
    {
        if (_created.TryGetValue(target, out var earlier) && !string.Equals(earlier.Target, target, StringComparison.Ordinal)
            && to.TryStat(target, out var now) && to.TryStat(earlier.Target, out var before) && now.IsSameFileAs(before))
            throw new ToolException(from.Display(source) + ": name collides with " + earlier.Source + " on this file system (skipped)");
    }

    private void Created(IFileTree from, string source, string target) => _created[target] = (target, from.Display(source));

    private void CopyFile(IFileTree from, string source, in EntryInfo info, IFileTree to, string target)
    {
        var buffer = _buffer ?? throw new ObjectDisposedException(nameof(Copier));
        Claim(from, source, to, target);
        // A FIFO (or terminal, socket) blocks in the host's open(2) and read(2) until its other side acts: both run on
        // another thread while this one waits with the cancellation, so that one Ctrl+C or SIGTERM stops the copy.
        var mayBlock = !info.IsRegular;
        using var reader = mayBlock ? PipelinedCopy.OpenCancellable(() => from.OpenRead(source), _console.Cancellation) : from.OpenRead(source);
        using var writer = to.Create(target);
        Created(from, source, target);
        var expectedSize = info.Size;
        var progress = _console.ErrorIsTerminal && expectedSize >= ProgressThreshold
            ? new ProgressBar(_console, to.Display(target), expectedSize)
            : null;
        long done;
        if (mayBlock || (expectedSize >= PipelineThreshold && Environment.ProcessorCount > 1))
        {
            done = PipelinedCopy.Run(reader, writer, _console.Cancellation, progress);
        }
        else
        {
            done = 0;
            while (true)
            {
                _console.Cancellation.ThrowIfCancellationRequested();
                var n = reader.Read(buffer.AsSpan(0, BufferSize));
                if (n == 0)
                    break;
                writer.Write(buffer.AsSpan(0, n));
                done += n;
                progress?.Update(done);
            }
        }
        writer.Complete();
        progress?.Finish(done);
        FilesCopied++;
        BytesCopied += done;
    }

    public void Dispose()
    {
        if (_buffer is not null)
            ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null;
    }
}

/// <summary>A one-line progress bar on standard error, redrawn at most ten times a second.</summary>
public sealed class ProgressBar
{
    private readonly ToolConsole _console;
    private readonly string _label;
    private readonly long _total;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastDrawMs = -1000;

    public ProgressBar(ToolConsole console, string label, long total)
    {
        _console = console;
        _label = label;
        _total = Math.Max(1, total);
    }

    public void Update(long done)
    {
        var now = _clock.ElapsedMilliseconds;
        if (now - _lastDrawMs < 100)
            return;
        _lastDrawMs = now;
        Draw(done);
    }

    public void Finish(long done)
    {
        Draw(done);
        _console.Error.WriteLine();
    }

    private void Draw(long done)
    {
        _console.Error.Write("\r" + Render(_label, done, _total, _clock.Elapsed.TotalSeconds, _console.Width));
        _console.Error.Flush();
    }

    /// <summary>The bar's text: <c>label [#####.....]  45%  460.0 MiB / 1.0 GiB  230.1 MiB/s</c>, fitted to <paramref name="width"/>.</summary>
    public static string Render(string label, long done, long total, double seconds, int width)
    {
        var fraction = Math.Clamp((double)done / total, 0, 1);
        var rate = seconds > 0 ? done / seconds : 0;
        var numbers = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $" {fraction * 100,3:0}%  {Format.Size(done)} / {Format.Size(total)}  {Format.Size((long)rate)}/s");
        const int barWidth = 20;
        var filled = (int)Math.Round(fraction * barWidth);
        var bar = "[" + new string('#', filled) + new string('.', barWidth - filled) + "]";
        var room = Math.Max(8, width - 1 - bar.Length - numbers.Length - 1);
        if (label.Length > room)
            label = "…" + label.Substring(label.Length - (room - 1));
        return label.PadRight(room) + " " + bar + numbers;
    }
}
