#!/usr/bin/env python3
"""An independent GPT reader and writer, to cross-check the C code.

  gpt.py check DISK           verify the protective MBR, both GPT headers and
                              both partition arrays (CRC32 via zlib), print
                              "N FIRST_LBA LAST_LBA NAME" for each partition
  gpt.py wrap VOL OUT [LBA [BYTES]]
                              write OUT: a small GPT disk whose partition 1
                              holds VOL, starting at LBA (default 64), with
                              LBAs of BYTES (default 512; 4096 for a table
                              made on a 4Kn disk)
"""
import struct
import sys
import zlib

SECTOR = 512


def header_ok(disk, lba, sectors):
    h = disk[lba * SECTOR:(lba + 1) * SECTOR]
    assert h[:8] == b"EFI PART", f"LBA {lba}: no GPT signature"
    size, crc = struct.unpack_from("<II", h, 12)
    assert 92 <= size <= SECTOR, "header size"
    zeroed = h[:16] + b"\0\0\0\0" + h[20:size]
    assert zlib.crc32(zeroed) == crc, f"LBA {lba}: header CRC32 mismatch"
    my, alt, first_use, last_use = struct.unpack_from("<QQQQ", h, 24)
    assert my == lba, "MyLBA"
    assert alt == (sectors - 1 if lba == 1 else 1), "AlternateLBA"
    arr_lba, count, esize, acrc = struct.unpack_from("<QIII", h, 72)
    arr = disk[arr_lba * SECTOR:arr_lba * SECTOR + count * esize]
    assert zlib.crc32(arr) == acrc, f"LBA {lba}: partition array CRC32 mismatch"
    parts = []
    for i in range(count):
        e = arr[i * esize:(i + 1) * esize]
        if e[:16] == bytes(16):
            continue
        first, last = struct.unpack_from("<QQ", e, 32)
        assert first_use <= first <= last <= last_use, f"partition {i + 1} outside usable LBAs"
        name = e[56:128].decode("utf-16-le").rstrip("\0")
        parts.append((i + 1, first, last, name))
    return parts


def check(path):
    with open(path, "rb") as f:
        disk = f.read()
    sectors = len(disk) // SECTOR
    mbr = disk[:SECTOR]
    assert mbr[510:512] == b"\x55\xaa", "MBR signature"
    assert mbr[446 + 4] == 0xEE, "protective MBR partition type"
    primary = header_ok(disk, 1, sectors)
    backup = header_ok(disk, sectors - 1, sectors)
    assert primary == backup, "backup partition array differs"
    for p in primary:
        print(*p)


def wrap(vol_path, out_path, start=64, lba=SECTOR):
    with open(vol_path, "rb") as f:
        vol = f.read()
    vol_sectors = (len(vol) + lba - 1) // lba
    arr_lbas = (128 * 128 + lba - 1) // lba  # the partition array
    sectors = start + vol_sectors + arr_lbas + 1
    disk = bytearray(sectors * lba)
    disk[446 + 4] = 0xEE
    struct.pack_into("<II", disk, 446 + 8, 1, sectors - 1)
    disk[510:512] = b"\x55\xaa"
    arr = bytearray(128 * 128)
    arr[0:16] = bytes(range(1, 17))  # any non-zero type GUID
    arr[16:32] = bytes(range(17, 33))
    struct.pack_into("<QQ", arr, 32, start, start + vol_sectors - 1)
    arr[56:56 + 18] = "EclipseFS".encode("utf-16-le")

    def header(my, alt, arr_lba):
        h = bytearray(92)
        h[:8] = b"EFI PART"
        struct.pack_into("<IIIIQQQQ", h, 8, 0x10000, 92, 0, 0, my, alt, 2 + arr_lbas,
                         sectors - 2 - arr_lbas)
        h[56:72] = bytes(range(33, 49))
        struct.pack_into("<QIII", h, 72, arr_lba, 128, 128, zlib.crc32(arr))
        struct.pack_into("<I", h, 16, zlib.crc32(h))
        return h

    backup_arr = sectors - 1 - arr_lbas
    disk[lba:lba + 92] = header(1, sectors - 1, 2)
    disk[2 * lba:2 * lba + len(arr)] = arr
    disk[backup_arr * lba:backup_arr * lba + len(arr)] = arr
    disk[(sectors - 1) * lba:(sectors - 1) * lba + 92] = header(sectors - 1, 1, backup_arr)
    disk[start * lba:start * lba + len(vol)] = vol
    with open(out_path, "wb") as f:
        f.write(disk)


if __name__ == "__main__":
    try:
        if len(sys.argv) == 3 and sys.argv[1] == "check":
            check(sys.argv[2])
        elif len(sys.argv) in (4, 5, 6) and sys.argv[1] == "wrap":
            wrap(sys.argv[2], sys.argv[3], *(int(a) for a in sys.argv[4:]))
        else:
            sys.exit(__doc__)
    except AssertionError as e:
        sys.exit(f"gpt.py: {sys.argv[-1]}: {e}")
