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
over=$(for f in $files; do
	[ -f "$f" ] || continue
	n=$(wc -l <"$f")
	[ "$n" -le $limit ] || echo "  $f: $n lines"
done)
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
