using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.Win32.SafeHandles;

namespace Rump.Tools;

/// <summary>
/// What the copy, tree and listing code needs to know of one entry. <paramref name="Dev"/> and <paramref name="Ino"/>
/// identify the file inside a kernel or on the host (0 where unknown): two names of one file compare equal.
/// </summary>
public readonly record struct EntryInfo(bool IsDirectory, bool IsRegular, long Size, DateTimeOffset ModifiedUtc, ulong Dev = 0, ulong Ino = 0)
{
    /// <summary>True when both entries are known to be the same file (same device and inode).</summary>
    public bool IsSameFileAs(in EntryInfo other) => Ino != 0 && Dev == other.Dev && Ino == other.Ino;
}

/// <summary>An open file being read: a kernel descriptor or a host handle.</summary>
public interface IFileReader : IDisposable
{
    /// <summary>Reads up to <c>buffer.Length</c> bytes; 0 at the end.</summary>
    int Read(Span<byte> buffer);
}

/// <summary>An open file being written.</summary>
public interface IFileWriter : IDisposable
{
    void Write(ReadOnlySpan<byte> buffer);

    /// <summary>Closes the file and reports what closing met (a failed write-back is an error).</summary>
    void Complete();
}

/// <summary>One side of a copy: files on a mounted image (through the kernel) or on the host.</summary>
public interface IFileTree
{
    /// <summary>How messages show <paramref name="path"/>.</summary>
    string Display(string path);
    bool TryStat(string path, out EntryInfo info);
    /// <summary>Entry names of a directory, without <c>.</c> and <c>..</c>, in ordinal order.</summary>
    IReadOnlyList<string> List(string directory);
    IFileReader OpenRead(string path);
    IFileWriter Create(string path);
    /// <summary>Creates a directory; an existing directory is fine.</summary>
    void EnsureDirectory(string path);
    string Combine(string directory, string name);
    string BaseName(string path);
}

/// <summary>Files on a mounted image, reached only through the kernel's system calls.</summary>
public sealed class ImageTree : IFileTree
{
    private readonly ISyscalls _sys;

    public ImageTree(ISyscalls sys, MountedImage mount)
    {
        _sys = sys;
        Mount = mount;
    }

    public MountedImage Mount { get; }

    public string Display(string path) => Mount.Spec.DisplayOf(path);

    public bool TryStat(string path, out EntryInfo info)
    {
        var err = _sys.Stat(Mount.KernelPath(path), out var st);
        if (err == (int)Errno.ENOENT)
        {
            info = default;
            return false;
        }
        Check(err, path);
        info = new EntryInfo(FileMode.IsDir(st.Mode), FileMode.IsReg(st.Mode), st.Size, st.Mtime, st.Dev, st.Ino);
        return true;
    }

    public RumpStat Stat(string path)
    {
        Check(_sys.Stat(Mount.KernelPath(path), out var st), path);
        return st;
    }

    public RumpStat LStat(string path)
    {
        Check(_sys.LStat(Mount.KernelPath(path), out var st), path);
        return st;
    }

    public IReadOnlyList<string> List(string directory)
    {
        var names = new List<string>();
        foreach (var (name, _) in ReadDirectory(directory, includeDots: false))
            names.Add(name);
        return names;
    }

    /// <summary>The directory's records from getdents(2), sorted by name (ordinal, like ls in the C locale).</summary>
    public List<(string Name, byte Type)> ReadDirectory(string directory, bool includeDots)
    {
        Check(_sys.Open(Mount.KernelPath(directory), OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0, out var fd), directory);
        var entries = new List<(string, byte)>();
        try
        {
            var buffer = new byte[32 * 1024];
            while (true)
            {
                Check(_sys.GetDents(fd, buffer, out var nread), directory);
                if (nread == 0)
                    break;
                var offset = 0;
                while (offset < nread)
                {
                    var length = Dirent.Read(buffer.AsSpan(offset, nread - offset), out _, out var type, out var name);
                    if (length == 0)
                        throw new ToolErrnoException((int)Errno.EIO, Display(directory));
                    offset += length;
                    if (!includeDots && (name == "." || name == ".."))
                        continue;
                    entries.Add((name, type));
                }
            }
        }
        finally
        {
            _sys.Close(fd);
        }
        entries.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return entries;
    }

    public IFileReader OpenRead(string path)
    {
        Check(_sys.Open(Mount.KernelPath(path), OpenFlags.O_RDONLY, 0, out var fd), path);
        return new KernelFile(_sys, fd, Display(path));
    }

    public IFileWriter Create(string path)
    {
        var kernelPath = Mount.KernelPath(path);
        var replacing = _sys.Stat(kernelPath, out var existing) == 0 && FileMode.IsReg(existing.Mode);
        Check(_sys.Open(kernelPath, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0x1A4 /* 0644 */, out var fd), path);
        if (replacing)
        {
            // FAT names ignore case: "readme.txt" opened the existing README.TXT. Store the name as the user wrote it,
            // as mcopy -o does (rename to the same name only rewrites the spelling; elsewhere it does nothing).
            var err = _sys.Rename(kernelPath, kernelPath);
            if (err != 0)
            {
                _sys.Close(fd);
                Check(err, path);
            }
        }
        return new KernelFile(_sys, fd, Display(path));
    }

    public void EnsureDirectory(string path)
    {
        var err = _sys.Mkdir(Mount.KernelPath(path), 0x1ED /* 0755 */);
        if (err == (int)Errno.EEXIST && TryStat(path, out var info) && info.IsDirectory)
            return;
        Check(err, path);
    }

    public void Mkdir(string path) => Check(_sys.Mkdir(Mount.KernelPath(path), 0x1ED), path);
    public void Rmdir(string path) => Check(_sys.Rmdir(Mount.KernelPath(path)), path);
    public void Unlink(string path) => Check(_sys.Unlink(Mount.KernelPath(path)), path);
    /// <summary>rename(2); a failure names the path it is about: the source, or what is missing or no directory on the target's way.</summary>
    public void Rename(string from, string to)
    {
        var err = _sys.Rename(Mount.KernelPath(from), Mount.KernelPath(to));
        if (err == 0)
            return;
        var culprit = RenameCulprit(err, from, to, out var culpritErr);
        throw new ToolErrnoException(culpritErr, Display(culprit));
    }

    /// <summary>
    /// Which path a failed rename is about, as mv(1) reports it: a missing (or not-a-directory) source names the
    /// source; otherwise ENOENT/ENOTDIR come from the target's way, and the first component of it that is missing or
    /// no directory is named (e.g. the target's parent); EEXIST/ENOTEMPTY/EISDIR name the target.
    /// </summary>
    private string RenameCulprit(int err, string from, string to, out int culpritErr)
    {
        culpritErr = err;
        if (err is (int)Errno.EEXIST or (int)Errno.ENOTEMPTY or (int)Errno.EISDIR)
            return to;
        if (err is not ((int)Errno.ENOENT or (int)Errno.ENOTDIR))
            return from;
        var sourceErr = _sys.LStat(Mount.KernelPath(from), out _);
        if (sourceErr != 0)
        {
            culpritErr = sourceErr;
            return from;
        }
        var prefix = "";
        foreach (var part in ImageSpec.Parent(to.TrimEnd('/')).Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            prefix += "/" + part;
            var stepErr = _sys.Stat(Mount.KernelPath(prefix), out var st);
            if (stepErr != 0)
            {
                culpritErr = stepErr;
                return prefix;
            }
            if (!FileMode.IsDir(st.Mode))
            {
                culpritErr = (int)Errno.ENOTDIR;
                return prefix;
            }
        }
        return to;
    }

    public string Combine(string directory, string name) => ImageSpec.Combine(directory, name);

    public string BaseName(string path) => ImageSpec.BaseName(path);

    private void Check(int err, string path)
    {
        if (err != 0)
            throw new ToolErrnoException(err, Display(path));
    }

    /// <summary>A kernel file descriptor; reads and writes go straight to read(2)/write(2) with the caller's buffer.</summary>
    private sealed class KernelFile : IFileReader, IFileWriter
    {
        private readonly ISyscalls _sys;
        private readonly string _display;
        private int _fd;

        public KernelFile(ISyscalls sys, int fd, string display)
        {
            _sys = sys;
            _fd = fd;
            _display = display;
        }

        public int Read(Span<byte> buffer)
        {
            var err = _sys.Read(_fd, buffer, out var nread);
            if (err != 0)
                throw new ToolErrnoException(err, _display);
            return checked((int)nread);
        }

        public void Write(ReadOnlySpan<byte> buffer)
        {
            while (!buffer.IsEmpty)
            {
                var err = _sys.Write(_fd, buffer, out var nwritten);
                if (err != 0)
                    throw new ToolErrnoException(err, _display);
                if (nwritten <= 0)
                    throw new ToolErrnoException((int)Errno.EIO, _display);
                buffer = buffer.Slice(checked((int)nwritten));
            }
        }

        public void Complete()
        {
            var fd = _fd;
            _fd = -1;
            if (fd >= 0)
            {
                var err = _sys.Close(fd);
                if (err != 0)
                    throw new ToolErrnoException(err, _display);
            }
        }

        public void Dispose()
        {
            if (_fd >= 0)
                _sys.Close(_fd);
            _fd = -1;
        }
    }
}

/// <summary>Files on the host, for copies into and out of images.</summary>
public sealed class HostTree : IFileTree
{
    private readonly ToolConsole _console;
    private readonly Func<string, bool>? _isImageInUse;

    /// <param name="isImageInUse">True for a full host path that is an image this command has attached: reading or
    /// writing it as a plain file would race the kernel (and its lock refuses it), so such a path is refused by name.</param>
    public HostTree(ToolConsole console, Func<string, bool>? isImageInUse = null)
    {
        _console = console;
        _isImageInUse = isImageInUse;
    }

    public string Display(string path) => path;

    public bool TryStat(string path, out EntryInfo info)
    {
        var full = _console.HostPath(path);
        if (HostStat.TryStat(full, out var st, out var linuxErrno))
        {
            if (linuxErrno == 0)
            {
                var isDirectory = st.Type == HostStat.TypeDirectory;
                info = new EntryInfo(isDirectory, st.Type == HostStat.TypeRegular, isDirectory ? 0 : st.Size, st.ModifiedUtc, st.Dev, st.Ino);
                return true;
            }
            var errno = HostErrors.FromLinux(linuxErrno);
            if (errno != (int)Errno.ENOENT)
                throw new ToolErrnoException(errno, path);
            info = default;
            return false;
        }
        if (Directory.Exists(full))
        {
            info = new EntryInfo(true, false, 0, Directory.GetLastWriteTimeUtc(full));
            return true;
        }
        if (File.Exists(full))
        {
            var fi = new FileInfo(full);
            info = new EntryInfo(false, true, fi.Length, fi.LastWriteTimeUtc);
            return true;
        }
        // As stat(2): a file in the middle of the path is ENOTDIR, not a missing entry.
        var missing = HostErrors.MissingErrno(full);
        if (missing != (int)Errno.ENOENT)
            throw new ToolErrnoException(missing, path);
        info = default;
        return false;
    }

    public IReadOnlyList<string> List(string directory)
    {
        try
        {
            var names = new List<string>();
            foreach (var entry in new DirectoryInfo(_console.HostPath(directory)).EnumerateFileSystemInfos())
                names.Add(entry.Name);
            names.Sort(string.CompareOrdinal);
            return names;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw HostError(e, directory);
        }
    }

    public IFileReader OpenRead(string path)
    {
        RefuseImageInUse(path);
        try
        {
            return new HostFile(this, File.OpenHandle(_console.HostPath(path), System.IO.FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan), path, FileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw HostError(e, path);
        }
    }

    public IFileWriter Create(string path)
    {
        RefuseImageInUse(path);
        try
        {
            // Not FileMode.Create: .NET opens that without O_TRUNC and then calls ftruncate(0) even on a new, empty
            // file, and ext4 answers a truncation to 0 by writing the whole file back when it is closed
            // (auto_da_alloc): close(2) of a 1 GiB copy blocked for ~0.45 s. Truncate only a file that has data.
            var file = new HostFile(this, File.OpenHandle(_console.HostPath(path), System.IO.FileMode.OpenOrCreate, FileAccess.Write, FileShare.None), path, FileAccess.Write);
            try
            {
                file.TruncateOldContent();
            }
            catch
            {
                file.Dispose();
                throw;
            }
            return file;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw HostError(e, path);
        }
    }

    public void EnsureDirectory(string path)
    {
        try
        {
            Directory.CreateDirectory(_console.HostPath(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw HostError(e, path);
        }
    }

    public string Combine(string directory, string name) => Path.Combine(directory, name);

    public string BaseName(string path) => Path.GetFileName(Path.TrimEndingDirectorySeparator(path));

    private void RefuseImageInUse(string path)
    {
        var full = HostErrors.ResolveLinks(_console.HostPath(path), path);
        if (_isImageInUse?.Invoke(full) == true)
            throw new ToolException(path + ": is the image being worked on (it cannot also be a plain file of the same copy)");
    }

    /// <summary>Host failures read like kernel ones: <c>rumpctl: PATH: strerror</c> (never the exception's Message).</summary>
    public Exception HostError(Exception e, string path)
    {
        if (HostErrors.IsLocked(e))
            return new ToolException(path + ": in use: another program holds its lock");
        var errno = HostErrors.ErrnoOf(e);
        if (errno == (int)Errno.ENOENT)
            errno = HostErrors.MissingErrno(_console.HostPath(path));
        return new ToolErrnoException(errno, path);
    }

    private sealed class HostFile : IFileReader, IFileWriter
    {
        private readonly HostTree _tree;
        private readonly SafeFileHandle _handle;
        private readonly string _display;
        // Owns the handle (disposing it closes the file). Used for I/O only on a FIFO, terminal or socket
        // (`cp /dev/stdin img:/x`, `<(…)`), which has no offsets; regular files use positioned I/O on the handle.
        private readonly FileStream _stream;
        private readonly bool _sequential;
        private long _offset;

        public HostFile(HostTree tree, SafeFileHandle handle, string display, FileAccess access)
        {
            _tree = tree;
            _handle = handle;
            _display = display;
            _stream = new FileStream(handle, access, bufferSize: 0);
            _sequential = !_stream.CanSeek;
        }

        /// <summary>Empties a seekable file that has data (a pipe or terminal has nothing to truncate).</summary>
        public void TruncateOldContent()
        {
            if (!_sequential && _stream.Length != 0)
                _stream.SetLength(0);
        }

        public int Read(Span<byte> buffer)
        {
            try
            {
                var n = _sequential ? _stream.Read(buffer) : RandomAccess.Read(_handle, buffer, _offset);
                _offset += n;
                return n;
            }
            catch (IOException e)
            {
                throw _tree.HostError(e, _display);
            }
        }

        public void Write(ReadOnlySpan<byte> buffer)
        {
            try
            {
                if (_sequential)
                    _stream.Write(buffer);
                else
                    RandomAccess.Write(_handle, buffer, _offset);
                _offset += buffer.Length;
            }
            catch (IOException e)
            {
                throw _tree.HostError(e, _display);
            }
        }

        public void Complete() => _stream.Dispose();

        public void Dispose() => _stream.Dispose();
    }
}
