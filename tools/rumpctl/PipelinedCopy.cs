using System;
using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace Rump.Tools;

/// <summary>
/// One file copied by two threads: a reader thread fills buffers while the calling thread writes the ones filled
/// before, so the source's read (a kernel read(2), or a host pread) and the target's write (the host's copy into
/// its page cache, or the kernel's write) run on two cores at once instead of in turn.
/// <para>
/// Errors surface as in the one-buffer loop: the calling thread throws the first failure in file order — a read
/// error after the bytes read before it were written, a write error (ENOSPC) at once, cancellation as
/// <see cref="OperationCanceledException"/> — and it returns or throws only after the reader thread has ended, so the
/// caller may close both files.
/// </para>
/// Ownership: a slot belongs to the reader from <c>_free</c> until it publishes it in <c>_filled</c>, then to the
/// writer until it gives it back in <c>_free</c>; the semaphores order the buffer contents and <c>_lengths</c>.
/// </summary>
internal sealed class PipelinedCopy : IDisposable
{
    /// <summary>Buffers in flight: one being read, one being written, one ready, so neither side waits for a hand-off.</summary>
    public const int Slots = 3;

    private readonly byte[][] _buffers = new byte[Slots][];
    private readonly int[] _lengths = new int[Slots];   // bytes in a filled slot; 0 = end of file, -1 = read failed
    private readonly SemaphoreSlim _free = new(Slots, Slots);
    private readonly SemaphoreSlim _filled = new(0, Slots);
    private readonly CancellationTokenSource _stop;
    private readonly IFileReader _reader;
    private ExceptionDispatchInfo? _readFailure;

    private PipelinedCopy(IFileReader reader, CancellationToken cancellation)
    {
        _reader = reader;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        for (var i = 0; i < Slots; i++)
            _buffers[i] = ArrayPool<byte>.Shared.Rent(Copier.BufferSize);
    }

    /// <summary>Copies <paramref name="reader"/> to its end into <paramref name="writer"/>; returns the bytes copied.</summary>
    public static long Run(IFileReader reader, IFileWriter writer, CancellationToken cancellation, ProgressBar? progress)
    {
        using var copy = new PipelinedCopy(reader, cancellation);
        var thread = new Thread(copy.ReadLoop) { IsBackground = true, Name = "rumpctl cp reader" };
        thread.Start();
        try
        {
            return copy.WriteLoop(writer, cancellation, progress);
        }
        finally
        {
            copy._stop.Cancel();   // a writer that failed stops the reader at its next slot
            thread.Join();
        }
    }

    private long WriteLoop(IFileWriter writer, CancellationToken cancellation, ProgressBar? progress)
    {
        long done = 0;
        for (var slot = 0; ; slot = (slot + 1) % Slots)
        {
            cancellation.ThrowIfCancellationRequested();
            _filled.Wait(cancellation);
            var n = _lengths[slot];
            if (n < 0)
                _readFailure!.Throw();
            if (n == 0)
                return done;
            writer.Write(_buffers[slot].AsSpan(0, n));
            done += n;
            progress?.Update(done);
            _free.Release();
        }
    }

    private void ReadLoop()
    {
        var token = _stop.Token;
        for (var slot = 0; ; slot = (slot + 1) % Slots)
        {
            int n;
            try
            {
                _free.Wait(token);
            }
            catch (OperationCanceledException)
            {
                return;   // the writer stopped (failed or cancelled) and no longer waits for slots
            }
            try
            {
                token.ThrowIfCancellationRequested();
                n = _reader.Read(_buffers[slot].AsSpan(0, Copier.BufferSize));
            }
            catch (Exception e)
            {
                _readFailure = ExceptionDispatchInfo.Capture(e);
                n = -1;
            }
            _lengths[slot] = n;
            _filled.Release();
            if (n <= 0)
                return;
        }
    }

    public void Dispose()
    {
        foreach (var buffer in _buffers)
            ArrayPool<byte>.Shared.Return(buffer);
        _free.Dispose();
        _filled.Dispose();
        _stop.Dispose();
    }
}
