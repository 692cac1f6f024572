using System;
using System.Globalization;

namespace Rump.Tools;

/// <summary>Text forms shared by the verbs: sizes, modes, times.</summary>
public static class Format
{
    /// <summary>Binary units with one decimal: <c>512 B</c>, <c>1.5 KiB</c>, <c>1.0 GiB</c>.</summary>
    public static string Size(long bytes)
    {
        if (bytes < 1024)
            return bytes.ToString(CultureInfo.InvariantCulture) + " B";
        string[] units = ["KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        var unit = -1;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return value.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    /// <summary><c>drwxr-xr-x</c> from st_mode.</summary>
    public static string Mode(int mode)
    {
        var type = (mode & FileMode.S_IFMT) switch
        {
            FileMode.S_IFDIR => 'd',
            FileMode.S_IFLNK => 'l',
            FileMode.S_IFBLK => 'b',
            FileMode.S_IFCHR => 'c',
            FileMode.S_IFIFO => 'p',
            FileMode.S_IFSOCK => 's',
            _ => '-',
        };
        Span<char> text = stackalloc char[10];
        text[0] = type;
        const string rwx = "rwxrwxrwx";
        for (var i = 0; i < 9; i++)
            text[1 + i] = (mode & (1 << (8 - i))) != 0 ? rwx[i] : '-';
        if ((mode & 0x800) != 0) text[3] = text[3] == 'x' ? 's' : 'S';   // set-uid
        if ((mode & 0x400) != 0) text[6] = text[6] == 'x' ? 's' : 'S';   // set-gid
        if ((mode & 0x200) != 0) text[9] = text[9] == 'x' ? 't' : 'T';   // sticky
        return new string(text);
    }

    /// <summary>The file type as stat(1) words it.</summary>
    public static string FileType(int mode, long size) => (mode & FileMode.S_IFMT) switch
    {
        FileMode.S_IFDIR => "directory",
        FileMode.S_IFLNK => "symbolic link",
        FileMode.S_IFBLK => "block special file",
        FileMode.S_IFCHR => "character special file",
        FileMode.S_IFIFO => "fifo",
        FileMode.S_IFSOCK => "socket",
        FileMode.S_IFREG => size == 0 ? "regular empty file" : "regular file",
        _ => "unknown",
    };

    /// <summary><c>2025-12-03 00:00</c> (UTC; FAT stores local time without a zone and the kernel runs on UTC).</summary>
    public static string ShortTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary><c>2025-12-03 00:00:00.000000000 +0000</c>, as stat(1) prints.</summary>
    public static string LongTime(long seconds, long nanoseconds)
        => DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
           + "." + nanoseconds.ToString("000000000", CultureInfo.InvariantCulture) + " +0000";

    public static string Octal(int value) => Convert.ToString(value, 8).PadLeft(4, '0');

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
    public static string Number(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
