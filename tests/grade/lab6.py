"""Lab 6: EclipseFS. The kernel mounts the volume on its disk and reads it
through the virtio-blk driver: `ls`, `cat`, `stat`, `sha256`, `cd` and `dump`
are checked against what the host knows about the same tree. Images are made
with the tree's own mkfs-eclipsefs from the sample disk/ directory and from
trees generated at random (seeded, so a failure can be replayed), and
corrupt images are crafted by patching bytes of a valid one at offsets
computed from the format. Every corrupt image must give its own message and
leave the shell answering.

Serial output is slow (about 40 KiB/s), so large files are checked with the
kernel's `sha256`, never printed.

The grader is in parts: lab6_trees.py (the trees and images the host
knows), lab6_image.py (an image parsed in Python), lab6_output.py (what
the shell printed, checked), this file (valid images) and lab6_errors.py
(what must fail cleanly: corrupt images, loops, bad sectors, limits).

Most tests run once (gradelib.ONCE): what they check is the file system,
and the transports below it are graded in labs 2 to 5. The tests whose
outcome also depends on the block driver (two disks, a bad sector,
4096-byte blocks) run on both; the directory at the reader's limits runs
on modern mmio, so that a file-system test reads through each driver."""

import os
import random
import re
import shutil
import subprocess
import sys

from gradelib import ONCE, PCI_TRANSPORTS, Fail, Skip, make_disk, test
from lab6_image import RECORD_SIZE_AT, efs_image, load
from lab6_output import (check_hexdump, check_ls_l, check_nodes, check_sha, check_stat,
                         dump_expected, expect_mounted, lines_of, node_commands, q, shows,
                         stat_fields)
from lab6_trees import (GPT_VOLUME_OFFSET, WIDE_NAMES, Node, build, random_tree, resolve, sample,
                        walk)

# --- valid images ---------------------------------------------------------------

@test(6, "the sample disk: ls -l, cat and stat agree with the host's disk/", points=3,
      transports=ONCE)
def sample_disk(ctx):
    tree, path = sample(ctx)
    img = load(path)
    dirs = [(p, n) for p, n in walk(tree) if n.kind == "dir"]
    readme = resolve(tree, "/readme.txt").data
    size = len(readme)
    # (skip, count) for hexdump: whole, inside, ending at the end, from
    # the end, past the end, and nothing asked for
    dumps = [(0, None), (16, 40), (size - 20, 20), (size, None), (size + 5000, None), (3, 0)]
    hexdumps = [f"hexdump -s {s} " + (f"-n {n} " if n is not None else "") + "/readme.txt"
                for s, n in dumps]
    cmds = [f"ls -l {q(p)}" for p, _ in dirs] + ["ls /", "cat /bin/hello", "cat /readme.txt",
                                                 "stat /bin/hello", "stat /bin/sh", "stat /",
                                                 "mount"] + hexdumps
    r = ctx.boot(cmds, disks=[path])
    expect_mounted(r, img.total)
    for p, n in dirs:
        check_ls_l(r, f"ls -l {q(p)}", n)
    names = sorted(tree.kids, key=lambda n: n.encode())
    if lines_of(r, "ls /") != names:
        raise Fail(f"`ls /` should print {names}, one a line; it printed {lines_of(r, 'ls /')}")
    for p in ("/bin/hello", "/readme.txt"):
        want = resolve(tree, p).data.decode()
        if r.section(f"cat {p}") != want:
            raise Fail(f"`cat {p}` should print exactly the file's {len(want)} bytes "
                       f"{want[:60]!r}...; it printed {r.section(f'cat {p}')[:100]!r}")
    for p in ("/bin/hello", "/bin/sh", "/"):
        check_stat(r, f"stat {p}", resolve(tree, p) if p != "/bin/sh" else
                   tree.kids["bin"].kids["sh"], img.lookup(p), img)
    shows(r, "mount", r"\bwhole disk\b", "`whole disk`, where the volume is")
    for (skip, count), c in zip(dumps, hexdumps):
        check_hexdump(r, c, readme, skip, count)
    r.expect_exit(0)


def random_check(ctx, seed, **kw):
    rng = random.Random(f"lab6 {seed}")
    tree = random_tree(rng, **kw)
    path = build(ctx, tree, "t")
    img = load(path)
    cmds = node_commands(tree)
    r = ctx.boot([c for *_, c in cmds], disks=[path], timeout=60)
    expect_mounted(r, img.total)
    check_nodes(r, tree, img, cmds)
    r.expect_exit(0)


@test(6, "random tree 1: every ls -l, stat and sha256 agrees with the host", points=2,
      transports=ONCE)
def random_tree_1(ctx):
    random_check(ctx, 1)


@test(6, "random tree 2, with files of several MiB (checked by sha256)", points=3, transports=ONCE)
def random_tree_2(ctx):
    random_check(ctx, 2, big=(3 << 20, (5 << 20) + 12345))


@test(6, "random tree 3: UTF-8 and spaces in names, deeper directories", points=2, transports=ONCE)
def random_tree_3(ctx):
    random_check(ctx, 3, depth=5, names=WIDE_NAMES)


@test(6, "dump / of a random tree, with every directory's entries shuffled on disk",
      points=2, transports=ONCE)
def random_dump(ctx):
    rng = random.Random("lab6 dump")
    tree = random_tree(rng)
    # names that sort differently as paths than as tree order: "/a", "/a b", "/a/x"
    a = tree.kids["a"] = Node("dir", 0o755, 1700000000)
    a.kids["x"] = Node("file", 0o644, 1700000000, b"x\n")
    tree.kids["a b"] = Node("file", 0o644, 1700000000, b"a b\n")
    tree.kids["a.txt"] = Node("file", 0o644, 1700000000, b"")
    img = load(build(ctx, tree, "t"))
    # the format promises no order; the kernel must sort
    for p, n in walk(tree):
        if n.kind != "dir" or len(n.kids) < 2:
            continue
        ents = img.entries(img.lookup(p))
        raw = [bytes(img.d[o:o + 8 + len(name.encode())]) for o, name, _ in ents]
        rng.shuffle(raw)
        start = ents[0][0]
        img.d[start:start + sum(map(len, raw))] = b"".join(raw)
    path = img.save(ctx.scratch("shuffled.img"))
    cmds = ["dump /", "ls /", "dump /a"]
    r = ctx.boot(cmds, disks=[path])
    expect_mounted(r)
    for c, where in (("dump /", "/"), ("dump /a", "/a")):
        got, want = lines_of(r, c), dump_expected(tree, where)
        if got != want:
            diff = next((i for i, (g, w) in enumerate(zip(got, want)) if g != w),
                        min(len(got), len(want)))
            raise Fail(f"`{c}`: line {diff + 1} should be "
                       f"{want[diff] if diff < len(want) else '(nothing)'!r}, got "
                       f"{got[diff] if diff < len(got) else '(nothing)'!r}")
    names = sorted(tree.kids, key=lambda n: n.encode())
    if lines_of(r, "ls /") != names:
        raise Fail(f"`ls /` on shuffled entries should print {names}; it printed "
                   f"{lines_of(r, 'ls /')}")
    r.expect_exit(0)


@test(6, "a GPT disk: the EclipseFS partition is found, mounted and read", points=2,
      transports=ONCE)
def gpt_disk(ctx):
    rng = random.Random("lab6 gpt")
    tree = random_tree(rng, depth=2)
    path = build(ctx, tree, "gpt", gpt=True)
    files = [(p, n) for p, n in walk(tree) if n.kind == "file"][:6]
    cmds = ["mount", "ls /"] + [f"sha256 {q(p)}" for p, _ in files]
    r = ctx.boot(cmds, disks=[path])
    m = r.expect(r"^fs: EclipseFS volume on .*, GPT partition (\d+), at byte offset (\d+)$",
                 "`fs: EclipseFS volume on ..., GPT partition N, at byte offset ...`")
    if int(m.group(2)) != GPT_VOLUME_OFFSET:
        raise Fail(f"the volume starts at byte {GPT_VOLUME_OFFSET} of the disk, the kernel "
                   f"says {m.group(2)}")
    expect_mounted(r)
    shows(r, "mount", rf"GPT partition {m.group(1)}\b", f"`GPT partition {m.group(1)}`")
    names = sorted(tree.kids, key=lambda n: n.encode())
    if lines_of(r, "ls /") != names:
        raise Fail(f"`ls /` should print {names}; it printed {lines_of(r, 'ls /')}")
    for p, n in files:
        check_sha(r, f"sha256 {q(p)}", n.data, p)
    r.expect_exit(0)


@test(6, "a GPT made on a 4Kn disk (4096-byte LBAs, header at byte 4096) on a disk of "
      "4096-byte blocks", points=1, transports=ONCE)
def gpt_4kn(ctx):
    # UEFI counts a GPT's LBAs in the disk's logical blocks: partitioned
    # as a 4Kn disk, the header is at byte 4096 and partition 1 at LBA 16
    # is byte 65536. (A table made on a 512-byte image is still found at
    # byte 512 when the disk is served with 4096-byte blocks.)
    disk = ctx.scratch("gpt4k.img")
    subprocess.run([sys.executable, ctx.path("tests", "tools", "gpt.py"), "wrap",
                    ctx.path("build", "sample.img"), disk, "16", "4096"], check=True)
    r = ctx.boot(["cat /readme.txt"], disks=[{
        "file": disk, "dev_opts": ",logical_block_size=4096,physical_block_size=4096"}])
    r.expect(r"^fs: EclipseFS volume on .*, GPT partition 1, at byte offset 65536$",
             "`fs: EclipseFS volume on ..., GPT partition 1, at byte offset 65536`")
    if "Welcome to Eclipse RV" not in r.section("cat /readme.txt"):
        raise Fail("`cat /readme.txt` did not print the sample disk's readme")
    r.expect_exit(0)


@test(6, "a path of 255-byte names, 1019 bytes long, typed whole at the shell", points=1,
      transports=("legacy",))
def longest_names(ctx):
    # names at EclipseFS's 255-byte limit, nested: the shell must take the
    # whole line (it used to cut lines at 255 bytes, silently)
    t = 1640995200
    names = ["a" * 255, "b" * 255, "c" * 255, "d" * 250]
    tree = node = Node("dir", 0o755, t)
    for n in names[:-1]:
        node = node.kids.setdefault(n, Node("dir", 0o755, t))
    node.kids[names[-1]] = Node("file", 0o644, t, b"at the bottom\n")
    path = "/" + "/".join(names)
    img = build(ctx, tree, "long")
    r = ctx.boot([f"cat {path}", "ls /" + "/".join(names[:-1]), f"sha256 {path}"], disks=[img])
    expect_mounted(r)
    if r.section(f"cat {path}").strip() != "at the bottom":
        raise Fail(f"`cat` of a {len(path)}-byte path did not print the file")
    if lines_of(r, "ls /" + "/".join(names[:-1])) != [names[-1]]:
        raise Fail("`ls` of a 764-byte path did not list its 250-byte name")
    check_sha(r, f"sha256 {path}", b"at the bottom\n", path)
    r.expect_exit(0)

def nav_tree():
    t = Node("dir", 0o755, 1700000000)
    t.kids["my docs"] = d = Node("dir", 0o755, 1700000001)
    d.kids["deep"] = deep = Node("dir", 0o755, 1700000002)
    deep.kids["note.txt"] = Node("file", 0o644, 1700000003, b"down here\n")
    d.kids["here"] = Node("symlink", 0o777, 1700000004, target="deep")
    t.kids["abs"] = Node("symlink", 0o777, 1700000005, target="/my docs/deep")
    t.kids["top.txt"] = Node("file", 0o644, 1700000006, b"at the top\n")
    return t


@test(6, "cd, pwd, .. and relative paths (symlinks to directories too)", points=2, transports=ONCE)
def navigation(ctx):
    path = build(ctx, nav_tree(), "nav")
    cmds = [("pwd", "/"),
            ('cd "my docs"', None), ("pwd", "/my docs"), ("ls", "deep\nhere"),
            ("cat deep/note.txt", "down here"), ("cat ./deep/../deep/note.txt", "down here"),
            ("cat ../top.txt", "at the top"),
            ("cd deep", None), ("pwd", "/my docs/deep"), ("cat note.txt", "down here"),
            ("cd ..", None), ("pwd", "/my docs"),
            ("cd here", None), ("pwd", "/my docs/deep"),
            ("cd /", None), ("cd ..", None), ("pwd", "/"),
            ("cd abs/..", None), ("pwd", "/my docs"),
            ("cd", None), ("pwd", "/"),
            ("cd top.txt", "cd: top.txt: not a directory"), ("pwd", "/"),
            ("cd /nope", "cd: /nope: no such file or directory"),
            ("cd /abs", None), ("pwd", "/my docs/deep"),
            ("pwd x", "usage: pwd   (takes no arguments)"),
            ("fsck x", "usage: fsck   (takes no arguments)"),
            ("stat ../here", None)]
    r = ctx.boot([c for c, _ in cmds], disks=[path])
    expect_mounted(r)
    nth = {}
    for c, want in cmds:
        n = nth[c] = nth.get(c, -1) + 1
        marker, i = "eclipse> " + c + "\n", -1
        for _ in range(n + 1):
            i = r.output.find(marker, i + 1)
        if i < 0:
            raise Fail(f"the shell never ran {c!r}")
        out = r.output[i + len(marker):].split("eclipse> ")[0].strip()
        if want is not None and out != want:
            raise Fail(f"`{c}` (step {cmds.index((c, want)) + 1}) should print {want!r}; "
                       f"it printed {out[:200]!r}")
        if want is None and c.startswith("cd") and out:
            raise Fail(f"`{c}` should succeed silently; it printed {out[:200]!r}")
    f = stat_fields(r, "stat ../here")
    if f.get("type") != "symlink" or f.get("target") != "deep":
        raise Fail("`stat ../here` from /my docs/deep should show the symlink `here -> deep` "
                   f"(stat does not follow it); got {f}")
    r.expect_exit(0)


@test(6, "the shared vector: dump / prints eclipsefs-sample.expected exactly", points=2,
      transports=ONCE)
def shared_vector(ctx):
    # shared/ sits beside the graded tree, or beside the tree the graders
    # came from (a handout built under build/proof/ is graded from there)
    here = os.path.dirname(os.path.abspath(__file__))
    d = next((p for p in (os.path.join(ctx.root, "..", "shared", "vectors"),
                          os.path.join(here, "..", "..", "..", "shared", "vectors"))
              if os.path.isdir(p)), "")
    img, expected = (os.path.join(d, "eclipsefs-sample." + e) for e in ("img", "expected"))
    if not (os.path.exists(img) and os.path.exists(expected)):
        raise Skip("shared/vectors/eclipsefs-sample.img is not here: the course's shared "
                   "vectors sit beside the course's own tree, so outside it (a handout, a "
                   "bundle built without them) this test is skipped and costs no points")
    with open(expected, encoding="utf-8") as f:
        want = [l for l in f.read().split("\n") if l]
    r = ctx.boot(["dump /", "cat /bin/sh"], disks=[{"file": img, "readonly": True}])
    expect_mounted(r)
    got = lines_of(r, "dump /")
    if got != want:
        raise Fail(f"`dump /` should print exactly the {len(want)} lines of "
                   f"eclipsefs-sample.expected; it printed {got[:8]}")
    if r.section("cat /bin/sh") != "Hello, EclipseFS!":
        raise Fail("`cat /bin/sh` (a symlink to hello) should print `Hello, EclipseFS!`")
    r.expect_exit(0)


@test(6, "three disks: the root is the first whose EclipseFS mounts, its root directory "
      "read (one that cannot be read is passed over)", points=1)
def two_disks_root_rule(ctx):
    blank = make_disk(ctx.scratch("blank.img"), 1 << 20)
    sample = ctx.scratch("sample.img")
    shutil.copy(ctx.path("build", "sample.img"), sample)
    # a sound header over a root whose record_size is 0: the header alone
    # mounts, so mount must read the root too and boot go on to the next
    bad = load(sample)
    off, _ = bad.record(1)
    bad.put32(off + RECORD_SIZE_AT, 0)
    bad_root = bad.save(ctx.scratch("bad-root.img"))
    # slot 0 is discovered first (vda) but holds no file system; slot 1
    # (vdb) a volume whose root cannot be read; slot 2 (vdc) the sample.
    # On PCI there are no slots: QEMU puts the disks at 00:01.0, 00:02.0
    # and 00:03.0 in the order given, after the host bridge at 00:00.0.
    r = ctx.boot(["ls /", "blk"], disks=[{"file": blank, "slot": 0},
                                         {"file": bad_root, "slot": 1},
                                         {"file": sample, "slot": 2}])
    first, third = (("pci 00:01.0", "pci 00:03.0") if ctx.transport in PCI_TRANSPORTS else
                    ("slot 0", "slot 2"))
    r.expect(rf"^fs: no EclipseFS volume on virtio-blk \({re.escape(first)}\)",
             "the blank disk tried first")
    r.expect(r"^fs: mount failed: the root directory cannot be read: inode 1: record_size 0",
             "the disk whose root record cannot be read refused at mount, with the reason")
    r.expect(rf"^fs: root is vdc \(virtio-blk \({re.escape(third)}\)\): the first disk that "
             "holds EclipseFS$", "the root disk named, with the rule")
    if "readme.txt" not in r.section("ls /"):
        raise Fail("`ls /` should list the sample disk's files (the root is the third disk)")
    r.expect_exit(0)


@test(6, "odd metadata: ls -l keeps its columns for a 10-digit uid, tree counts symlinks as "
      "links, dump shows control bytes in names as ?", points=1, transports=ONCE)
def odd_metadata(ctx):
    t = Node("dir", 0o755, 1700000000)
    t.kids["docs"] = docs = Node("dir", 0o755, 1700000000)
    docs.kids["a.txt"] = Node("file", 0o644, 1700000000, b"a\n")
    t.kids["big uid"] = Node("file", 0o644, 1700000000, b"owned\n")
    t.kids["ctl\x01name"] = Node("file", 0o644, 1700000000, b"c\n")
    t.kids["tab\tname"] = Node("file", 0o644, 1700000000, b"t\n")
    t.kids["up"] = Node("symlink", 0o777, 1700000000, target="..")
    t.kids["link"] = Node("symlink", 0o777, 1700000000, target="docs/a.txt")
    img = load(build(ctx, t, "odd"))
    uid, _ = img.tlv(img.lookup("/big uid"), efs_image.TAG_UID)
    img.put32(uid, 0xFFFFFFFF)
    path = img.save(ctx.scratch("odd.img"))
    r = ctx.boot(["ls -l /", "tree /", "dump /"], disks=[path])
    expect_mounted(r)
    lines = lines_of(r, "ls -l /")
    if not any(" 4294967295 " in ln for ln in lines):
        raise Fail(f"`ls -l /` should show uid 4294967295; it printed {lines}")
    starts = {re.search(r"\d{4,}-\d\d-\d\d", ln).start() for ln in lines
              if re.search(r"\d{4,}-\d\d-\d\d", ln)}
    if len(lines) != 6 or len(starts) != 1:
        raise Fail("`ls -l /` should line its 6 lines up, the dates in one column, whatever "
                   f"the uid's width; it printed {lines}")
    tree = r.section("tree /")
    if not re.search(r"^1 directory, 4 files, 2 symlinks$", tree, re.M):
        raise Fail("`tree /` should count docs as the directory, the four files, and up -> .. "
                   f"and link as symlinks (`1 directory, 4 files, 2 symlinks`); it printed "
                   f"{tree.strip()[-200:]!r}")
    out = r.section("dump /")
    if "\x01" in out or "\t" in out:
        raise Fail("`dump /` should print control bytes in names as `?`, as ls and tree do, "
                   f"not raw; it printed {out!r}")
    for want in ("/ctl?name file 2 sha256:", "/tab?name file 2 sha256:"):
        if want not in out:
            raise Fail(f"`dump /` should show {want!r}...; it printed {out!r}")
    r.expect_exit(0)


# --- at the reader's limits, and fields it must refuse ----------------------------


@test(6, "a directory at the reader's limits: 4096 entries, 200-byte names", points=2,
      transports=("modern",))
def limits(ctx):
    path = ctx.scratch("limits.img")
    with open(path, "wb") as f:
        f.write(efs_image.image(efs_image.limits()))
    names = sorted("%03x" % k for k in range(4096))
    # /long is never listed whole: 800 KiB of names would keep the serial
    # line busy for 20 s. fsck and cd read all of it; the unit tests check
    # the sorted listing of such a directory (dir_sort_lists_4096_names_...).
    # tree shares dump's sorted levels and would only add 2 s of output.
    long_last = efs_image.long_name(4095).decode()
    cmds = ["fsck", "ls /big", "dump /big", f"ls -l /long/{long_last}",
            "cd /long", "pwd", "cat /f", "echo alive"]
    r = ctx.boot(cmds, disks=[path], timeout=60)
    expect_mounted(r, 8196)
    shows(r, "fsck", r"^fsck: clean: 8196 inodes", "`fsck: clean: 8196 inodes`")
    got = lines_of(r, "ls /big")
    if got != names:
        raise Fail(f"`ls /big` should print all 4096 names in order; it printed {len(got)} "
                   f"lines, starting {got[:3]}, ending {got[-2:]}")
    want = ["/big dir 4096"] + [f"/big/{n} dir 0" for n in names]
    if lines_of(r, "dump /big") != want:
        got = lines_of(r, "dump /big")
        raise Fail(f"`dump /big` should print {len(want)} lines; it printed {len(got)}: "
                   f"{got[:3]} ... {got[-2:]}")
    if not r.section(f"ls -l /long/{long_last}").rstrip().endswith(long_last):
        raise Fail("`ls -l` of a 200-byte name should show it")
    if r.section("pwd").strip() != "/long":
        raise Fail("`cd /long` then `pwd` should print /long")
    if r.section("cat /f") != "limits\n":
        raise Fail("`cat /f` should print `limits`")
    r.alive("alive")
    r.expect_exit(0)


# The tests of what must fail cleanly register with the lab's when imported.
import lab6_errors  # noqa: E402,F401
