using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Linq;

namespace Rump.Tools;

/// <summary><c>ls</c> and <c>tree</c>.</summary>
public static class Listing
{
    private static readonly Argument<string[]> LsLocations = new("location") { Description = "IMAGE[:N]:/path; a bare partitioned IMAGE lists its partitions", Arity = ArgumentArity.OneOrMore };
    private static readonly Option<bool> Long = new("-l") { Description = "Long listing: mode, links, owner, group, size, modification time (UTC)" };
    private static readonly Option<bool> All = new("-a", "--all") { Description = "Include entries whose names start with '.'" };
    private static readonly Argument<string> TreeLocation = new("location") { Description = "IMAGE[:N][:/path]" };
    private static readonly Option<bool> TreeAll = new("-a", "--all") { Description = "Include entries whose names start with '.'" };

    public static Command CreateLs()
    {
        var ls = new Command("ls", "List a directory on an image (or the partitions of a bare partitioned disk)");
        ls.Arguments.Add(LsLocations);
        ls.Options.Add(Long);
        ls.Options.Add(All);
        return ls;
    }

    public static Command CreateTree()
    {
        var tree = new Command("tree", "Show a directory tree of an image");
        tree.Arguments.Add(TreeLocation);
        tree.Options.Add(TreeAll);
        return tree;
    }

    public static void RunLs(ParseResult parse, VerbContext context)
    {
        var specs = parse.GetValue(LsLocations)!.Select(context.Spec).ToList();
        var longFormat = parse.GetValue(Long);
        var all = parse.GetValue(All);
        var headers = specs.Count > 1;
        var first = true;
        context.ForEach(specs, spec =>
        {
            if (!spec.HasPath && spec.Partition is null)
            {
                var key = context.Session.Attach(spec, out _);
                if (context.Session.HasPartitions(key))
                {
                    PrintPartitions(context, spec);
                    return;
                }
            }
            var tree = context.Tree(spec, readOnly: true);
            var st = tree.Stat(spec.Subject);
            if (!first)
                context.Console.Out.WriteLine();
            first = false;
            if (!FileMode.IsDir(st.Mode))
            {
                Print(context, tree, [new Entry(ImageSpec.BaseName(spec.Path), Dirent.DT_UNKNOWN, st)], longFormat, spec.Path);
                return;
            }
            if (headers)
                context.Console.Out.WriteLine(spec.Display + ":");
            var entries = new List<Entry>();
            foreach (var (name, type) in tree.ReadDirectory(spec.Path, includeDots: all))
            {
                if (!all && name.StartsWith('.'))
                    continue;
                var childPath = name is "." ? spec.Path : name is ".." ? ImageSpec.Parent(spec.Path) : ImageSpec.Combine(spec.Path, name);
                entries.Add(longFormat ? StatEntry(context, tree, name, type, childPath) : new Entry(name, type, null));
            }
            if (all && !entries.Any(e => e.Name == "."))
            {
                // The root of a FAT file system has no "." and ".." records; ls -a shows them all the same.
                entries.Insert(0, longFormat ? StatEntry(context, tree, "..", Dirent.DT_DIR, ImageSpec.Parent(spec.Path)) : new Entry("..", Dirent.DT_DIR, null));
                entries.Insert(0, new Entry(".", Dirent.DT_DIR, st));
            }
            Print(context, tree, entries, longFormat, spec.Path);
        });
    }

    /// <summary>One name of a listing; <paramref name="St"/> is null when it was not asked for or could not be had.</summary>
    private readonly record struct Entry(string Name, byte Type, RumpStat? St);

    /// <summary>
    /// lstat(2) of one entry for ls -l. A failure is reported (exit 1) and the entry is still listed with question
    /// marks, as GNU ls does: one unreadable entry must not hide the others.
    /// </summary>
    private static Entry StatEntry(VerbContext context, ImageTree tree, string name, byte type, string path)
    {
        try
        {
            return new Entry(name, type, tree.LStat(path));
        }
        catch (ToolErrnoException e)
        {
            context.Fail(e.Message);
            return new Entry(name, type, null);
        }
    }

    private static void Print(VerbContext context, ImageTree tree, List<Entry> entries, bool longFormat, string directory)
    {
        var output = context.Console.Out;
        if (longFormat)
        {
            var known = entries.Where(e => e.St is not null).Select(e => e.St!.Value).ToList();
            var linkWidth = known.Select(st => Format.Number(st.Nlink).Length).Append(1).Max();
            var uidWidth = known.Select(st => Format.Number(st.Uid).Length).Append(1).Max();
            var gidWidth = known.Select(st => Format.Number(st.Gid).Length).Append(1).Max();
            var sizeWidth = known.Select(st => Format.Number(st.Size).Length).Append(1).Max();
            foreach (var (name, type, stat) in entries)
            {
                if (stat is not RumpStat st)
                {
                    // GNU ls -l for an entry lstat(2) failed on: its type from the directory record, the rest unknown.
                    output.Write(type == Dirent.DT_DIR ? 'd' : '-');
                    output.Write("????????? ");
                    output.Write("?".PadLeft(linkWidth) + " " + "?".PadRight(uidWidth) + " " + "?".PadRight(gidWidth) + " "
                        + "?".PadLeft(sizeWidth) + " " + "?".PadLeft(Format.ShortTime(default).Length) + " ");
                    output.WriteLine(name);
                    continue;
                }
                output.Write(Format.Mode(st.Mode));
                output.Write(' ');
                output.Write(Format.Number(st.Nlink).PadLeft(linkWidth));
                output.Write(' ');
                output.Write(Format.Number(st.Uid).PadRight(uidWidth));
                output.Write(' ');
                output.Write(Format.Number(st.Gid).PadRight(gidWidth));
                output.Write(' ');
                output.Write(Format.Number(st.Size).PadLeft(sizeWidth));
                output.Write(' ');
                output.Write(Format.ShortTime(st.Mtime));
                output.Write(' ');
                output.WriteLine(name);
            }
            return;
        }
        var names = entries.Select(e => e.Name).ToList();
        if (!context.Console.OutputIsTerminal || names.Count == 0)
        {
            foreach (var name in names)
                output.WriteLine(name);
            return;
        }
        WriteColumns(output, names, context.Console.Width);
    }

    /// <summary>Names down columns, as ls does on a terminal.</summary>
    public static void WriteColumns(System.IO.TextWriter output, IReadOnlyList<string> names, int width)
    {
        var columnWidth = names.Max(n => n.Length) + 2;
        var columns = Math.Max(1, width / columnWidth);
        var rows = (names.Count + columns - 1) / columns;
        for (var row = 0; row < rows; row++)
        {
            var line = new System.Text.StringBuilder();
            for (var column = 0; column < columns; column++)
            {
                var index = column * rows + row;
                if (index >= names.Count)
                    break;
                var isLast = (column + 1) * rows + row >= names.Count;
                line.Append(isLast ? names[index] : names[index].PadRight(columnWidth));
            }
            output.WriteLine(line.ToString());
        }
    }

    private static void PrintPartitions(VerbContext context, ImageSpec spec)
    {
        var partitions = context.Session.ListPartitions(spec);
        var output = context.Console.Out;
        output.WriteLine(spec.Image + ": " + partitions.Count + (partitions.Count == 1 ? " partition" : " partitions"));
        output.WriteLine("PART  DEVICE          SIZE        FILE SYSTEM  USED       LOCATION");
        foreach (var p in partitions)
        {
            var used = p.Usage is RumpStatVfs u ? Format.Size(checked((long)((u.Blocks - u.BFree) * u.FrSize))) : "-";
            output.WriteLine(
                ("p" + p.Number).PadRight(6)
                + p.Device.PadRight(16)
                + (p.Size >= 0 ? Format.Size(p.Size) : "?").PadRight(12)
                + (p.FsType ?? "unknown").PadRight(13)
                + used.PadRight(11)
                + spec.Image + ":" + p.Number + ":/");
        }
    }

    public static void RunTree(ParseResult parse, VerbContext context)
    {
        var spec = context.Spec(parse.GetValue(TreeLocation)!);
        var all = parse.GetValue(TreeAll);
        var tree = context.Tree(spec, readOnly: true);
        var st = tree.Stat(spec.Subject);
        var output = context.Console.Out;
        output.WriteLine(spec.HasPath ? spec.Display : spec.DisplayOf(spec.Path));
        if (!FileMode.IsDir(st.Mode))
            return;
        long directories = 0, files = 0;
        Walk(spec.Path, "");
        output.WriteLine();
        output.WriteLine(directories + (directories == 1 ? " directory, " : " directories, ") + files + (files == 1 ? " file" : " files"));

        // A directory that cannot be read (or an entry that cannot be stat'ed) is reported and the walk goes on with
        // its siblings, as tree(1) and ls -R do; the exit code is then 1.
        void Walk(string directory, string indent)
        {
            List<(string Name, byte Type)> entries;
            try
            {
                entries = tree.ReadDirectory(directory, includeDots: false).Where(e => all || !e.Name.StartsWith('.')).ToList();
            }
            catch (ToolErrnoException e)
            {
                context.Fail(e.Message);
                return;
            }
            for (var i = 0; i < entries.Count; i++)
            {
                context.Console.Cancellation.ThrowIfCancellationRequested();
                var (name, type) = entries[i];
                var last = i == entries.Count - 1;
                output.WriteLine(indent + (last ? "└── " : "├── ") + name);
                var path = ImageSpec.Combine(directory, name);
                bool isDirectory;
                try
                {
                    isDirectory = type == Dirent.DT_DIR || (type == Dirent.DT_UNKNOWN && FileMode.IsDir(tree.LStat(path).Mode));
                }
                catch (ToolErrnoException e)
                {
                    context.Fail(e.Message);
                    continue;
                }
                if (isDirectory)
                {
                    directories++;
                    Walk(path, indent + (last ? "    " : "│   "));
                }
                else
                {
                    files++;
                }
            }
        }
    }
}
