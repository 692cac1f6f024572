using System;
using System.Collections.Generic;
using System.Linq;
using Rump;

namespace Rump.Fs.Tests;

/// <summary>/dev/null, /dev/zero, /dev/random and /dev/urandom through open/read/write system calls.</summary>
public sealed class DevCharTests
{
    private static BootedKernel Boot() => DevTestKit.Boot(new Dictionary<string, string>());

    [Fact]
    public void DevZero_Read_FillsTheWholeBufferWithZeros()
    {
        using var k = Boot();
        var fd = k.Open("/dev/zero", OpenFlags.O_RDONLY);
        var buffer = Enumerable.Repeat((byte)0xCC, 100000).ToArray();
        Assert.Equal(0, k.Sys.Read(fd, buffer, out var n));
        Assert.Equal(buffer.Length, n);
        Assert.All(buffer, b => Assert.Equal(0, b));
        Assert.Equal(0, k.Sys.Close(fd));
    }

    [Fact]
    public void DevNull_ReadIsEndOfFile_WriteConsumesEverything()
    {
        using var k = Boot();
        var fd = k.Open("/dev/null", OpenFlags.O_RDWR);
        Assert.Equal(0, k.Sys.Read(fd, new byte[4096], out var nread));
        Assert.Equal(0, nread);
        Assert.Equal(0, k.Sys.Write(fd, new byte[70000], out var nwritten));
        Assert.Equal(70000, nwritten);
        Assert.Equal(0, k.Sys.Close(fd));
    }

    [Fact]
    public void DevNullAndZero_AreCharacterDevices()
    {
        using var k = Boot();
        foreach (var name in new[] { "/dev/null", "/dev/zero", "/dev/random", "/dev/urandom" })
        {
            Assert.Equal(0, k.Sys.Stat(name, out var st));
            Assert.Equal(FileMode.S_IFCHR, st.Mode & FileMode.S_IFMT);
        }
    }

    [Theory]
    [InlineData("/dev/random")]
    [InlineData("/dev/urandom")]
    public void DevRandom_Read_ReturnsTheRequestedCountOfVaryingBytes(string path)
    {
        using var k = Boot();
        var fd = k.Open(path, OpenFlags.O_RDONLY);
        var first = new byte[4096];
        var second = new byte[4096];
        Assert.Equal(0, k.Sys.Read(fd, first, out var n1));
        Assert.Equal(0, k.Sys.Read(fd, second, out var n2));
        Assert.Equal(4096, n1);
        Assert.Equal(4096, n2);
        Assert.False(first.AsSpan().SequenceEqual(second));
        // 4096 random bytes take nearly all 256 values; a stuck or zero source does not.
        Assert.True(first.Distinct().Count() > 200, "too few distinct byte values");
        Assert.Equal(0, k.Sys.Close(fd));
    }
}
