#!/bin/sh
# The unit tests' link (Makefile, CRITERION_LIBS): with Debian's static
# Criterion no test process loads libgit2, and a failed assertion that
# prints a diff still gets one, from the libgit2 that
# tests/unit/lazy_libgit2.c opens then. A tiny Criterion program, linked
# the same way, whose one test fails with a two-line difference.
set -eu
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 skip=0
check() {
	if eval "$2"; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi
}
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
echo "$pass passed, $fail failed$([ $skip = 0 ] || echo ", $skip skipped")"
[ $fail = 0 ]
