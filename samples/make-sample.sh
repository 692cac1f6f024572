#!/usr/bin/env bash
# Makes samples/sample.img, the small FAT12 image that `rumpctl` (no arguments) lists and the README's
# quick start uses. Run ONCE; the image is committed. Byte-reproducible: mkfs.fat --invariant fixes the
# volume id and boot sector, SOURCE_DATE_EPOCH fixes every timestamp mtools writes.
# Needs: dosfstools, mtools, a UTF-8 locale (for the Unicode names).
set -euo pipefail
cd "$(dirname "$0")"

export MTOOLS_SKIP_CHECK=1 LC_ALL=C.UTF-8 SOURCE_DATE_EPOCH=1764720000   # 2025-12-03 00:00:00 UTC
img=sample.img
rm -f "$img"
mkfs.fat -C -F 12 -n RUMPSAMPLE --invariant "$img" 720 >/dev/null

src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
put() { # put PATH-IN-IMAGE CONTENT...
  local dest=$1; shift
  printf '%s\n' "$@" >"$src/file"
  touch -d "@$SOURCE_DATE_EPOCH" "$src/file"
  mcopy -m -i "$img" "$src/file" "::$dest"
}

mmd -i "$img" ::/DOCS ::/photos ::/src ::/deep ::/deep/a ::/deep/a/b ::/deep/a/b/c

put "/README.txt" \
  "This is samples/sample.img, a FAT12 image made by mkfs.fat and mtools (samples/make-sample.sh)." \
  "" \
  "Everything you see here is read through a Rump.Build kernel: the msdos file system driver" \
  "mounted this image, and rumpctl reached it only through system calls." \
  "" \
  "Try:  rumpctl cat samples/sample.img:/DOCS/Readme.txt" \
  "      rumpctl tree samples/sample.img"
put "/DOCS/Readme.txt" \
  "DOCS holds a few files with names FAT can only store as long names:" \
  "spaces, several dots, lower case mixed with upper case, and characters outside ASCII."
put "/DOCS/A long file name with spaces.txt" "A long name: 34 characters, stored in long-name (LFN) entries."
put "/DOCS/Ünïcödé — naïve café.txt" "Unicode name: UCS-2 in the long-name entries, UTF-8 through the system calls."
put "/DOCS/version.1.2.3.md" "# A name with several dots"
put "/DOCS/lower.txt" "An 8.3 name in lower case: mtools stores it with the NT case bits, not a long name."
put "/photos/日本語の写真.txt" "A name in Japanese (CJK characters in UCS-2)."
put "/photos/Ελληνικά.txt" "A name in Greek."
put "/src/hello.c" \
  "#include <stdio.h>" \
  "" \
  "int main(void)" \
  "{" \
  "    puts(\"hello from a FAT image\");" \
  "    return 0;" \
  "}"
put "/deep/a/b/c/leaf.txt" "Four directories deep."
: >"$src/empty"; touch -d "@$SOURCE_DATE_EPOCH" "$src/empty"
mcopy -m -i "$img" "$src/empty" ::/empty.txt
# One file larger than a cluster chain of a few clusters: 20 KiB of numbered lines.
seq -f 'line %05g of a file that spans several clusters' 1 420 >"$src/lines"; touch -d "@$SOURCE_DATE_EPOCH" "$src/lines"
mcopy -m -i "$img" "$src/lines" ::/src/lines.txt

fsck.fat -n "$img" >/dev/null
mdir -/ -i "$img" ::/
