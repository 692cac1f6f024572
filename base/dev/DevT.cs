namespace Rump.Kern;

/// <summary>A device number (dev_t): the driver's major number in its switch and the driver's unit/partition minor.</summary>
internal readonly record struct DevT(int Major, int Minor)
{
    /// <summary>NODEV: no device.</summary>
    public static readonly DevT NoDev = new(-1, -1);

    public override string ToString() => Major.ToString(System.Globalization.CultureInfo.InvariantCulture) + ","
        + Minor.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
