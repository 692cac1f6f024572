using System.CommandLine;
using System.Linq;

namespace Rump.Tools;

/// <summary><c>cp</c>: host → image, image → host, image → image.</summary>
public static class Copying
{
    private static readonly Argument<string[]> Operands = new("source-and-target")
    {
        Description = "SOURCE... TARGET; each is a host path or IMAGE[:N]:/path, and at least one side is on an image",
        Arity = ArgumentArity.OneOrMore,
    };
    private static readonly Option<bool> Recursive = new("-r", "-R", "--recursive") { Description = "Copy directories and their contents" };

    public static Command Create()
    {
        var cp = new Command("cp", "Copy files into, out of, or within an image (a progress bar on large copies when standard error is a terminal)");
        Operands.Validators.Add(result =>
        {
            if (result.Tokens.Count < 2)
                result.AddError("cp needs a SOURCE and a TARGET");
        });
        cp.Arguments.Add(Operands);
        cp.Options.Add(Recursive);
        return cp;
    }

    public static void Run(ParseResult parse, VerbContext context)
    {
        var operands = parse.GetValue(Operands)!;
        var recursive = parse.GetValue(Recursive);
        var cwd = context.Console.WorkingDirectory;
        var host = new HostTree(context.Console, context.IsImageInUse);

        // An empty operand names no file: a usage error, not a copy of "" (which would read as the root of something).
        if (System.Array.IndexOf(operands, "") is var empty and >= 0)
            throw new ToolException("cp: operand " + (empty + 1) + " is an empty path (''); name a host path or IMAGE:/path", ExitCodes.Usage);

        var targetText = operands[^1];
        var sources = operands.Take(operands.Length - 1).ToList();
        var targetOnImage = ImageSpec.LooksLikeImageSpec(targetText, cwd);
        if (!targetOnImage && sources.All(s => !ImageSpec.LooksLikeImageSpec(s, cwd)))
            throw new ToolException("cp: neither side is on an image; write IMAGE:/path (e.g. disk.img:/dir/)", ExitCodes.Usage);

        // The target first, read-write, so that a source on the same file system shares the mount.
        IFileTree to;
        ImageSpec? targetSpec = null;
        string target;
        bool targetTrailingSlash;
        if (targetOnImage)
        {
            var spec = context.Spec(targetText);
            targetSpec = spec;
            to = context.Tree(spec);
            target = spec.Path;
            targetTrailingSlash = spec.TrailingSlash;
        }
        else
        {
            to = host;
            target = targetText;
            targetTrailingSlash = targetText.EndsWith('/');
        }

        var targetIsDirectory = to.TryStat(target, out var targetInfo) && targetInfo.IsDirectory;
        if (!targetIsDirectory && sources.Count > 1)
            throw new ToolErrnoException((int)Errno.ENOTDIR, to.Display(target));

        // cp -r reports an entry it cannot copy (e.g. a name FAT rejects) and goes on; the exit code is then 1.
        using var copier = new Copier(context.Console) { EntryFailed = message => context.Fail(message) };
        context.ForEach(sources, sourceText =>
        {
            IFileTree from;
            string source;
            var sameFileSystem = false;
            if (ImageSpec.LooksLikeImageSpec(sourceText, cwd))
            {
                var spec = context.Spec(sourceText);
                var sameImage = targetSpec is not null && context.Console.HostPath(spec.Image) == context.Console.HostPath(targetSpec.Image);
                sameFileSystem = sameImage && spec.Partition == targetSpec!.Partition;
                // A source image that is not also the target is only read: mount it read-only (no clean-bit
                // writes, no fsync of the image at unmount, a shared lock that lets other readers in).
                from = context.Tree(spec, readOnly: !sameImage);
                source = spec.Path;
            }
            else
            {
                from = host;
                source = sourceText;
            }
            string destination;
            if (targetIsDirectory)
            {
                // The root of an image has no name: `cp -r disk.img:/ out/` copies its entries into out/ (as
                // `cp -r dir/. out/` does), not into a folder named after nothing.
                var name = from.BaseName(source);
                destination = name.Length == 0 ? target : to.Combine(target, name);
            }
            else if (targetTrailingSlash && !(from.TryStat(source, out var info) && info.IsDirectory))
            {
                // TARGET/ names a directory: one that is missing is ENOENT, a file there is ENOTDIR.
                throw new ToolErrnoException(to.TryStat(target, out _) ? (int)Errno.ENOTDIR : (int)Errno.ENOENT, to.Display(target));
            }
            else
            {
                destination = target;
            }
            // Within one file system, a directory copied below itself would nest without end (GNU cp refuses too).
            if (sameFileSystem && (destination == source || destination.StartsWith(source.TrimEnd('/') + "/", System.StringComparison.Ordinal))
                && from.TryStat(source, out var sourceInfo) && sourceInfo.IsDirectory)
                throw new ToolException("cannot copy a directory, " + from.Display(source) + ", into itself, " + to.Display(destination));
            // Copying a file onto itself (the same name, or another name of it, e.g. another case on FAT) would
            // truncate it before reading it: refuse, as GNU cp does.
            if (sameFileSystem && from.TryStat(source, out var sourceId) && to.TryStat(destination, out var destinationId)
                && sourceId.IsSameFileAs(destinationId))
                throw new ToolException(from.Display(source) + " and " + to.Display(destination) + " are the same file");
            copier.Copy(from, source, to, destination, recursive);
        });
    }
}
