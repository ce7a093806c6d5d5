#!/bin/sh
# The Gradescope bundle of lab 1 (make autograder LAB=1), run as Gradescope
# runs it, in temporary AUTOGRADER_ROOTs, on five submissions at once:
#   solution  the course's own code: full marks
#   handout   the lab-1 handout untouched: less than full marks
#   tamper    the handout with graders, gradelib and Makefile rewritten to
#             always pass: exactly the handout's score (its code's)
#   broken    a file that does not compile: score 0, results still written
#   slow      AUTOGRADER_TIMEOUT=3: the run stops itself, results written
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LAB=1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/eclipse-autograder.XXXXXX")
trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

ZIP=$TMP/autograder-lab$LAB.zip
if python3 tools/autograder/bundle.py --lab $LAB --out "$ZIP" >"$TMP/bundle.log" 2>&1; then
	ok "bundle: tools/autograder/bundle.py --lab $LAB writes the zip"
else
	bad "bundle: tools/autograder/bundle.py --lab $LAB: $(tail -3 "$TMP/bundle.log")"
	echo "$pass passed, $fail failed"
	exit 1
fi
LIST=$(python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for i in z.infolist():
    print(i.filename, oct(i.external_attr >> 16)[-3:])' "$ZIP")
check "bundle: setup.sh and run_autograder at the top, executable" \
	'echo "$LIST" | grep -qx "setup.sh 755" && echo "$LIST" | grep -qx "run_autograder 755"'
check "bundle: setup.sh installs with the tree's tools/install-deps" \
	'unzip -p "$ZIP" setup.sh | grep -q "^sh tree/tools/install-deps$"'
check "bundle: no solution markers in the pristine tree (it is the lab-$LAB handout)" \
	'! unzip -p "$ZIP" "tree/src/*" | grep -q "BEGIN LAB"'
if [ -f ../shared/vectors/eclipsefs-sample.img ]; then
	check "bundle: the shared vectors ride along (lab 6 grades against them)" \
		'echo "$LIST" | grep -q "^shared/vectors/eclipsefs-sample.img "'
fi

check "bundle: symlinks stay symlinks (the sample disk's /bin/sh)" \
	'echo "$LIST" | grep -qx "tree/disk/bin/sh 777"'

# one AUTOGRADER_ROOT per submission, laid out as Gradescope lays it out
mkroot() {
	r=$TMP/$1
	mkdir -p "$r/source" "$r/submission" "$r/results"
	(cd "$r/source" && unzip -q "$ZIP")
	cp "$r/source/run_autograder" "$r/run_autograder"
}
for s in solution handout tamper broken slow; do mkroot $s; done
check "unpacked: the pristine tree's disk/bin/sh is a symlink" '[ -L "$TMP/solution/source/tree/disk/bin/sh" ]'
# the solution, inside a top folder as a zip upload often has it
mkdir -p "$TMP/solution/submission/eclipse-rv"
cp -r src Makefile tests "$TMP/solution/submission/eclipse-rv/"
python3 tools/handout.py --lab $LAB --out "$TMP/handout/submission" >/dev/null
cp -r "$TMP/handout/submission/." "$TMP/tamper/submission/"
cp -r "$TMP/handout/submission/." "$TMP/broken/submission/"
cp -r "$TMP/handout/submission/." "$TMP/slow/submission/"
# tamper: every grader passes, grade.py claims full marks, make builds nothing
for g in "$TMP"/tamper/submission/tests/grade/lab*.py; do
	case $(basename "$g") in lab*_*) continue ;; esac # a grader's helper module, not a grader
	printf 'from gradelib import test\n\n\n@test(%s, "always", points=100)\ndef t(ctx):\n    pass\n' \
		"$(basename "$g" .py | tr -d lab)" >"$g"
done
printf 'import json, sys\njson.dump({"score": 1000, "tests": []}, open(sys.argv[-1], "w"))\n' \
	>"$TMP/tamper/submission/tests/grade/grade.py"
printf 'kernel:\n\ttrue\n' >"$TMP/tamper/submission/Makefile"
echo 'this is not C' >>"$TMP/broken/submission/src/power.c"

for s in solution handout tamper broken slow; do
	t=3600
	[ $s = slow ] && t=3
	(AUTOGRADER_ROOT=$TMP/$s AUTOGRADER_TIMEOUT=$t timeout 600 sh "$TMP/$s/run_autograder" \
		>"$TMP/$s.log" 2>&1; echo $? >"$TMP/$s.rc") &
done
wait

# score, full, the number of tests, whether every test has the four fields
# and whether a failing test's output carries a QEMU command
summary() {
	python3 - "$TMP/$1/results/results.json" <<'PY' 2>/dev/null || echo "none"
import json, sys
r = json.load(open(sys.argv[1]))
tests = r["tests"]
full = sum(t["max_score"] for t in tests)
fields = all({"name", "score", "max_score", "output"} <= set(t) for t in tests)
repro = any(t["score"] < t["max_score"] and "qemu-system-riscv64 -machine virt" in t["output"]
            for t in tests)
print(r["score"], full, len(tests), int(fields), int(repro))
PY
}
# sets S_score S_full S_tests S_fields S_repro
get() {
	set -- $(summary "$1") none 0 0 0 0
	S_score=$1 S_full=$2 S_tests=$3 S_fields=$4 S_repro=$5
}
get solution
sol_full=$S_full
check "solution: full marks ($S_score of $S_full, $S_tests tests)" \
	'[ "$S_score" != none ] && [ "$S_full" -gt 0 ] && [ "$S_score" = "$S_full" ] && [ "$S_fields" = 1 ]'
get handout
ho_score=$S_score
check "handout: less than full marks ($S_score of $S_full)" \
	'[ "$S_score" != none ] && [ "$S_score" -lt "$sol_full" ] && [ "$S_full" = "$sol_full" ]'
check "handout: every test has name, score, max_score, output" '[ "$S_fields" = 1 ]'
check "handout: a failing test shows the QEMU command to reproduce it" '[ "$S_repro" = 1 ]'
get tamper
check "tamper: rewritten graders earn only the code's score ($S_score, handout $ho_score)" \
	'[ "$S_score" = "$ho_score" ] && [ "$S_full" = "$sol_full" ]'
get broken
check "broken: a build failure scores 0 and says why" \
	'[ "$S_score" = 0 ] && grep -q "does not build" "$TMP/broken/results/results.json"'
check "broken: the top-level output shows the compiler's error on src/power.c" \
	'python3 -c "import json, sys; print(json.load(open(sys.argv[1]))[\"output\"])" "$TMP/broken/results/results.json" | grep -A3 "the compiler said:\$" | grep -q "src/power.c:.*error"'
get slow
check "slow: AUTOGRADER_TIMEOUT bounds the run, results still written" \
	'[ "$S_score" = 0 ] && grep -q "in time\|timed out" "$TMP/slow/results/results.json"'
for s in solution handout tamper broken slow; do
	[ "$(cat "$TMP/$s.rc")" = 0 ] || { bad "$s: run_autograder exited $(cat "$TMP/$s.rc")"; tail -20 "$TMP/$s.log"; }
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
