#!/bin/sh
# Every lab-guides/figures/NAME.dot has NAME.svg beside it, drawn from the
# .dot as it is now (the SVG keeps the source's SHA-256), and some guide
# embeds it as ![...](figures/NAME.svg). The check is shown to bite: in a
# copy, a changed .dot makes tools/figures.py --check fail.
set -eu
cd "$(dirname "$0")/../.."
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/eclipse-figures.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

if out=$(python3 tools/figures.py --check 2>&1); then
	ok "every SVG matches its .dot ($(echo "$out" | tail -1 | sed 's/^figures: //'))"
else
	bad "stale figures (run make figures):"
	echo "$out"
fi
for dot in lab-guides/figures/*.dot; do
	name=$(basename "$dot" .dot)
	if grep -qE "^!\[[^]]+\]\(figures/$name\.svg\)" lab-guides/*.md; then
		ok "$name.svg is embedded in a guide"
	else
		bad "$name.svg is not embedded in any guide as ![...](figures/$name.svg)"
	fi
done
cp lab-guides/figures/*.dot lab-guides/figures/*.svg "$TMP/"
first=$(ls "$TMP"/*.dot | head -1)
echo "// changed" >>"$first"
if python3 tools/figures.py --check --dir "$TMP" >/dev/null 2>&1; then
	bad "a changed .dot is not caught by tools/figures.py --check"
else
	ok "a changed .dot without a redrawn SVG fails the check"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
