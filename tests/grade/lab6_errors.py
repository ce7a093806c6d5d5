"""Lab 6's grader, what must fail cleanly: corrupt images crafted by
patching bytes of a valid one at offsets computed from the format, loops,
missing paths, bad sectors, a partial last block and fields over the
reader's limits. Every one must give its own message and leave the shell
answering. lab6.py imports this file, so its tests run with the lab's."""

import re

from gradelib import ONCE, Fail, test
from lab6_image import (ENTRY_INODE_AT, MAGIC, RECORD_SIZE_AT, VERSION_AT, Image, efs_image,
                        load)
from lab6_output import check_ls_l, error_is, expect_mounted, lines_of, shows, stat_fields
from lab6_trees import Node, build, mkfs, resolve, sample

# --- corrupt images -------------------------------------------------------------

def sample_image(ctx):
    return load(mkfs(ctx, ctx.path("disk"), "base.img"))


def mount_fails(ctx, img, pattern, what):
    path = img.save(ctx.scratch("bad.img"))
    r = ctx.boot(["ls /", "cat /bin/hello", "fsread /", "echo alive"], disks=[path])
    # a device's name may hold colons in parentheses: virtio-blk (pci 00:01.0)
    m = re.search(r"^fs: (?:mount failed|no EclipseFS volume on (?:[^:(]|\([^)]*\))*): (.*)$",
                  r.output, re.M)
    if not m:
        raise Fail(f"the kernel should refuse to mount ({what}) with an `fs: mount failed: "
                   "...` line")
    if not re.search(pattern, m.group(1)):
        raise Fail(f"the mount error should say {what}; it says {m.group(1)!r}")
    r.reject(r"^fs: mounted", "a mounted volume")
    for c in ("ls /", "cat /bin/hello", "fsread /"):
        if "no file system mounted" not in r.section(c):
            raise Fail(f"`{c}` without a volume should say `no file system mounted`")
    r.alive("alive")
    r.expect_exit(0)


@test(6, "bad magic: no volume found, the shell goes on", points=1, transports=ONCE)
def bad_magic(ctx):
    img = sample_image(ctx)
    img.d[0:len(MAGIC)] = b"ECLIPSEFZ"
    mount_fails(ctx, img, r"ECLIPSEFS", "that the disk does not start with ECLIPSEFS")


@test(6, "version 1.0 is refused by name", points=1, transports=ONCE)
def version_1(ctx):
    img = sample_image(ctx)
    img.put32(VERSION_AT, 0x00010000)
    mount_fails(ctx, img, r"version.*\b1\.0\b", "which version it found (1.0)")


@test(6, "version 3.0 is refused by name", points=1, transports=ONCE)
def version_3(ctx):
    img = sample_image(ctx)
    img.put32(VERSION_AT, 0x00030000)
    mount_fails(ctx, img, r"version.*\b3\.0\b", "which version it found (3.0)")


@test(6, "an image cut short: the inode table past the end, then records past the end",
      points=2, transports=ONCE)
def truncated(ctx):
    img = sample_image(ctx)
    whole = bytes(img.d)
    # one sector: the header is there, the inode table at 4096 is not
    img.d = bytearray(whole[:512])
    mount_fails(ctx, img, r"inode table.*outside|past the end|too small",
                "that the inode table lies outside the volume")
    # cut inside the records: mounts, the records before the cut read, the rest fail
    img = Image(whole)
    ino = img.lookup("/docs/virtio/queues.txt")
    off, _ = img.record(ino)
    cut = (off + 512) // 512 * 512
    path = ctx.scratch("cut.img")
    with open(path, "wb") as f:
        f.write(whole[:cut])
    r = ctx.boot(["ls /", "cat /bin/hello", "cat /docs/virtio/queues.txt",
                  "sha256 /docs/virtio/queues.txt", "echo alive"], disks=[path])
    expect_mounted(r)
    if "Hello, EclipseFS!" not in r.section("cat /bin/hello"):
        raise Fail("`cat /bin/hello`: its record lies before the cut and must still read")
    for c in ("cat /docs/virtio/queues.txt", "sha256 /docs/virtio/queues.txt"):
        error_is(r, c, rf"inode {ino}: .*past the end", f"`inode {ino}: ... past the end of "
                 "the volume` (the record is cut off)")
    r.alive("alive")
    r.expect_exit(0)


@test(6, "record_size past the end of the volume, and over 32 MiB", points=2, transports=ONCE)
def record_size(ctx):
    img = sample_image(ctx)
    hello, readme = img.lookup("/bin/hello"), img.lookup("/readme.txt")
    off, _ = img.record(hello)
    img.put32(off + RECORD_SIZE_AT, 1 << 20)  # under 32 MiB, far past the 10 KiB volume
    off2, _ = img.record(readme)
    img.put32(off2 + RECORD_SIZE_AT, (32 << 20) + 1)
    path = img.save(ctx.scratch("bad.img"))
    r = ctx.boot(["cat /bin/hello", "ls /bin", "ls -l /bin", "cat /readme.txt", "cat /bin/sh",
                  "echo alive"], disks=[path])
    expect_mounted(r)
    error_is(r, "cat /bin/hello", rf"inode {hello}: record_size \d+ .*past the end",
             f"`inode {hello}: record_size N runs past the end of the volume`")
    error_is(r, "cat /readme.txt", rf"inode {readme}: record_size \d+ .*32 MiB",
             f"`inode {readme}: record_size N is over the 32 MiB limit`")
    error_is(r, "cat /bin/sh", rf"inode {hello}: record_size",
             "the same record_size error, reached through the symlink")
    if lines_of(r, "ls /bin") != ["hello", "sh"]:
        raise Fail("`ls /bin` reads only the directory, so it should still print hello and sh")
    out = r.section("ls -l /bin")
    if not re.search(r"^ls: .*hello: inode \d+: record_size", out, re.M) or \
            not re.search(r"^l\S+ .* sh -> hello$", out, re.M):
        raise Fail("`ls -l /bin` should report hello's record_size and still show "
                   f"`sh -> hello`; it printed {out.strip()[:300]!r}")
    r.alive("alive")
    r.expect_exit(0)


@test(6, "a directory entry's name_len runs past the record", points=2, transports=ONCE)
def name_len(ctx):
    img = sample_image(ctx)
    ents = img.entries(1)
    # name_len of the second entry of the root: the first is still listed
    img.put32(ents[1][0], 0x10000)
    path = img.save(ctx.scratch("bad.img"))
    r = ctx.boot(["ls /", "cat /readme.txt", "cat /bin/hello", "tree /", "fsck", "echo alive"],
                 disks=[path])
    expect_mounted(r)
    error_is(r, "ls /", r"inode 1: directory entry name_len 65536 runs past",
             "`inode 1: directory entry name_len 65536 runs past the end of DIRECTORY_ENTRIES`")
    # the inodes checked after the root read well; fsck said the problem
    # when it found it and needs no generic line after it
    shows(r, "fsck", r"^fsck: inode 1: directory entry name_len 65536 runs past",
          "the root's bad entry")
    if "fsck: corrupt file system" in r.section("fsck"):
        raise Fail("`fsck` said the problem; a generic `fsck: corrupt file system` after it "
                   f"adds nothing; it printed {r.section('fsck')!r}")
    if ents[0][1] not in lines_of(r, "ls /"):
        raise Fail(f"`ls /` should still show {ents[0][1]!r}, the entry before the bad one")
    error_is(r, "cat /readme.txt", r"name_len", "the same name_len error")
    r.alive("alive")
    r.expect_exit(0)


@test(6, "a directory that contains itself: ls, tree, cd and dump terminate", points=2,
      transports=ONCE)
def self_loop(ctx):
    t = Node("dir", 0o755, 1700000000)
    t.kids["loop"] = loop = Node("dir", 0o755, 1700000000)
    loop.kids["self"] = Node("file", 0o644, 1700000000, b"replaced\n")
    loop.kids["z.txt"] = Node("file", 0o644, 1700000000, b"zzz\n")
    t.kids["top"] = Node("file", 0o644, 1700000000, b"top\n")
    img = load(build(ctx, t, "loop"))
    ino = img.lookup("/loop")
    pos = next(o for o, name, _ in img.entries(ino) if name == "self")
    img.put32(pos + ENTRY_INODE_AT, ino)  # /loop/self is /loop
    path = img.save(ctx.scratch("loop.img"))
    cmds = ["ls /loop", "ls -l /loop/self/self", "tree /", "tree /loop",
            "cat /loop/self/self/z.txt", "cd /loop/self/self/self", "pwd", "ls", "cd /",
            "dump /", "echo alive"]
    r = ctx.boot(cmds, disks=[path], timeout=30)
    expect_mounted(r)
    if lines_of(r, "ls /loop") != ["self", "z.txt"]:
        raise Fail(f"`ls /loop` should print self and z.txt; it printed {lines_of(r, 'ls /loop')}")
    if not re.search(r"^d\S+ .* self$", r.section("ls -l /loop/self/self"), re.M):
        raise Fail("`ls -l /loop/self/self` should show `self` as a directory")
    for c in ("tree /", "tree /loop"):
        out = r.section(c)
        if "z.txt" not in out or len(out) > 4000:
            raise Fail(f"`{c}` should show the loop once and stop; it printed "
                       f"{len(out)} bytes: {out[:300]!r}")
    if r.section("cat /loop/self/self/z.txt") != "zzz\n":
        raise Fail("`cat /loop/self/self/z.txt` should print zzz")
    if r.section("pwd").strip() != "/loop/self/self/self":
        raise Fail(f"`pwd` after `cd /loop/self/self/self` should print /loop/self/self/self; "
                   f"it printed {r.section('pwd').strip()!r}")
    if "z.txt" not in r.section("ls"):
        raise Fail("`ls` inside the loop should list z.txt")
    error_is(r, "dump /", r"cycle|listed|inode", "an error naming the directory cycle")
    r.alive("alive")
    r.expect_exit(0)


@test(6, "a symlink loop: too many levels of symbolic links", points=1, transports=ONCE)
def symlink_loop(ctx):
    t = Node("dir", 0o755, 1700000000)
    t.kids["a"] = Node("symlink", 0o777, 1700000000, target="b")
    t.kids["b"] = Node("symlink", 0o777, 1700000000, target="/a")
    t.kids["me"] = Node("symlink", 0o777, 1700000000, target="me/x")
    t.kids["ok"] = Node("file", 0o644, 1700000000, b"fine\n")
    path = build(ctx, t, "links")
    r = ctx.boot(["cat /a", "cat /me", "ls /b", "cd /a", "stat /a", "ls -l /", "cat /ok",
                  "echo alive"], disks=[path])
    expect_mounted(r)
    for c in ("cat /a", "cat /me", "ls /b", "cd /a"):
        error_is(r, c, r"too many levels of symbolic links",
                 "`too many levels of symbolic links`")
    if stat_fields(r, "stat /a").get("target") != "b":
        raise Fail("`stat /a` should show the link itself, with target b")
    check_ls_l(r, "ls -l /", t)
    if r.section("cat /ok") != "fine\n":
        raise Fail("`cat /ok` should still print `fine`")
    r.alive("alive")
    r.expect_exit(0)


@test(6, "paths that do not exist, and files used as directories", points=1, transports=ONCE)
def missing(ctx):
    _, path = sample(ctx)
    cases = [("cat /nope", "no such file or directory"),
             ("ls /bin/nope", "no such file or directory"),
             ("stat /nope/x", "no such file or directory"),
             ("sha256 /nope", "no such file or directory"),
             ("cat /bin/hello/x", "not a directory"),
             ("cd /readme.txt", "not a directory"),
             ("cat /bin", "is a directory"),
             ("cat /", "is a directory")]
    r = ctx.boot([c for c, _ in cases] + ["echo alive"], disks=[path])
    expect_mounted(r)
    for c, why in cases:
        want = f"{c.split()[0]}: {c.split()[1]}: {why}"
        if r.section(c).strip() != want:
            raise Fail(f"`{c}` should print `{want}`; it printed "
                       f"{r.section(c).strip()[:200]!r}")
    r.alive("alive")
    r.expect_exit(0)


# (from lab 4's grader: choosing the root needs the file system)


BLKDEBUG_READ = ("driver=raw,file.driver=blkdebug,file.config={cfg},file.image.filename={img},"
                 "if=none,id=d0,rerror=report,werror=report")


def bad_sector_tree():
    t = 1640995200
    tree = Node("dir", 0o755, t)
    tree.kids["readme.txt"] = Node("file", 0o644, t, b"read me, I am small\n")
    tree.kids["big"] = Node("file", 0o644, t, bytes((i * 13 + 7) & 0xff for i in range(6000)))
    docs = tree.kids["docs"] = Node("dir", 0o755, t)
    docs.kids["a.txt"] = Node("file", 0o644, t, b"alpha\n")
    return tree


@test(6, "a bad sector fails only the reads that need it (one in the first 4 KiB too)",
      points=2)
def bad_sectors(ctx):
    # The block cache reads 4 KiB at a time: sectors 0-7 hold the volume
    # header, and the next unit the inode table and records. A bad sector
    # in the header's padding must not unmount the volume, and one inside
    # a file's data must not hide the records that share its 4 KiB.
    tree = bad_sector_tree()
    img = build(ctx, tree, "bad")
    im = load(img)
    value, _ = im.tlv(im.lookup("/big"), efs_image.TAG_CONTENT)
    data_sector = (value + 1000) // 512 + 1  # wholly inside /big's bytes
    cfg = ctx.scratch("blkdebug.cfg")
    with open(cfg, "w") as f:
        for sector in (3, data_sector):
            f.write(f'[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "{sector}"\n\n')
    cmds = ["ls /", "cat /readme.txt", "cat /docs/a.txt", "sha256 /big", "echo still-alive"]
    r = ctx.boot(cmds, disks=[{"drive": BLKDEBUG_READ.format(cfg=cfg, img=img)}])
    expect_mounted(r, 5)
    # the driver logs each failed request; the listing is the rest
    listed = [l for l in lines_of(r, "ls /") if not l.startswith("virtio-blk: ")]
    if listed != ["big", "docs", "readme.txt"]:
        raise Fail(f"`ls /` with bad sectors 3 and {data_sector} printed {listed}")
    for path in ("/readme.txt", "/docs/a.txt"):
        want = resolve(tree, path).data.decode().strip()
        got = [l for l in lines_of(r, f"cat {path}") if not l.startswith("virtio-blk: ")]
        if got != [want]:
            raise Fail(f"`cat {path}` should print {want!r} though sector {data_sector} "
                       f"(another file's data) is bad")
    error_is(r, "sha256 /big", r"I/O error", f"an I/O error: sector {data_sector} of /big is bad")
    if "still-alive" not in r.section("echo still-alive"):
        raise Fail("the shell stopped answering")
    r.expect_exit(0)


@test(6, "4096-byte blocks, a volume running into a partial last block", points=1)
def partial_last_block(ctx):
    # The sample volume padded to 21 sectors: with 4096-byte blocks the
    # device reads bytes 0-8191 only. Files there read; the others fail
    # with a message that names the partial block, not "invalid argument".
    img = ctx.scratch("tail.img")
    with open(ctx.path("build", "sample.img"), "rb") as f:
        data = f.read()
    with open(img, "wb") as f:
        f.write(data + bytes(10752 - len(data)))
    dev = ",logical_block_size=4096,physical_block_size=4096"
    r = ctx.boot(["cat /bin/hello", "cat /readme.txt", "stat /readme.txt"],
                 disks=[{"file": img, "dev_opts": dev}])
    r.expect(r"^fs: .* ends in a partial 4096-byte block \(bytes 8192\.\.10751\)",
             "the mount to say the disk ends in a partial block")
    expect_mounted(r)
    if r.section("cat /bin/hello").strip() != "Hello, EclipseFS!":
        raise Fail("`cat /bin/hello` (bytes 4458-4591, in whole blocks) did not read")
    for c in ("cat /readme.txt", "stat /readme.txt"):
        error_is(r, c, r"partial 4096-byte block at the end of the disk",
                 "the file's record lies in the partial block")
    r.reject(r"invalid argument", "`invalid argument`: nothing typed was wrong")
    r.expect_exit(0)


@test(6, "a 300-byte name, a 5001-byte symlink target, a MODE that says directory", points=2,
      transports=ONCE)
def hostile_fields(ctx):
    path = ctx.scratch("hostile.img")
    with open(path, "wb") as f:
        f.write(efs_image.image(efs_image.hostile()))
    cmds = ["ls /sub", "ls -l /", "cat /link", "stat /link", "fsck", "cat /ok", "echo alive"]
    r = ctx.boot(cmds, disks=[path])
    expect_mounted(r, 6)
    limit_name = r"inode 3: directory entry 'n+\.\.\.' is 300 bytes long, over the 255-byte name limit"
    limit_link = r"inode 2: symlink target is 5001 bytes, over the 1023-byte path limit"
    out = lines_of(r, "ls /sub")
    if out[:1] != ["good"] or not re.search(limit_name, " ".join(out[1:])):
        raise Fail(f"`ls /sub` should list `good`, then say the name's inode and the limit "
                   f"({limit_name}); it printed {out[:4]}")
    shows(r, "ls -l /", r"^l\S+ .* link -> \[" + limit_link + r"\]$",
          "the link with `[" + limit_link + "]` for its target")
    error_is(r, "cat /link", limit_link, "the link's inode and the path limit")
    shows(r, "stat /link", r"^  target:  \[" + limit_link, "the target's limit")
    shows(r, "fsck", r"^fsck: " + limit_link + "$", "the long symlink target")
    shows(r, "fsck", r"^fsck: " + limit_name + "$", "the long name")
    shows(r, "fsck", r"^fsck: inode 5: MODE .*NODE_TYPE is 1", "the MODE that says directory")
    shows(r, "fsck", r"^fsck: not clean \(file contents are not checked",
          "that the volume is not clean, and what fsck cannot see")
    if r.section("cat /ok") != "fine\n":
        raise Fail("`cat /ok` should still print `fine`")
    r.alive("alive")
    r.expect_exit(0)
