"""The bookkeeping of tests/run_all.py: one tally for the whole run, phases
that collect their jobs' lines and print them when their last job ends,
and a pool of worker threads that takes jobs by priority."""

import os
import queue
import re
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$", re.M)
lock = threading.Lock()
tally = {"passed": 0, "failed": 0, "skipped": 0}
failures = []


# RUN_ALL_PROFILE=file: a line per command run (CPU s, wall s, phase,
# command), to find where a run's time goes
PROFILE = os.environ.get("RUN_ALL_PROFILE")

# the phase whose job this thread is running, for the CPU it is charged
current = threading.local()


def run(cmd, cwd=ROOT, timeout=900, raise_timeout=False):
    """subprocess.run(cmd, capture_output=True, text=True) that also
    charges the CPU time of the command (and of everything it waited for)
    to the phase of the calling job. A command still running after
    `timeout` s is killed: with raise_timeout, TimeoutExpired is raised;
    without, its output so far is returned with exit status -1."""
    start = time.monotonic()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    chunks = ([], [])

    def drain(f, into):
        for block in iter(lambda: f.read(65536), b""):
            into.append(block)

    readers = [threading.Thread(target=drain, args=(f, c), daemon=True)
               for f, c in zip((p.stdout, p.stderr), chunks)]
    for t in readers:
        t.start()
    deadline, killed = time.monotonic() + (timeout or 1e9), False
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline and not killed:
            p.kill()
            killed = True
        time.sleep(0.02)
    p.returncode = os.waitstatus_to_exitcode(status)
    for t in readers:
        t.join()
    out, err = (b"".join(c).decode("utf-8", "replace") for c in chunks)
    phase = getattr(current, "phase", None)
    cpu = usage.ru_utime + usage.ru_stime
    if phase is not None:
        with lock:
            phase.cpu += cpu
    if PROFILE:  # where the CPU goes, command by command
        with lock, open(PROFILE, "a") as f:
            f.write(f"{cpu:7.2f} {time.monotonic() - start:7.2f} "
                    f"{getattr(phase, 'title', '-')[:30]!r} {' '.join(cmd)[:300]}\n")
    if killed:
        if raise_timeout:
            raise subprocess.TimeoutExpired(cmd, timeout, out, err)
        return subprocess.CompletedProcess(cmd, -1, out + f"\n(killed after {timeout} s)", err)
    return subprocess.CompletedProcess(cmd, p.returncode, out, err)


class Phase:
    """A named group of jobs; collects their lines and counts."""

    def __init__(self, title, jobs):
        self.title, self.jobs_left = title, jobs
        self.lines, self.start, self.end, self.cpu = [], None, None, 0.0

    def started(self):
        with lock:
            if self.start is None:
                self.start = time.monotonic()

    def count(self, outcome, name, why=""):
        with lock:
            tally[outcome] += 1
            if outcome == "failed":
                failures.append(f"{name}: {why}" if why else name)
            shown = f": {why}" if why and outcome != "passed" else ""
            self.lines.append(f"  {outcome.upper():7} {name}{shown}")

    def add(self, passed=0, failed=0, skipped=0, failure=None):
        with lock:
            tally["passed"] += passed
            tally["failed"] += failed
            tally["skipped"] += skipped
            if failure:
                failures.append(failure)

    def say(self, text):
        with lock:
            self.lines += text.rstrip("\n").split("\n")

    def job_done(self):
        with lock:
            self.jobs_left -= 1
            if self.jobs_left:
                return
            self.end = time.monotonic()
            took = f"{self.end - self.start:.0f}s" if self.start is not None else "no job ran"
            print(f"\n== {self.title} ({took}, {self.cpu:.0f} cpu-s)", flush=True)
            for line in self.lines:
                print(line)
            sys.stdout.flush()


def job(phase, fn, *args):
    """A job of `phase`: a grader bug or a crash is a failure, never lost."""

    def go():
        phase.started()
        current.phase = phase
        try:
            fn(phase, *args)
        except Exception as e:  # noqa: BLE001
            phase.count("failed", f"{fn.__name__}{args}", f"test harness error: {e!r}")
        finally:
            phase.job_done()

    return go


class Pool:
    """`workers` threads taking jobs by priority (lower first, then in the
    order given). A job may add jobs: a handout, once built, adds its
    mutants ahead of everything still waiting, so the long chains start
    early and the short jobs fill the end. wait() returns when every job,
    added ones too, has ended."""

    def __init__(self, workers):
        self.q, self.seq, self.left = queue.PriorityQueue(), 0, 0
        self.done = threading.Condition(lock)
        for _ in range(workers):
            threading.Thread(target=self._work, daemon=True).start()

    def add(self, priority, fn):
        with lock:
            self.seq += 1
            self.left += 1
            self.q.put((priority, self.seq, fn))

    def _work(self):
        while True:
            _, _, fn = self.q.get()
            try:
                fn()
            finally:
                with lock:
                    self.left -= 1
                    self.done.notify_all()

    def wait(self):
        with lock:
            while self.left:
                self.done.wait()
