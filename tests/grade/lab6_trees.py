"""Lab 6's grader, its host side: trees the grader builds and knows (the
sample disk/, trees generated at random from a seed, small trees a test
writes by hand), written to a directory and made into an image by the
tree's own mkfs-eclipsefs, and resolved as the kernel resolves paths."""

import os
import stat
import subprocess

from gradelib import Fail

MKFS = ("build", "tools", "mkfs-eclipsefs")
GPT_VOLUME_OFFSET = 130 << 20  # mkfs-eclipsefs --gpt puts the volume at 130 MiB

# --- building images ---------------------------------------------------------


def mkfs(ctx, src, name, gpt=False):
    """Run the tree's mkfs-eclipsefs on src; return the image path."""
    out = ctx.scratch(name)
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    cmd = [ctx.path(*MKFS)] + (["--gpt"] if gpt else []) + [out, src]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise Fail(f"mkfs-eclipsefs failed on {src}: {r.stderr.strip()[:300]} "
                   "(run `make tools`)")
    return out


class Node:
    """One node of a tree the grader builds and knows: the host's view."""

    def __init__(self, kind, mode, mtime, data=b"", target=""):
        self.kind, self.mode, self.mtime = kind, mode, mtime
        self.data, self.target = data, target
        self.kids = {}  # name -> Node, for a directory

    @property
    def size(self):
        return {"file": len(self.data), "symlink": len(self.target.encode()), "dir": 0}[self.kind]

    @property
    def full_mode(self):
        return {"file": 0o100000, "dir": 0o040000, "symlink": 0o120000}[self.kind] | self.mode


def join(d, name):
    return ("" if d == "/" else d) + "/" + name


def walk(tree, path="/"):
    """(path, node) for every node, pre-order, children in byte order."""
    yield path, tree
    for name in sorted(tree.kids, key=lambda n: n.encode()):
        yield from walk(tree.kids[name], join(path, name))


def materialize(tree, root):
    """Write tree to the directory root, modes and times included."""
    os.makedirs(root, exist_ok=True)
    for name, node in tree.kids.items():
        p = os.path.join(root, name)
        if node.kind == "dir":
            materialize(node, p)
        elif node.kind == "file":
            with open(p, "wb") as f:
                f.write(node.data)
            os.chmod(p, node.mode)
        else:
            os.symlink(node.target, p)
        if node.kind != "dir":
            os.utime(p, (node.mtime, node.mtime), follow_symlinks=False)
    os.chmod(root, tree.mode)
    os.utime(root, (tree.mtime, tree.mtime))  # last: adding entries changed it


def host_tree(root):
    """The host's view of an existing directory (the sample disk/)."""
    st = os.lstat(root)
    node = Node("dir", stat.S_IMODE(st.st_mode), int(st.st_mtime))
    for name in os.listdir(root):
        p = os.path.join(root, name)
        st = os.lstat(p)
        if stat.S_ISDIR(st.st_mode):
            node.kids[name] = host_tree(p)
        elif stat.S_ISLNK(st.st_mode):
            node.kids[name] = Node("symlink", 0o777, int(st.st_mtime), target=os.readlink(p))
        else:
            with open(p, "rb") as f:
                node.kids[name] = Node("file", stat.S_IMODE(st.st_mode), int(st.st_mtime),
                                       f.read())
    return node


def resolve(tree, path, depth=0):
    """Follow symlinks as the kernel does; return the node or None."""
    parts, node, chain = [p for p in path.split("/") if p], tree, [tree]
    while parts:
        name = parts.pop(0)
        if node.kind != "dir":
            return None
        if name == ".":
            continue
        if name == "..":
            chain = chain[:-1] or [tree]
            node = chain[-1]
            continue
        node = node.kids.get(name)
        if node is None:
            return None
        if node.kind == "symlink":
            if depth >= 8:
                return None
            t = node.target
            chain = [tree] if t.startswith("/") else chain
            parts = [p for p in t.split("/") if p] + parts
            node = chain[-1]
            depth += 1
            continue
        chain.append(node)
    return node



# --- the trees ----------------------------------------------------------------

# names that sort in interesting ways (' ', '-', '.' and '+' come before
# '/'; capitals before small letters), with spaces and UTF-8
NAMES = ["a", "a b", "a.txt", "a-1", "a+b", "ab", "B", "b", "notes", "src", "data",
         "read me", "naïve café", "mañana", "日本語", "Ελληνικά", "emoji 🙂", "x_y",
         ".hidden", "~tilde", "Makefile", "z"]
# every one with a space or outside ASCII
WIDE_NAMES = ["naïve café", "mañana", "日本語", "Ελληνικά", "emoji 🙂", "a b", "read me",
              "ﬁle ligature", "Ünïcödé", "with-dash and space", "x y z", "中文 目录", "ß", "é", "e\u0301"]
FILE_MODES = [0o644, 0o600, 0o640, 0o755, 0o444, 0o4755, 0o664]
DIR_MODES = [0o755, 0o700, 0o750, 0o1777, 0o775]
WORDS = ("virtqueue descriptor ring notify device driver sector block used avail "
         "inode record directory symlink éclair 木 ✓").split()


def text(rng, n):
    out = " ".join(rng.choice(WORDS) for _ in range(n))
    return "\n".join(out[i:i + 60] for i in range(0, len(out), 60)).encode() + b"\n"


def random_tree(rng, big=(), depth=3, names=NAMES):
    """A random tree: files (empty, text, binary), nested and empty
    directories, symlinks relative and absolute; `big` lists sizes of
    large files to add."""

    def when():
        return rng.randrange(0, 1 << 32)

    def fill(d, level):
        count = rng.randint(4, 7) if level == 1 else rng.randint(1, 5)
        for i, name in enumerate(rng.sample(names, count)):
            # the first entry of each level is a directory: `depth` levels, always
            kind = "dir" if i == 0 else rng.choices(["file", "empty", "binary", "dir"],
                                                    [4, 1, 2, 2])[0]
            if kind == "dir" and level < depth:
                d.kids[name] = Node("dir", rng.choice(DIR_MODES), when())
                fill(d.kids[name], level + 1)
            elif kind == "empty":
                d.kids[name] = Node("file", rng.choice(FILE_MODES), when())
            elif kind == "binary":
                data = rng.randbytes(rng.randint(1, 9000))
                d.kids[name] = Node("file", rng.choice(FILE_MODES), when(), data)
            else:
                d.kids[name] = Node("file", rng.choice(FILE_MODES), when(),
                                    text(rng, rng.randint(1, 60)))

    tree = Node("dir", 0o755, when())
    fill(tree, 1)
    tree.kids.setdefault("empty dir", Node("dir", 0o755, when()))
    for i, size in enumerate(big):
        tree.kids[f"big {i}.bin"] = Node("file", 0o644, when(), rng.randbytes(size))
    # symlinks to files and directories, relative and absolute
    nodes = [(p, n) for p, n in walk(tree) if p != "/"]
    dirs = [p for p, n in walk(tree) if n.kind == "dir"]
    for i in range(4):
        target_path, target = rng.choice(nodes)
        where = rng.choice(dirs)
        if i % 2 == 0:
            t = target_path
        else:
            t = os.path.relpath(target_path, where)
        node = resolve(tree, where)
        node.kids[f"link {i}"] = Node("symlink", 0o777, when(), target=t)
    return tree


def build(ctx, tree, name, gpt=False):
    src = ctx.scratch(name + ".d")
    materialize(tree, src)
    return mkfs(ctx, src, name + ".img", gpt)



def sample(ctx):
    """The host's view of disk/, and the image mkfs-eclipsefs makes of it."""
    tree = host_tree(ctx.path("disk"))
    return tree, mkfs(ctx, ctx.path("disk"), "sample.img")

