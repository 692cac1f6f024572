using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace Rump.Tools;

/// <summary>
/// A location on a disk image: <c>IMAGE[:N|:pN][:/path]</c>.
/// <list type="bullet">
/// <item><c>disk.img:/DOCS/Readme.txt</c> — a path on the file system of the whole disk;</item>
/// <item><c>disk.img:1:/x</c> or <c>disk.img:p1:/x</c> — a path on partition 1 (the wedge <c>/dev/KEYp1</c>);</item>
/// <item><c>disk.img</c>, <c>disk.img:2</c> — the image (or partition) itself, path <c>/</c>.</item>
/// </list>
/// The image name may itself contain colons: the split chosen is the first whose image file exists,
/// else the first that parses.
/// </summary>
public sealed record ImageSpec(string Image, int? Partition, string Path, bool HasPath, bool TrailingSlash, string Text)
{
    /// <summary>How errors and listings show this location: as the user wrote the image, with a normalized path.</summary>
    public string Display => Text;

    /// <summary>The operand as the user wrote it (for messages about its spelling, e.g. a last component "..").</summary>
    public string Argument { get; init; } = Text;

    /// <summary>The path after the image and partition as the user wrote it ("/" when none).</summary>
    public string RawPath { get; init; } = Path;

    /// <summary>True when the last component as written is <c>.</c> or <c>..</c> (rm and mv refuse such a source).</summary>
    public bool EndsInDotOrDotDot { get; init; }

    /// <summary>
    /// The directories a <c>..</c> stepped out of (normalized), in order. namei would have looked each one up and
    /// required a directory (<c>/file/../x</c> is ENOTDIR, <c>/missing/../x</c> ENOENT); the lexical <see cref="Path"/>
    /// no longer contains them, so the tool checks them before using the path (<see cref="VerbContext.Tree"/>).
    /// </summary>
    public IReadOnlyList<string> DotDotParents { get; init; } = [];

    /// <summary>
    /// The path to hand the kernel for the operand itself: <see cref="Path"/> with the trailing slash kept, so that
    /// namei answers ENOTDIR for a non-directory (<c>rm disk.img:/file/</c>, <c>cat disk.img:/file/.</c>), as POSIX says.
    /// </summary>
    public string Subject => TrailingSlash && Path != "/" ? Path + "/" : Path;

    /// <summary>The display form of another path on the same image and partition.</summary>
    public string DisplayOf(string pathInImage)
    {
        var sb = new StringBuilder(Image);
        if (Partition is int p)
            sb.Append(':').Append(p.ToString(CultureInfo.InvariantCulture));
        sb.Append(':').Append(pathInImage);
        return sb.ToString();
    }

    /// <summary>The same image and partition, another path.</summary>
    public ImageSpec WithPath(string pathInImage)
    {
        var normalized = NormalizePath(pathInImage, out var trailing, out var endsInDot, out var dotDotParents);
        var text = DisplayOf(normalized);
        return this with
        {
            Path = normalized, HasPath = true, TrailingSlash = trailing, Text = text, Argument = DisplayOf(pathInImage),
            RawPath = pathInImage, EndsInDotOrDotDot = endsInDot, DotDotParents = dotDotParents,
        };
    }

    /// <summary>True when <paramref name="text"/> names a location on an image (contains a valid <c>:</c> split).</summary>
    public static bool LooksLikeImageSpec(string text, string workingDirectory)
        => TryParseWithColon(text, workingDirectory, out _);

    /// <summary>Parses an argument of a verb that only takes images (ls, cat, …): a bare file name is an image.</summary>
    public static bool TryParse(string text, string workingDirectory, out ImageSpec spec, out string? error)
    {
        error = null;
        if (string.IsNullOrEmpty(text))
        {
            spec = null!;
            error = "empty image location";
            return false;
        }
        if (TryParseWithColon(text, workingDirectory, out spec))
        {
            if (!File.Exists(System.IO.Path.GetFullPath(spec.Image, workingDirectory)) && BadPartition(text, workingDirectory) is string bad)
            {
                error = bad;
                spec = null!;
                return false;
            }
            return true;
        }
        if (text.EndsWith(':'))
        {
            error = text + ": expected IMAGE:/path, IMAGE:N:/path or IMAGE:pN:/path";
            return false;
        }
        if (RelativePathInImage(text, workingDirectory) is string absolute)
        {
            error = text + ": paths inside an image are absolute (there is no current directory in it): write " + absolute;
            return false;
        }
        spec = new ImageSpec(text, null, "/", HasPath: false, TrailingSlash: false, Text: text);
        return true;
    }

    /// <summary>
    /// <c>disk.img:-1:/x</c> or <c>disk.img:x:/</c> where <c>disk.img</c> exists: what stands where the partition goes is
    /// no partition number (it would otherwise parse as a missing image named <c>disk.img:-1</c>); null otherwise.
    /// </summary>
    private static string? BadPartition(string text, string workingDirectory)
    {
        for (var colon = text.IndexOf(':'); colon > 0; colon = text.IndexOf(':', colon + 1))
        {
            var rest = text.Substring(colon + 1);
            var second = rest.IndexOf(':');
            if (second < 0 || !rest.Substring(second + 1).StartsWith('/') || TryParsePartition(rest.Substring(0, second), out _)
                || !File.Exists(System.IO.Path.GetFullPath(text.Substring(0, colon), workingDirectory)))
                continue;
            return text + ": '" + rest.Substring(0, second) + "' is not a partition number; write IMAGE:N:/path or IMAGE:pN:/path (partitions are numbered from 1)";
        }
        return null;
    }

    /// <summary>
    /// <c>disk.img:dir/f</c> or <c>disk.img:2:dir/f</c> where <c>disk.img</c> exists (and the whole text is no
    /// file): the location with the path made absolute, for the usage error; null otherwise.
    /// </summary>
    private static string? RelativePathInImage(string text, string workingDirectory)
    {
        if (File.Exists(System.IO.Path.GetFullPath(text, workingDirectory)))
            return null;
        for (var colon = text.IndexOf(':'); colon > 0; colon = text.IndexOf(':', colon + 1))
        {
            var image = text.Substring(0, colon);
            var rest = text.Substring(colon + 1);
            if (rest.Length == 0 || !File.Exists(System.IO.Path.GetFullPath(image, workingDirectory)))
                continue;
            var second = rest.IndexOf(':');
            if (second > 0 && TryParsePartition(rest.Substring(0, second), out var partition) && second + 1 < rest.Length)
                return image + ":" + partition.ToString(CultureInfo.InvariantCulture) + ":/" + rest.Substring(second + 1);
            return image + ":/" + rest;
        }
        return null;
    }

    private static bool TryParseWithColon(string text, string workingDirectory, out ImageSpec spec)
    {
        var candidates = new List<ImageSpec>();
        for (var colon = text.IndexOf(':'); colon > 0; colon = text.IndexOf(':', colon + 1))
        {
            var image = text.Substring(0, colon);
            var rest = text.Substring(colon + 1);
            if (TrySplitRest(rest, out var partition, out var path, out var hasPath))
            {
                var normalized = NormalizePath(path, out var trailing, out var endsInDot, out var dotDotParents);
                var display = new StringBuilder(image);
                if (partition is int p)
                    display.Append(':').Append(p.ToString(CultureInfo.InvariantCulture));
                if (hasPath)
                    display.Append(':').Append(normalized);
                candidates.Add(new ImageSpec(image, partition, normalized, hasPath, trailing, display.ToString())
                {
                    Argument = text, RawPath = path, EndsInDotOrDotDot = endsInDot, DotDotParents = dotDotParents,
                });
            }
        }
        foreach (var candidate in candidates)
        {
            if (File.Exists(System.IO.Path.GetFullPath(candidate.Image, workingDirectory)))
            {
                spec = candidate;
                return true;
            }
        }
        spec = candidates.Count > 0 ? candidates[0] : null!;
        return candidates.Count > 0;
    }

    /// <summary>Splits what follows the image: <c>/path</c>, <c>N</c>, <c>pN</c>, <c>N:/path</c>, <c>pN:/path</c>.</summary>
    private static bool TrySplitRest(string rest, out int? partition, out string path, out bool hasPath)
    {
        partition = null;
        path = "/";
        hasPath = false;
        if (rest.StartsWith('/'))
        {
            path = rest;
            hasPath = true;
            return true;
        }
        var colon = rest.IndexOf(':');
        var partText = colon < 0 ? rest : rest.Substring(0, colon);
        if (!TryParsePartition(partText, out var number))
            return false;
        partition = number;
        if (colon < 0)
            return true;
        var after = rest.Substring(colon + 1);
        if (!after.StartsWith('/'))
            return false;
        path = after;
        hasPath = true;
        return true;
    }

    private static bool TryParsePartition(string text, out int number)
    {
        number = 0;
        var digits = text.StartsWith('p') ? text.Substring(1) : text;
        if (digits.Length == 0 || digits.Length > 3)
            return false;
        foreach (var c in digits)
        {
            if (c is < '0' or > '9')
                return false;
        }
        number = int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        // 0 parses too: the mount then says partitions are numbered from 1 (not "no such file disk.img:0").
        return true;
    }

    /// <summary>
    /// Collapses repeated slashes, <c>.</c> and <c>..</c> components. <c>..</c> is resolved here, inside the
    /// image, and stops at the image's root (as <c>/..</c> is <c>/</c>): a path must never leave the mounted
    /// file system for the kernel's own tree (the image is mounted at /mnt inside the kernel). The result is what
    /// namei resolves only when every directory a <c>..</c> steps out of exists and is a directory (the caller
    /// checks <paramref name="dotDotParents"/>) and no symbolic link precedes a <c>..</c> (FAT has none). A last
    /// <c>.</c> or <c>..</c> sets <paramref name="trailingSlash"/>: it names a directory, as "dir/" does.
    /// </summary>
    public static string NormalizePath(string path, out bool trailingSlash, out bool endsInDotOrDotDot, out IReadOnlyList<string> dotDotParents)
    {
        trailingSlash = path.Length > 1 && (path.EndsWith('/') || path.EndsWith("/.", StringComparison.Ordinal) || path.EndsWith("/..", StringComparison.Ordinal));
        var raw = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        endsInDotOrDotDot = raw.Length > 0 && raw[^1] is "." or "..";
        var parents = new List<string>();
        var parts = new List<string>();
        foreach (var part in raw)
        {
            if (part == ".")
                continue;
            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parents.Add("/" + string.Join('/', parts));
                    parts.RemoveAt(parts.Count - 1);
                }
                continue;
            }
            parts.Add(part);
        }
        if (parts.Count == 0)
            trailingSlash = false;
        dotDotParents = parents;
        return "/" + string.Join('/', parts);
    }

    /// <inheritdoc cref="NormalizePath(string, out bool, out bool, out IReadOnlyList{string})"/>
    public static string NormalizePath(string path, out bool trailingSlash) => NormalizePath(path, out trailingSlash, out _, out _);

    /// <summary>The last component of a normalized path ("" for the root).</summary>
    public static string BaseName(string path)
    {
        var slash = path.LastIndexOf('/');
        return path.Substring(slash + 1);
    }

    /// <summary>Joins a normalized directory path and a name.</summary>
    public static string Combine(string directory, string name)
        => directory.EndsWith('/') ? directory + name : directory + "/" + name;

    /// <summary>The parent of a normalized path ("/" for the root and its children).</summary>
    public static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path.Substring(0, slash);
    }
}
