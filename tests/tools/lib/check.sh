# Sourced by the tool tests (tests/tools/*.sh), after `set -eu` and the cd
# to the top of the tree: `check NAME CONDITION` evaluates the condition (a
# string of shell), prints "ok   NAME" or "FAIL NAME" and counts it;
# `summary` prints the "N passed, N failed[, N skipped]" line run_all.py
# reads and fails when something did. $tmp is a directory of the test's
# own, removed on exit. (This directory holds no test: run_all.py runs the
# *.sh files of tests/tools only.)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 skip=0
check() {
	if eval "$2"; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi
}
summary() {
	echo "$pass passed, $fail failed$([ "$skip" = 0 ] || echo ", $skip skipped")"
	[ "$fail" = 0 ]
}
