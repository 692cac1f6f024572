using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Rump.Build.Tasks;

namespace Rump.Build.Tests;

/// <summary>
/// The vintage identity MaterializeVintage gives a build, on a small git repository of kernel folders: the checkout
/// is dirty exactly when its kernel folders differ from HEAD; a git ref is its commit (never dirty); a folder of
/// sources is dirty when its own git says so.
/// </summary>
public sealed class MaterializeVintageTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rump-materialize-" + Guid.NewGuid().ToString("N").Substring(0, 8));
    private readonly string _commit;

    public MaterializeVintageTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "base"));
        Directory.CreateDirectory(Path.Combine(_dir, "components", "dev", "hello"));
        File.WriteAllText(Path.Combine(_dir, "base", "Kernel.cs"), "namespace Rump.Kern;\n");
        File.WriteAllText(Path.Combine(_dir, "components", "dev", "hello", "Hello.cs"), "namespace Rump.Dev.Hello;\n");
        File.WriteAllText(Path.Combine(_dir, "README.md"), "not kernel sources\n");
        File.WriteAllText(Path.Combine(_dir, ".gitignore"), "obj/\n");
        Git("init", "-q");
        Git("add", "-A");
        Git("commit", "-q", "-m", "one");
        _commit = Git("rev-parse", "HEAD").Trim();
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Checkout_Clean_IsWorktreeAtHeadNotDirty()
    {
        var (task, engine) = Task();
        Assert.True(task.Execute(), string.Join("\n", engine.Errors.Select(e => e.Message)));
        Assert.Equal(("worktree", _commit, "false"), (task.VintageRef, task.VintageCommit, task.VintageDirty));
        Assert.NotEmpty(task.VintageCommitDate);
    }

    [Fact]
    public void Checkout_ChangedOrNewKernelSource_IsDirty()
    {
        File.AppendAllText(Path.Combine(_dir, "base", "Kernel.cs"), "// changed\n");
        var (modified, _) = Task();
        Assert.True(modified.Execute());
        Assert.Equal("true", modified.VintageDirty);

        Git("checkout", "-q", "--", "base/Kernel.cs");
        File.WriteAllText(Path.Combine(_dir, "components", "dev", "hello", "New.cs"), "namespace Rump.Dev.Hello;\n");
        var (untracked, _) = Task();
        Assert.True(untracked.Execute());
        Assert.Equal("true", untracked.VintageDirty);
    }

    [Fact]
    public void Checkout_ChangeOutsideTheKernelFolders_IsNotDirty()
    {
        File.AppendAllText(Path.Combine(_dir, "README.md"), "more\n");
        var (task, _) = Task();
        Assert.True(task.Execute());
        Assert.Equal("false", task.VintageDirty);
    }

    [Fact]
    public void GitRef_OfADirtyCheckout_IsTheCommitExportedClean()
    {
        File.AppendAllText(Path.Combine(_dir, "base", "Kernel.cs"), "// not committed\n");
        var (task, engine) = Task(vintage: "HEAD");
        Assert.True(task.Execute(), string.Join("\n", engine.Errors.Select(e => e.Message)));
        Assert.Equal(("HEAD", _commit, "false"), (task.VintageRef, task.VintageCommit, task.VintageDirty));
        Assert.Equal("namespace Rump.Kern;\n", File.ReadAllText(Path.Combine(task.SourceRoot, "base", "Kernel.cs")));
        Assert.False(File.Exists(Path.Combine(task.SourceRoot, "README.md")));
    }

    [Fact]
    public void UpstreamFolder_InItsOwnDirtyGitRepository_IsDirty()
    {
        File.WriteAllText(Path.Combine(_dir, "base", "Extra.cs"), "namespace Rump.Kern;\n");
        var (task, _) = Task(upstream: _dir);
        Assert.True(task.Execute());
        Assert.Equal("upstream:" + Path.GetFileName(_dir), task.VintageRef);
        Assert.Equal(_commit, task.VintageCommit);
        Assert.Equal("true", task.VintageDirty);
    }

    [Fact]
    public void UnknownRef_RUMP0006_NamesTheRefAndTheKnownOnes()
    {
        Git("tag", "v1");
        var (task, engine) = Task(vintage: "v2");
        Assert.False(task.Execute());
        var error = Assert.Single(engine.Errors);
        Assert.Equal("RUMP0006", error.Code);
        Assert.Contains("RumpVintage='v2' is not a commit", error.Message);
        Assert.Contains("v1", error.Message);
    }

    [Fact]
    public void SarifReader_ReadsRoslynErrorLog()
    {
        var log = Path.Combine(_dir, "errors.sarif");
        var file = Path.Combine(_dir, "base", "Kernel.cs");
        File.WriteAllText(log, """
            {
              "$schema": "http://json.schemastore.org/sarif-2.1.0",
              "version": "2.1.0",
              "runs": [ { "results": [
                { "ruleId": "CS1525", "level": "error", "message": { "text": "Invalid expression term ';'" },
                  "locations": [ { "physicalLocation": { "artifactLocation": { "uri": "FILEURI" }, "region": { "startLine": 12, "startColumn": 21 } } } ] },
                { "ruleId": "CS0168", "level": "warning", "message": { "text": "unused" } }
              ] } ]
            }
            """.Replace("FILEURI", new Uri(file).AbsoluteUri));

        var errors = ReportVintageCompileErrors.ReadErrors(log);

        var error = Assert.Single(errors);
        Assert.Equal(new ReportVintageCompileErrors.CompilerError("CS1525", "Invalid expression term ';'", file, 12, 21), error);
    }

    private (MaterializeVintage Task, RecordingBuildEngine Engine) Task(string vintage = "", string upstream = "")
    {
        var engine = new RecordingBuildEngine();
        var task = new MaterializeVintage
        {
            BuildEngine = engine,
            RepoRoot = _dir,
            Vintage = vintage,
            Upstream = upstream,
            ExportDirectory = Path.Combine(_dir, "obj", "vintage"),
        };
        return (task, engine);
    }

    private string Git(params string[] arguments)
        => GitCommits.Git(_dir, new Dictionary<string, string>(), null, arguments);
}
