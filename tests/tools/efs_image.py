#!/usr/bin/env python3
"""Write EclipseFS v2 images that mkfs-eclipsefs refuses to write: names
over 255 bytes, symlink targets over the path limit, modes that disagree
with the node type, and directories at the reader's limits. The graders use
it to build hostile images; the layout follows docs/eclipsefs-format.md
(header, inode table, records packed in inode order).

As a module:

    nodes = {1: Dir([(b"f", 2)]), 2: File(b"data")}
    open("x.img", "wb").write(image(nodes))

From the shell, the images the lab 6 grader uses:

    tests/tools/efs_image.py limits OUT.img     a 4096-entry /big and /long
    tests/tools/efs_image.py hostile OUT.img    a 300-byte name, a 5001-byte target
"""

import struct
import sys

HEADER_SIZE = 4096
TIME = 1700000000

TAG_NODE_TYPE, TAG_MODE, TAG_UID, TAG_GID, TAG_SIZE = 1, 2, 3, 4, 5
TAG_ATIME, TAG_MTIME, TAG_CTIME, TAG_NLINK, TAG_CONTENT, TAG_ENTRIES = 6, 7, 8, 9, 10, 11


class File:
    def __init__(self, data=b"", mode=0o100644, bare=False):
        self.type, self.mode, self.data, self.bare = 1, mode, data, bare


class Symlink:
    def __init__(self, target, mode=0o120777):
        self.type, self.mode, self.data, self.bare = 3, mode, target, False


class Dir:
    def __init__(self, entries, mode=0o040755, bare=False):
        """entries: [(name bytes, child inode)], written in this order."""
        self.type, self.mode, self.entries, self.bare = 2, mode, entries, bare


def tlv(tag, value):
    return struct.pack("<HI", tag, len(value)) + value


def record(ino, node):
    """A node record; a bare node is only the 8-byte head (an empty file or
    a directory without entries would need tags: only files may be bare)."""
    body = b""
    if not node.bare:
        size = 0 if node.type == 2 else len(node.data)
        body += tlv(TAG_NODE_TYPE, bytes([node.type]))
        body += tlv(TAG_MODE, struct.pack("<I", node.mode))
        body += tlv(TAG_UID, struct.pack("<I", 0)) + tlv(TAG_GID, struct.pack("<I", 0))
        body += tlv(TAG_SIZE, struct.pack("<Q", size))
        for tag in (TAG_ATIME, TAG_MTIME, TAG_CTIME):
            body += tlv(tag, struct.pack("<Q", TIME))
        body += tlv(TAG_NLINK, struct.pack("<I", 2 if node.type == 2 else 1))
    if node.type == 2 and node.entries:
        body += tlv(TAG_ENTRIES, b"".join(struct.pack("<II", len(n), c) + n
                                          for n, c in node.entries))
    elif node.type != 2 and node.data:
        body += tlv(TAG_CONTENT, node.data)
    return struct.pack("<II", ino, 8 + len(body)) + body


def image(nodes):
    """nodes: {inode: File | Symlink | Dir}, numbered 1..len(nodes)."""
    total = len(nodes)
    assert sorted(nodes) == list(range(1, total + 1)), "inodes must be 1..n"
    header = b"ECLIPSEFS" + struct.pack("<IQQI", 0x00020000, HEADER_SIZE, total * 8, total)
    table, records = [], []
    at = 0
    for ino in range(1, total + 1):
        rec = record(ino, nodes[ino])
        table.append(struct.pack("<II", ino, at))
        records.append(rec)
        at += len(rec)
    return header.ljust(HEADER_SIZE, b"\0") + b"".join(table) + b"".join(records)


def big_dir(nodes, parent_entries, name, names, make):
    """Add directory `name` holding one child per name, each made by make()."""
    d = len(nodes) + 1
    nodes[d] = Dir([])
    parent_entries.append((name, d))
    for n in names:
        c = len(nodes) + 1
        nodes[c] = make()
        nodes[d].entries.append((n, c))
    return d


def long_name(i, length=200):
    """Name i of a long-name directory: its number, padded to length."""
    return (b"%04d-" % i).ljust(length, b"n")


def limits():
    """/big: 4096 empty directories named 000..fff, stored in a scrambled
    order (short names keep the serial output small); /long: 4096 empty
    files with 200-byte names; /f: one small file."""
    root = []
    nodes = {1: Dir(root)}
    order = [(k * 2741) % 4096 for k in range(4096)]  # every number once, out of order
    big_dir(nodes, root, b"big", [b"%03x" % k for k in order], lambda: Dir([]))
    big_dir(nodes, root, b"long", [long_name(k) for k in order], lambda: File(bare=True))
    nodes[len(nodes) + 1] = File(b"limits\n")
    root.append((b"f", len(nodes)))
    return nodes


def hostile():
    """/link: a symlink with a 5001-byte target; /sub: a directory holding
    a 300-byte name after a good one; /odd: a file whose MODE says
    directory; /ok: a good file."""
    nodes = {
        1: Dir([(b"link", 2), (b"sub", 3), (b"odd", 5), (b"ok", 6)]),
        2: Symlink(b"t" * 5001),
        3: Dir([(b"good", 4), (b"n" * 300, 6)]),
        4: File(b"good\n"),
        5: File(b"odd\n", mode=0o040644),
        6: File(b"fine\n"),
    }
    return nodes


def main(argv):
    kinds = {"limits": limits, "hostile": hostile}
    if len(argv) != 3 or argv[1] not in kinds:
        sys.exit(f"usage: {argv[0]} {{{'|'.join(kinds)}}} OUT.img")
    with open(argv[2], "wb") as f:
        f.write(image(kinds[argv[1]]()))


if __name__ == "__main__":
    main(sys.argv)
