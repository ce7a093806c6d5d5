"""The processes the graders start (QEMU, the unit-test runner), tracked
so that grade.py can end them all on Ctrl-C."""

import os
import signal
import threading

# Every process the graders start (QEMU, the unit-test runner) while it
# runs: on Ctrl-C grade.py ends them all, with what runs below them (the
# Criterion runner moves into a group of its own, where the terminal's
# SIGINT never reaches it), instead of letting the run charge their deaths
# as failures.
CHILDREN = set()
CHILDREN_LOCK = threading.Lock()


def started(proc):
    with CHILDREN_LOCK:
        CHILDREN.add(proc)
    return proc


def finished(proc):
    with CHILDREN_LOCK:
        CHILDREN.discard(proc)


def descendants(pid):
    """The processes below pid, read from /proc (empty where there is none)."""
    kids = {}
    for d in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append(k)
            todo.append(k)
    return out


def kill_children():
    """End every process started here and still running, with everything
    below it: the Criterion runner puts itself and each of its workers in
    a process group of their own, out of the terminal's reach. Each is
    stopped first, so nothing starts a new process while the tree is read."""
    with CHILDREN_LOCK:
        procs = list(CHILDREN)
    for p in procs:
        tree = [p.pid]
        for _ in range(2):
            for pid in tree:
                try:
                    os.kill(pid, signal.SIGSTOP)
                except OSError:
                    pass  # gone already
            tree = [p.pid] + descendants(p.pid)
        for pid in tree:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        # the runner's socket, which it removes only when it ends by itself
        # (see gradelib.run_criterion); a stale one can stop a later runner
        try:
            os.unlink(f"/tmp/criterion_{p.pid}.sock")
        except OSError:
            pass
