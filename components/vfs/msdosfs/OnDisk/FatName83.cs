using System;
using System.Runtime.CompilerServices;

namespace Rump.Fs.Msdosfs;

/// <summary>The 11 bytes of DIR_Name: 8 of base name and 3 of extension, blank padded, OEM code page.</summary>
[InlineArray(11)]
internal struct FatName83Bytes
{
    private byte _b0;
}

/// <summary>DIR_Name with its rules: the 0x05/0xE5 escape, blank padding, the NT case bits.</summary>
internal struct FatName83
{
    public FatName83Bytes Bytes;

    public static FatName83 Read(ReadOnlySpan<byte> e)
    {
        var n = new FatName83();
        e.Slice(0, 11).CopyTo(n.Bytes);
        return n;
    }

    public readonly void Write(Span<byte> e) => ((ReadOnlySpan<byte>)Bytes).CopyTo(e);

    public static FatName83 FromParts(ReadOnlySpan<char> baseName, ReadOnlySpan<char> ext)
    {
        var n = new FatName83();
        Span<byte> b = n.Bytes;
        b.Fill((byte)' ');
        for (int i = 0; i < baseName.Length && i < 8; i++)
            b[i] = (byte)baseName[i];
        for (int i = 0; i < ext.Length && i < 3; i++)
            b[8 + i] = (byte)ext[i];
        if (b[0] == FatDirEntry.FreeMarker)
            b[0] = FatDirEntry.KanjiE5;
        return n;
    }

    public readonly byte Checksum() => FatLfnEntry.Checksum(Bytes);

    public readonly bool Equals(in FatName83 other) => ((ReadOnlySpan<byte>)Bytes).SequenceEqual(other.Bytes);

    public readonly bool IsDot => Bytes[0] == '.' && Bytes[1] == ' ';
    public readonly bool IsDotDot => Bytes[0] == '.' && Bytes[1] == '.' && Bytes[2] == ' ';

    /// <summary>
    /// The name as a user sees it: blanks dropped, "." before a non-empty extension, the NT case bits
    /// applied, OEM bytes decoded as code page 850 (the mtools default).
    /// </summary>
    public readonly string ToDisplayName(byte ntRes)
    {
        ReadOnlySpan<byte> b = Bytes;
        Span<char> chars = stackalloc char[12];
        int n = 0;
        int baseLen = 8;
        while (baseLen > 0 && b[baseLen - 1] == ' ')
            baseLen--;
        int extLen = 3;
        while (extLen > 0 && b[8 + extLen - 1] == ' ')
            extLen--;
        bool lowerBase = (ntRes & FatDirEntry.NtLowerBase) != 0;
        bool lowerExt = (ntRes & FatDirEntry.NtLowerExt) != 0;
        for (int i = 0; i < baseLen; i++)
        {
            byte c = i == 0 && b[0] == FatDirEntry.KanjiE5 ? FatDirEntry.FreeMarker : b[i];
            chars[n++] = Cp850.ToChar(c, lowerBase);
        }
        if (extLen > 0)
        {
            chars[n++] = '.';
            for (int i = 0; i < extLen; i++)
                chars[n++] = Cp850.ToChar(b[8 + i], lowerExt);
        }
        return new string(chars.Slice(0, n));
    }
}

/// <summary>Code page 850, the OEM code page mtools uses by default for short names.</summary>
internal static class Cp850
{
    private const string High =
        "\u00C7\u00FC\u00E9\u00E2\u00E4\u00E0\u00E5\u00E7\u00EA\u00EB\u00E8\u00EF\u00EE\u00EC\u00C4\u00C5" +
        "\u00C9\u00E6\u00C6\u00F4\u00F6\u00F2\u00FB\u00F9\u00FF\u00D6\u00DC\u00F8\u00A3\u00D8\u00D7\u0192" +
        "\u00E1\u00ED\u00F3\u00FA\u00F1\u00D1\u00AA\u00BA\u00BF\u00AE\u00AC\u00BD\u00BC\u00A1\u00AB\u00BB" +
        "\u2591\u2592\u2593\u2502\u2524\u00C1\u00C2\u00C0\u00A9\u2563\u2551\u2557\u255D\u00A2\u00A5\u2510" +
        "\u2514\u2534\u252C\u251C\u2500\u253C\u00E3\u00C3\u255A\u2554\u2569\u2566\u2560\u2550\u256C\u00A4" +
        "\u00F0\u00D0\u00CA\u00CB\u00C8\u0131\u00CD\u00CE\u00CF\u2518\u250C\u2588\u2584\u00A6\u00CC\u2580" +
        "\u00D3\u00DF\u00D4\u00D2\u00F5\u00D5\u00B5\u00FE\u00DE\u00DA\u00DB\u00D9\u00FD\u00DD\u00AF\u00B4" +
        "\u00AD\u00B1\u2017\u00BE\u00B6\u00A7\u00F7\u00B8\u00B0\u00A8\u00B7\u00B9\u00B3\u00B2\u25A0\u00A0";

    public static char ToChar(byte b, bool lower)
    {
        char c = b < 0x80 ? (char)b : High[b - 0x80];
        return lower ? char.ToLowerInvariant(c) : c;
    }
}
