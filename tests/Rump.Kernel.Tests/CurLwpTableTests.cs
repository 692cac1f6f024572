using System;
using System.Collections.Generic;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Rump.Kernel.Tests;

/// <summary>
/// curlwp lives in a per-instance table keyed by managed thread id (targets/common/CurLwpTable.cs). Runs alone:
/// threads of other tests would take the managed thread ids it watches.
/// </summary>
[Collection(Name)]
public class CurLwpTableTests
{
    public const string Name = "CurLwpTable (alone)";

    private const BindingFlags Statics = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static;

    [Fact]
    public void ThreadsSeeOnlyTheirOwnLwp_AndAnEndedThreadsIdComesBackWithoutItsLwp()
    {
        using var probe = KernelProbe.Boot();
        var table = probe.Type("Target.Common.CurLwpTable");
        var get = table.GetMethod("Get", Statics)!.CreateDelegate<Func<object?>>();
        var set = table.GetMethod("Set", Statics)!.CreateDelegate<Action<object?>>();
        var mine = new object();
        set(mine);
        try
        {
            // One thread ends with an lwp still bound (a path that forgot to clear it); twenty clear theirs first.
            int leakedId = RunAndForget(() => set(new object()));
            var clearedIds = new HashSet<int>();
            for (int i = 0; i < 20; i++)
            {
                clearedIds.Add(RunAndForget(() =>
                {
                    set(new object());
                    set(null);
                }));
            }
            for (int i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }

            // New threads take the lowest free ids first; each stays referenced, so it takes a new one.
            var started = new List<Thread>();
            int reused = -1;
            for (int i = 0; i < 200 && reused < 0; i++)
            {
                int id = 0;
                object? seen = mine;
                var t = new Thread(() =>
                {
                    id = Environment.CurrentManagedThreadId;
                    seen = get();
                });
                t.Start();
                t.Join();
                started.Add(t);
                Assert.Null(seen);
                Assert.NotEqual(leakedId, id);   // the slot holds that thread: its id is not handed out again
                if (clearedIds.Contains(id))
                    reused = id;
            }
            Assert.True(reused > 0, "no later thread got one of the managed thread ids " + string.Join(", ", clearedIds) + " back");
            GC.KeepAlive(started);
            Assert.Same(mine, get());
        }
        finally
        {
            set(null);
        }
        Assert.Null(get());
    }

    /// <summary>Runs <paramref name="body"/> on a new thread to its end; returns the thread's id, keeps no reference to it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int RunAndForget(Action body)
    {
        int id = 0;
        var t = new Thread(() =>
        {
            id = Environment.CurrentManagedThreadId;
            body();
        });
        t.Start();
        t.Join();
        return id;
    }
}

[CollectionDefinition(CurLwpTableTests.Name, DisableParallelization = true)]
public sealed class CurLwpTableCollection
{
}
