namespace System.Runtime.CompilerServices;

/// <summary>Recognised by the runtime by name: lets a dynamic test assembly use a kernel's internal types.</summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class IgnoresAccessChecksToAttribute : Attribute
{
    public IgnoresAccessChecksToAttribute(string assemblyName) => AssemblyName = assemblyName;

    public string AssemblyName { get; }
}
