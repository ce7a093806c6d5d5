#!/bin/sh
# grade.py --leaks (make test-slow's sanitized unit run) fails on memory a
# test never freed, naming the test, and only then: two tiny Criterion
# programs built with AddressSanitizer and tests/unit/runner_leaks.c, one
# whose test leaks and one whose test does not, graded as a tree's
# build/unit-tests would be. (A leak in a test's worker never reaches
# Criterion's result: the worker exits after reporting, so grade.py reads
# LeakSanitizer's report. The runner process is not checked.)
set -eu
cd "$(dirname "$0")/../.."
root=$(pwd)
. tests/tools/lib/check.sh
for kind in leaky tidy; do
	mkdir -p "$tmp/$kind/build"
	if [ $kind = leaky ]; then body='void *p = malloc(77); cr_assert(p != NULL); p = NULL;'; else
		body='void *p = malloc(77); cr_assert(p != NULL); free(p);'; fi
	printf '#include <criterion/criterion.h>\n#include <stdlib.h>\nTest(mem, lab0_allocates) { %s }\nTest(mem, lab0_nothing) { }\n' \
		"$body" >"$tmp/$kind/t.c"
	gcc -g -fsanitize=address "$tmp/$kind/t.c" tests/unit/runner_leaks.c -lcriterion \
		-o "$tmp/$kind/build/unit-tests"
	/usr/bin/python3 tests/grade/grade.py --root "$tmp/$kind" --no-qemu --leaks \
		--unit-binary unit-tests >"$tmp/$kind.leaks" 2>&1 || true
	/usr/bin/python3 tests/grade/grade.py --root "$tmp/$kind" --no-qemu \
		--unit-binary unit-tests >"$tmp/$kind.grade" 2>&1 || true
done
check "a leaking test fails grade.py --leaks" \
	'grep -q "^FAIL  lab0: unit: unit-tests/leaks" "$tmp/leaky.leaks"'
check "the failure quotes the report, whose stack names the test" \
	'grep -q "in mem_lab0_allocates_impl" "$tmp/leaky.leaks"'
check "without --leaks the same tree passes" \
	'grep -q "^2 passed, 0 failed$" "$tmp/leaky.grade"'
check "a test that frees what it took passes grade.py --leaks" \
	'grep -q "^2 passed, 0 failed$" "$tmp/tidy.leaks"'
summary
