#!/bin/sh
# Ctrl-C in `make grade` stops the run: the QEMUs and the unit-test runner
# it started end (Criterion's runner sits in a process group of its own,
# which the terminal's SIGINT never reaches), it says it was interrupted,
# prints no score and exits with 130. (It used to charge the killed QEMUs
# as failures, run every test left and print a full score.) The SIGINT is
# sent to the run's process group, as a terminal sends it. Also:
# GRADE_JSON in a missing directory is a usage error before anything runs.
set -eu
cd "$(dirname "$0")/../.."
. tests/tools/lib/check.sh
if [ ! -x build/kernel.elf ] && [ ! -e build/kernel.elf ] || [ ! -e build/unit-tests-ubsan ] ||
	! command -v qemu-system-riscv64 >/dev/null 2>&1; then
	echo "SKIP the kernel, the unit tests or QEMU are not here (make test builds them)"
	skip=1
	summary
	exit 0
fi
# in a session of its own, so that everything it starts can be found
setsid sh -c 'echo $$ >"$1/pid"; exec python3 tests/grade/grade.py --lab 4 >"$1/out" 2>&1' \
	sh "$tmp" &
i=0
while [ ! -s "$tmp/pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
sid=$(cat "$tmp/pid")
running() { ps -s "$sid" -o comm= 2>/dev/null | grep -c "$1" || true; }
# wait (up to 30 s) until a QEMU and the unit-test runner both run
i=0
while { [ "$(running qemu-system)" = 0 ] || [ "$(running unit-tests)" = 0 ]; } && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "a QEMU and the unit-test runner were running when Ctrl-C came" \
	'[ "$(running qemu-system)" != 0 ] && [ "$(running unit-tests)" != 0 ]'
# everything below grade.py now (Criterion's workers leave its session)
below() {
	ps -eo pid=,ppid= | awk -v top="$1" '{ parent[$1] = $2 } END {
		for (p in parent) for (q = parent[p]; q > 1; q = parent[q]) if (q == top) { print p; break } }'
}
kids=$(below "$sid")
start=$(date +%s)
kill -INT -- "-$sid" 2>/dev/null || true
status=0
wait $! || status=$?
check "grade.py exits with 130 (it exited with $status)" '[ "$status" = 130 ]'
check "it stops within 5 s" '[ $(($(date +%s) - start)) -le 5 ]'
sleep 0.3
# (a dead worker may stay a zombie until init reaps it: it is not running)
left=$(for p in $kids; do
	st=$(cut -d')' -f2 "/proc/$p/stat" 2>/dev/null | cut -d' ' -f2)
	[ -z "$st" ] || [ "$st" = Z ] || echo "$p $(cat "/proc/$p/comm" 2>/dev/null) ($st)"
done)
check "nothing it started is left ($(echo $kids | wc -w) processes: QEMU, the unit-test runner, its workers)" \
	'[ -z "$left" ]'
check "the killed runner's socket is not left in /tmp (a stale one can stop a later runner)" \
	'[ -z "$(for p in $kids; do [ ! -e "/tmp/criterion_$p.sock" ] || echo "$p"; done)" ]'
check "it says it was interrupted" 'grep -q "grade: interrupted (Ctrl-C)" "$tmp/out"'
check "it prints no score and no tally" '! grep -qE "^Score:|passed, [0-9]+ failed" "$tmp/out"'
check "no killed test is charged as a failure" '! grep -q "^FAIL" "$tmp/out"'
[ -z "$left" ] || echo "    left: $left"
[ "$fail" = 0 ] || sed 's/^/    | /' "$tmp/out" | tail -20

check "GRADE_JSON in a missing directory is refused before anything runs" \
	'python3 tests/grade/grade.py --lab 0 --json "$tmp/no/such/r.json" >"$tmp/out2" 2>&1; [ $? = 2 ] && grep -q "does not exist" "$tmp/out2" && ! grep -q Traceback "$tmp/out2"'
summary
