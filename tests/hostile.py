"""Hostile workbooks built from workbooks/example.xlsx, small on disk whatever they inflate to.

Shared by the bounded-read tests, the fuzz test and the benchmark. A padded part is written as
raw deflate blocks repeated behind a full flush (each block compresses the same megabyte with no
history), so an 800 MB part costs a few seconds of CRC and a megabyte of zip, not a deflate of
800 MB.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "workbooks" / "example.xlsx"


def example_parts(source: Path = EXAMPLE) -> dict[str, bytes]:
    """The parts of ``source`` (by default example.xlsx), name → bytes, in zip order: edit
    some and :func:`write_parts` makes the variant."""
    with zipfile.ZipFile(source) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def write_parts(path: Path, parts: dict[str, bytes]) -> Path:
    """A zip package at ``path`` holding ``parts`` (as :func:`example_parts` gives them)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def _raw_entry(z: zipfile.ZipFile, name: str, raw: bytes, crc: int, size: int) -> None:
    from derisk_xl.workbook.package.archive import entry_info, write_raw

    write_raw(z, entry_info(name, (1980, 1, 1, 0, 0, 0), zipfile.ZIP_DEFLATED, 0o600 << 16),
               raw, crc, size)


def padded_part(head: bytes, filler: bytes, megabytes: int, tail: bytes
                ) -> tuple[bytes, int, int]:
    """Raw deflate of ``head + filler*… + tail`` (filler repeated to ``megabytes`` MiB)."""
    chunk = filler * ((1 << 20) // len(filler))  # whole comments only
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = [comp.compress(head) + comp.flush(zlib.Z_FULL_FLUSH)]
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    assert block == again  # no history after a full flush: every block is the same bytes
    crc = zlib.crc32(head)
    for _ in range(megabytes):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    out.append(block * megabytes)
    out.append(comp.compress(tail) + comp.flush())
    return b"".join(out), crc, len(head) + megabytes * len(chunk) + len(tail)


def padded_workbook(path: Path, megabytes: int = 800, part: str = "xl/worksheets/sheet1.xml",
                    filler: bytes = b"<!-- padding padding padding padding -->"
                    ) -> Path:
    """example.xlsx whose ``part`` carries ``megabytes`` MiB of XML comment after sheetData."""
    parts = example_parts()
    body = parts[part]
    cut = body.index(b"</sheetData>") + len(b"</sheetData>")
    raw, crc, size = padded_part(body[:cut], filler, megabytes, body[cut:])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            if name == part:
                _raw_entry(z, name, raw, crc, size)
            else:
                z.writestr(name, data)
    return path
