#!/bin/sh
# mkfs-eclipsefs then eclipsefs-dump must reproduce a source tree as the host
# sees it (sha256sum of every file, readlink of every symlink, entry count of
# every directory), as a bare volume and inside a GPT disk; the shared sample
# image must dump to its expected listing, and the same tree must rebuild it
# byte for byte; and the tools must refuse bad input with status 1.
#
# Run from anywhere: tests/tools/roundtrip.sh (BUILD=dir for another build
# directory). The shared vectors are looked up at ../shared beside the repo.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
MKFS=$BUILD/tools/mkfs-eclipsefs
DUMP=$BUILD/tools/eclipsefs-dump
VECTORS=../shared/vectors
TMP=$(mktemp -d "${TMPDIR:-/tmp}/efs-roundtrip.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
TAB=$(printf '\t')
pass=0
fail=0

[ -x "$MKFS" ] && [ -x "$DUMP" ] || make -s -f mk/eclipsefs.mk BUILD="$BUILD" eclipsefs-tools

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# The listing eclipsefs-dump should print for SRC, from the host's own tools.
# Lines are "PATH<TAB>REST", sorted on PATH alone in byte order, then joined.
host_view() {
	src=$1
	find "$src" | while IFS= read -r p; do
		rel=${p#"$src"}
		[ -n "$rel" ] || rel=/
		if [ -L "$p" ]; then
			t=$(readlink "$p")
			printf '%s\tsymlink %s %s\n' "$rel" "$(printf %s "$t" | wc -c)" "$t"
		elif [ -d "$p" ]; then
			printf '%s\tdir %s\n' "$rel" "$(ls -A "$p" | wc -l)"
		else
			printf '%s\tfile %s sha256:%s\n' "$rel" "$(wc -c < "$p")" \
				"$(sha256sum < "$p" | cut -d' ' -f1)"
		fi
	done | LC_ALL=C sort -t "$TAB" -k1,1 | sed "s/$TAB/ /"
}

roundtrip() {
	name=$1 src=$2
	host_view "$src" > "$TMP/$name.expected"
	if "$MKFS" "$TMP/$name.img" "$src" && "$DUMP" "$TMP/$name.img" > "$TMP/$name.out" &&
		cmp -s "$TMP/$name.expected" "$TMP/$name.out"; then
		ok "$name: mkfs then dump matches the host's view"
	else
		bad "$name: mkfs then dump differs from the host's view"
		diff "$TMP/$name.expected" "$TMP/$name.out" || true
	fi
	if "$MKFS" --gpt "$TMP/$name-gpt.img" "$src" && "$DUMP" "$TMP/$name-gpt.img" > "$TMP/$name-gpt.out" &&
		cmp -s "$TMP/$name.expected" "$TMP/$name-gpt.out"; then
		ok "$name: the same inside a GPT disk"
	else
		bad "$name: GPT disk dump differs"
	fi
	# an independent reader (Python, zlib's CRC32) agrees with the GPT
	if python3 tests/tools/gpt.py check "$TMP/$name-gpt.img" > "$TMP/$name-gpt.parts" &&
		grep -q '^1 2048 266239 EFI System Partition$' "$TMP/$name-gpt.parts" &&
		grep -q '^2 266240 [0-9]* EclipseFS$' "$TMP/$name-gpt.parts"; then
		ok "$name: GPT CRCs, backup and layout (ESP at 1 MiB, EclipseFS at 130 MiB)"
	else
		bad "$name: GPT check"
		cat "$TMP/$name-gpt.parts"
	fi
	rm -f "$TMP/$name-gpt.img"
}

# 1. the course disk, and a tree with every shape
roundtrip disk disk

T=$TMP/tree
mkdir -p "$T/a/b/c/d" "$T/empty dir" "$T/ünïcode"
: > "$T/empty"
printf 'x' > "$T/a/b/c/d/deep"
printf 'name with spaces\n' > "$T/a b"
head -c 300000 /dev/urandom > "$T/random.bin"
printf 'first\n' > "$T/ünïcode/naïve.txt"
for i in $(seq 1 60); do printf '%s\n' "$i" > "$T/a/many-$i"; done
ln -s b/c/d/deep "$T/a/rel"
ln -s /a/b "$T/abs"
ln -s ../../a "$T/a/b/up"
ln -s missing "$T/dangling"
ln -s loop "$T/loop"
roundtrip shapes "$T"

# 2. the shared sample: its listing, and a byte-for-byte rebuild
if [ -f "$VECTORS/eclipsefs-sample.img" ]; then
	if "$DUMP" "$VECTORS/eclipsefs-sample.img" > "$TMP/sample.out" &&
		cmp -s "$TMP/sample.out" "$VECTORS/eclipsefs-sample.expected"; then
		ok "sample: dump prints eclipsefs-sample.expected exactly"
	else
		bad "sample: dump differs from eclipsefs-sample.expected"
		diff "$VECTORS/eclipsefs-sample.expected" "$TMP/sample.out" || true
	fi
	S=$TMP/sample-tree
	mkdir -p "$S/bin"
	printf 'Hello, EclipseFS!' > "$S/bin/hello"
	ln -s hello "$S/bin/sh"
	printf 'Welcome to EclipseFS!\n\nThis is a modern filesystem with:\n- Journaling\n- Copy-on-Write\n- Snapshots\n- And more!\n' > "$S/readme.txt"
	chmod 755 "$S" "$S/bin"
	chmod 644 "$S/bin/hello" "$S/readme.txt"
	if SOURCE_DATE_EPOCH=1640995200 "$MKFS" "$TMP/sample.img" "$S" &&
		cmp -s "$TMP/sample.img" "$VECTORS/eclipsefs-sample.img"; then
		ok "sample: mkfs of the same tree is byte-identical to eclipsefs-sample.img"
	else
		bad "sample: mkfs output differs from eclipsefs-sample.img"
	fi
else
	echo "skipped: sample-vector check ($VECTORS not found)"
fi

# 3. refusals: status 1 and a message
refuses() {
	what=$1
	shift
	if "$@" > /dev/null 2> "$TMP/err"; then
		bad "$what: accepted"
	elif [ $? -eq 1 ] && [ -s "$TMP/err" ]; then
		ok "$what: $(head -n1 "$TMP/err" | cut -c1-150)"
	else
		bad "$what: wrong exit status or no message"
	fi
}
refuses "missing source" "$MKFS" "$TMP/x.img" "$TMP/does-not-exist"
# a host name cannot pass 255 bytes, but a path in the image can pass the
# reader's 1023: five levels of 250-byte names
L=$TMP/long
n250=$(printf 'n%.0s' $(seq 1 250))
mkdir -p "$L/$n250/$n250/$n250/$n250/$n250"
refuses "path over 1023 bytes" "$MKFS" "$TMP/x.img" "$L"
# depth: the reader's path holds 63 names below /, files included. 62
# directories and a file is the deepest tree; it round-trips (the dump
# looks every path up again), and one directory more is refused by name.
D=$TMP/deep
p=$D
for i in $(seq 1 62); do p=$p/d; done
mkdir -p "$p"
printf 'deep\n' > "$p/file"
roundtrip deepest "$D"
mkdir "$p/d" && mv "$p/file" "$p/d/file"
refuses "a file 64 names below /" "$MKFS" "$TMP/x.img" "$D"
grep -q "/file: 64 names below / in the image, more than the reader's limit of 63" "$TMP/err" &&
	ok "the refusal counts the file's names below / and names the limit" ||
	bad "the depth refusal does not say 64 names below / and the limit 63: $(cat "$TMP/err")"
B=$TMP/big
mkdir -p "$B"
truncate -s 33M "$B/big"
refuses "file over the 32 MiB record limit" "$MKFS" "$TMP/x.img" "$B"
F=$TMP/fifo
mkdir -p "$F"
mkfifo "$F/pipe"
refuses "a FIFO in the source" "$MKFS" "$TMP/x.img" "$F"
if [ "$(id -u)" -ne 0 ]; then
	U=$TMP/unreadable
	mkdir -p "$U"
	printf 'secret' > "$U/f"
	chmod 000 "$U/f"
	refuses "unreadable file" "$MKFS" "$TMP/x.img" "$U"
fi
[ ! -e "$TMP/x.img" ] && ok "a refused mkfs leaves no output file" || bad "partial output left behind"

"$MKFS" "$TMP/c.img" disk
head -c 5000 "$TMP/c.img" > "$TMP/trunc.img"
refuses "dump of a truncated image" "$DUMP" "$TMP/trunc.img"
cp "$TMP/c.img" "$TMP/magic.img"
printf 'X' | dd of="$TMP/magic.img" conv=notrunc 2> /dev/null
refuses "dump of an image with a bad magic" "$DUMP" "$TMP/magic.img"
cp "$TMP/c.img" "$TMP/version.img"
printf '\001' | dd of="$TMP/version.img" bs=1 seek=11 conv=notrunc 2> /dev/null
refuses "dump of a version 1.0 image" "$DUMP" "$TMP/version.img"
refuses "dump of a missing file" "$DUMP" "$TMP/none.img"

# 4. images mkfs-eclipsefs will not write (tests/tools/efs_image.py)
python3 tests/tools/efs_image.py hostile "$TMP/hostile.img"
refuses "dump of a 5001-byte symlink target" "$DUMP" "$TMP/hostile.img"
grep -q "inode 2: symlink target is 5001 bytes, over the 1023-byte path limit" "$TMP/err" &&
	ok "the refusal names the link and the limit" || bad "the refusal does not name the limit"
# 4096 directories and 4096 200-byte names: each directory is sorted once,
# not read back entry by entry (that took minutes).
python3 tests/tools/efs_image.py limits "$TMP/limits.img"
if "$DUMP" "$TMP/limits.img" > "$TMP/limits.out" && [ "$(wc -l < "$TMP/limits.out")" -eq 8196 ] &&
	grep -qx "/big dir 4096" "$TMP/limits.out" && grep -qx "/long dir 4096" "$TMP/limits.out"; then
	ok "dump of a directory at the reader's limits: 8196 lines"
else
	bad "dump of a directory at the reader's limits"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
