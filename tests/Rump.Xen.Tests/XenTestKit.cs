using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using Rump;
using Rump.Testing;
using Rump.Xen.Host;

namespace Rump.Xen.Tests;

/// <summary>A software hypervisor with one guest domain and a booted xen kernel in it.</summary>
internal sealed class XenMachine : IDisposable
{
    private readonly System.Reflection.Assembly _assembly;

    private XenMachine(XenHypervisor hv, XenDomain domain, IRumpKernel kernel, System.Reflection.Assembly assembly)
    {
        _assembly = assembly;
        Hypervisor = hv;
        Domain = domain;
        Kernel = kernel;
    }

    public XenHypervisor Hypervisor { get; }
    public XenDomain Domain { get; }
    public IRumpKernel Kernel { get; }
    public ISyscalls Sys => Kernel.Sys;

    /// <summary>A type of the booted kernel by source name ("Target.Xen.XenClock"), after the link step's RumpNs rename.</summary>
    public Type KernelType(string name)
        => _assembly.GetType("RumpNs." + name) ?? _assembly.GetType("Rump." + name)
           ?? throw new InvalidOperationException("kernel type not found: " + name);

    public static XenMachine Boot(params XenDiskConfig[] disks)
    {
        var hv = new XenHypervisor(256L << 20);
        try
        {
            var domain = hv.CreateDomain(new XenDomainConfig { Name = "test", Disks = disks });
            var loader = RumpKernelLoader.Load(TestKernel.KernelPath("xen"));
            var kernel = loader.BootInstance(new BootOptions { Xen = domain.Port, HostName = "xen-test" });
            return new XenMachine(hv, domain, kernel, loader.Factory.GetType().Assembly);
        }
        catch
        {
            hv.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        try
        {
            Kernel.Dispose();
        }
        finally
        {
            Hypervisor.Dispose();
        }
    }
}

/// <summary>Disk images made by the real tools, in a temporary folder.</summary>
internal sealed class Scratch : IDisposable
{
    public Scratch() => Directory.CreateDirectory(Root);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "rump-xen-" + Guid.NewGuid().ToString("N"));

    public string PathOf(string name) => Path.Combine(Root, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class Tools
{
    public static bool Has(string tool)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            if (dir.Length > 0 && File.Exists(Path.Combine(dir, tool)))
                return true;
        }
        return false;
    }

    /// <summary>Runs a tool; returns exit code, stdout and stderr.</summary>
    public static (int Code, string Out, string Err) Run(string tool, string arguments, string? stdin = null)
    {
        var psi = new ProcessStartInfo(tool, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        psi.Environment["MTOOLS_SKIP_CHECK"] = "1";
        using var p = Process.Start(psi)!;
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        var outTask = p.StandardOutput.ReadToEndAsync();
        var errTask = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, outTask.Result, errTask.Result);
    }

    public static void Must(string tool, string arguments)
    {
        var r = Run(tool, arguments);
        if (r.Code != 0)
            throw new InvalidOperationException(tool + " " + arguments + " failed (" + r.Code + "): " + r.Err + r.Out);
    }

    /// <summary>A FAT image made by mkfs.fat and filled by mtools: /README.TXT, /DOCS/NOTES.TXT, /DOCS/DATA.BIN.</summary>
    public static string MakeFatImage(Scratch s, string name = "disk.img", int kib = 4096, int dataBytes = 100_000)
    {
        var img = s.PathOf(name);
        Must("mkfs.fat", "-C -n XENTEST --invariant " + img + " " + kib);
        var readme = s.PathOf(name + ".readme");
        File.WriteAllText(readme, "hello from the xen target\n");
        var notes = s.PathOf(name + ".notes");
        File.WriteAllText(notes, "notes line 1\nnotes line 2\n");
        var data = s.PathOf(name + ".data");
        var bytes = new byte[dataBytes];
        for (int i = 0; i < bytes.Length; i++)
            bytes[i] = (byte)(i * 7 + i / 251);
        File.WriteAllBytes(data, bytes);
        Must("mmd", "-i " + img + " ::/DOCS");
        Must("mcopy", "-i " + img + " " + readme + " ::/README.TXT");
        Must("mcopy", "-i " + img + " " + notes + " ::/DOCS/NOTES.TXT");
        Must("mcopy", "-i " + img + " " + data + " ::/DOCS/DATA.BIN");
        return img;
    }
}
