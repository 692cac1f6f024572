using System;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;
using Mono.Cecil;
using Rump.Build.Tasks;

namespace Rump.Build.Tests;

/// <summary>The Link task on small kernels compiled in the test: isolation, internalization, the host check.</summary>
public sealed class LinkTaskTests : IDisposable
{
    private const string AllowList = """
        T:System.Object
        T:System.String
        T:System.Int32
        T:System.Attribute
        T:System.NotSupportedException
        T:System.Collections.Generic.IReadOnlyList`1
        N:System.Runtime.CompilerServices
        T:System.DateTime
        !System.DateTime::get_Now | use Rump.Kern.Clock.WallTime
        """;

    private const string Factory = """
        [assembly: Rump.RumpKernelEntry(typeof(Rump.Kern.TinyFactory))]
        namespace Rump.Kern
        {
            public sealed class TinyFactory : Rump.IRumpKernelFactory
            {
                public Rump.KernelInfo Info => new("tiny", "posix", 1, new Rump.VintageInfo("worktree", "", "", false), new Rump.ComponentInfo[0]);
                public Rump.IRumpKernel Boot(Rump.BootOptions options) => throw new System.NotSupportedException();
            }
            public static class PublicHelper { public static int Answer() => 42; public sealed class Nested { } }
        }
        namespace Rump.Target.Posix
        {
            internal static class Host { public static string Read() => System.IO.File.ReadAllText("/etc/hostname"); }
        }
        namespace Outside { public static class Stray { } }
        """;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rump-link-" + Guid.NewGuid().ToString("N").Substring(0, 8));

    public LinkTaskTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Compile(string kernelSource, string componentSource)
    {
        var trees = new[]
        {
            CSharpSyntaxTree.ParseText(Factory, new CSharpParseOptions(LanguageVersion.Preview), Path.Combine(_dir, "base", "kern", "Factory.cs"), System.Text.Encoding.UTF8),
            CSharpSyntaxTree.ParseText(kernelSource, new CSharpParseOptions(LanguageVersion.Preview), Path.Combine(_dir, "base", "kern", "Kernel.cs"), System.Text.Encoding.UTF8),
            CSharpSyntaxTree.ParseText(componentSource, new CSharpParseOptions(LanguageVersion.Preview), Path.Combine(_dir, "components", "dev", "hello", "Hello.cs"), System.Text.Encoding.UTF8),
        };
        var trustedAssemblies = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var references = trustedAssemblies.Where(p => Path.GetFileName(p) is "System.Runtime.dll" or "System.Private.CoreLib.dll" or "System.Console.dll" or "System.Collections.dll")
            .Append(typeof(Rump.IRumpKernel).Assembly.Location)
            .Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("Rump.Kernel.Posix", trees, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var dll = Path.Combine(_dir, "obj", "Rump.Kernel.Posix.dll");
        Directory.CreateDirectory(Path.GetDirectoryName(dll)!);
        using (var peStream = File.Create(dll))
        using (var pdbStream = File.Create(Path.ChangeExtension(dll, ".pdb")))
        {
            var result = compilation.Emit(peStream, pdbStream, options: new EmitOptions(debugInformationFormat: DebugInformationFormat.PortablePdb));
            Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        }
        return dll;
    }

    private (Link Task, RecordingBuildEngine Engine) LinkTask(string input)
    {
        File.WriteAllText(Path.Combine(_dir, "allow.txt"), AllowList);
        var components = Path.Combine(_dir, "obj", "rump.components.txt");
        var hello = Path.Combine(_dir, "components", "dev", "hello", "Hello.cs");
        File.WriteAllText(components, ComponentsFile.Header + "hello|component|dev||Dev|sha256:00|" + hello + "\n");
        var engine = new RecordingBuildEngine();
        var task = new Link
        {
            BuildEngine = engine,
            InputAssembly = input,
            OutputAssembly = Path.Combine(_dir, "linked", "Rump.Kernel.Posix.dll"),
            LinkMap = Path.Combine(_dir, "linked", "Rump.Kernel.Posix.linkmap.json"),
            ComponentsFilePath = components,
            AllowList = Path.Combine(_dir, "allow.txt"),
            KernelName = "Rump.Kernel.Posix",
            Target = "posix",
            VintageRef = "worktree",
            VintageCommit = "0123456789abcdef",
            VintageDirty = "false",
            SourceRoot = _dir + Path.DirectorySeparatorChar,
        };
        return (task, engine);
    }

    [Fact]
    public void Link_IsolatesNamespaces_InternalizesAllButTheContract_AndRepointsTheEntryAttribute()
    {
        var input = Compile("namespace Rump.Kern { internal static class Boot { public static int Run() => 1; } }",
            "namespace Rump.Dev.Hello { public static class Hello { public static int Greet() => 42; } }");
        var (task, engine) = LinkTask(input);

        Assert.True(task.Execute(), string.Join("\n", engine.Errors.Select(e => e.Message)));

        using var linked = ModuleDefinition.ReadModule(task.OutputAssembly, new ReaderParameters { ReadSymbols = true });
        var names = linked.Types.Where(t => t.Namespace.Length > 0).Select(t => t.FullName).ToList();
        Assert.Contains("RumpNs.Kern.TinyFactory", names);
        Assert.Contains("RumpNs.Dev.Hello.Hello", names);
        Assert.Contains("RumpNs.Target.Posix.Host", names);
        Assert.Contains("RumpNs.Outside.Stray", names);
        Assert.DoesNotContain(names, n => n.StartsWith("Rump.", StringComparison.Ordinal));
        Assert.True(linked.GetType("RumpNs.Kern.TinyFactory").IsPublic);
        Assert.False(linked.GetType("RumpNs.Kern.PublicHelper").IsPublic);
        Assert.False(linked.GetType("RumpNs.Kern.PublicHelper").NestedTypes.Single().IsNestedPublic);
        Assert.False(linked.GetType("RumpNs.Dev.Hello.Hello").IsPublic);
        var entry = linked.Assembly.CustomAttributes.Single(a => a.AttributeType.Name == "RumpKernelEntryAttribute");
        Assert.Equal("RumpNs.Kern.TinyFactory", ((TypeReference)entry.ConstructorArguments[0].Value).FullName);
        // The PDB still maps the renamed method to its source line.
        var greet = linked.GetType("RumpNs.Dev.Hello.Hello").Methods.Single(m => m.Name == "Greet");
        Assert.EndsWith("Hello.cs", greet.DebugInformation.SequencePoints.First().Document.Url);

        // A host loads it by the re-pointed entry attribute.
        var loader = Rump.RumpKernelLoader.Load(task.OutputAssembly);
        Assert.Equal("tiny", loader.Info.Kernel);
        loader.Unload();
    }

    [Fact]
    public void Link_HostApiInKernelIL_RUMP0010_NamesMethodSymbolComponentAndLine()
    {
        var input = Compile("namespace Rump.Kern { internal static class Boot { public static int Run() => 1; } }",
            "namespace Rump.Dev.Hello\n{\n    internal static class Hello\n    {\n        public static void Say() => System.Console.WriteLine(\"hi\");\n    }\n}\n");
        var (task, engine) = LinkTask(input);

        Assert.False(task.Execute());

        var error = Assert.Single(engine.Errors);
        Assert.Equal("RUMP0010", error.Code);
        Assert.EndsWith(Path.Combine("components", "dev", "hello", "Hello.cs"), error.File);
        Assert.Equal(5, error.LineNumber);
        Assert.Contains("component hello", error.Message);
        Assert.Contains("RumpNs.Dev.Hello.Hello::Say()", error.Message);
        Assert.Contains("System.Console::WriteLine", error.Message);
        Assert.Contains("Fix: kernel code reaches the host only through the hypercall interface", error.Message);
        Assert.Equal("https://github.com/rump-build/rump-build/blob/main/docs/errors.md#rump0010", error.HelpLink);
        Assert.False(File.Exists(task.OutputAssembly));
    }

    [Fact]
    public void Link_DeniedMemberOfAllowedType_RUMP0010_CarriesTheListsFix()
    {
        var input = Compile("namespace Rump.Kern { internal static class Boot { public static int Year() => System.DateTime.Now.Year; } }",
            "namespace Rump.Dev.Hello { internal static class Hello { } }");
        var (task, engine) = LinkTask(input);

        Assert.False(task.Execute());

        var error = Assert.Single(engine.Errors);
        Assert.Contains("(base)", error.Message);
        Assert.Contains("System.DateTime::get_Now (allow-list: use Rump.Kern.Clock.WallTime)", error.Message);
    }

    [Fact]
    public void Link_WritesLinkMapWithIdentityComponentsAndIlSize()
    {
        var input = Compile("namespace Rump.Kern { internal static class Boot { public static int Run() => 1; } }",
            "namespace Rump.Dev.Hello { internal static class Hello { } }");
        var (task, engine) = LinkTask(input);

        Assert.True(task.Execute(), string.Join("\n", engine.Errors.Select(e => e.Message)));

        var map = LinkMap.Load(task.LinkMap);
        Assert.Equal("Rump.Kernel.Posix", map.Root.GetProperty("kernel").GetString());
        Assert.Equal("0123456789abcdef", map.Root.GetProperty("vintage").GetProperty("commit").GetString());
        Assert.Equal(["components/dev/hello/Hello.cs"], LinkMap.Strings(map.Component("hello").GetProperty("files")));
        Assert.True(map.Root.GetProperty("ilBytes").GetInt64() > 0);
        Assert.Equal(["RumpNs.Kern.TinyFactory"], LinkMap.Strings(map.Root.GetProperty("contract")));
        Assert.Contains(map.Root.GetProperty("exports").EnumerateArray(), e => e.GetProperty("type").GetString() == "RumpNs.Kern.TinyFactory");
    }
}
