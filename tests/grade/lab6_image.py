"""Lab 6's grader, its reading side: an EclipseFS volume parsed in Python,
independently of the kernel, so a test can find where a field lies and
patch it into a corrupt image. Fields are named as docs/eclipsefs-format.md
names them."""

import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import efs_image  # noqa: E402  (tests/tools: images mkfs-eclipsefs refuses to write)

# The header ("Header"): magic, version, inode_table_offset,
# inode_table_size, total_inodes, packed little-endian from byte 0.
MAGIC = b"ECLIPSEFS"
VERSION_AT = len(MAGIC)  # u32
TABLE_OFFSET_AT = VERSION_AT + 4  # u64, followed by inode_table_size (u64), total_inodes (u32)
# An inode table entry ("Inode table"): u32 inode, u32 rel_offset.
TABLE_ENTRY_SIZE, REL_OFFSET_AT = 8, 4
# A record's head ("Node record"): u32 inode, u32 record_size; then TLVs,
# each a u16 tag and a u32 length before the value.
RECORD_HEAD_SIZE, RECORD_SIZE_AT = 8, 4
TLV_HEAD = struct.Struct("<HI")
# A directory entry ("Directory entries"): u32 name_len, u32 inode, the name.
ENTRY_HEAD = struct.Struct("<II")
ENTRY_INODE_AT = 4


class Image:
    """An EclipseFS volume held in memory, parsed field by field."""

    def __init__(self, data):
        self.d = bytearray(data)
        self.table, self.table_size, self.total = struct.unpack_from("<QQI", self.d,
                                                                     TABLE_OFFSET_AT)
        self.nodes = self.table + self.table_size

    def u32(self, off):
        return struct.unpack_from("<I", self.d, off)[0]

    def put32(self, off, value):
        struct.pack_into("<I", self.d, off, value)

    def record(self, ino):
        """(volume offset, record_size) of inode ino's record."""
        off = self.nodes + self.u32(self.table + (ino - 1) * TABLE_ENTRY_SIZE + REL_OFFSET_AT)
        return off, self.u32(off + RECORD_SIZE_AT)

    def tlv(self, ino, tag):
        """(value offset, length) of the first TLV with tag, or None."""
        off, size = self.record(ino)
        pos = off + RECORD_HEAD_SIZE
        while pos < off + size:
            t, n = TLV_HEAD.unpack_from(self.d, pos)
            if t == tag:
                return pos + TLV_HEAD.size, n
            pos += TLV_HEAD.size + n
        return None

    def entries(self, ino):
        """[(entry offset, name, child inode)] of a directory, in disk order."""
        v = self.tlv(ino, efs_image.TAG_ENTRIES)
        out, pos = [], v[0] if v else 0
        while v and pos < v[0] + v[1]:
            n, child = ENTRY_HEAD.unpack_from(self.d, pos)
            name = self.d[pos + ENTRY_HEAD.size:pos + ENTRY_HEAD.size + n]
            out.append((pos, bytes(name).decode(), child))
            pos += ENTRY_HEAD.size + n
        return out

    def lookup(self, path):
        ino = 1
        for name in [p for p in path.split("/") if p]:
            ino = next(c for _, n, c in self.entries(ino) if n == name)
        return ino

    def save(self, path):
        with open(path, "wb") as f:
            f.write(self.d)
        return path


def load(path):
    with open(path, "rb") as f:
        return Image(f.read())
