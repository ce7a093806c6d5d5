#!/bin/sh
# Small files with one job each: no source file of the project (C, headers,
# assembly, Python, shell) is over 500 lines, so a reader can hold a file
# in mind and knows from its name what it owns. A file that grows past the
# limit is split by job, not trimmed to fit.
set -eu
cd "$(dirname "$0")/../.."
limit=500
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=$(git ls-files '*.c' '*.h' '*.S' '*.py' '*.sh' .ci/run)
else
	files=$(find src tests tools .ci -type f \( -name '*.[chS]' -o -name '*.py' -o -name '*.sh' \))
fi
# one wc for every file: a process per file cost seconds of CPU here
existing=$(for f in $files; do [ -f "$f" ] && echo "$f"; done)
# shellcheck disable=SC2086 # file names without spaces, split on purpose
over=$(wc -l $existing | awk -v limit=$limit '$2 != "total" && $1 > limit { print "  " $2 ": " $1 " lines" }')
count=$(echo "$files" | wc -w)
if [ -z "$over" ]; then
	echo "ok   no source file over $limit lines ($count files)"
	echo "1 passed, 0 failed"
else
	echo "FAIL source files over $limit lines:"
	echo "$over"
	echo "0 passed, 1 failed"
	exit 1
fi
