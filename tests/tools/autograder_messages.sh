#!/bin/sh
# The quick half of the Gradescope bundle's messages (autograder.sh, in make
# test-slow, runs the bundle itself): a bundle of a lab whose graders read
# the course's shared vectors, built where ../shared is missing, says so
# (lab 6's 2-point test used to be skipped for every student unannounced);
# and a submission that does not build shows the compiler's error first,
# not after 4 KB of make's progress lines.
set -eu
cd "$(dirname "$0")/../.."
. tests/tools/lib/check.sh
# the tree seen from a folder with no shared/ beside it
ln -s "$PWD" "$tmp/tree"
lab=$(grep -l '"shared", "vectors"' tests/grade/lab*.py | sed -n 's/.*lab\([0-9]*\)[._].*/\1/p' | head -1)
check "a lab's graders read the shared vectors (lab ${lab:-none})" '[ -n "$lab" ]'
check "make autograder LAB=$lab without ../shared warns, naming what is lost" \
	'python3 tools/autograder/bundle.py --root "$tmp/tree" --lab "$lab" --out "$tmp/a.zip" 2>"$tmp/err" >/dev/null && grep -q "WARNING: .*shared/vectors is not there.*skipped for every student" "$tmp/err"'
check "a lab that does not read them gets no warning" \
	'python3 tools/autograder/bundle.py --root "$tmp/tree" --lab 1 --out "$tmp/b.zip" 2>"$tmp/err" >/dev/null && ! grep -q WARNING "$tmp/err"'
# a failed build's log as make -j2 prints it: progress lines, then the error
{
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do
		echo "  CC      src/file$i.c"
		echo "ccache gcc -Wall -Wextra -Werror -DHOST_BUILD -iquote src -O2 -g -MMD -MP -c tools/t$i.c -o build/tools/obj/t$i.o"
	done
	echo "src/virtio/virtq_split.c: In function 'avail_event':"
	echo "src/virtio/virtq_split.c:22:7: error: unused variable 'unused_var' [-Werror=unused-variable]"
	echo "   22 | { int unused_var;"
	echo "      |       ^~~~~~~~~~"
	echo "cc1: all warnings being treated as errors"
	echo "make: *** [Makefile:153: build/kernel/virtio/virtq_split.c.o] Error 1"
	echo "make: *** Waiting for unfinished jobs...."
	echo "  CC      src/last.c"
} >"$tmp/build.log"
python3 - "$tmp/build.log" >"$tmp/said" <<'PY'
import json, os, sys
sys.path.insert(0, os.path.join("tools", "autograder"))
import run  # noqa: E402
log = open(sys.argv[1]).read()
res = run.failed_run(3, "the code does not build (...); the compiler said:", log, ["notes"],
                     run.compiler_said(log))
print(json.dumps(res))
PY
said() { python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$tmp/said" "$1"; }
check "the top-level output has the error after 'the compiler said:'" \
	'said "r[\"output\"]" | grep -A2 "the compiler said:$" | grep -q "virtq_split.c:22:7: error: unused variable"'
check "with the lines around it (the function, the source line)" \
	'said "r[\"output\"]" | grep -q "In function .avail_event." && said "r[\"output\"]" | grep -q "22 | { int unused_var;"'
check "and none of make's progress lines" \
	'! said "r[\"output\"]" | grep -qE "^ *(CC|ccache) "'
check "the test's output starts with the compiler's messages, the whole log after them" \
	'said "r[\"tests\"][0][\"output\"]" | head -2 | grep -q "error: unused variable" && said "r[\"tests\"][0][\"output\"]" | grep -q "CC      src/file1.c"'
check "the test is named without the dangling 'the compiler said:'" \
	'said "r[\"tests\"][0][\"name\"]" | grep -qx "lab3: the code does not build (...)"'
summary
