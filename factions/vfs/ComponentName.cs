using Rump.Kern;

namespace Rump.Vfs;

/// <summary>namei operations (cn_nameiop).</summary>
internal enum NameiOp
{
    Lookup = 0,
    Create = 1,
    Delete = 2,
    Rename = 3,
}

/// <summary>
/// struct componentname: one path component handed to a file system's Lookup/Create/Remove…
/// <see cref="Name"/> is never empty, never contains '/', is at most NAME_MAX UTF-8 bytes. "." never reaches
/// a file system (namei answers it); ".." does, with <see cref="ISDOTDOT"/> set, but never at a mount root.
/// </summary>
internal sealed class ComponentName
{
    // cn_flags
    public const int FOLLOW = 0x0040;       // follow a symbolic link in the last component
    public const int NOFOLLOW = 0x0000;
    public const int ISDOTDOT = 0x2000;     // this component is ".."
    public const int ISLASTCN = 0x8000;     // this is the last component of the path
    public const int REQUIREDIR = 0x80000;  // the path had a trailing slash: the result must be a directory

    public const int NAME_MAX = 255;
    public const int PATH_MAX = 1024;
    public const int MAXSYMLINKS = 32;

    public ComponentName(NameiOp op, int flags, string name, Cred cred)
    {
        Op = op;
        Flags = flags;
        Name = name;
        Cred = cred;
    }

    public NameiOp Op { get; internal set; }
    public int Flags { get; internal set; }
    public string Name { get; internal set; }
    public Cred Cred { get; }

    public bool IsDotDot => (Flags & ISDOTDOT) != 0;
    public bool IsLast => (Flags & ISLASTCN) != 0;

    public override string ToString() => Name;
}
