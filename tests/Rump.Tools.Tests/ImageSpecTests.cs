using System.IO;

namespace Rump.Tools.Tests;

public sealed class ImageSpecTests
{
    private static readonly string Cwd = Path.GetTempPath();

    private static ImageSpec Parse(string text)
    {
        Assert.True(ImageSpec.TryParse(text, Cwd, out var spec, out var error), error);
        return spec;
    }

    [Fact]
    public void Parse_ImageColonPath_IsWholeDiskPath()
    {
        var spec = Parse("disk.img:/DOCS/Readme.txt");
        Assert.Equal("disk.img", spec.Image);
        Assert.Null(spec.Partition);
        Assert.Equal("/DOCS/Readme.txt", spec.Path);
        Assert.True(spec.HasPath);
        Assert.Equal("disk.img:/DOCS/Readme.txt", spec.Display);
    }

    [Theory]
    [InlineData("disk.img:2:/a/b", 2)]
    [InlineData("disk.img:p2:/a/b", 2)]
    [InlineData("disk.img:p12:/a/b", 12)]
    public void Parse_PartitionNumberOrPForm_SelectsPartition(string text, int partition)
    {
        var spec = Parse(text);
        Assert.Equal("disk.img", spec.Image);
        Assert.Equal(partition, spec.Partition);
        Assert.Equal("/a/b", spec.Path);
        Assert.Equal("disk.img:" + partition + ":/a/b", spec.Display);
    }

    [Fact]
    public void Parse_BareImage_IsRootWithoutPath()
    {
        var spec = Parse("disk.img");
        Assert.Equal("disk.img", spec.Image);
        Assert.Null(spec.Partition);
        Assert.Equal("/", spec.Path);
        Assert.False(spec.HasPath);
    }

    [Fact]
    public void Parse_ImageAndPartitionWithoutPath_IsPartitionRoot()
    {
        var spec = Parse("disk.img:p3");
        Assert.Equal(3, spec.Partition);
        Assert.Equal("/", spec.Path);
        Assert.False(spec.HasPath);
    }

    [Fact]
    public void Parse_TrailingSlashAndDoubleSlashes_NormalizedAndRemembered()
    {
        var spec = Parse("disk.img:/backup//photos/./");
        Assert.Equal("/backup/photos", spec.Path);
        Assert.True(spec.TrailingSlash);
    }

    [Fact]
    public void Parse_ColonInsidePath_BelongsToThePath()
    {
        var spec = Parse("disk.img:/a:b/c");
        Assert.Equal("disk.img", spec.Image);
        Assert.Equal("/a:b/c", spec.Path);
    }

    [Fact]
    public void Parse_ImageNameWithColon_PrefersTheSplitWhoseImageExists()
    {
        var dir = Directory.CreateTempSubdirectory("rumpctl-spec-").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "my:disk.img"), new byte[512]);
            Assert.True(ImageSpec.TryParse("my:disk.img:/x", dir, out var spec, out _));
            Assert.Equal("my:disk.img", spec.Image);
            Assert.Equal("/x", spec.Path);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("./photos")]
    [InlineData("/tmp/out.bin")]
    [InlineData("file:name")]
    public void LooksLikeImageSpec_HostPaths_AreNotImages(string text)
        => Assert.False(ImageSpec.LooksLikeImageSpec(text, Cwd));

    [Theory]
    [InlineData("disk.img:/")]
    [InlineData("disk.img:1:/x")]
    [InlineData("disk.img:p1")]
    public void LooksLikeImageSpec_Locations_AreImages(string text)
        => Assert.True(ImageSpec.LooksLikeImageSpec(text, Cwd));

    [Theory]
    [InlineData("disk.img:DOCS/readme.txt", "disk.img:/DOCS/readme.txt")]
    [InlineData("disk.img:2:a/b", "disk.img:2:/a/b")]
    [InlineData("disk.img:p2:a", "disk.img:2:/a")]
    public void TryParse_RelativePathOnAnExistingImage_IsAUsageErrorNamingTheAbsoluteForm(string text, string absolute)
    {
        var dir = Directory.CreateTempSubdirectory("rumpctl-spec-").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "disk.img"), new byte[512]);
            Assert.False(ImageSpec.TryParse(text, dir, out _, out var error));
            Assert.Equal(text + ": paths inside an image are absolute (there is no current directory in it): write " + absolute, error);
            // A file whose name really is that text is an image, not a mistake.
            File.WriteAllBytes(Path.Combine(dir, text.Replace('/', '_')), new byte[512]);
            Assert.True(ImageSpec.TryParse(text.Replace('/', '_'), dir, out var spec, out _));
            Assert.Equal(text.Replace('/', '_'), spec.Image);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void TryParse_TrailingColon_IsAnError()
    {
        Assert.False(ImageSpec.TryParse("disk.img:", Cwd, out _, out var error));
        Assert.Contains("IMAGE:/path", error);
    }

    [Theory]
    [InlineData("/", "")]
    [InlineData("/a", "a")]
    [InlineData("/a/b.txt", "b.txt")]
    public void BaseName_LastComponent(string path, string expected) => Assert.Equal(expected, ImageSpec.BaseName(path));

    [Theory]
    [InlineData("/", "/")]
    [InlineData("/a", "/")]
    [InlineData("/a/b", "/a")]
    public void Parent_OfNormalizedPath(string path, string expected) => Assert.Equal(expected, ImageSpec.Parent(path));
}
