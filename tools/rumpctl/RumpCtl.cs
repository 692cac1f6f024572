using System;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.CommandLine.Invocation;
using System.IO;
using System.Linq;

namespace Rump.Tools;

/// <summary>The command line of rumpctl: verbs, shared options, error reporting and exit codes.</summary>
public static class RumpCtl
{
    private const string LocationHelp =
        "Locations on images: IMAGE:/path (whole disk), IMAGE:N:/path or IMAGE:pN:/path (partition N). " +
        "Exit codes: 0 success, 1 a system call failed (the message names the path and the errno), " +
        "2 usage error, 3 kernel not found, not loadable or panicked, 130 interrupted (Ctrl+C), 143 terminated (SIGTERM); both still unmount the images.";

    /// <summary>Runs rumpctl with <paramref name="args"/> on <paramref name="console"/>; returns the exit code.</summary>
    public static int Run(string[] args, ToolConsole console)
    {
        var globals = new GlobalOptions();
        var root = new RootCommand(
            "rumpctl: file utilities on disk images (FAT12/16/32, MBR and GPT partitions) through a booted Rump.Build kernel. "
            + "With no verb: boot the kernel and list the sample image. " + LocationHelp);
        globals.AddTo(root);

        Verb(root, Demo.Create(), globals, console, Demo.Run);
        Verb(root, Listing.CreateLs(), globals, console, Listing.RunLs);
        Verb(root, Listing.CreateTree(), globals, console, Listing.RunTree);
        Verb(root, Contents.CreateCat(), globals, console, Contents.RunCat);
        Verb(root, Copying.Create(), globals, console, Copying.Run);
        Verb(root, Changes.CreateMkdir(), globals, console, Changes.RunMkdir);
        Verb(root, Changes.CreateRm(), globals, console, Changes.RunRm);
        Verb(root, Changes.CreateMv(), globals, console, Changes.RunMv);
        Verb(root, Info.CreateStat(), globals, console, Info.RunStat);
        Verb(root, Info.CreateDf(), globals, console, Info.RunDf);
        var kernel = KernelCommands.Create(out var kernelDiff, out var kernelInfo);
        Verb(kernel, kernelDiff, globals, console, KernelCommands.RunDiff);
        Verb(kernel, kernelInfo, globals, console, KernelCommands.RunInfo);
        root.Subcommands.Add(kernel);
        root.SetAction(parse => Execute(parse, globals, console, Demo.Run));

        var parse = root.Parse(args);
        var unknownOption = UnknownOption(parse);
        if (parse.Action is ParseErrorAction || unknownOption is not null)
        {
            foreach (var error in parse.Errors)
                console.Error.WriteLine("rumpctl: " + error.Message);
            if (unknownOption is not null && parse.Errors.Count == 0)
                console.Error.WriteLine("rumpctl: unknown option '" + unknownOption + "' (a path that starts with '-' goes after '--')");
            var verb = parse.CommandResult.Command == root ? "" : " " + parse.CommandResult.Command.Name;
            console.Error.WriteLine("Try 'rumpctl" + verb + " --help'.");
            console.Flush();
            return ExitCodes.Usage;
        }
        var exit = parse.Invoke(new InvocationConfiguration { Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false });
        try
        {
            console.Flush();
        }
        catch (ToolException e)
        {
            console.Error.WriteLine("rumpctl: " + e.Message);
            exit = exit == 0 ? e.ExitCode : exit;
        }
        return exit;
    }

    /// <summary>
    /// An argument that looks like an option ("--frob", "-z") is an unknown option, not a path: the parser
    /// would hand it to the verb as an operand. After "--" anything is an operand.
    /// </summary>
    private static string? UnknownOption(ParseResult parse)
    {
        foreach (var token in parse.Tokens)
        {
            if (token.Type == TokenType.DoubleDash)
                return null;
            if (token.Type == TokenType.Argument && token.Value.Length > 1 && token.Value[0] == '-')
                return token.Value;
        }
        return null;
    }

    private static void Verb(Command root, Command command, GlobalOptions globals, ToolConsole console, Action<ParseResult, VerbContext> body)
    {
        command.SetAction(parse => Execute(parse, globals, console, body));
        root.Subcommands.Add(command);
    }

    /// <summary>Runs one verb: errors become messages and exit codes; the images are unmounted whatever happened.</summary>
    private static int Execute(ParseResult parse, GlobalOptions globals, ToolConsole console, Action<ParseResult, VerbContext> body)
    {
        var context = new VerbContext(console, globals.Read(parse));
        try
        {
            body(parse, context);
        }
        catch (ToolErrnoException e)
        {
            context.Fail(e.Message);
        }
        catch (ToolException e)
        {
            context.Fail(e.Message, e.ExitCode);
        }
        catch (OperationCanceledException)
        {
            context.Fail("interrupted", ExitCodes.Interrupted);
        }
        catch (RumpKernelPanicException e)
        {
            context.Fail("kernel panic: " + e.PanicMessage, ExitCodes.Kernel);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A host failure no verb code expected: its errno in words (never the Message, a resource key when published).
            context.Fail("host: " + ErrnoText.Describe(HostErrors.ErrnoOf(e)));
        }
        finally
        {
            try
            {
                context.Close();
            }
            catch (RumpKernelPanicException e)
            {
                context.Fail("closing the kernel: kernel panic: " + e.PanicMessage, ExitCodes.Kernel);
            }
            catch (ObjectDisposedException)
            {
                context.Fail("closing the kernel: it was already shut down", ExitCodes.Kernel);
            }
            try
            {
                console.Flush();
            }
            catch (ToolException e)
            {
                context.Fail(e.Message, e.ExitCode);
            }
        }
        return context.ExitCode;
    }

    /// <summary>Targets whose kernels can be built and booted (targets/hw exists but is empty: RUMP0001).</summary>
    public static readonly string[] ImplementedTargets = ["posix", "xen"];

    /// <summary>Options every verb takes (recursive on the root command).</summary>
    private sealed class GlobalOptions
    {
        private readonly Option<string?> _kernel = new("--kernel") { Description = "Kernel assembly to boot (default: the kernel the build produced for --target)", HelpName = "PATH", Recursive = true };
        private readonly Option<string> _target = new("--target") { Description = "Target of the default kernel: posix or xen", HelpName = "TARGET", DefaultValueFactory = _ => "posix", Recursive = true };
        private readonly Option<string[]> _components = new("--components") { Description = "Components the kernel must link (comma-separated); rumpctl refuses a kernel without them", HelpName = "LIST", Recursive = true, AllowMultipleArgumentsPerToken = false };
        private readonly Option<string?> _vintage = new("--vintage") { Description = "Use the kernel built from this vintage (a git ref such as HEAD~3, or 'worktree'); build it first with dotnet build kernels/Rump.Kernel -p:RumpVintage=REF", HelpName = "REF", Recursive = true };
        private readonly Option<bool> _readOnly = new("--ro") { Description = "Mount read-only (a read-only image file is always mounted read-only)", Recursive = true };
        private readonly Option<bool> _verbose = new("--verbose") { Description = "Verbose boot; the kernel console goes to standard error", Recursive = true };

        public GlobalOptions()
        {
            _target.Validators.Add(result =>
            {
                var target = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "posix";
                if (!ImplementedTargets.Contains(target, StringComparer.Ordinal))
                    result.AddError("--target " + target + ": no such target; the targets are " + string.Join(", ", ImplementedTargets)
                                    + (target == "hw" ? " (hw is not implemented yet: targets/hw is empty)" : ""));
            });
        }

        public void AddTo(RootCommand root)
        {
            root.Options.Add(_kernel);
            root.Options.Add(_target);
            root.Options.Add(_vintage);
            root.Options.Add(_components);
            root.Options.Add(_readOnly);
            root.Options.Add(_verbose);
        }

        public KernelOptions Read(ParseResult parse) => new()
        {
            KernelPath = parse.GetValue(_kernel),
            Target = parse.GetValue(_target) ?? "posix",
            Vintage = parse.GetValue(_vintage),
            Components = (parse.GetValue(_components) ?? [])
                .SelectMany(v => v.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .ToArray(),
            ReadOnly = parse.GetValue(_readOnly),
            Verbose = parse.GetValue(_verbose),
        };
    }
}
