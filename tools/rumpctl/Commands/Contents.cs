using System;
using System.Buffers;
using System.CommandLine;

namespace Rump.Tools;

/// <summary><c>cat</c>: file contents from an image to standard output, unchanged bytes.</summary>
public static class Contents
{
    private static readonly Argument<string[]> Files = new("file") { Description = "IMAGE[:N]:/path of a file", Arity = ArgumentArity.OneOrMore };

    public static Command CreateCat()
    {
        var cat = new Command("cat", "Write files from an image to standard output");
        cat.Arguments.Add(Files);
        return cat;
    }

    public static void RunCat(ParseResult parse, VerbContext context)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Copier.BufferSize);
        try
        {
            context.ForEach(parse.GetValue(Files)!, argument =>
            {
                var spec = context.Spec(argument);
                var tree = context.Tree(spec, readOnly: true);
                using var reader = tree.OpenRead(spec.Subject);
                while (true)
                {
                    context.Console.Cancellation.ThrowIfCancellationRequested();
                    var n = reader.Read(buffer.AsSpan(0, Copier.BufferSize));
                    if (n == 0)
                        break;
                    context.Console.WriteBytes(buffer.AsSpan(0, n));
                }
            });
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
