using System;

namespace Rump.Fs.Msdosfs;

using Errno = Rump.Kern.Errno;

/// <summary>
/// How a name given by a user is stored: as a plain 8.3 name (with the NT case bits when it is all lower
/// case per part, as mtools does), or as long-name entries plus a generated 8.3 alias (§7.3 of the
/// specification: basis name, then a "~N" numeric tail).
/// </summary>
internal static class FatNames
{
    /// <summary>Characters a long name may not contain (besides control characters).</summary>
    private const string InvalidLong = "\"*/:<>?\\|";
    /// <summary>ASCII characters besides letters and digits allowed in a short name.</summary>
    private const string ValidShortPunct = "$%'-_@~`!(){}^#&";

    /// <summary>EINVAL / ENAMETOOLONG for names FAT cannot hold; "." and ".." are the caller's business.</summary>
    public static int ValidateLongName(ReadOnlySpan<char> name)
    {
        if (name.Length == 0)
            return Errno.EINVAL;
        if (name.Length > FatLfnEntry.MaxNameLength)
            return Errno.ENAMETOOLONG;
        foreach (char c in name)
        {
            if (c < 0x20 || InvalidLong.Contains(c))
                return Errno.EINVAL;
        }
        // Windows strips trailing dots and blanks, which would alias two names: refuse them instead.
        char last = name[name.Length - 1];
        if (last == '.' || last == ' ')
            return Errno.EINVAL;
        return 0;
    }

    private static bool IsShortChar(char c)
        => (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || ValidShortPunct.Contains(c);

    /// <summary>
    /// True when <paramref name="name"/> is an 8.3 name up to case, each part all upper or all lower case:
    /// then it needs no long-name entries (mtools writes "lower.txt" this way).
    /// </summary>
    public static bool TryShortName(ReadOnlySpan<char> name, out FatName83 shortName, out byte ntRes)
    {
        shortName = default;
        ntRes = 0;
        int dot = name.IndexOf('.');
        if (dot == 0 || (dot >= 0 && name.Slice(dot + 1).IndexOf('.') >= 0))
            return false;
        var b = dot < 0 ? name : name.Slice(0, dot);
        var e = dot < 0 ? ReadOnlySpan<char>.Empty : name.Slice(dot + 1);
        if (b.Length is < 1 or > 8 || e.Length > 3 || (dot >= 0 && e.Length == 0))
            return false;
        if (!PartCase(b, out bool lowerBase) || !PartCase(e, out bool lowerExt))
            return false;
        Span<char> ub = stackalloc char[8];
        Span<char> ue = stackalloc char[3];
        int nb = b.ToUpperInvariant(ub), ne = e.ToUpperInvariant(ue);
        shortName = FatName83.FromParts(ub.Slice(0, nb), ue.Slice(0, ne));
        ntRes = (byte)((lowerBase ? FatDirEntry.NtLowerBase : 0) | (lowerExt ? FatDirEntry.NtLowerExt : 0));
        return true;
    }

    /// <summary>A part is all upper or all lower case (characters without case go either way).</summary>
    private static bool PartCase(ReadOnlySpan<char> part, out bool lower)
    {
        bool hasLower = false, hasUpper = false;
        foreach (char c in part)
        {
            if (c >= 'a' && c <= 'z')
                hasLower = true;
            else if (c >= 'A' && c <= 'Z')
                hasUpper = true;
            else if (!IsShortChar(c))
            {
                lower = false;
                return false;
            }
        }
        lower = hasLower;
        return !(hasLower && hasUpper);
    }

    /// <summary>
    /// The basis name of §7.3 for a long name: upper case, blanks and leading dots dropped, characters
    /// outside the short set replaced by '_', base cut to 8 and extension (after the last dot) to 3.
    /// <paramref name="lossy"/> is true when information was lost, so a numeric tail is required.
    /// </summary>
    public static void BasisName(ReadOnlySpan<char> name, Span<char> baseOut, out int baseLen, Span<char> extOut, out int extLen, out bool lossy)
    {
        lossy = false;
        int lastDot = name.LastIndexOf('.');
        int start = 0;
        while (start < name.Length && name[start] == '.')
            start++;
        if (lastDot < start)
            lastDot = -1;
        var basePart = lastDot < 0 ? name.Slice(start) : name.Slice(start, lastDot - start);
        var extPart = lastDot < 0 ? ReadOnlySpan<char>.Empty : name.Slice(lastDot + 1);
        if (start > 0)
            lossy = true;
        baseLen = Convert(basePart, baseOut, 8, ref lossy);
        extLen = Convert(extPart, extOut, 3, ref lossy);
        if (baseLen == 0)
        {
            baseOut[0] = '_';
            baseLen = 1;
            lossy = true;
        }
    }

    private static int Convert(ReadOnlySpan<char> part, Span<char> output, int max, ref bool lossy)
    {
        int n = 0;
        foreach (char c0 in part)
        {
            if (c0 == ' ' || c0 == '.')
            {
                lossy = true;
                continue;
            }
            char c = c0 >= 'a' && c0 <= 'z' ? (char)(c0 - 32) : c0;
            if (!IsShortChar(c))
            {
                c = '_';
                lossy = true;
            }
            if (n == max)
            {
                lossy = true;
                break;
            }
            output[n++] = c;
        }
        return n;
    }

    /// <summary>Basis name with the numeric tail "~<paramref name="n"/>", the base cut so that all fits in 8.</summary>
    public static FatName83 WithTail(ReadOnlySpan<char> basis, ReadOnlySpan<char> ext, int n)
    {
        Span<char> tail = stackalloc char[8];
        int t = 0;
        Span<char> digits = stackalloc char[7];
        int nd = 0;
        for (int v = n; v > 0; v /= 10)
            digits[nd++] = (char)('0' + v % 10);
        tail[t++] = '~';
        while (nd > 0)
            tail[t++] = digits[--nd];
        int keep = Math.Min(basis.Length, 8 - t);
        Span<char> b = stackalloc char[8];
        basis.Slice(0, keep).CopyTo(b);
        tail.Slice(0, t).CopyTo(b.Slice(keep));
        return FatName83.FromParts(b.Slice(0, keep + t), ext);
    }

    /// <summary>Case-insensitive name comparison as FAT does it (simple Unicode upper-casing).</summary>
    public static bool NamesEqual(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
        => a.Equals(b, StringComparison.OrdinalIgnoreCase);
}
