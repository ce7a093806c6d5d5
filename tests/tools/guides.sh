#!/bin/sh
# The folded guides (every lab-guides/labN-*.md): every `## Step` opens with its
# Goal, Read and Checkpoint bullets, and keeps its recipe and hints in one
# <details> block with a <summary>, closed before the next section; the
# doc test (tests/doctest.py) still finds every kernel-session block,
# those inside <details> included; and every `Read lab-guides/..., "Step
# ..."` reference in src/ names a heading that exists.
set -eu
cd "$(dirname "$0")/../.."
exec python3 - <<'PY'
import glob, importlib.util, os, re, sys
tally = [0, 0]


def check(name, cond, why=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + why))
    tally[not cond] += 1


spec = importlib.util.spec_from_file_location("doctest_guides", "tests/doctest.py")
dt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dt)
FOLDED = sorted(glob.glob("lab-guides/lab[0-9]*.md"))
inside_details = 0
for p in FOLDED:
    lines = open(p, encoding="utf-8").read().split("\n")
    steps = [i for i, l in enumerate(lines) if l.startswith("## Step ")]
    bad = []
    for i in steps:
        j = i + 1
        while j < len(lines) and not lines[j].startswith("## "):
            j += 1
        sec = lines[i + 1:j]
        text = "\n".join(sec)
        head = re.match(r"\n- \*\*Goal:\*\* .+?\n- \*\*Read:\*\* .+?\n- \*\*Checkpoint:\*\* .+?\n\n"
                        r"<details>\n<summary>[^<\n]+</summary>\n\n", text, re.S)
        opens = sum(l.strip() == "<details>" for l in sec)
        closes = sum(l.strip() == "</details>" for l in sec)
        last = [l for l in sec if l.strip()][-1:]
        if not head:
            bad.append(f"{lines[i]!r}: no Goal/Read/Checkpoint opening before <details>")
        elif opens != 1 or closes != 1 or last != ["</details>"]:
            bad.append(f"{lines[i]!r}: {opens} <details>, {closes} </details>, "
                       f"ends with {last!r}")
        elif len(head.group(0)) >= len(text) - 20:
            bad.append(f"{lines[i]!r}: nothing inside <details>")
    check(f"{p}: {len(steps)} steps open with goal, reading, checkpoint; hints folded",
          steps and not bad, "; ".join(bad))
    fences = [n + 1 for n, l in enumerate(lines) if re.match(r"^```kernel-session", l)]
    found = [b[0] for b in dt.blocks(p)]
    check(f"{p}: the doc test finds all {len(fences)} kernel-session blocks", found == fences,
          f"fences at {fences}, doctest finds {found}")
    depth = 0
    for n, l in enumerate(lines, 1):
        depth += (l.strip() == "<details>") - (l.strip() == "</details>")
        if depth and n in fences:
            inside_details += 1
check(f"{inside_details} kernel-session blocks inside <details> are replayed too",
      inside_details > 0)
missing = []
for path in sorted(glob.glob("src/**/*.[chS]", recursive=True)):
    text = re.sub(r"\n\s*//\s*", " ", open(path, encoding="utf-8").read())
    for guide, step in re.findall(r'(lab-guides/[\w-]+\.md),\s+"([^"]+)"', text):
        if not (os.path.exists(guide) and re.search("^## " + re.escape(step) + "$",
                                                    open(guide).read(), re.M)):
            missing.append(f"{path}: {guide} \"{step}\"")
check("every TODO in src/ names a step heading that exists", not missing, "; ".join(missing))
print(f"{tally[0]} passed, {tally[1]} failed")
sys.exit(1 if tally[1] else 0)
PY
