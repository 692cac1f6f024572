namespace Rump.Fs.Msdosfs;

/// <summary>
/// DOS dates and times (specification §6.1): date = (year-1980)&lt;&lt;9 | month&lt;&lt;5 | day, time =
/// hours&lt;&lt;11 | minutes&lt;&lt;5 | seconds/2 (2-second resolution), DIR_CrtTimeTenth adds 0..199 × 10 ms.
/// Stored as UTC here (NetBSD's gmtoff = 0); mtools writes local time, which is UTC on these machines.
/// </summary>
internal static class DosTime
{
    public const long MinUnix = 315532800;       // 1980-01-01 00:00:00
    public const long MaxUnix = 4354819198;      // 2107-12-31 23:59:58

    /// <summary>Unix seconds (UTC) to DOS date, time and the hundredths (0..199) of DIR_CrtTimeTenth.</summary>
    public static void FromUnix(long seconds, long nanoseconds, out ushort date, out ushort time, out byte tenths)
    {
        if (seconds < MinUnix)
        {
            seconds = MinUnix;
            nanoseconds = 0;
        }
        else if (seconds > MaxUnix)
        {
            seconds = MaxUnix;
            nanoseconds = 0;
        }
        long days = seconds / 86400;
        long secOfDay = seconds % 86400;
        CivilFromDays(days, out int y, out int m, out int d);
        date = (ushort)(((y - 1980) << 9) | (m << 5) | d);
        int hh = (int)(secOfDay / 3600), mm = (int)(secOfDay / 60 % 60), ss = (int)(secOfDay % 60);
        time = (ushort)((hh << 11) | (mm << 5) | (ss >> 1));
        tenths = (byte)((ss & 1) * 100 + nanoseconds / 10_000_000);
    }

    /// <summary>DOS date and time to Unix seconds (UTC); a zero or invalid date means 1980-01-01.</summary>
    public static long ToUnix(ushort date, ushort time, byte tenths, out long nanoseconds)
    {
        int y = 1980 + (date >> 9), m = (date >> 5) & 0x0F, d = date & 0x1F;
        if (m < 1 || m > 12)
            m = 1;
        if (d < 1)
            d = 1;
        int hh = time >> 11, mm = (time >> 5) & 0x3F, ss = (time & 0x1F) * 2;
        if (hh > 23) hh = 23;
        if (mm > 59) mm = 59;
        if (ss > 59) ss = 58;
        if (tenths > 199)
            tenths = 0;
        nanoseconds = (tenths % 100) * 10_000_000L;
        return DaysFromCivil(y, m, d) * 86400L + hh * 3600 + mm * 60 + ss + tenths / 100;
    }

    // Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian, days since 1970-01-01).
    public static long DaysFromCivil(int y, int m, int d)
    {
        y -= m <= 2 ? 1 : 0;
        long era = (y >= 0 ? y : y - 399) / 400;
        long yoe = y - era * 400;
        long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
    }

    public static void CivilFromDays(long z, out int y, out int m, out int d)
    {
        z += 719468;
        long era = (z >= 0 ? z : z - 146096) / 146097;
        long doe = z - era * 146097;
        long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        d = (int)(doy - (153 * mp + 2) / 5 + 1);
        m = (int)(mp < 10 ? mp + 3 : mp - 9);
        y = (int)(yoe + era * 400 + (m <= 2 ? 1 : 0));
    }
}
