using System;
using System.IO;
using System.Threading;

namespace Rump.Tools.Tests;

/// <summary>
/// Files of <see cref="Copier.PipelineThreshold"/> bytes or more are copied by a reader thread and the writing thread
/// (<see cref="PipelinedCopy"/>): the bytes arrive whole, and every failure surfaces as the one-buffer copy's did.
/// </summary>
public sealed class PipelinedCopyTests
{
    private const int LargeFile = 12 * 1024 * 1024 + 4321;   // above the threshold, not a multiple of the buffer

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [FatKernelFact]
    public void CpHostToImage_LargeFile_FsckCleanAndMtoolsReadsTheSameBytes()
    {
        using var image = FatImage.Create(32, 40 * 1024);
        var content = Pattern(LargeFile, 11);
        File.WriteAllBytes(Path.Combine(image.Folder, "big.bin"), content);
        var run = Tool.Run(image.Folder, "cp", "big.bin", image.Name + ":/big.bin");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(0, image.Fsck().ExitCode);
        Assert.Equal(content, image.Read("/big.bin"));
    }

    [FatKernelFact]
    public void CpImageToHost_LargeFile_SameBytes()
    {
        using var image = FatImage.Create(32, 40 * 1024);
        var content = Pattern(LargeFile, 12);
        image.Put("/big.bin", content);
        var run = Tool.Run(image.Folder, "cp", image.Name + ":/big.bin", "out.bin");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(image.Folder, "out.bin")));
    }

    [FatKernelFact]
    public void CpHostToImage_LargeFileOverAnOlderLongerHostFile_Truncates()
    {
        using var image = FatImage.Create(32, 40 * 1024);
        var content = Pattern(LargeFile, 13);
        image.Put("/big.bin", content);
        File.WriteAllBytes(Path.Combine(image.Folder, "out.bin"), Pattern(LargeFile + 100_000, 14));
        var run = Tool.Run(image.Folder, "cp", image.Name + ":/big.bin", "out.bin");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(image.Folder, "out.bin")));
    }

    [FatKernelFact]
    public void Cp_LargeFileIntoTooSmallImage_WriterNoSpaceExitsOneAndStaysClean()
    {
        using var image = FatImage.Create(12, 8 * 1024);
        File.WriteAllBytes(Path.Combine(image.Folder, "big.bin"), Pattern(LargeFile, 15));
        var run = Tool.Run(image.Folder, "cp", "big.bin", image.Name + ":/big.bin");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Equal("rumpctl: " + image.Name + ":/big.bin: No space left on device\n", run.Stderr);
        Assert.Equal(0, image.Fsck().ExitCode);
    }

    [FatKernelFact]
    public void Cp_LargeFileCutByATruncatedImage_ReaderEioExitsOneAfterTheBytesBeforeIt()
    {
        using var image = FatImage.Create(16, 16 * 1024);
        var content = Pattern(LargeFile, 16);
        image.Put("/big.bin", content);
        // The image ends 3 MiB in: the file's first clusters are there, the rest lies past the end and reads as EIO.
        using (var f = new FileStream(image.Path, System.IO.FileMode.Open))
            f.SetLength(3 << 20);
        var run = Tool.Run(image.Folder, "cp", image.Name + ":/big.bin", "out.bin");
        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        // (The mount warns about the truncated image first.)
        Assert.EndsWith("\nrumpctl: " + image.Name + ":/big.bin: Input/output error\n", run.Stderr);
        var copied = File.ReadAllBytes(Path.Combine(image.Folder, "out.bin"));
        Assert.InRange(copied.Length, 1, 3 << 20);
        Assert.Equal(content.AsSpan(0, copied.Length).ToArray(), copied);
    }

    /// <summary>The source: a real host file, failing with <paramref name="failAt"/>'s errno on that read (1-based).</summary>
    private sealed class CountingReader(IFileReader inner, int failAt = 0, int errno = 0) : IFileReader
    {
        public int Reads;

        public int Read(Span<byte> buffer)
        {
            if (Interlocked.Increment(ref Reads) == failAt)
                throw new ToolErrnoException(errno, "source");
            return inner.Read(buffer);
        }

        public void Dispose() => inner.Dispose();
    }

    /// <summary>The target: a real host file; after <paramref name="stopAfter"/> writes it cancels or fails.</summary>
    private sealed class StoppingWriter(IFileWriter inner, int stopAfter, CancellationTokenSource? cancel, int errno) : IFileWriter
    {
        public int Writes;

        public void Write(ReadOnlySpan<byte> buffer)
        {
            if (Writes == stopAfter && cancel is null)
                throw new ToolErrnoException(errno, "target");
            inner.Write(buffer);
            if (++Writes == stopAfter)
                cancel?.Cancel();   // Ctrl+C while this buffer was written
        }

        public void Complete() => inner.Complete();

        public void Dispose() => inner.Dispose();
    }

    private static (HostTree Tree, string Folder, byte[] Content) HostFiles(int seed)
    {
        var folder = Directory.CreateTempSubdirectory("rumpctl-pipe-").FullName;
        var content = Pattern(LargeFile, seed);
        File.WriteAllBytes(Path.Combine(folder, "in.bin"), content);
        return (new HostTree(new ToolConsole(new MemoryStream(), new StringWriter(), workingDirectory: folder)), folder, content);
    }

    [Fact]
    public void Run_WriterFails_ThatErrorSurfacesAndTheReaderStopsWithinTheSlots()
    {
        var (tree, folder, _) = HostFiles(21);
        try
        {
            using var reader = new CountingReader(tree.OpenRead("in.bin"));
            using var writer = new StoppingWriter(tree.Create("out.bin"), stopAfter: 5, cancel: null, errno: (int)Errno.ENOSPC);
            var e = Assert.Throws<ToolErrnoException>(() => PipelinedCopy.Run(reader, writer, CancellationToken.None, progress: null));
            Assert.Equal((int)Errno.ENOSPC, e.Errno);
            Assert.Equal("target", e.DisplayPath);
            // Run returned after the reader thread ended: it read at most the slots ahead of the failed write.
            Assert.InRange(reader.Reads, 6, 5 + PipelinedCopy.Slots + 1);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void Run_ReaderFails_ThatErrorSurfacesAfterEveryBufferReadBeforeItWasWritten()
    {
        var (tree, folder, content) = HostFiles(22);
        try
        {
            using (var reader = new CountingReader(tree.OpenRead("in.bin"), failAt: 7, errno: (int)Errno.EIO))
            using (var writer = new StoppingWriter(tree.Create("out.bin"), stopAfter: -1, cancel: null, errno: 0))
            {
                var e = Assert.Throws<ToolErrnoException>(() => PipelinedCopy.Run(reader, writer, CancellationToken.None, progress: null));
                Assert.Equal((int)Errno.EIO, e.Errno);
                Assert.Equal("source", e.DisplayPath);
                Assert.Equal(6, writer.Writes);
                writer.Complete();
            }
            Assert.Equal(content.AsSpan(0, 6 * Copier.BufferSize).ToArray(), File.ReadAllBytes(Path.Combine(folder, "out.bin")));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void Run_Cancelled_ThrowsOperationCanceledAndWritesNoMoreThanTheBufferInHand()
    {
        var (tree, folder, content) = HostFiles(23);
        try
        {
            using var cancel = new CancellationTokenSource();
            using (var reader = new CountingReader(tree.OpenRead("in.bin")))
            using (var writer = new StoppingWriter(tree.Create("out.bin"), stopAfter: 3, cancel, errno: 0))
            {
                Assert.ThrowsAny<OperationCanceledException>(() => PipelinedCopy.Run(reader, writer, cancel.Token, progress: null));
                Assert.Equal(3, writer.Writes);
                Assert.InRange(reader.Reads, 3, 3 + PipelinedCopy.Slots);
                writer.Complete();
            }
            Assert.Equal(content.AsSpan(0, 3 * Copier.BufferSize).ToArray(), File.ReadAllBytes(Path.Combine(folder, "out.bin")));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void Run_WholeFile_ReturnsItsLengthAndTheSameBytes()
    {
        var (tree, folder, content) = HostFiles(24);
        try
        {
            long copied;
            using (var reader = tree.OpenRead("in.bin"))
            using (var writer = tree.Create("out.bin"))
            {
                copied = PipelinedCopy.Run(reader, writer, CancellationToken.None, progress: null);
                writer.Complete();
            }
            Assert.Equal(content.Length, copied);
            Assert.Equal(content, File.ReadAllBytes(Path.Combine(folder, "out.bin")));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }
}
