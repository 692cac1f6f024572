using System;
using System.CommandLine;
using System.Linq;

namespace Rump.Tools;

/// <summary><c>stat</c> and <c>df</c>.</summary>
public static class Info
{
    private static readonly Argument<string[]> StatPaths = new("path") { Description = "IMAGE[:N]:/path", Arity = ArgumentArity.OneOrMore };
    private static readonly Argument<string[]> DfImages = new("image") { Description = "IMAGE or IMAGE:N (a path on it is accepted too)", Arity = ArgumentArity.OneOrMore };

    public static Command CreateStat()
    {
        var stat = new Command("stat", "Show the status of files on an image (stat(2) through the kernel)");
        stat.Arguments.Add(StatPaths);
        return stat;
    }

    public static Command CreateDf()
    {
        var df = new Command("df", "Show size, use and free space of file systems on images (statvfs(2))");
        df.Arguments.Add(DfImages);
        return df;
    }

    public static void RunStat(ParseResult parse, VerbContext context)
    {
        var output = context.Console.Out;
        context.ForEach(parse.GetValue(StatPaths)!, argument =>
        {
            var spec = context.Spec(argument);
            var tree = context.Tree(spec, readOnly: true);
            var st = tree.LStat(spec.Subject);
            output.WriteLine("  File: " + spec.DisplayOf(spec.Path));
            output.WriteLine("  Size: " + Format.Number(st.Size).PadRight(15) + " Blocks: " + Format.Number(st.Blocks).PadRight(10)
                + " IO Block: " + Format.Number(st.BlkSize).PadRight(6) + " " + Format.FileType(st.Mode, st.Size));
            output.WriteLine("Device: " + Format.Number(st.Dev).PadRight(15) + " Inode: " + Format.Number(st.Ino).PadRight(11)
                + " Links: " + Format.Number(st.Nlink));
            output.WriteLine("Access: (" + Format.Octal(st.Mode & 0xFFF) + "/" + Format.Mode(st.Mode) + ")  Uid: ("
                + Format.Number(st.Uid) + ")   Gid: (" + Format.Number(st.Gid) + ")");
            output.WriteLine("Access: " + Format.LongTime(st.AtimeSec, st.AtimeNsec));
            output.WriteLine("Modify: " + Format.LongTime(st.MtimeSec, st.MtimeNsec));
            output.WriteLine("Change: " + Format.LongTime(st.CtimeSec, st.CtimeNsec));
            output.WriteLine(" Birth: " + Format.LongTime(st.BirthtimeSec, st.BirthtimeNsec));
        });
    }

    public static void RunDf(ParseResult parse, VerbContext context)
    {
        var rows = new System.Collections.Generic.List<string[]>
        {
            new[] { "Filesystem", "Type", "1K-blocks", "Used", "Available", "Use%", "Block", "Mounted on" },
        };
        context.ForEach(parse.GetValue(DfImages)!, argument =>
        {
            var spec = context.Spec(argument);
            // A bare partitioned disk: one row per partition that mounts, as df over several mounts (ls lists them too).
            if (!spec.HasPath && spec.Partition is null && context.Session.HasPartitions(context.Session.Attach(spec, out _, readOnly: true)))
            {
                foreach (var partition in context.Session.ListPartitions(spec))
                {
                    var partitionSpec = spec with { Partition = partition.Number, Path = "/", HasPath = false };
                    MountedImage mounted;
                    try
                    {
                        mounted = context.Mount(partitionSpec, readOnly: true);
                    }
                    catch (Exception e) when (e is ToolException or ToolErrnoException)
                    {
                        // Not an error of the command: a partition may hold no file system (swap, unformatted).
                        context.Console.Error.WriteLine("rumpctl: note: " + e.Message + " (partition " + partition.Number
                            + ": no file system this kernel mounts; not shown)");
                        continue;
                    }
                    AddRow(mounted);
                }
                return;
            }
            AddRow(context.Mount(spec, readOnly: true));
        });
        void AddRow(MountedImage mount)
        {
            var err = context.Session.Sys.StatVfs(mount.MountPoint, out var vfs);
            if (err != 0)
                throw new ToolErrnoException(err, mount.DisplayName);
            var unit = vfs.FrSize != 0 ? vfs.FrSize : vfs.BSize;
            var total = checked(vfs.Blocks * unit);
            var free = checked(vfs.BFree * unit);
            var avail = checked(vfs.BAvail * unit);
            var used = total - free;
            var percent = used + avail == 0 ? 0 : (int)System.Math.Ceiling(100.0 * used / (used + avail));
            rows.Add(new[]
            {
                mount.DisplayName,
                string.IsNullOrEmpty(vfs.FsTypeName) ? mount.FsType : vfs.FsTypeName,
                Format.Number(total / 1024), Format.Number(used / 1024), Format.Number(avail / 1024),
                percent + "%", Format.Number(unit), mount.Device + " on " + mount.MountPoint,
            });
        }
        if (rows.Count == 1)
            return;
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            var line = new System.Text.StringBuilder();
            for (var c = 0; c < row.Length; c++)
            {
                var leftAligned = c is 0 or 1 or 7;
                var cell = leftAligned ? row[c].PadRight(widths[c]) : row[c].PadLeft(widths[c]);
                line.Append(c == row.Length - 1 ? row[c] : cell + "  ");
            }
            context.Console.Out.WriteLine(line.ToString().TrimEnd());
        }
    }
}
