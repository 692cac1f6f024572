#!/usr/bin/env bash
# Time to build a vintage of the kernel sources once the toolchain is built, against the peer in the same run:
# a rebuild of the default kernel after one source file changed (the same compile + link, no export).
# In a temporary clone of this repository (the checkout and its artifacts/ stay untouched):
#   1. default kernel (builds tasks, generators, contract: not timed)
#   2. first vintage   -p:RumpVintage=HEAD~1    (export + compile + link)
#   3. second vintage  -p:RumpVintage=HEAD~2    (what the toolchain reuses: tasks, generators, restore)
#   4. the first vintage again, nothing changed (incremental: no export, no compile, no link)
#   5. peer: default kernel after touching one component file
# Usage: bench/vintage-build.sh [runs]   (runs of steps 3-5; median printed)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-1}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/repo"
cd "$work/repo"
kernel=kernels/Rump.Kernel/Rump.Kernel.csproj
build() { dotnet build "$kernel" -nologo -v:q -nodeReuse:false "$@" >/dev/null; }
time_of() { local s e; s=$(date +%s.%N); build "$@"; e=$(date +%s.%N); echo "$e - $s" | bc; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

build
first=$(time_of -p:RumpVintage=HEAD~1)
second=(); again=(); peer=()
for i in $(seq "$runs"); do
  rm -rf kernels/Rump.Kernel/obj/Debug/posix/HEAD_2 kernels/Rump.Kernel/bin/Debug/posix/HEAD_2 artifacts/kernels/posix/HEAD_2
  second+=("$(time_of -p:RumpVintage=HEAD~2)")
  again+=("$(time_of -p:RumpVintage=HEAD~1)")
  echo "// bench edit $i" >> components/dev/null/Null.cs
  peer+=("$(time_of)")
done
sm=$(median "${second[@]}"); am=$(median "${again[@]}"); pm=$(median "${peer[@]}")
echo "first vintage (HEAD~1) after the default kernel: ${first} s"
echo "second vintage (HEAD~2) runs (s): ${second[*]}"
echo "first vintage again, unchanged (s): ${again[*]}"
echo "peer: default kernel after a one-file change (s): ${peer[*]}"
printf 'second vintage %.1f s vs default-kernel rebuild %.1f s = %.2fx; unchanged vintage rebuild %.1f s\n' \
  "$sm" "$pm" "$(echo "$sm / $pm" | bc -l)" "$am"
