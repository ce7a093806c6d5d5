"""Lab 6's grader, its reading side for the kernel: what the shell printed
(`ls -l`, `stat`, `sha256`, `dump`, error lines), checked field by field
against the host's tree and the image."""

import datetime
import hashlib
import re
import stat

from gradelib import Fail
from lab6_trees import resolve, walk

LS_LINE = re.compile(r"^([-dl][-rwxsStT]{9})\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+"
                     r"(\d{4,}-\d\d-\d\d \d\d:\d\d) (.*)$")


def q(path):
    """A path as typed at the shell: double quotes keep spaces in one word."""
    return f'"{path}"'


def utc(t, fmt="%Y-%m-%d %H:%M"):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(fmt)


def lines_of(run, command):
    return [l for l in run.section(command).split("\n") if l != ""]


def shows(run, command, pattern, what):
    out = run.section(command)
    if not re.search(pattern, out, re.M):
        raise Fail(f"`{command}` should print {what}; it printed {out.strip()[:300]!r}")


def error_is(run, command, pattern, what):
    """command printed one error line `CMD: PATH: reason` with reason matching."""
    out = run.section(command).strip()
    cmd = command.split()[0]
    if not re.search(rf"^{re.escape(cmd)}: .*{pattern}", out, re.M):
        raise Fail(f"`{command}` should fail with {what}; it printed {out[:300]!r}")


def expect_mounted(run, inodes=None):
    m = run.expect(r"^fs: mounted EclipseFS v2\.0: (\d+) inodes", "the `fs: mounted` line")
    if inodes is not None and int(m.group(1)) != inodes:
        raise Fail(f"the image has {inodes} inodes, the mount line says {m.group(1)}")


def ls_expected(node, name):
    nlink = 2 if node.kind == "dir" else 1
    shown = name + (" -> " + node.target if node.kind == "symlink" else "")
    return (stat.filemode(node.full_mode), nlink, 0, 0, node.size, utc(node.mtime), shown)


def check_ls_l(run, command, directory):
    """`ls -l DIR`: one line an entry, sorted by name, every field right."""
    got = []
    for line in lines_of(run, command):
        m = LS_LINE.match(line)
        if not m:
            raise Fail(f"`{command}`: {line!r} is not an `ls -l` line "
                       "(MODE NLINK UID GID SIZE YYYY-MM-DD HH:MM NAME)")
        f = m.groups()
        got.append((f[0], int(f[1]), int(f[2]), int(f[3]), int(f[4]), f[5], f[6]))
    names = sorted(directory.kids, key=lambda n: n.encode())
    want = [ls_expected(directory.kids[n], n) for n in names]
    if [g[6] for g in got] != [w[6] for w in want]:
        raise Fail(f"`{command}` should list {[w[6] for w in want]} in this order (byte order "
                   f"of the names), got {[g[6] for g in got]}")
    fields = ("mode", "nlink", "uid", "gid", "size", "mtime (UTC)")
    for g, w in zip(got, want):
        for i, what in enumerate(fields):
            if g[i] != w[i]:
                raise Fail(f"`{command}`: {w[6]!r}: {what} is {w[i]!r}, the kernel shows "
                           f"{g[i]!r}")


def stat_fields(run, command):
    out = {}
    for line in lines_of(run, command):
        m = re.match(r"^\s*([a-z]+):\s+(.*?)\s*$", line)
        if m:
            out.setdefault(m.group(1), m.group(2))
    return out


def check_stat(run, command, node, ino, img):
    f = stat_fields(run, command)
    off, size = img.record(ino)
    kind = {"dir": "directory", "file": "file", "symlink": "symlink"}[node.kind]
    want = {
        "inode": str(ino), "type": kind, "uid": "0", "gid": "0",
        "nlink": "2" if node.kind == "dir" else "1", "size": str(node.size),
    }
    for key, value in want.items():
        if f.get(key) != value:
            raise Fail(f"`{command}`: {key} should be {value}, the kernel says {f.get(key)!r}")
    mode = f.get("mode", "")
    if not re.match(rf"^0?{node.full_mode:o}\b", mode):
        raise Fail(f"`{command}`: mode should be 0{node.full_mode:o}, the kernel says {mode!r}")
    for key in ("atime", "mtime", "ctime"):
        if f"({node.mtime})" not in f.get(key, "") or utc(node.mtime) not in f.get(key, ""):
            raise Fail(f"`{command}`: {key} should be {utc(node.mtime)} UTC ({node.mtime}), "
                       f"the kernel says {f.get(key)!r}")
    rec = f.get("record", "")
    if not re.search(rf"\b{size} bytes at volume offset {off}\b", rec):
        raise Fail(f"`{command}`: the record is {size} bytes at volume offset {off}, the "
                   f"kernel says {rec!r}")
    if node.kind == "symlink" and f.get("target") != node.target:
        raise Fail(f"`{command}`: target should be {node.target!r}, the kernel says "
                   f"{f.get('target')!r}")


def check_sha(run, command, data, path):
    want = hashlib.sha256(data).hexdigest()
    out = run.section(command).strip()
    if out != f"{want}  {path}":
        raise Fail(f"`{command}` should print {want}  {path}; it printed {out[:200]!r}")


def dump_expected(tree, path="/"):
    """What eclipsefs-dump and the kernel's `dump` print, sorted by path bytes."""
    lines = []  # (path as bytes, line): paths sort in byte order, not as lines
    for p, n in walk(resolve(tree, path), path):
        if n.kind == "dir":
            lines.append((p.encode(), f"{p} dir {len(n.kids)}"))
        elif n.kind == "file":
            sha = hashlib.sha256(n.data).hexdigest()
            lines.append((p.encode(), f"{p} file {n.size} sha256:{sha}"))
        else:
            lines.append((p.encode(), f"{p} symlink {n.size} {n.target}"))
    return [l for _, l in sorted(lines)]



def node_commands(tree):
    """Commands that check every node: ls -l of each directory, stat of each
    node, sha256 of each file (and of each symlink to a file)."""
    cmds = []
    for p, n in walk(tree):
        if n.kind == "dir":
            cmds.append(("ls", p, n, f"ls -l {q(p)}"))
        cmds.append(("stat", p, n, f"stat {q(p)}"))
        target = resolve(tree, p)
        if n.kind != "dir" and target is not None and target.kind == "file":
            cmds.append(("sha", p, target, f"sha256 {q(p)}"))
    return cmds


def check_nodes(run, tree, img, cmds):
    for kind, p, n, c in cmds:
        if kind == "ls":
            check_ls_l(run, c, n)
        elif kind == "stat":
            check_stat(run, c, n, img.lookup(p), img)
        else:
            check_sha(run, c, n.data, p)


def hexdump_c(data, skip=0, count=None):
    """What `hexdump -C [-s skip] [-n count]` prints for a file holding
    data (util-linux's hexdump, the reference the shell's command follows):
    16 bytes a line, a line equal to the one before shown once as `*`,
    then the offset where it stopped; for nothing read, the offset alone
    when the skip reached the end of a non-empty file, else nothing."""
    start = min(skip, len(data))
    end = len(data) if count is None else min(len(data), start + count)
    out, prev, starred = [], None, False
    for off in range(start, end, 16):
        line = data[off:min(off + 16, end)]
        if len(line) == 16 and line == prev:
            if not starred:
                out.append("*")
            starred = True
            continue
        hexes = " ".join(f"{b:02x}" for b in line[:8])
        if len(line) > 8:
            hexes += "  " + " ".join(f"{b:02x}" for b in line[8:])
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in line)
        out.append(f"{off:08x}  {hexes:<48}  |{text}|")
        prev, starred = (line if len(line) == 16 else None), False
    if data and count != 0:
        out.append(f"{end:08x}")
    return out


def check_hexdump(run, command, data, skip=0, count=None):
    want = hexdump_c(data, skip, count)
    got = [l.rstrip() for l in lines_of(run, command)]
    if got != [l.rstrip() for l in want]:
        raise Fail(f"`{command}` should print, as hexdump -C does:\n  "
                   + "\n  ".join(want[-6:]) + "\nit printed:\n  " + "\n  ".join(got[-6:]))

