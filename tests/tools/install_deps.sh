#!/bin/sh
# tools/install-deps on a PATH of our own: fake tools, a qemu-system-riscv64
# that prints the version a test asks for, and an apt-get that only logs
# what it was asked (nothing is installed). --help prints the usage and
# installs nothing; a missing QEMU is installed from the required list only
# (no chromium or clang for one missing tool), checked again afterwards and
# reported as still missing when apt-get did not bring it (it used to say
# "done"); a QEMU older than 7.0 is named with its version; optional tools
# are named with what each is for, and installed with --with-optional.
set -eu
cd "$(dirname "$0")/../.."
. tests/tools/lib/check.sh
bin="$tmp/bin"
mkdir -p "$bin"
for t in sed tr cat id printf; do
	p=$(command -v "$t") || continue
	case "$p" in /*) ln -s "$p" "$bin/$t" ;; esac
done
# the required tools, as names that answer (their files are checked in /usr)
for t in riscv64-unknown-elf-gcc gdb-multiarch gcc make ccache python3; do
	printf '#!/bin/sh\nexit 0\n' >"$bin/$t"
	chmod +x "$bin/$t"
done
printf '#!/bin/sh\necho "$*" >>"%s/apt.log"\n' "$tmp" >"$bin/apt-get"
chmod +x "$bin/apt-get"
qemu() { # qemu VERSION: a qemu-system-riscv64 of that version; qemu none: no QEMU
	rm -f "$bin/qemu-system-riscv64"
	[ "$1" = none ] && return 0
	printf '#!/bin/sh\necho "QEMU emulator version %s (Debian 1:%s+dfsg-1)"\n' "$1" "$1" >"$bin/qemu-system-riscv64"
	chmod +x "$bin/qemu-system-riscv64"
}
deps() { : >"$tmp/apt.log"; PATH="$bin" /bin/sh tools/install-deps "$@" >"$tmp/out" 2>&1; }
# the files it checks in /usr (OpenSBI, Criterion's and nanopb's headers) are this machine's
if ! [ -e /usr/include/criterion/criterion.h ] || ! [ -e /usr/include/pb_decode.h ] ||
	! { [ -e /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin ] ||
		[ -e /usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.bin ]; }; then
	echo "SKIP OpenSBI, Criterion or nanopb is not installed here"
	skip=1
	summary
	exit 0
fi

qemu none
check "--help prints the usage and installs nothing" \
	'deps --help && grep -q "^usage: tools/install-deps" "$tmp/out" && grep -q -- "--with-optional" "$tmp/out" && [ ! -s "$tmp/apt.log" ]'
check "an unknown option is an error, and installs nothing" \
	'! deps --frobnicate && grep -q "unknown option" "$tmp/out" && [ ! -s "$tmp/apt.log" ]'
check "--check-only names a missing QEMU and installs nothing" \
	'! deps --check-only && grep -q "missing: qemu-system-misc" "$tmp/out" && [ ! -s "$tmp/apt.log" ]'
status=0
deps || status=$?
check "a QEMU apt-get did not bring is still missing afterwards: exit 1, not 'done'" \
	'[ "$status" = 1 ] && grep -q "still not right" "$tmp/out" && grep -q "missing: qemu-system-misc" "$tmp/out" && ! grep -q "done" "$tmp/out"'
check "it asked apt-get for the required packages" \
	'grep -q "^install .*qemu-system-misc.*libcriterion-dev" "$tmp/apt.log"'
check "and for no optional one (chromium, clang, u-boot-qemu, linux-perf)" \
	'! grep -qE "chromium|clang|u-boot|linux-perf" "$tmp/apt.log"'

qemu 6.2.0
check "QEMU 6.2 is refused, naming its version and the one needed" \
	'! deps --check-only && grep -q "is QEMU 6.2.0; Eclipse RV needs QEMU 7.0 or newer" "$tmp/out"'
check "and apt-get not bringing a newer one ends in failure" \
	'! deps && grep -q "still not right" "$tmp/out" && grep -q "QEMU 6.2.0" "$tmp/out"'

qemu 8.2.2
check "with QEMU 8.2 --check-only passes quietly" \
	'deps --check-only && [ ! -s "$tmp/out" ]'
check "nothing missing: nothing installed, and the optional tools missing named with their use" \
	'deps && [ ! -s "$tmp/apt.log" ] && grep -q "everything required is installed" "$tmp/out" && grep -qE "^  clang-format +make format" "$tmp/out" && grep -qE "^  chromium +make docs-check" "$tmp/out"'
check "--with-optional installs the optional packages too" \
	'deps --with-optional && grep -q "^install -y -q chromium" "$tmp/apt.log" && grep -q "^install -y -q clang-format" "$tmp/apt.log"'
# make test-slow runs --with-optional before every run: with nothing
# missing it must not reach apt-get (an update is a network round trip)
for t in clang-format clang perf chromium; do
	printf '#!/bin/sh\nexit 0\n' >"$bin/$t"
	chmod +x "$bin/$t"
done
if [ -e /usr/lib/u-boot/qemu-riscv64_smode/uboot.elf ] &&
	/usr/bin/python3 -c 'import yaml, markdown, pygments' 2>/dev/null; then
	check "--with-optional with nothing missing runs no apt-get" \
		'deps --with-optional && [ ! -s "$tmp/apt.log" ]'
else
	echo "SKIP --with-optional with nothing missing: U-Boot or a Python module is not installed here"
	skip=$((skip + 1))
fi
qemu 7.0.0
check "QEMU 7.0 is enough" 'deps --check-only'
summary
