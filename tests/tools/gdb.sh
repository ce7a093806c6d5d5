#!/bin/sh
# `make DEBUG=1 qemu-gdb` and gdb-multiarch in batch mode, through the
# project's .gdbinit: break in split_add_slot, continue, and print its
# argument n, then, a few lines on, its locals. The first request at boot is
# virtio-blk's GET_ID, one data buffer between the slot's header and status,
# so n must show as 1 (not <optimized out>), and `info locals` must show
# values too. Also: the
# per-user GDB port is what the Makefile and .gdbinit both derive.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
if ! command -v gdb-multiarch >/dev/null 2>&1; then
	echo "SKIP gdb-multiarch is not installed"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/eclipse-gdb.XXXXXX")
QPID=
cleanup() {
	if [ -n "$QPID" ]; then kill -- -"$QPID" 2>/dev/null || true; fi
	rm -rf "$TMP"
}
trap cleanup EXIT

want=$(($(id -u) % 5000 + 25000))
got=$(env -u GDBPORT make -n BUILD="$BUILD" qemu-gdb 2>/dev/null | sed -n 's/.*-gdb tcp:localhost:\([0-9]*\).*/\1/p' | head -1)
if [ "$got" = "$want" ]; then ok "make's GDB port is 25000 + uid % 5000 ($got)"; else bad "make's GDB port is '$got', expected $want"; fi
gi=$(env -u GDBPORT gdb-multiarch -nx -batch -ex 'python import os' \
	-ex 'python print(int(os.environ.get("GDBPORT") or 25000 + os.getuid() % 5000))' 2>&1 | tail -1)
if grep -q "25000 + os.getuid() % 5000" .gdbinit && [ "$gi" = "$want" ]; then
	ok ".gdbinit derives the same port"
else
	bad ".gdbinit derives the port as '$gi', expected $want"
fi

make -s BUILD="$BUILD" DEBUG=1 kernel "$BUILD/disk.img" >"$TMP/build.log" 2>&1 || {
	bad "make DEBUG=1 kernel: $(tail -5 "$TMP/build.log")"
	echo "$pass passed, $fail failed"
	exit 1
}
# where the slot's chain is handed to the device: n and writable are both known there
line=$(grep -n 'vq->heads\[s->id\].writable = writable;' src/virtio/virtq_split.c | head -1 | cut -d: -f1)
# a port of this run's own, so a student's session on the usual one is safe
export GDBPORT=$((30000 + $$ % 20000))
# make gdb before make qemu-gdb: a message saying what to start, quickly,
# not gdb's 15 s of retries and a Python traceback; and never gdb's
# "auto-loading has been declined" warning (.gdbinit is loaded by -x)
t0=$(date +%s)
make -s BUILD="$BUILD" DEBUG=1 gdb </dev/null >"$TMP/nogdb.log" 2>&1 || true
if grep -q "nothing listens on localhost:$GDBPORT: start .make qemu-gdb." "$TMP/nogdb.log" &&
	! grep -q Traceback "$TMP/nogdb.log" && [ $(($(date +%s) - t0)) -le 10 ]; then
	ok "make gdb with no make qemu-gdb says to start it first (no traceback)"
else
	bad "make gdb with no make qemu-gdb: $(tail -4 "$TMP/nogdb.log")"
fi
if grep -q "auto-loading has been declined" "$TMP/nogdb.log"; then
	bad "make gdb prints gdb's auto-loading warning"
else
	ok "make gdb prints no auto-loading warning"
fi
setsid make -s BUILD="$BUILD" DEBUG=1 qemu-gdb </dev/null >"$TMP/qemu.log" 2>&1 &
QPID=$!
# wait (up to 30 s on a loaded machine) until QEMU listens on the port
hex=$(printf '%04X' "$GDBPORT")
i=0
while ! grep -qE "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:0000 0A" /proc/net/tcp /proc/net/tcp6 2>/dev/null &&
	[ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
timeout 60 gdb-multiarch -q -nx -batch -x .gdbinit \
	-ex 'delete' -ex 'break split_add_slot' -ex 'continue' \
	-ex 'print n' -ex "break virtq_split.c:$line" -ex 'continue' -ex 'info locals' -ex 'kill' \
	"$BUILD/debug/kernel.elf" >"$TMP/gdb.log" 2>&1 || true
if grep -q "Breakpoint 2, split_add_slot" "$TMP/gdb.log"; then
	ok "gdb stops at the breakpoint in split_add_slot"
else
	bad "gdb did not stop in split_add_slot:"
	tail -15 "$TMP/gdb.log" "$TMP/qemu.log"
fi
if grep -qx '\$1 = 1' "$TMP/gdb.log"; then
	ok "print n shows 1 (a blk request's one data buffer)"
else
	bad "print n: $(grep '^\$1' "$TMP/gdb.log" || echo 'no value printed')"
fi
if grep -qE '^writable = [0-9]+$' "$TMP/gdb.log" && ! grep -q "optimized out" "$TMP/gdb.log"; then
	ok "info locals at line $line shows writable's value, nothing <optimized out>"
else
	bad "info locals: $(grep -E 'writable|optimized' "$TMP/gdb.log" | head -3)"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
