using System;
using System.Collections.Generic;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.IO;
using System.Linq;

namespace Rump.Tools;

/// <summary>
/// <c>kernel diff</c> and <c>kernel info</c>: what the build linked into a kernel, read from its link map (no boot).
/// <c>kernel diff A.linkmap.json B.linkmap.json</c> compares two link maps; <c>kernel diff --vintage A B</c> two built
/// vintages (<c>worktree</c> = the default kernel).
/// </summary>
public static class KernelCommands
{
    private static readonly Argument<string[]> DiffOperands = new("linkmap")
    {
        Description = "Two link maps (A.linkmap.json B.linkmap.json); with --vintage A: the second vintage B",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private static readonly Argument<string?> InfoOperand = new("linkmap")
    {
        Description = "A link map (default: the kernel of --target, or of --vintage)",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public static Command Create(out Command diff, out Command info)
    {
        var kernel = new Command("kernel", "What a built kernel links, from its link map: diff two kernels or vintages, show one");
        diff = new Command("diff",
            "Compare two kernels' link maps: components added, removed, changed (by source hash), base and hypercall-interface "
            + "changes. `kernel diff A.linkmap.json B.linkmap.json` or `kernel diff --vintage A B` (built vintages; 'worktree' = "
            + "the default kernel). Exit 0 when compared, whether or not they differ");
        diff.Arguments.Add(DiffOperands);
        info = new Command("info", "Show a built kernel's identity, vintage, components and source hashes (its link map; no boot)");
        info.Arguments.Add(InfoOperand);
        return kernel;
    }

    public static void RunDiff(ParseResult parse, VerbContext context)
    {
        var operands = parse.GetValue(DiffOperands) ?? [];
        var options = context.Options;
        (string Path, string Display) a, b;
        if (options.Vintage is not null)
        {
            if (operands.Length != 1)
                throw new ToolException("kernel diff --vintage A B: give two vintages (--vintage A and one more), got " + (1 + operands.Length), ExitCodes.Usage);
            // `--vintage A B` compares A with B; `B --vintage A` as written, B with A.
            var (first, second) = OperandBeforeVintage(parse, operands[0]) ? (operands[0], options.Vintage) : (options.Vintage, operands[0]);
            a = (VintageLocator.FindLinkMap(options.Target, first, context.Console.WorkingDirectory), "vintage " + first);
            b = (VintageLocator.FindLinkMap(options.Target, second, context.Console.WorkingDirectory), "vintage " + second);
            WarnIfStale(context, first);
            WarnIfStale(context, second);
        }
        else
        {
            if (operands.Length != 2)
                throw new ToolException("kernel diff: give two link maps (A.linkmap.json B.linkmap.json) or --vintage A B, got " + operands.Length + " operand(s)", ExitCodes.Usage);
            a = (context.Console.HostPath(operands[0]), operands[0]);
            b = (context.Console.HostPath(operands[1]), operands[1]);
        }
        var left = LinkMapFile.Load(a.Path, a.Display);
        var right = LinkMapFile.Load(b.Path, b.Display);
        foreach (var line in Diff(left, a.Display, right, b.Display))
            context.Console.Out.WriteLine(line);
    }

    /// <summary>A built vintage whose ref has moved since: say so (the link map shown is of the older commit).</summary>
    private static void WarnIfStale(VerbContext context, string vintage)
    {
        if (VintageLocator.StaleWarning(context.Options.Target, vintage, context.Console.WorkingDirectory) is string warning)
            context.Console.Error.WriteLine("rumpctl: warning: " + warning);
    }

    /// <summary>True when the operand was written before <c>--vintage</c> (<c>kernel diff B --vintage A</c>).</summary>
    private static bool OperandBeforeVintage(ParseResult parse, string operand)
    {
        var tokens = parse.Tokens;
        int vintageAt = -1, operandAt = -1;
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (token.Type == TokenType.Option && token.Value == "--vintage" && vintageAt < 0)
                vintageAt = i;
            else if (token.Type == TokenType.Argument && token.Value == operand && operandAt < 0 && (i == 0 || tokens[i - 1].Value != "--vintage"))
                operandAt = i;
        }
        return operandAt >= 0 && vintageAt >= 0 && operandAt < vintageAt;
    }

    public static void RunInfo(ParseResult parse, VerbContext context)
    {
        var operand = parse.GetValue(InfoOperand);
        var options = context.Options;
        string path, display;
        if (operand is not null)
        {
            if (options.Vintage is not null)
                throw new ToolException("kernel info: give a link map or --vintage, not both", ExitCodes.Usage);
            (path, display) = (context.Console.HostPath(operand), operand);
        }
        else if (BuiltInKernel.IsNative && BuiltInKernel.Serves(options))
        {
            // The native rumpctl's own kernel: its link map was published beside the executable.
            (path, display) = (BuiltInKernel.LinkMapPath, BuiltInKernel.LinkMapPath);
        }
        else
        {
            var vintage = options.Vintage ?? VintageLocator.Worktree;
            path = VintageLocator.FindLinkMap(options.Target, vintage, context.Console.WorkingDirectory);
            WarnIfStale(context, vintage);
            display = path;
        }
        var map = LinkMapFile.Load(path, display);
        var output = context.Console.Out;
        output.WriteLine("Link map   " + display);
        output.WriteLine("Kernel     " + map.Kernel + ", target " + map.Target + ", hypercall interface v" + map.HypercallVersion);
        output.WriteLine("Vintage    " + map.VintageText + (map.VintageCommitDate.Length > 0 ? " (" + map.VintageCommitDate + ")" : ""));
        if (map.BaseSourceHash.Length > 0)
            output.WriteLine("Base       " + map.BaseSourceHash);
        output.WriteLine("IL         " + Format.Number(map.IlBytes) + " bytes, " + map.Syscalls.Count + " system calls implemented");
        output.WriteLine("Components " + map.Components.Count + ":");
        var width = map.Components.Count == 0 ? 0 : map.Components.Max(c => c.Name.Length);
        foreach (var component in map.Components)
        {
            output.WriteLine("  " + component.Name.PadRight(width) + "  " + component.Layer.PadRight(9) + " " + component.SourceHash
                + "  " + component.Files.Count + " file" + (component.Files.Count == 1 ? "" : "s")
                + (component.Requires.Count > 0 ? ", requires " + string.Join(",", component.Requires) : ""));
        }
    }

    /// <summary>
    /// The comparison as lines: a header per side, the hypercall interface, then one line per difference, sorted by name:
    /// <c>~ name (layer) sha256:… -> sha256:…</c> changed, <c>+ name (layer)</c> only in B, <c>- name (layer)</c> only in A,
    /// <c>~ base …</c> for the base; last a summary line.
    /// </summary>
    public static IReadOnlyList<string> Diff(LinkMapFile a, string aName, LinkMapFile b, string bName)
    {
        var lines = new List<string>
        {
            "--- " + aName + ": " + a.Kernel + ", target " + a.Target + ", vintage " + a.VintageText + ", hypercall interface v" + a.HypercallVersion,
            "+++ " + bName + ": " + b.Kernel + ", target " + b.Target + ", vintage " + b.VintageText + ", hypercall interface v" + b.HypercallVersion,
        };
        lines.Add(a.HypercallVersion == b.HypercallVersion
            ? "hypercall interface: v" + a.HypercallVersion + " (unchanged)"
            : "hypercall interface: v" + a.HypercallVersion + " -> v" + b.HypercallVersion + " (changed)");
        if (a.Target != b.Target)
            lines.Add("target: " + a.Target + " -> " + b.Target);

        int changed = 0, added = 0, removed = 0, same = 0;
        if (a.BaseSourceHash.Length > 0 && b.BaseSourceHash.Length > 0 && a.BaseSourceHash != b.BaseSourceHash)
        {
            lines.Add("~ base (base) " + Short(a.BaseSourceHash) + " -> " + Short(b.BaseSourceHash));
            changed++;
        }
        var left = a.Components.ToDictionary(Key, StringComparer.Ordinal);
        var right = b.Components.ToDictionary(Key, StringComparer.Ordinal);
        foreach (var key in left.Keys.Union(right.Keys).Order(StringComparer.Ordinal))
        {
            var inA = left.TryGetValue(key, out var ca);
            var inB = right.TryGetValue(key, out var cb);
            if (inA && inB)
            {
                if (ca!.SourceHash == cb!.SourceHash)
                {
                    same++;
                    continue;
                }
                changed++;
                var filesAdded = cb.Files.Except(ca.Files, StringComparer.Ordinal).ToList();
                var filesRemoved = ca.Files.Except(cb.Files, StringComparer.Ordinal).ToList();
                var files = filesAdded.Select(f => "+" + f).Concat(filesRemoved.Select(f => "-" + f)).ToList();
                lines.Add("~ " + ca.Name + " (" + ca.Layer + ") " + Short(ca.SourceHash) + " -> " + Short(cb.SourceHash)
                    + (files.Count > 0 ? ", files " + string.Join(" ", files) : ""));
            }
            else if (inB)
            {
                added++;
                lines.Add("+ " + cb!.Name + " (" + cb.Layer + ") " + Short(cb.SourceHash));
            }
            else
            {
                removed++;
                lines.Add("- " + ca!.Name + " (" + ca.Layer + ") " + Short(ca.SourceHash));
            }
        }
        lines.Add(changed + " changed, " + added + " added, " + removed + " removed, " + same + " unchanged"
            + (changed + added + removed == 0 && a.HypercallVersion == b.HypercallVersion ? " (same sources)" : ""));
        return lines;
    }

    private static string Key(LinkMapComponent component) => component.Name + "\0" + component.Layer;

    /// <summary>sha256:0123456789ab — enough to tell hashes apart on a terminal.</summary>
    private static string Short(string hash)
    {
        var colon = hash.IndexOf(':');
        return colon >= 0 && hash.Length > colon + 13 ? hash.Substring(0, colon + 13) : hash;
    }
}
