using System;
using System.CommandLine;
using System.IO;
using System.Linq;

namespace Rump.Tools;

/// <summary><c>rumpctl</c> with no arguments (or <c>rumpctl demo</c>): boot, banner, link summary, the sample image.</summary>
public static class Demo
{
    private static readonly Argument<string?> Image = new("image") { Description = "Image to show (default: samples/sample.img)", Arity = ArgumentArity.ZeroOrOne };

    public static Command Create()
    {
        var demo = new Command("demo", "Boot the kernel, print its banner and link summary, and list the sample image (what rumpctl does with no arguments)");
        demo.Arguments.Add(Image);
        return demo;
    }

    public static void Run(ParseResult parse, VerbContext context)
    {
        var output = context.Console.Out;
        var imageArgument = parse.CommandResult.Command.Name == "demo" ? parse.GetValue(Image) : null;
        var image = imageArgument ?? FindSample(context.Console.WorkingDirectory);

        var kernel = context.Session.Kernel;
        output.WriteLine(kernel.Banner.TrimEnd());
        output.WriteLine();
        WriteLinkSummary(output, kernel.Info);
        output.WriteLine();

        var spec = context.Spec(image);
        var mount = context.Mount(spec, readOnly: true);
        output.WriteLine("Image      " + spec.Image + " (etfs " + mount.Device + ", mounted read-only with " + mount.FsType + " on " + mount.MountPoint + ")");
        output.WriteLine();
        context.Console.Out.Flush();

        // The listing is the tree verb on the same session.
        var tree = new ImageTree(context.Session.Sys, mount);
        output.WriteLine(spec.DisplayOf("/"));
        long directories = 0, files = 0, bytes = 0;
        Walk(tree, "/", "", ref directories, ref files, ref bytes, output);
        output.WriteLine();
        output.WriteLine(directories + " directories, " + files + " files, " + Format.Size(bytes) + ", all seen through the kernel's system calls");
        output.WriteLine();
        output.WriteLine("Try:");
        output.WriteLine("  rumpctl ls -l " + spec.Image + ":/DOCS");
        output.WriteLine("  rumpctl cat " + spec.Image + ":/README.txt");
        output.WriteLine("  rumpctl --help");
        if (!BuiltInKernel.IsNative)
            output.WriteLine("(`dotnet publish tools/rumpctl -c Release` makes artifacts/rumpctl/rumpctl; until then run `dotnet run --project tools/rumpctl -- ARGS`)");
    }

    /// <summary>The kernel's identity and linked components, from its link data.</summary>
    public static void WriteLinkSummary(TextWriter output, KernelInfo info)
    {
        var vintage = info.Vintage;
        var commit = string.IsNullOrEmpty(vintage.Commit) ? "" : " " + vintage.Commit.Substring(0, Math.Min(12, vintage.Commit.Length));
        var date = string.IsNullOrEmpty(vintage.CommitDate) ? "" : " (" + vintage.CommitDate + ")";
        output.WriteLine("Kernel     " + info.Kernel + ", target " + info.Target + ", hypercall interface v" + info.HypercallVersion);
        output.WriteLine("Vintage    " + (string.IsNullOrEmpty(vintage.Ref) ? "?" : vintage.Ref) + commit + date + (vintage.Dirty ? ", dirty" : ""));
        var components = info.Components.Select(c => c.Name + (c.Factions.Count > 0 && !c.Factions.Contains(c.Name) ? " [" + string.Join(",", c.Factions) + "]" : "")).ToList();
        output.WriteLine("Components " + components.Count + ": " + string.Join(", ", components));
    }

    private static void Walk(ImageTree tree, string directory, string indent, ref long directories, ref long files, ref long bytes, TextWriter output)
    {
        var entries = tree.ReadDirectory(directory, includeDots: false);
        for (var i = 0; i < entries.Count; i++)
        {
            var (name, _) = entries[i];
            var last = i == entries.Count - 1;
            var path = ImageSpec.Combine(directory, name);
            var st = tree.LStat(path);
            if (FileMode.IsDir(st.Mode))
            {
                output.WriteLine(indent + (last ? "└── " : "├── ") + name + "/");
                directories++;
                Walk(tree, path, indent + (last ? "    " : "│   "), ref directories, ref files, ref bytes, output);
            }
            else
            {
                output.WriteLine(indent + (last ? "└── " : "├── ") + name + "  (" + Format.Size(st.Size) + ", " + Format.ShortTime(st.Mtime) + ")");
                files++;
                bytes += st.Size;
            }
        }
    }

    /// <summary>samples/sample.img of the repository (shown relative to the working directory), else the copy beside the tool.</summary>
    public static string FindSample(string workingDirectory)
    {
        foreach (var root in KernelLocator.RepoRoots(workingDirectory))
        {
            var sample = Path.Combine(root, "samples", "sample.img");
            if (File.Exists(sample))
                return Relative(sample, workingDirectory);
        }
        var beside = Path.Combine(AppContext.BaseDirectory, "samples", "sample.img");
        if (File.Exists(beside))
            return Relative(beside, workingDirectory);
        throw new ToolException("samples/sample.img not found; give an image: rumpctl demo IMAGE");
    }

    private static string Relative(string path, string workingDirectory)
    {
        var relative = Path.GetRelativePath(workingDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }
}
