#!/bin/sh
# Recreates the msdosfs fuzz seeds: small mkfs.fat images with mtools-written content (long, Unicode and
# case-only names, a subdirectory chain, an empty file, a multi-cluster file). Reproducible: --invariant,
# fixed file times, TZ=UTC.
set -eu
export MTOOLS_SKIP_CHECK=1 TZ=UTC
cd "$(dirname "$0")"
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
printf 'lower\n' > "$src/lower.txt"
printf 'base\n' > "$src/BASE.txt"
printf 'long\n' > "$src/A Long File Name.text"
printf 'unicode\n' > "$src/Ünïcödé.txt"
: > "$src/empty"
head -c 3000 /dev/zero | tr '\0' 'x' > "$src/multi.bin"
touch -d @1700000000 "$src"/*
make() { # bits size-KiB sectors-per-cluster name
    img="$4.img"
    rm -f "$img" "$img.gz"
    mkfs.fat -C -F "$1" -s "$3" -n SEED --invariant "$img" "$2" >/dev/null
    mcopy -m -i "$img" "$src"/* ::/
    mmd -i "$img" ::/dir ::/dir/sub
    for i in 1 2 3 4 5 6 7 8 9 10 11 12; do mcopy -m -i "$img" "$src/lower.txt" "::/dir/entry with a long name $i.txt"; done
    mcopy -m -i "$img" "$src/multi.bin" ::/dir/sub/deep.bin
    fsck.fat -n "$img" >/dev/null
    gzip -9n "$img"
}
make 12 160 1 fat12
make 16 2200 1 fat16
make 32 34000 1 fat32
