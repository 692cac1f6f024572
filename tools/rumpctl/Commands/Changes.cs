using System.CommandLine;

namespace Rump.Tools;

/// <summary><c>mkdir</c>, <c>rm</c>, <c>mv</c>: changes to an image.</summary>
public static class Changes
{
    private static readonly Argument<string[]> MkdirPaths = new("directory") { Description = "IMAGE[:N]:/path of the directory to create", Arity = ArgumentArity.OneOrMore };
    private static readonly Option<bool> Parents = new("-p", "--parents") { Description = "Create missing parents; an existing directory is no error" };
    private static readonly Argument<string[]> RmPaths = new("path") { Description = "IMAGE[:N]:/path to remove", Arity = ArgumentArity.OneOrMore };
    private static readonly Option<bool> RmRecursive = new("-r", "-R", "--recursive") { Description = "Remove directories and their contents" };
    private static readonly Option<bool> Force = new("-f", "--force") { Description = "Ignore paths that do not exist" };
    private static readonly Argument<string> MvSource = new("source") { Description = "IMAGE[:N]:/path to move" };
    private static readonly Argument<string> MvTarget = new("target") { Description = "IMAGE[:N]:/path (new name, or an existing directory to move into)" };

    public static Command CreateMkdir()
    {
        var mkdir = new Command("mkdir", "Create directories on an image");
        mkdir.Arguments.Add(MkdirPaths);
        mkdir.Options.Add(Parents);
        return mkdir;
    }

    public static Command CreateRm()
    {
        var rm = new Command("rm", "Remove files (and with -r directories) from an image");
        rm.Arguments.Add(RmPaths);
        rm.Options.Add(RmRecursive);
        rm.Options.Add(Force);
        return rm;
    }

    public static Command CreateMv()
    {
        var mv = new Command("mv", "Rename or move a file or directory within one file system of an image");
        mv.Arguments.Add(MvSource);
        mv.Arguments.Add(MvTarget);
        return mv;
    }

    public static void RunMkdir(ParseResult parse, VerbContext context)
    {
        var parents = parse.GetValue(Parents);
        context.ForEach(parse.GetValue(MkdirPaths)!, argument =>
        {
            var spec = context.Spec(argument);
            var tree = context.Tree(spec, walkDotDot: !parents);
            if (!parents)
            {
                tree.Mkdir(spec.Subject);
                return;
            }
            // As GNU mkdir -p: each component as written, so "a/../b" creates a, then b.
            var parts = spec.RawPath.Split('/', System.StringSplitOptions.RemoveEmptyEntries);
            for (var i = 1; i <= parts.Length; i++)
            {
                if (parts[i - 1] is not ("." or ".."))
                    tree.EnsureDirectory(ImageSpec.NormalizePath("/" + string.Join('/', parts[..i]), out _));
            }
        });
    }

    public static void RunRm(ParseResult parse, VerbContext context)
    {
        var recursive = parse.GetValue(RmRecursive);
        var force = parse.GetValue(Force);
        context.ForEach(parse.GetValue(RmPaths)!, argument =>
        {
            var spec = context.Spec(argument);
            // GNU rm (POSIX rm: "." or ".." as the last component is a diagnosed error), before any lookup.
            if (spec.EndsInDotOrDotDot)
                throw new ToolException("refusing to remove '.' or '..' directory: skipping '" + spec.Argument + "'");
            if (spec.Path == "/")
                throw new ToolException(spec.DisplayOf("/") + ": refusing to remove the root directory of an image");
            var tree = context.Tree(spec);
            // The trailing slash stays: "file/" is ENOTDIR from namei, not the file.
            if (!tree.TryStat(spec.Subject, out var info))
            {
                if (!force)
                    throw new ToolErrnoException((int)Errno.ENOENT, tree.Display(spec.Subject));
                return;
            }
            if (!info.IsDirectory)
            {
                tree.Unlink(spec.Subject);
                return;
            }
            if (!recursive)
                throw new ToolErrnoException((int)Errno.EISDIR, tree.Display(spec.Subject));
            RemoveTree(context, tree, spec.Subject);
        });
    }

    private static void RemoveTree(VerbContext context, ImageTree tree, string directory)
    {
        foreach (var (name, type) in tree.ReadDirectory(directory, includeDots: false))
        {
            context.Console.Cancellation.ThrowIfCancellationRequested();
            var path = ImageSpec.Combine(directory, name);
            var isDirectory = type == Dirent.DT_DIR || (type == Dirent.DT_UNKNOWN && FileMode.IsDir(tree.LStat(path).Mode));
            if (isDirectory)
                RemoveTree(context, tree, path);
            else
                tree.Unlink(path);
        }
        tree.Rmdir(directory);
    }

    public static void RunMv(ParseResult parse, VerbContext context)
    {
        var cwd = context.Console.WorkingDirectory;
        var sourceText = parse.GetValue(MvSource)!;
        var targetText = parse.GetValue(MvTarget)!;
        if (!ImageSpec.LooksLikeImageSpec(sourceText, cwd) || !ImageSpec.LooksLikeImageSpec(targetText, cwd))
            throw new ToolException("mv: both paths must be on an image (IMAGE:/path); to move between host and image use cp, then rm", ExitCodes.Usage);
        var source = context.Spec(sourceText);
        var target = context.Spec(targetText);
        // rename(2) of "." or ".." is EINVAL (NetBSD namei, POSIX); the lexical path would name the directory itself.
        if (source.EndsInDotOrDotDot)
            throw new ToolErrnoException((int)Errno.EINVAL, source.Argument);
        var from = context.Tree(source);
        var to = context.Tree(target);
        // Not moving into a directory: the trailing slash stays, and a file moved to "new/" is ENOTDIR (namei).
        var destination = target.Subject;
        // An existing directory is where to move into, unless it is the source itself under another spelling
        // (FAT: `mv disk.img:/Notes disk.img:/notes` renames Notes to notes).
        if (to.TryStat(target.Path, out var info) && info.IsDirectory && target.Path != source.Path
            && !(from.Mount == to.Mount && from.TryStat(source.Path, out var sourceInfo) && sourceInfo.IsSameFileAs(info)))
            destination = ImageSpec.Combine(target.Path, ImageSpec.BaseName(source.Path));
        if (from.Mount != to.Mount)
            throw new ToolErrnoException((int)Errno.EXDEV, target.Display);
        from.Rename(source.Subject, destination);
    }
}
