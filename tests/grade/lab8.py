"""Lab 8: many requests in flight. Hundreds of reads of random sizes at
random sectors, all submitted at once and completed in whatever order the
device chooses; every byte is checked by the kernel against the pattern the
grader wrote. Small queues make the driver wait for a free request slot."""

import re

from gradelib import Fail, make_disk, sector_pattern, test


def stress(ctx, append=None, dev_opts="", count=300):
    disk = make_disk(ctx.scratch("p.img"), 8 << 20, sector_pattern)
    r = ctx.boot([f"blkstress {count} 7", "blk"], disks=[{"file": disk, "dev_opts": dev_opts}],
                 append=append, timeout=60)
    out = r.section(f"blkstress {count} 7")
    m = re.search(r"^blkstress: (\d+) requests, (\d+) bytes, (\d+) mismatched$", out, re.M)
    if not m and re.search(r"^blkstress: \d+ requests, \d+ bytes, not checked$", out, re.M):
        raise Fail("blkstress found the grader's pattern in none of the sectors it read: every "
                   "read came back with other bytes (zeros, or not the disk's)")
    if not m:
        raise Fail("blkstress did not finish: " + (out.strip().splitlines() or ["(nothing)"])[-1])
    if int(m.group(1)) != count or int(m.group(3)) != 0:
        raise Fail(f"blkstress: {m.group(3)} of {count} requests read the wrong bytes")
    q = re.search(r"^blk: queue size (\d+), (\d+) request slots", r.output, re.M)
    f = re.search(r"at most (\d+) in flight", r.output)
    if not q or not f:
        raise Fail("`blk` did not print the queue size and the in-flight maximum")
    r.expect_exit(0)
    return int(q.group(1)), int(q.group(2)), int(f.group(1))


@test(8, "300 random reads in flight at once, every byte right", points=4)
def many_in_flight(ctx):
    size, slots, most = stress(ctx)
    if most < min(slots, 300):
        raise Fail(f"at most {most} requests were in flight; the queue holds {slots}")


@test(8, "a 16-entry queue without indirect descriptors waits when full", points=3)
def small_queue(ctx):
    size, slots, most = stress(ctx, append="vq_size=16 indirect=off",
                               dev_opts=",queue-size=16" if ctx.fixed_queue_size else "")
    if size != 16 or slots != 5:
        raise Fail(f"queue size {size} with {slots} slots, expected 16 with 5 (3 descriptors each)")
    if most != 5:
        raise Fail(f"at most {most} in flight, expected the queue to be filled (5)")


@test(8, "a 1024-entry queue with EVENT_IDX off", points=3)
def big_queue(ctx):
    size, slots, most = stress(ctx, append="vq_size=1024 event_idx=off",
                               dev_opts=",queue-size=1024")
    if size != 1024:
        raise Fail(f"queue size {size}, expected 1024")
    if most != 300:
        raise Fail(f"at most {most} in flight, expected all 300")


@test(8, "indirect descriptors off and on give the same bytes", points=2)
def indirect_both(ctx):
    for append in ("indirect=off event_idx=off", None):
        size, slots, most = stress(ctx, append=append, count=200)
        if most < 2:
            raise Fail(f"only {most} in flight with {append or 'defaults'}")

