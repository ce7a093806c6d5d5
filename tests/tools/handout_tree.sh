#!/bin/sh
# A student's handout says what it is (HANDOUT.md, written by
# tools/handout.py), and `make test` there grades the student's lab
# instead of running the course's proofs, which need the solutions and
# crashed with a traceback in a handout. The course's own tree has no
# HANDOUT.md, and its make test stays the proofs.
set -eu
cd "$(dirname "$0")/../.."
. tests/tools/lib/check.sh
lab_of() { (cd "$1" && python3 -c 'import sys; sys.path.insert(0, "tests"); import run_all; print(run_all.handout_lab())'); }

python3 tools/handout.py --lab 3 --out "$tmp/h3" >"$tmp/h3.out"
python3 tools/handout.py --lab 0 --out "$tmp/h0" >"$tmp/h0.out"
stubs() { sed -n 's/.*stubbed: \([0-9]*\) files hold stubs.*/\1/p' "$1"; }
check "the lab 3 handout has HANDOUT.md naming its lab" \
	'[ "$(head -n 1 "$tmp/h3/HANDOUT.md")" = "# Eclipse RV: the handout for lab 3" ]'
check "it says which labs are solved and what make test does there" \
	'grep -q "Labs 0 to 2 are solved" "$tmp/h3/HANDOUT.md" && grep -q "make test. grades lab 3, as .make grade LAB=3" "$tmp/h3/HANDOUT.md"'
check "the lab 0 handout says no lab is solved yet" \
	'grep -q "No lab is solved in this tree yet" "$tmp/h0/HANDOUT.md"'
check "run_all.py there finds the lab (make test grades lab 3)" '[ "$(lab_of "$tmp/h3")" = 3 ]'
check "its message counts the files holding stubs: fewer for lab 3 ($(stubs "$tmp/h3.out")) than lab 0 ($(stubs "$tmp/h0.out"))" \
	'[ -n "$(stubs "$tmp/h3.out")" ] && [ "$(stubs "$tmp/h3.out")" -lt "$(stubs "$tmp/h0.out")" ]'
check "the course's own tree is no handout (make test runs the proofs)" \
	'[ ! -e HANDOUT.md ] && [ "$(lab_of .)" = None ]'
summary
