namespace Rump.Tools.Tests;

public sealed class FormatTests
{
    [Theory]
    [InlineData(0x41ED, "drwxr-xr-x")]
    [InlineData(0x81A4, "-rw-r--r--")]
    [InlineData(0x816D, "-r-xr-xr-x")]
    [InlineData(0xA1FF, "lrwxrwxrwx")]
    [InlineData(0x43FF, "drwxrwxrwt")]
    [InlineData(0x89ED, "-rwsr-xr-x")]
    public void Mode_AsLsPrintsIt(int mode, string expected) => Assert.Equal(expected, Format.Mode(mode));

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1536, "1.5 KiB")]
    [InlineData(1L << 30, "1.0 GiB")]
    public void Size_BinaryUnits(long bytes, string expected) => Assert.Equal(expected, Format.Size(bytes));

    [Fact]
    public void LongTime_StatStyleWithNanoseconds()
        => Assert.Equal("2025-12-03 00:00:00.000000010 +0000", Format.LongTime(1764720000, 10));

    [Fact]
    public void ProgressBar_Render_ShowsPercentAmountsAndRateWithinWidth()
    {
        var text = ProgressBar.Render("disk.img:/big.bin", 512L << 20, 1L << 30, 2.0, 100);
        Assert.Contains("]  50%", text);
        Assert.Contains("512.0 MiB / 1.0 GiB", text);
        Assert.Contains("256.0 MiB/s", text);
        Assert.Contains("[##########..........]", text);
        Assert.True(text.Length <= 100);
    }

    [Fact]
    public void ProgressBar_Render_LongLabelIsShortenedFromTheLeft()
    {
        var text = ProgressBar.Render(new string('x', 200) + "/tail.bin", 1, 2, 1, 80);
        Assert.True(text.Length <= 80, text);
        Assert.StartsWith("…", text);
        Assert.Contains("tail.bin", text);
    }

    [Fact]
    public void WriteColumns_FillsDownColumns()
    {
        var output = new System.IO.StringWriter { NewLine = "\n" };
        Listing.WriteColumns(output, ["a", "b", "c", "d", "e"], 9);
        Assert.Equal("a  c  e\nb  d\n", output.ToString());
    }
}
