using Rump.Kern;

namespace Rump.Vfs;

/// <summary>
/// struct vattr: file attributes. GetAttr fills every field; for SetAttr, fields left at
/// <see cref="VNOVAL"/> (after <see cref="Null"/>) are not changed. Mode holds the permission bits only
/// (07777); the file type is <see cref="Type"/>.
/// </summary>
internal sealed class Vattr
{
    /// <summary>"No value" for every numeric field (VNOVAL).</summary>
    public const long VNOVAL = -1;

    public VType Type;
    public long Mode;
    public long Nlink;
    public long Uid;
    public long Gid;
    public long FsId;
    public long FileId;
    public long Size;
    public long BlockSize;
    public long AtimeSec, AtimeNsec;
    public long MtimeSec, MtimeNsec;
    public long CtimeSec, CtimeNsec;
    public long BirthtimeSec, BirthtimeNsec;
    public long Gen;
    public long Flags;
    public long Bytes;
    public DevT Rdev;

    public Vattr() => Null();

    /// <summary>vattr_null: every field "no value".</summary>
    public void Null()
    {
        Type = VType.VNON;
        Mode = Nlink = Uid = Gid = FsId = FileId = Size = BlockSize = VNOVAL;
        AtimeSec = AtimeNsec = MtimeSec = MtimeNsec = CtimeSec = CtimeNsec = VNOVAL;
        BirthtimeSec = BirthtimeNsec = Gen = Flags = Bytes = VNOVAL;
        Rdev = new DevT(-1, -1);
    }

    /// <summary>st_mode from type and permission bits.</summary>
    public int StMode => Vn.TypeToIfmt(Type) | (int)(Mode & 0xFFF);
}
