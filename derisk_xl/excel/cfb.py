"""Write a small Compound File (MS-CFB version 3): the container format of ``vbaProject.bin``.

Why our own: no maintained Python library writes compound files. olefile reads them and can
only overwrite a stream with one of the same size; ms-cfb 0.0.6 writes scratch files into the
working directory and has no DIFAT. A VBA project is a handful of small streams, so this
writer covers exactly that: 512-byte sectors, a mini stream for streams under 4096 bytes, at
most 109 FAT sectors (files up to about 6.8 MB), fixed zero timestamps so the same project
gives the same bytes. Every file it writes is read back by olefile (and LibreOffice) in tests.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT = 0xFFFFFFFF
ENDOFCHAIN = 0xFFFFFFFE
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
_ENTRIES_PER_FAT = SECTOR // 4
_MAX_FAT_SECTORS = 109


@dataclass
class Storage:
    """A folder inside the compound file: streams (bytes) and sub-storages by name."""

    children: dict[str, "bytes | Storage"] = field(default_factory=dict)


@dataclass
class _Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: list[int] = field(default_factory=list)
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    red: bool = False
    start: int = ENDOFCHAIN
    size: int = 0


def _sort_key(name: str) -> tuple[int, str]:
    """MS-CFB 2.6.4: siblings compare by name length first, then by upper-cased name."""
    return (len(name), name.upper())


def _flatten(root: Storage) -> list[_Entry]:
    entries = [_Entry("Root Entry", 5)]

    def add(storage: Storage, parent: int) -> None:
        for name, item in storage.children.items():
            if not 0 < len(name) <= 31 or any(c in name for c in "/\\:!"):
                raise ValueError(f"invalid compound file entry name {name!r}")
            index = len(entries)
            if isinstance(item, Storage):
                entries.append(_Entry(name, 1))
                entries[parent].children.append(index)
                add(item, index)
            else:
                entries.append(_Entry(name, 2, bytes(item), size=len(item)))
                entries[parent].children.append(index)

    add(root, 0)
    for entry in entries:
        names = [entries[i].name.upper() for i in entry.children]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate names under {entry.name!r}: {names}")
        entry.child = _tree(entries, sorted(entry.children, key=lambda i: _sort_key(entries[i].name)))
    return entries


def _tree(entries: list[_Entry], ordered: list[int]) -> int:
    """Build a balanced red-black tree of siblings: a midpoint tree has every level full but
    the last, so colouring the nodes of an incomplete last level red satisfies the rules."""
    if not ordered:
        return NOSTREAM
    full_levels = (len(ordered) + 1).bit_length() - 1  # levels that are complete

    def build(lo: int, hi: int, level: int) -> int:
        if lo >= hi:
            return NOSTREAM
        mid = (lo + hi) // 2
        node = entries[ordered[mid]]
        node.left = build(lo, mid, level + 1)
        node.right = build(mid + 1, hi, level + 1)
        node.red = level >= full_levels
        return ordered[mid]

    return build(0, len(ordered), 0)


def _pad(data: bytes, unit: int) -> bytes:
    return data + b"\0" * (-len(data) % unit)


def write_compound_file(root: Storage) -> bytes:
    """The bytes of a compound file holding ``root``'s storages and streams."""
    entries = _flatten(root)

    # Small streams go to the mini stream, each padded to 64 bytes and chained in the mini FAT.
    mini_fat: list[int] = []
    mini_stream = bytearray()
    big: list[_Entry] = []
    for entry in entries:
        if entry.kind != 2 or entry.size == 0:
            continue
        if entry.size < MINI_CUTOFF:
            first = len(mini_fat)
            count = -(-entry.size // MINI_SECTOR)
            mini_fat.extend(range(first + 1, first + count))
            mini_fat.append(ENDOFCHAIN)
            entry.start = first
            mini_stream += _pad(entry.data, MINI_SECTOR)
        else:
            big.append(entry)
    if mini_fat:
        entries[0].size = len(mini_stream)

    # Sector runs after the FAT: directory, mini FAT, mini stream, then each large stream.
    runs: list[tuple[str, int]] = [("dir", -(-len(entries) * 128 // SECTOR))]
    if mini_fat:
        runs.append(("minifat", -(-len(mini_fat) * 4 // SECTOR)))
        runs.append(("ministream", -(-len(mini_stream) // SECTOR)))
    runs.extend((f"stream{i}", -(-e.size // SECTOR)) for i, e in enumerate(big))

    data_sectors = sum(n for _, n in runs)
    fat_sectors = 1
    while fat_sectors * _ENTRIES_PER_FAT < fat_sectors + data_sectors:
        fat_sectors += 1
    if fat_sectors > _MAX_FAT_SECTORS:
        raise ValueError("compound file too large for this writer (it would need a DIFAT)")

    fat = [FATSECT] * fat_sectors
    starts: dict[str, int] = {}
    for key, n in runs:
        starts[key] = len(fat)
        fat.extend(range(len(fat) + 1, len(fat) + n))
        fat.append(ENDOFCHAIN)
    fat.extend([FREESECT] * (fat_sectors * _ENTRIES_PER_FAT - len(fat)))
    for i, entry in enumerate(big):
        entry.start = starts[f"stream{i}"]
    if mini_fat:
        entries[0].start = starts["ministream"]

    directory = b"".join(_dir_entry(e) for e in entries)
    directory += _empty_entry() * (-len(entries) % (SECTOR // 128))
    body = [directory]
    if mini_fat:
        raw = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
        body.append(raw + b"\xff" * (-len(raw) % SECTOR))  # unused mini FAT entries are free
        body.append(_pad(bytes(mini_stream), SECTOR))
    body.extend(_pad(e.data, SECTOR) for e in big)

    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"\0" * 16,
        0x3E, 3, 0xFFFE, 9, 6, b"\0" * 6,
        0,  # directory sectors: must be 0 in version 3
        fat_sectors,
        starts["dir"],
        0,  # transaction signature
        MINI_CUTOFF,
        starts["minifat"] if mini_fat else ENDOFCHAIN,
        dict(runs).get("minifat", 0),
        ENDOFCHAIN,  # first DIFAT sector: none, the header lists every FAT sector
        0,
    )
    difat = list(range(fat_sectors)) + [FREESECT] * (_MAX_FAT_SECTORS - fat_sectors)
    header += struct.pack(f"<{_MAX_FAT_SECTORS}I", *difat)
    return header + struct.pack(f"<{len(fat)}I", *fat) + b"".join(body)


def _dir_entry(entry: _Entry) -> bytes:
    name = entry.name.encode("utf-16-le") + b"\0\0"
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name, len(name), entry.kind, 0 if entry.red else 1,
        entry.left, entry.right, entry.child,
        b"\0" * 16, 0, 0, 0,
        entry.start if entry.kind != 1 else 0,
        entry.size,
    )


def _empty_entry() -> bytes:
    return struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM,
                       b"\0" * 16, 0, 0, 0, 0, 0)
