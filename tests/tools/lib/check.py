"""The checks of the tool tests written in Python, as lib/check.sh is for
the shell ones: check() prints one `ok`/`FAIL` line and counts it (a
failure may show what the check looked at), summary() prints the
`N passed, N failed` line every tool test ends with and exits with its
status, skip() says why nothing could be checked, and qemu_kernel() skips
a test that boots the kernel where there is none to boot."""

import os
import shutil
import sys

counts = {"passed": 0, "failed": 0}


def check(ok, what, show=""):
    print(("ok   " if ok else "FAIL ") + what)
    counts["passed" if ok else "failed"] += 1
    if not ok and show:
        print("     " + show.strip().replace("\n", "\n     "))
    return ok


def failed():
    return counts["failed"]


def skip(why):
    print(f"SKIP {why}")
    print("0 passed, 0 failed, 1 skipped")
    sys.exit(0)


def qemu_kernel(build, qemu, what):
    """build's kernel.elf, or skip(): `what` needs it and `qemu`."""
    kernel = os.path.join(build, "kernel.elf")
    if not os.path.exists(kernel) or not shutil.which(qemu):
        skip(f"{what}: needs {kernel} and {qemu}")
    return kernel


def summary():
    print(f"{counts['passed']} passed, {counts['failed']} failed")
    sys.exit(1 if counts["failed"] else 0)
