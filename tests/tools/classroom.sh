#!/bin/sh
# .github/workflows/classroom.yml parses as YAML (Debian's python3-yaml),
# runs on push, installs with tools/install-deps, grades with
# `make grade LAB=$LAB` for a lab that has a grader, and is documented in
# lab-guides/README.md.
set -eu
cd "$(dirname "$0")/../.."
# Debian's python3-yaml belongs to Debian's python3; another python3 first
# on PATH (pyenv, a venv) may not see it
PY3=python3
python3 -c 'import yaml' 2>/dev/null || { [ -x /usr/bin/python3 ] && PY3=/usr/bin/python3; }
exec "$PY3" - <<'PY'
import os, re, sys
tally = [0, 0, 0]


def check(name, cond, why=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + why))
    tally[not cond] += 1


try:
    import yaml
except ImportError:
    print("SKIP classroom.yml: python3-yaml is not installed (tools/install-deps --with-optional installs it)")
    print("0 passed, 0 failed, 1 skipped")
    sys.exit(0)
path = ".github/workflows/classroom.yml"
try:
    wf = yaml.safe_load(open(path))
    check(f"{path} parses", isinstance(wf, dict))
except Exception as e:
    check(f"{path} parses", False, str(e))
    print(f"{tally[0]} passed, {tally[1]} failed")
    sys.exit(1)
# YAML 1.1 reads a bare `on` key as True
on = wf.get("on", wf.get(True))
check("it runs on push", isinstance(on, (dict, list)) and "push" in on, repr(on))
lab = str(wf.get("env", {}).get("LAB", ""))
check(f"LAB ({lab!r}) names a lab with a grader",
      lab.isdigit() and os.path.exists(f"tests/grade/lab{lab}.py"))
steps = [s for j in wf.get("jobs", {}).values() for s in j.get("steps", [])]
runs = [s.get("run", "") for s in steps]
check("a step checks the repository out",
      any(str(s.get("uses", "")).startswith("actions/checkout@") for s in steps))
inst = [i for i, r in enumerate(runs) if re.match(r"^(sudo )?tools/install-deps\s*$", r.strip())]
grade = [i for i, r in enumerate(runs) if re.match(r"^make grade LAB=\$LAB\b", r.strip())]
check("a step runs tools/install-deps", bool(inst), repr(runs))
check("a later step runs make grade LAB=$LAB", bool(grade) and bool(inst) and grade[0] > inst[0],
      repr(runs))
# Ubuntu 22.04's qemu-system-misc is QEMU 6.2; the course needs 7.0 or newer
images = [str(j.get("runs-on", "")) for j in wf["jobs"].values()]
check("it runs on an image whose QEMU is 7.0 or newer (ubuntu-24.04 or later)",
      all(re.match(r"^ubuntu-(2[4-9]|[3-9]\d)\.\d\d$", i) for i in images), repr(images))
check("the job has a time limit",
      all(isinstance(j.get("timeout-minutes"), int) for j in wf["jobs"].values()))
readme = open("lab-guides/README.md").read()
check("lab-guides/README.md documents it", path in readme and "make grade LAB=$LAB" in readme)
print(f"{tally[0]} passed, {tally[1]} failed")
sys.exit(1 if tally[1] else 0)
PY
