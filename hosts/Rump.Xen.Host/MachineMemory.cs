using System;
using System.Collections.Generic;
using Rump.Target.Xen.Abi;

namespace Rump.Xen.Host;

/// <summary>
/// The machine's memory: 4 KiB frames, each owned by one domain (or the hypervisor). Frames are allocated
/// on demand up to the machine size; frame 0 is never handed out.
/// </summary>
internal sealed class MachineMemory
{
    public const ushort OwnerHypervisor = 0x7FF0;   // DOMID_XEN
    public const ushort OwnerFree = 0xFFFF;

    // _gate protects every field.
    private readonly object _gate = new();
    private readonly List<byte[]?> _frames = [null];
    private readonly List<ushort> _owners = [OwnerHypervisor];
    private readonly Stack<ulong> _free = new();
    private readonly long _maxFrames;

    public MachineMemory(long bytes) => _maxFrames = Math.Max(16, bytes / XenPage.Size);

    public long FramesInUse
    {
        get
        {
            lock (_gate)
                return _frames.Count - 1 - _free.Count;
        }
    }

    /// <summary>A zeroed frame for <paramref name="owner"/>; false when the machine is full.</summary>
    public bool TryAllocate(ushort owner, out ulong frame)
    {
        lock (_gate)
        {
            if (_free.Count > 0)
            {
                frame = _free.Pop();
                _frames[(int)frame] = new byte[XenPage.Size];
                _owners[(int)frame] = owner;
                return true;
            }
            if (_frames.Count >= _maxFrames)
            {
                frame = 0;
                return false;
            }
            frame = (ulong)_frames.Count;
            _frames.Add(new byte[XenPage.Size]);
            _owners.Add(owner);
            return true;
        }
    }

    public void Free(ulong frame)
    {
        lock (_gate)
        {
            if (frame == 0 || frame >= (ulong)_frames.Count || _frames[(int)frame] is null)
                return;
            _frames[(int)frame] = null;
            _owners[(int)frame] = OwnerFree;
            _free.Push(frame);
        }
    }

    public ushort OwnerOf(ulong frame)
    {
        lock (_gate)
            return frame < (ulong)_owners.Count ? _owners[(int)frame] : OwnerFree;
    }

    /// <summary>The frame's memory, or null when it is not allocated.</summary>
    public byte[]? Get(ulong frame)
    {
        lock (_gate)
            return frame < (ulong)_frames.Count ? _frames[(int)frame] : null;
    }
}
