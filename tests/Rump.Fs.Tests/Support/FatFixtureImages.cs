using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace Rump.Fs.Tests.Support;

/// <summary>
/// Images made once per test class by mkfs.fat and mtools from a host tree with the awkward cases:
/// names that differ from 8.3 only in case, long and Unicode names, an empty file, a file of an exact
/// cluster multiple, a deep tree, a directory spanning clusters, a fragmented file.
/// </summary>
public sealed class FatFixtureImages : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "rump-fat-" + Guid.NewGuid().ToString("N"));
    public string Fat12 { get; }
    public string Fat16 { get; }
    public string Fat32 { get; }

    private readonly Dictionary<string, Dictionary<string, byte[]>> _files = new(StringComparer.Ordinal);

    /// <summary>Path inside the image → content, for every file the fixture wrote to <paramref name="image"/>.</summary>
    public IReadOnlyDictionary<string, byte[]> FilesOf(string image) => _files[image];

    /// <summary>Modification time (Unix seconds, even) given to every host file before mcopy -m.</summary>
    public const long FileTime = 1_700_000_000;

    public FatFixtureImages()
    {
        Directory.CreateDirectory(Dir);
        Fat12 = Build(12, 1440, ["-s", "1"]);
        Fat16 = Build(16, 8192, ["-s", "2"]);
        Fat32 = Build(32, 40 * 1024, ["-s", "1"]);
    }

    public string CopyOf(string image)
    {
        var copy = Path.Combine(Dir, Guid.NewGuid().ToString("N") + ".img");
        File.Copy(image, copy);
        return copy;
    }

    private static byte[] Pattern(int length, int seed)
    {
        var b = new byte[length];
        uint x = (uint)seed * 2654435761u + 1;
        for (int i = 0; i < length; i++)
        {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            b[i] = (byte)x;
        }
        return b;
    }

    private string Build(int bits, int kib, string[] extra)
    {
        var img = Path.Combine(Dir, $"fat{bits}.img");
        FatTools.MkFs(img, bits, kib, extra);
        var Files = _files[img] = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        int cluster = 512 * int.Parse(extra[1]);
        var files = new List<(string Path, byte[] Data)>
        {
            ("/lower.txt", Encoding.ASCII.GetBytes("lower case 8.3 name\n")),
            ("/BASE.txt", Encoding.ASCII.GetBytes("upper base, lower extension\n")),
            ("/Mixed Case Name.txt", Encoding.ASCII.GetBytes("needs a long name\n")),
            ("/café.txt", Encoding.UTF8.GetBytes("code page 850 short name\n")),
            ("/日本語のファイル名.txt", Encoding.UTF8.GetBytes("unicode long name\n")),
            ("/" + new string('L', 200) + ".long", Pattern(777, 1)),
            ("/empty.txt", []),
            ("/exact.bin", Pattern(cluster * 3, 2)),
            ("/one-more.bin", Pattern(cluster * 3 + 1, 3)),
        };
        foreach (var (p, d) in files)
            Put(Files, img, p, d);
        var deep = "";
        for (int i = 1; i <= 12; i++)
        {
            deep += "/level" + i;
            FatTools.Mmd(img, deep);
        }
        Put(Files, img, deep + "/leaf.txt", Encoding.ASCII.GetBytes("deep leaf\n"));
        FatTools.Mmd(img, "/spanning");
        for (int i = 0; i < 60; i++)
            Put(Files, img, $"/spanning/entry number {i:D3} with a long name.txt", Pattern(i * 7, 100 + i));
        // Fragmentation: fill, punch holes, then copy a file bigger than any hole.
        FatTools.Mmd(img, "/frag");
        for (int i = 0; i < 6; i++)
            Put(Files, img, $"/frag/f{i}.bin", Pattern(cluster * 2, 200 + i));
        for (int i = 0; i < 6; i += 2)
        {
            FatTools.Check("mdel", "-i", img, $"::/frag/f{i}.bin");
            Files.Remove($"/frag/f{i}.bin");
        }
        Put(Files, img, "/frag/fragmented.bin", Pattern(cluster * 9 + 100, 300));
        var fsck = FatTools.FsckNoChange(img);
        if (fsck.ExitCode != 0)
            throw new InvalidOperationException("fixture image not clean: " + fsck.Stdout);
        return img;
    }

    private static void Put(Dictionary<string, byte[]> files, string img, string path, byte[] data)
    {
        var host = Path.Combine(Path.GetDirectoryName(img)!, "src-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(host);
        var file = Path.Combine(host, path.Split('/').Last());
        File.WriteAllBytes(file, data);
        File.SetLastWriteTimeUtc(file, DateTimeOffset.FromUnixTimeSeconds(FileTime).UtcDateTime);
        FatTools.McopyIn(img, file, path);
        Directory.Delete(host, true);
        files[path] = data;
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}
