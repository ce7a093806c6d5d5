#!/bin/sh
# Make the seed corpus for fuzz_eclipsefs in DIR (default
# build/fuzz/eclipsefs/seeds): images of disk/, of a tree with every node
# shape the reader handles, a small GPT disk, and the shared sample image.
# Generated, never committed.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OUT=${1:-$BUILD/fuzz/eclipsefs/seeds}
MKFS=$BUILD/tools/mkfs-eclipsefs
TREE=$BUILD/fuzz/eclipsefs/tree

rm -rf "$OUT" "$TREE"
mkdir -p "$OUT" "$TREE/a/b/c" "$TREE/empty"
: > "$TREE/empty-file"
printf 'x' > "$TREE/a/b/c/deep"
ln -s b/c/deep "$TREE/a/rel"
ln -s /a/b "$TREE/abs"
ln -s ../../a "$TREE/a/b/up"
ln -s loop "$TREE/loop"
ln -s missing "$TREE/dangling"

SOURCE_DATE_EPOCH=0 "$MKFS" "$OUT/disk.img" disk
SOURCE_DATE_EPOCH=0 "$MKFS" "$OUT/shapes.img" "$TREE"
python3 tests/tools/gpt.py wrap "$OUT/shapes.img" "$OUT/shapes-gpt.img" 40
if [ -f ../shared/vectors/eclipsefs-sample.img ]; then
	cp ../shared/vectors/eclipsefs-sample.img "$OUT/sample.img"
fi
