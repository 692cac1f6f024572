#!/usr/bin/env bash
# No-op incremental build: the kernel project (Rump SDK: split, resolve, generators, link) vs a plain
# class library compiling the same kernel sources with the same generators and no Rump tasks.
# Prints each run and the ratio of the medians. Usage: bench/noop-build.sh [runs]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-5}"
plain="$(mktemp -d)"
trap 'rm -rf "$plain"' EXIT
cat > "$plain/PlainLib.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <AllowUnsafeBlocks>true</AllowUnsafeBlocks>
    <EnableDefaultCompileItems>false</EnableDefaultCompileItems>
    <Nullable>enable</Nullable>
    <LangVersion>latest</LangVersion>
    <RumpSyscallRole>kernel</RumpSyscallRole>
    <RumpTarget>posix</RumpTarget>
  </PropertyGroup>
  <ItemGroup>
    <CompilerVisibleProperty Include="RumpSyscallRole;RumpTarget" />
    <Compile Include="$repo/base/**/*.cs;$repo/factions/**/*.cs;$repo/components/**/*.cs;$repo/targets/posix/**/*.cs" />
    <AdditionalFiles Include="$repo/base/syscalls.master" />
    <ProjectReference Include="$repo/abstractions/Rump.Abstractions/Rump.Abstractions.csproj" />
    <ProjectReference Include="$repo/generators/Rump.Generators/Rump.Generators.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
  </ItemGroup>
</Project>
XML
dotnet build "$repo/kernels/Rump.Kernel/Rump.Kernel.csproj" -nologo -v:q >/dev/null
dotnet build "$plain/PlainLib.csproj" -nologo -v:q >/dev/null
time_of() { local s e; s=$(date +%s.%N); dotnet build "$1" -nologo -v:q >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
k=(); p=()
for _ in $(seq "$runs"); do
  k+=("$(time_of "$repo/kernels/Rump.Kernel/Rump.Kernel.csproj")")
  p+=("$(time_of "$plain/PlainLib.csproj")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
km=$(median "${k[@]}"); pm=$(median "${p[@]}")
echo "kernel no-op builds (s): ${k[*]}"
echo "plain  no-op builds (s): ${p[*]}"
printf 'no-op build: kernel %.2f s, plain class library %.2f s, ratio %.2fx (goal <= 1.2x)\n' "$km" "$pm" "$(echo "$km / $pm" | bc -l)"
