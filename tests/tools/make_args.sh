#!/bin/sh
# Bad arguments to make and the grader get a clear error and change
# nothing: an unknown TRANSPORT (it used to boot legacy mmio as if it had
# been taken), a DISK_IMG that is not there (make used to create it from
# the sample disk, under the mistyped name, and boot that), a LAB that is
# not a number (a seq error, or a Python traceback), a lab there is not
# (make handout LAB=42 wrote a handout of nothing).
# And each TRANSPORT grade.py knows attaches the disk as its name says.
set -eu
cd "$(dirname "$0")/../.."
. tests/tools/lib/check.sh
qemu_line() { make -s -n qemu TRANSPORT="$1" 2>&1 | grep qemu-system-riscv64 || true; }

check "TRANSPORT=bogus is refused, naming the ones there are" \
	'make -s -n qemu TRANSPORT=bogus 2>&1 | grep -q "TRANSPORT=bogus: expected one of legacy modern modern-packed pci pci-legacy pci-packed"'
check "TRANSPORT with two words is refused" \
	'! make -s -n qemu TRANSPORT="legacy modern" >/dev/null 2>&1'
check "the default disk's -drive option is whole (no space in file=)" \
	'qemu_line legacy | grep -q -- "-drive file=build/disk.img,if=none,"'
check "legacy: an mmio disk, QEMU's default version" \
	'qemu_line legacy | grep -q -- "-device virtio-blk-device,drive=d0\$" && ! qemu_line legacy | grep -q force-legacy'
check "modern: version 2 mmio" \
	'qemu_line modern | grep -q -- "force-legacy=false .*virtio-blk-device,drive=d0\$"'
check "modern-packed: version 2 mmio with packed=on" \
	'qemu_line modern-packed | grep -q -- "force-legacy=false .*virtio-blk-device,drive=d0,packed=on\$"'
check "pci: modern only" \
	'qemu_line pci | grep -q -- "virtio-blk-pci,drive=d0,disable-legacy=on\$"'
check "pci-legacy: legacy only" \
	'qemu_line pci-legacy | grep -q -- "virtio-blk-pci,drive=d0,disable-modern=on\$"'
check "pci-packed: modern PCI with packed=on" \
	'qemu_line pci-packed | grep -q -- "virtio-blk-pci,drive=d0,disable-legacy=on,packed=on\$"'
check "a DISK_IMG that is not there is an error, and is not created" \
	'! make -s qemu DISK_IMG="$tmp/typo.img" >"$tmp/out" 2>&1 && grep -q "DISK_IMG=$tmp/typo.img: no such file" "$tmp/out" && [ ! -e "$tmp/typo.img" ]'
touch "$tmp/mine.img"
check "a DISK_IMG that is there is booted as it is" \
	'make -s -n qemu DISK_IMG="$tmp/mine.img" 2>&1 | grep -q -- "-drive file=$tmp/mine.img,"'
check "make unit LAB=x says LAB is not a number, before building anything" \
	'! make -s -n unit LAB=x >"$tmp/out" 2>&1 && grep -q "unit: LAB=x: expected a lab number" "$tmp/out"'
check "make unit LAB=99 names the labs there are, before building anything" \
	'! make -s -n unit LAB=99 >"$tmp/out" 2>&1 && grep -q "unit: LAB=99: there is no lab 99 (the labs are 0 to [0-9]*)" "$tmp/out"'
check "make unit LAB=12 (one past the last lab) is refused too" \
	'last=$(ls tests/grade | sed -n "s/^lab\([0-9]*\)\.py\$/\1/p" | sort -n | tail -1); ! make -s -n unit LAB=$((last + 1)) >"$tmp/out" 2>&1 && grep -q "there is no lab" "$tmp/out"'
check "make unit LAB=3 runs labs 0 to 3" \
	'make -s -n unit LAB=3 2>&1 | grep -qF "lab@(0|1|2|3)_*"'
check "make unit LAB=03 is lab 3" \
	'make -s -n unit LAB=03 2>&1 | grep -qF "lab@(0|1|2|3)_*"'
check "make help in a lab 4 handout says make test grades lab 4" \
	'make -s help HANDOUT_LAB=4 | grep "make test  *grade lab 4: this handout.s lab" >/dev/null'
check "make's test targets start run_all.py as a sub-make (+), so -j reaches it" \
	'[ "$(grep -c "^	+\$(PYTHON) tests/run_all.py" Makefile)" = 3 ]'
check "make bench takes every TRANSPORT make takes (pci-packed was refused after the build)" \
	'[ "$(python3 -c "import sys; sys.path.insert(0, \"tools\"); import bench; print(\" \".join(bench.TRANSPORTS))")" = "$(sed -n "s/^TRANSPORTS := //p" Makefile)" ]'
check "grade.py --lab abc is a usage error, not a traceback" \
	'python3 tests/grade/grade.py --lab abc >"$tmp/out" 2>&1; [ $? -eq 2 ] && grep -q "expected lab numbers" "$tmp/out" && ! grep -q Traceback "$tmp/out"'
check "grade.py --lab 99 names the labs there are" \
	'! python3 tests/grade/grade.py --lab 99 >"$tmp/out" 2>&1 && grep -q "no tests for the labs asked for (the labs are 0 to [0-9]*)" "$tmp/out"'
check "make handout LAB=42 names the labs there are and writes nothing" \
	'! python3 tools/handout.py --lab 42 --out "$tmp/h42" >"$tmp/out" 2>&1 && grep -q "there is no lab 42: the labs are 0 to [0-9]*" "$tmp/out" && [ ! -e "$tmp/h42" ]'
summary
