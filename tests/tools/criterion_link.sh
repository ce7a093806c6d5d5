#!/bin/sh
# The unit tests' link (Makefile, CRITERION_LIBS): with Debian's static
# Criterion no test process loads libgit2, and a failed assertion that
# prints a diff still gets one, from the libgit2 that
# tests/unit/lazy_libgit2.c opens then. A tiny Criterion program, linked
# the same way, whose one test fails with a two-line difference.
# And the graded build's flags (UBSANFLAGS): undefined behaviour and a
# write past a local array each fail their test, where by default UBSan
# would print a report and let the test pass. And gradelib.run_criterion,
# through which the graders and the mutants run Criterion: a runner that
# --fail-fast ends by signal leaves no /tmp/criterion_<pid>.sock behind
# (another user's later runner with that pid could not start), and a
# runner that could not start for that reason is run again.
set -eu
cd "$(dirname "$0")/../.."
. tests/tools/lib/check.sh
libs=$(make -s --no-print-directory --eval 'print-%: ; @echo $($*)' print-CRITERION_LIBS)
printf '%s\n' '#include <criterion/criterion.h>' '#include <criterion/new/assert.h>' \
	'Test(diff, lab0_two_lines) { cr_assert(eq(str, "line one\nline two\n", "line one\nline 2\n")); }' \
	>"$tmp/t.c"
gcc -iquote tests/unit "$tmp/t.c" tests/unit/lazy_libgit2.c $libs -o "$tmp/t"
"$tmp/t" >"$tmp/out" 2>&1 || true
if [ "$libs" = "-lcriterion" ]; then
	echo "skip the static link: Debian's libcriterion.a, libboxfort.a or libprotobuf-nanopb.a is missing"
	skip=$((skip + 1))
else
	check "the static link loads no libgit2" '! ldd "$tmp/t" | grep -q libgit2'
fi
check "the failure prints the diff's removed line" 'grep -q -- "-\"line two\\\\n\"" "$tmp/out"'
check "and its added line" 'grep -q -- "+\"line 2\\\\n\"" "$tmp/out"'
check "and the test counts as failed, not crashed" 'grep -q "Failing: 1 | Crashing: 0" "$tmp/out"'

flags=$(make -s --no-print-directory --eval 'print-%: ; @echo $($*)' print-UBSANFLAGS)
printf '%s\n' '#include <criterion/criterion.h>' '#include <limits.h>' '#include <string.h>' \
	'static volatile int big = INT_MAX;' \
	'static void copy(const char *s, size_t n) { char v[8]; memcpy(v, s, n);' \
	'	__asm__ volatile("" : : "r"(v) : "memory"); }' \
	'Test(ub, lab0_signed_overflow) { int x = big + 1; cr_assert(x != 0); }' \
	'Test(ub, lab0_stack_overflow) { copy("0123456789abcdefghijklmnopqrstuv", 32); }' \
	'Test(ub, lab0_fine) { cr_assert(big > 0); }' >"$tmp/ub.c"
# shellcheck disable=SC2086
gcc $flags "$tmp/ub.c" tests/unit/lazy_libgit2.c $libs -static-libubsan -o "$tmp/ub"
"$tmp/ub" >"$tmp/ub.out" 2>&1 || true
check "UBSan's report fails the test that hits it (-fno-sanitize-recover)" \
	'grep -q "signed integer overflow" "$tmp/ub.out" && grep -q "FAIL\] ub::lab0_signed_overflow" "$tmp/ub.out"'
check "a write past a local array fails its test (stack canary)" \
	'grep -q "ub::lab0_stack_overflow: CRASH" "$tmp/ub.out"'
check "and a sound test still passes" 'grep -q "Tested: 3 | Passing: 1 | Failing: 2 |" "$tmp/ub.out"'

touch "$tmp/mark"
cat >"$tmp/busy.sh" <<'SH'
#!/bin/sh
# fails to start once, as a runner blocked by a stale socket does
if [ ! -e "$1" ]; then
	touch "$1"
	echo "criterion: Could not initialize the message server: Address already in use." >&2
	exit 1
fi
echo "Tested: 1 | Passing: 1 | Failing: 0 | Crashing: 0"
SH
chmod +x "$tmp/busy.sh"
python3 - "$tmp" >"$tmp/rc.out" 2>&1 <<'PY'
import sys
sys.path.insert(0, "tests/grade")
import gradelib
tmp = sys.argv[1]
rc, out, err = gradelib.run_criterion([f"{tmp}/t", "--fail-fast"])
print("fail-fast rc", rc)
rc, out, err = gradelib.run_criterion([f"{tmp}/busy.sh", f"{tmp}/started"])
print("busy rc", rc, out.strip())
PY
check "a --fail-fast runner's socket is removed after it" \
	'grep -q "fail-fast rc [1-9]" "$tmp/rc.out" && [ -z "$(find /tmp -maxdepth 1 -name "criterion_*.sock" -user "$(id -u)" -newer "$tmp/mark")" ]'
check "a runner that could not bind its socket is run again" \
	'grep -q "busy rc 0 Tested: 1 | Passing: 1" "$tmp/rc.out"'
summary
