using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.Build.Utilities;

namespace Rump.Build.Tasks;

/// <summary>
/// RUMP0007, before the compiler: the hypercall interface version the vintage's base declares
/// (<c>[HypercallInterface(n)]</c>) must lie in the range the chosen target implements
/// (<c>[HypercallTarget("posix", min, max)]</c>). Read from the text, so a vintage whose interface changed stops here
/// with one message naming the vintage and both versions, not with a cascade of compiler errors. Declarations
/// written another way (named arguments, constants) are left to the hypercall generator (RUMP0105/RUMP0106).
/// </summary>
internal static class HypercallVersions
{
    // Only at the start of a line: a mention in a comment or a doc comment is not a declaration.
    private static readonly Regex InterfaceAttribute = new(
        @"^[ \t]*\[[ \t]*(?:[\w.]+\.)?HypercallInterface(?:Attribute)?[ \t]*\([ \t]*(\d+)[ \t]*\)[ \t]*\]",
        RegexOptions.Multiline | RegexOptions.CultureInvariant);

    private static readonly Regex TargetAttribute = new(
        @"^[ \t]*\[[ \t]*(?:[\w.]+\.)?HypercallTarget(?:Attribute)?[ \t]*\([ \t]*""([^""]*)""[ \t]*,[ \t]*(\d+)[ \t]*,[ \t]*(\d+)[ \t]*\)[ \t]*\]",
        RegexOptions.Multiline | RegexOptions.CultureInvariant);

    /// <summary>What the vintage is called in messages: its ref, the short commit and dirty flag.</summary>
    public sealed record Vintage(string Ref, string Commit, bool Dirty)
    {
        public string Describe()
        {
            var commit = Commit.Length > 12 ? Commit.Substring(0, 12) : Commit;
            var name = Ref == "worktree" || Ref.Length == 0 ? "this checkout (vintage 'worktree')" : "vintage '" + Ref + "'";
            var details = new List<string>();
            if (commit.Length > 0)
                details.Add("commit " + commit);
            if (Dirty)
                details.Add("dirty");
            return details.Count == 0 ? name : name + " (" + string.Join(", ", details) + ")";
        }

        /// <summary>A vintage file as <c>ref:relative/path</c> (the checkout's own files keep their relative path).</summary>
        public string FileName(string relativePath)
            => Ref == "worktree" || Ref.Length == 0 ? relativePath : Ref + ":" + relativePath;
    }

    /// <summary>Checks the pairing; logs RUMP0007 as an error (or a warning when <paramref name="asWarning"/>). False on error.</summary>
    public static bool Check(TaskLoggingHelper log, string sourceRoot, string targetsRoot, string target, Vintage vintage, bool asWarning)
    {
        var declared = Find(InterfaceAttribute, SplitLayers.CSharpFiles(Path.Combine(sourceRoot, "base")));
        var implemented = Find(TargetAttribute, SplitLayers.CSharpFiles(Path.Combine(targetsRoot, "targets", target)));
        if (declared.Count != 1 || implemented.Count != 1)
            return true;

        var (hypFile, hypLine, hypMatch) = declared[0];
        var (targetFile, _, targetMatch) = implemented[0];
        if (!int.TryParse(hypMatch.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            || !int.TryParse(targetMatch.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var min)
            || !int.TryParse(targetMatch.Groups[3].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var max))
            return true;
        if (version >= min && version <= max)
            return true;

        var targetName = targetMatch.Groups[1].Value;
        var hypName = vintage.FileName(SplitLayers.RelativePath(sourceRoot, hypFile));
        var targetRelative = SplitLayers.RelativePath(targetsRoot, targetFile);
        var what = "The kernel sources of " + vintage.Describe() + " declare hypercall interface v" + Number(version)
            + " (" + hypName + "), but target '" + targetName + "' implements v" + Number(min) + "..v" + Number(max)
            + " (" + targetRelative + ").";
        var fix = version < min
            ? "build a newer vintage (one declaring v" + Number(min) + (max > min ? "..v" + Number(max) : "") + "), or build with a target that still implements v"
              + Number(version) + "; the target dropped it when it raised its minimum."
            : "build an older vintage (one declaring v" + Number(max) + " or lower), or update " + targetRelative + " to interface v" + Number(version)
              + " and raise the maximum of its [HypercallTarget] to " + Number(version) + ".";
        if (asWarning)
        {
            log.LogWarning(null, RumpErrors.HypercallVersionMismatch, null, RumpErrors.HelpLink(RumpErrors.HypercallVersionMismatch), hypFile, hypLine, 0, 0, 0,
                what + " RumpHypercallVersionCheck=warning: building anyway; this kernel refuses to boot. Fix: " + fix);
            return true;
        }
        RumpErrors.Error(log, RumpErrors.HypercallVersionMismatch, hypFile, hypLine, what, fix);
        return false;
    }

    private static List<(string File, int Line, Match Match)> Find(Regex attribute, IEnumerable<string> files)
    {
        var found = new List<(string, int, Match)>();
        foreach (var file in files)
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (IOException)
            {
                continue;
            }
            // Cheap filter first: most files never mention the attribute.
            if (text.IndexOf("Hypercall", StringComparison.Ordinal) < 0)
                continue;
            foreach (Match match in attribute.Matches(text))
                found.Add((file, LineOf(text, match.Index), match));
        }
        return found;
    }

    private static int LineOf(string text, int index)
    {
        var line = 1;
        for (var i = 0; i < index; i++)
        {
            if (text[i] == '\n')
                line++;
        }
        return line;
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
