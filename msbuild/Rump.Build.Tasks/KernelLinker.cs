using System;
using System.Collections.Generic;
using System.Linq;
using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Rump.Build.Tasks;

/// <summary>A kernel method that references a host API outside the allow-list.</summary>
internal sealed record HostReference(string Method, string HostSymbol, string? Document, int Line);

/// <summary>
/// The IL half of the link step: namespace isolation (every kernel namespace under <c>RumpNs</c>, like
/// NetBSD's <c>rumpns_</c> symbol prefix), internalization of everything but the contract implementation,
/// the host-reference check and the identity stamp. Works on one loaded module; the caller reads and writes.
/// </summary>
internal static class KernelLinker
{
    public const string IsolatedRoot = "RumpNs";
    public const string ContractAssembly = "Rump.Abstractions";

    /// <summary>"Rump.Kern" → "RumpNs.Kern"; "Foo" → "RumpNs.Foo"; already isolated or empty: unchanged.</summary>
    public static string IsolatedNamespace(string ns)
    {
        if (ns.Length == 0 || ns == IsolatedRoot || ns.StartsWith(IsolatedRoot + ".", StringComparison.Ordinal))
            return ns;
        if (ns == "Rump")
            return IsolatedRoot;
        return ns.StartsWith("Rump.", StringComparison.Ordinal) ? IsolatedRoot + ns.Substring(4) : IsolatedRoot + "." + ns;
    }

    /// <summary>
    /// Types the compiler embeds (<c>[Microsoft.CodeAnalysis.Embedded]</c> attributes, &lt;PrivateImplementationDetails&gt;,
    /// &lt;Module&gt;) belong to no kernel layer and keep their names: the compiler and runtime find some by name.
    /// </summary>
    public static bool IsCompilerInfrastructure(TypeDefinition type)
        => type.Namespace.Length == 0
           || type.FullName == "Microsoft.CodeAnalysis.EmbeddedAttribute"
           || type.CustomAttributes.Any(a => a.AttributeType.FullName == "Microsoft.CodeAnalysis.EmbeddedAttribute");

    /// <summary>Moves every kernel namespace under RumpNs and re-points typeof() arguments of custom attributes.</summary>
    public static int IsolateNamespaces(ModuleDefinition module)
    {
        // Attribute blobs name types by string: decode them all before the names change, so Cecil
        // re-encodes them from the (renamed) definitions instead of copying the old blob.
        var attributes = AllCustomAttributes(module).ToList();
        foreach (var attribute in attributes)
            _ = attribute.HasConstructorArguments && attribute.ConstructorArguments.Count >= 0 && attribute.HasProperties && attribute.HasFields;

        var byOldName = new Dictionary<string, TypeDefinition>(StringComparer.Ordinal);
        var renamed = 0;
        foreach (var type in module.Types.Where(t => !IsCompilerInfrastructure(t)))
        {
            var isolated = IsolatedNamespace(type.Namespace);
            if (isolated == type.Namespace)
                continue;
            foreach (var nested in Flatten(type))
                byOldName[nested.FullName] = nested;
            type.Namespace = isolated;
            renamed++;
        }

        foreach (var attribute in attributes)
        {
            for (var i = 0; i < attribute.ConstructorArguments.Count; i++)
                attribute.ConstructorArguments[i] = Repoint(attribute.ConstructorArguments[i], module, byOldName);
            for (var i = 0; i < attribute.Properties.Count; i++)
                attribute.Properties[i] = new CustomAttributeNamedArgument(attribute.Properties[i].Name, Repoint(attribute.Properties[i].Argument, module, byOldName));
            for (var i = 0; i < attribute.Fields.Count; i++)
                attribute.Fields[i] = new CustomAttributeNamedArgument(attribute.Fields[i].Name, Repoint(attribute.Fields[i].Argument, module, byOldName));
        }
        return renamed;
    }

    private static CustomAttributeArgument Repoint(CustomAttributeArgument argument, ModuleDefinition module, Dictionary<string, TypeDefinition> byOldName)
    {
        switch (argument.Value)
        {
            case TypeReference reference:
                return new CustomAttributeArgument(argument.Type, RepointType(reference, module, byOldName));
            case CustomAttributeArgument boxed:
                return new CustomAttributeArgument(argument.Type, Repoint(boxed, module, byOldName));
            case CustomAttributeArgument[] array:
                return new CustomAttributeArgument(argument.Type, array.Select(a => Repoint(a, module, byOldName)).ToArray());
            default:
                return argument;
        }
    }

    private static TypeReference RepointType(TypeReference reference, ModuleDefinition module, Dictionary<string, TypeDefinition> byOldName)
    {
        if (reference is TypeDefinition)
            return reference;
        if (reference is ArrayType array)
            return new ArrayType(RepointType(array.ElementType, module, byOldName), array.Rank);
        if (reference is GenericInstanceType generic)
        {
            var instance = new GenericInstanceType(RepointType(generic.ElementType, module, byOldName));
            foreach (var argument in generic.GenericArguments)
                instance.GenericArguments.Add(RepointType(argument, module, byOldName));
            return instance;
        }
        var local = reference.Scope is null || reference.Scope == module || reference.Scope.MetadataScopeType == MetadataScopeType.ModuleDefinition;
        return local && byOldName.TryGetValue(reference.FullName, out var definition) ? definition : reference;
    }

    /// <summary>
    /// Makes every kernel type internal except the implementation of the host contract (types that
    /// implement a Rump.Abstractions interface, directly or through a base type). Returns the kept types.
    /// </summary>
    public static List<TypeDefinition> Internalize(ModuleDefinition module)
    {
        var kept = new List<TypeDefinition>();
        foreach (var type in module.GetTypes().Where(t => t.Name != "<Module>"))
        {
            if (ImplementsContract(type))
            {
                kept.Add(type);
                continue;
            }
            if (type.IsNested)
            {
                if (type.IsNestedPublic)
                    type.Attributes = (type.Attributes & ~TypeAttributes.VisibilityMask) | TypeAttributes.NestedAssembly;
            }
            else if (type.IsPublic)
                type.Attributes = (type.Attributes & ~TypeAttributes.VisibilityMask) | TypeAttributes.NotPublic;
        }
        return kept;
    }

    public static bool ImplementsContract(TypeDefinition type)
    {
        for (var current = type; current is not null; current = current.BaseType as TypeDefinition)
        {
            if (current.Interfaces.Any(i => ScopeName(i.InterfaceType) == ContractAssembly))
                return true;
        }
        return false;
    }

    /// <summary>
    /// Every reference from kernel IL (not under RumpNs.Target) to a host assembly that the allow-list does
    /// not name. The contract assembly and the kernel itself are always allowed.
    /// </summary>
    public static List<HostReference> FindHostReferences(ModuleDefinition module, RuntimeAllowList allowList)
    {
        var found = new List<HostReference>();
        var seen = new HashSet<(string, string)>();
        foreach (var type in module.GetTypes())
        {
            var top = type;
            while (top.DeclaringType is not null)
                top = top.DeclaringType;
            if (IsCompilerInfrastructure(top) || top.Namespace == IsolatedRoot + ".Target" || top.Namespace.StartsWith(IsolatedRoot + ".Target.", StringComparison.Ordinal))
                continue;
            foreach (var method in type.Methods.Where(m => m.HasBody))
            {
                foreach (var instruction in method.Body.Instructions)
                {
                    var symbol = instruction.Operand switch
                    {
                        MethodReference m => DisallowedMember(m.DeclaringType, m.Name, allowList) ?? DisallowedGenericArguments(m, allowList),
                        FieldReference f => DisallowedMember(f.DeclaringType, f.Name, allowList),
                        TypeReference t => DisallowedType(t, allowList),
                        _ => null,
                    };
                    if (symbol is null || !seen.Add((method.FullName, symbol)))
                        continue;
                    var point = FirstSequencePoint(method, instruction);
                    found.Add(new HostReference(method.FullName, symbol, point?.Document.Url, point?.StartLine ?? 0));
                }
            }
        }
        return found;
    }

    private static string? DisallowedMember(TypeReference declaringType, string member, RuntimeAllowList allowList)
    {
        var host = HostElement(declaringType);
        if (host is null)
            return DisallowedType(declaringType, allowList);
        if (!allowList.Decide(TopNamespace(host), NestedName(host), member, out var fix))
            return host.FullName.Replace('/', '.') + "::" + member + (fix is null ? "" : " (allow-list: " + fix + ")");
        // The member is allowed (perhaps by a member entry alone): only its type arguments remain to check.
        return declaringType is GenericInstanceType generic
            ? generic.GenericArguments.Select(a => DisallowedType(a, allowList)).FirstOrDefault(s => s is not null)
            : null;
    }

    private static string? DisallowedGenericArguments(MethodReference method, RuntimeAllowList allowList)
        => method is GenericInstanceMethod generic
            ? generic.GenericArguments.Select(a => DisallowedType(a, allowList)).FirstOrDefault(s => s is not null)
            : null;

    /// <summary>The first host type inside <paramref name="type"/> (element, generic argument…) that is not allowed.</summary>
    private static string? DisallowedType(TypeReference type, RuntimeAllowList allowList)
    {
        switch (type)
        {
            case GenericInstanceType generic:
                return DisallowedType(generic.ElementType, allowList)
                    ?? generic.GenericArguments.Select(a => DisallowedType(a, allowList)).FirstOrDefault(s => s is not null);
            case TypeSpecification specification:
                return DisallowedType(specification.ElementType, allowList);
            case GenericParameter:
                return null;
        }
        var host = HostElement(type);
        return host is not null && !allowList.AllowsType(TopNamespace(host), NestedName(host)) ? host.FullName.Replace('/', '.') : null;
    }

    /// <summary>The type itself when it lives in a host assembly (not the kernel, not the contract), else null.</summary>
    private static TypeReference? HostElement(TypeReference type)
    {
        while (type is TypeSpecification specification and not GenericInstanceType)
            type = specification.ElementType;
        if (type is GenericInstanceType generic)
            type = generic.ElementType;
        if (type is GenericParameter || type is TypeDefinition)
            return null;
        var scope = ScopeName(type);
        return scope is null || scope == ContractAssembly ? null : type;
    }

    /// <summary>Assembly name of a type's scope; null when it is this module.</summary>
    private static string? ScopeName(TypeReference type)
    {
        while (type.DeclaringType is not null)
            type = type.DeclaringType;
        return type.Scope switch
        {
            AssemblyNameReference assembly => assembly.Name,
            ModuleDefinition => null,
            ModuleReference module => module.Name,
            _ => null,
        };
    }

    private static string TopNamespace(TypeReference type)
    {
        while (type.DeclaringType is not null)
            type = type.DeclaringType;
        return type.Namespace;
    }

    /// <summary>Name below the namespace, nested types '.'-joined: "List`1.Enumerator".</summary>
    private static string NestedName(TypeReference type)
        => type.DeclaringType is null ? type.Name : NestedName(type.DeclaringType) + "." + type.Name;

    private static SequencePoint? FirstSequencePoint(MethodDefinition method, Instruction at)
    {
        if (!method.DebugInformation.HasSequencePoints)
            return null;
        SequencePoint? best = null;
        foreach (var point in method.DebugInformation.SequencePoints)
        {
            if (point.IsHidden)
                continue;
            if (point.Offset <= at.Offset)
                best = point;
            else
                return best ?? point;
        }
        return best;
    }

    /// <summary>Adds [assembly: AssemblyMetadata(key, value)] attributes, replacing earlier ones of the same key.</summary>
    public static void Stamp(ModuleDefinition module, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        // The attribute lives where System.Object does (System.Runtime for reference-assembly builds).
        var runtime = module.TypeSystem.CoreLibrary;
        var attributeType = new TypeReference("System.Reflection", "AssemblyMetadataAttribute", module, runtime);
        var constructor = new MethodReference(".ctor", module.TypeSystem.Void, attributeType) { HasThis = true };
        constructor.Parameters.Add(new ParameterDefinition(module.TypeSystem.String));
        constructor.Parameters.Add(new ParameterDefinition(module.TypeSystem.String));
        var imported = module.ImportReference(constructor);
        var attributes = module.Assembly.CustomAttributes;
        foreach (var (key, value) in metadata)
        {
            var existing = attributes.Where(a => a.AttributeType.FullName == "System.Reflection.AssemblyMetadataAttribute"
                && a.ConstructorArguments.Count == 2 && (string)a.ConstructorArguments[0].Value == key).ToList();
            foreach (var old in existing)
                attributes.Remove(old);
            var attribute = new CustomAttribute(imported);
            attribute.ConstructorArguments.Add(new CustomAttributeArgument(module.TypeSystem.String, key));
            attribute.ConstructorArguments.Add(new CustomAttributeArgument(module.TypeSystem.String, value));
            attributes.Add(attribute);
        }
    }

    /// <summary>Types visible outside the assembly, with their visible members.</summary>
    public static List<(string Type, List<string> Members)> Exports(ModuleDefinition module)
    {
        var exports = new List<(string, List<string>)>();
        foreach (var type in module.GetTypes().Where(IsVisible).OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            var members = new List<string>();
            members.AddRange(type.Methods.Where(m => (m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly) && !m.IsGetter && !m.IsSetter && !m.IsAddOn && !m.IsRemoveOn)
                .Select(m => m.Name + "(" + string.Join(",", m.Parameters.Select(p => p.ParameterType.FullName)) + ")"));
            members.AddRange(type.Properties.Where(p => (p.GetMethod ?? p.SetMethod) is { } a && (a.IsPublic || a.IsFamily)).Select(p => p.Name));
            members.AddRange(type.Fields.Where(f => f.IsPublic || f.IsFamily).Select(f => f.Name));
            members.AddRange(type.Events.Where(e => e.AddMethod is { IsPublic: true }).Select(e => e.Name));
            members.Sort(StringComparer.Ordinal);
            exports.Add((type.FullName.Replace('/', '+'), members));
        }
        return exports;
    }

    public static bool IsVisible(TypeDefinition type)
        => type.IsNested ? (type.IsNestedPublic || type.IsNestedFamily || type.IsNestedFamilyOrAssembly) && IsVisible(type.DeclaringType) : type.IsPublic;

    public static IEnumerable<CustomAttribute> AllCustomAttributes(ModuleDefinition module)
    {
        var providers = new List<ICustomAttributeProvider> { module.Assembly, module };
        foreach (var type in module.GetTypes())
        {
            providers.Add(type);
            providers.AddRange(type.GenericParameters);
            providers.AddRange(type.Fields);
            providers.AddRange(type.Properties);
            providers.AddRange(type.Events);
            foreach (var method in type.Methods)
            {
                providers.Add(method);
                providers.Add(method.MethodReturnType);
                providers.AddRange(method.Parameters);
                providers.AddRange(method.GenericParameters);
            }
        }
        return providers.Where(p => p.HasCustomAttributes).SelectMany(p => p.CustomAttributes);
    }

    private static IEnumerable<TypeDefinition> Flatten(TypeDefinition type)
        => new[] { type }.Concat(type.NestedTypes.SelectMany(Flatten));
}
