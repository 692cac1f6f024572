using System;

namespace Rump.Kern;

/// <summary>
/// How the host's boot options reach the target without passing through kernel code: the target
/// registers <see cref="Configure"/> (from a module initializer); the kernel entry calls it once,
/// before <see cref="Hyp.Init"/>, with the options (console callback, parameters, limits).
/// </summary>
internal static class TargetSetup
{
    /// <summary>Set by the linked target; null when the target needs no host options.</summary>
    internal static Action<Rump.BootOptions>? Configure;
}
