namespace Rump.Kern;

/// <summary>Credentials (kauth_cred_t). Immutable: change credentials by replacing the process's reference.</summary>
internal sealed class Cred
{
    public Cred(uint uid, uint gid, uint[] groups)
    {
        Uid = uid;
        Gid = gid;
        Groups = groups;
    }

    public uint Uid { get; }
    public uint Gid { get; }
    public uint[] Groups { get; }

    /// <summary>The superuser (uid 0, gid 0: wheel).</summary>
    public static Cred Root { get; } = new(0, 0, [0]);

    public bool IsRoot => Uid == 0;

    /// <summary>groupmember: gid is the primary or a supplementary group.</summary>
    public bool InGroup(uint gid)
    {
        if (gid == Gid)
            return true;
        foreach (var g in Groups)
        {
            if (g == gid)
                return true;
        }
        return false;
    }
}
