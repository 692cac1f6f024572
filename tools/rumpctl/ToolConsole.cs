using System;
using System.IO;
using System.Text;
using System.Threading;

namespace Rump.Tools;

/// <summary>
/// Where a run of rumpctl reads and writes: the process's standard streams, or buffers in tests.
/// Text and bytes share one output stream so that <c>cat</c> output and listings interleave correctly.
/// </summary>
public sealed class ToolConsole
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    public ToolConsole(Stream output, TextWriter error, bool outputIsTerminal = false, bool errorIsTerminal = false, string? workingDirectory = null)
    {
        output = new GuardedOutput(output);
        OutputStream = output;
        Out = new StreamWriter(output, Utf8NoBom, bufferSize: 16 * 1024, leaveOpen: true) { AutoFlush = false, NewLine = "\n" };
        Error = error;
        OutputIsTerminal = outputIsTerminal;
        ErrorIsTerminal = errorIsTerminal;
        WorkingDirectory = workingDirectory ?? Directory.GetCurrentDirectory();
    }

    /// <summary>Text output (listings). Flushed before raw bytes go to <see cref="OutputStream"/>.</summary>
    public TextWriter Out { get; }

    /// <summary>Raw output (file contents for <c>cat</c>).</summary>
    public Stream OutputStream { get; }

    /// <summary>Diagnostics and the progress bar.</summary>
    public TextWriter Error { get; }

    public bool OutputIsTerminal { get; }

    /// <summary>The progress bar is drawn only when standard error is a terminal.</summary>
    public bool ErrorIsTerminal { get; }

    /// <summary>Host paths are relative to this folder.</summary>
    public string WorkingDirectory { get; }

    /// <summary>Set by Ctrl+C; long copies stop at the next buffer and the image is still unmounted cleanly.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Terminal width for column output.</summary>
    public int Width { get; init; } = 80;

    public static ToolConsole ForProcess(CancellationToken cancellation)
    {
        var width = 80;
        if (!Console.IsOutputRedirected)
        {
            try { width = Math.Max(20, Console.WindowWidth); } catch (IOException) { }
        }
        var error = new StreamWriter(Console.OpenStandardError(), Utf8NoBom) { AutoFlush = true, NewLine = "\n" };
        return new ToolConsole(Console.OpenStandardOutput(), error, !Console.IsOutputRedirected, !Console.IsErrorRedirected)
        {
            Cancellation = cancellation,
            Width = width,
        };
    }

    /// <summary>Writes raw bytes after any pending text.</summary>
    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        Out.Flush();
        OutputStream.Write(bytes);
    }

    public void Flush()
    {
        Out.Flush();
        OutputStream.Flush();
        Error.Flush();
    }

    public string HostPath(string path) => Path.GetFullPath(path, WorkingDirectory);
}

/// <summary>
/// Standard output that fails like a tool: a write error (a full disk, a closed pipe) becomes
/// "standard output: No space left on device" (exit 1) once, and later writes are dropped so that
/// flushing on the way out cannot throw again.
/// </summary>
internal sealed class GuardedOutput(Stream inner) : Stream
{
    private bool _failed;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_failed)
            return;
        try
        {
            inner.Write(buffer);
        }
        catch (IOException e)
        {
            throw Failed(e);
        }
    }

    public override void Flush()
    {
        if (_failed)
            return;
        try
        {
            inner.Flush();
        }
        catch (IOException e)
        {
            throw Failed(e);
        }
    }

    private ToolException Failed(IOException e)
    {
        _failed = true;
        // The errno in words, never the exception's Message (a resource key in the published tool).
        return new ToolException("standard output: " + ErrnoText.Describe(HostErrors.ErrnoOf(e)));
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }
}
