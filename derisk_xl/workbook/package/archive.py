"""The user's package as a zip: opened to read its parts, and the new package written out.

Every entry the plan does not change is copied as stored, still compressed (a 100,000-row input
sheet costs a memcpy, not an inflate and a deflate); edited and new parts are compressed here;
a streamed plan sheet (text chunks) is deflated in a second thread while its rows are written.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Iterable

from ..parts import DamagedPart, Rel, relationships, rels_name
from .xml_edit import problem

#: The date of the parts we add, so that two runs give identical bytes.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass
class Package:
    """The user's zip, opened once; parts are read (and kept) only when asked for."""

    infos: list[zipfile.ZipInfo]
    data: dict[str, bytes]  # only the parts we read or edit
    zf: zipfile.ZipFile
    names_lower: dict[str, str] = field(default_factory=dict)
    source: bytes = b""

    def has(self, part: str) -> bool:
        return part.lower() in self.names_lower

    def read(self, part: str) -> bytes:
        if part not in self.data:
            self.data[part] = self.zf.read(self.names_lower[part.lower()])
        return self.data[part]

    def rels(self, part: str) -> list[Rel]:
        name = rels_name(part)
        if not self.has(name):
            return []
        try:
            return relationships(self.read(self.names_lower[name.lower()]), part)
        except DamagedPart as exc:
            raise problem(str(exc)) from None


def open_package(source: bytes) -> Package:
    try:
        zf = zipfile.ZipFile(io.BytesIO(source))
    except zipfile.BadZipFile:
        raise problem("the file is not a workbook (not a zip package): an .xlsx or .xlsm "
                      "was expected.") from None
    infos = zf.infolist()
    names = {i.filename.lower(): i.filename for i in infos}
    if "[content_types].xml" not in names:
        raise problem("the file is a zip but not an Office package ([Content_Types].xml is "
                      "missing).")
    return Package(infos, {}, zf, names, source)


def write_zip(pkg: Package, live: list[zipfile.ZipInfo], edited: dict[str, bytes],
              new_parts: dict[str, bytes | Iterable[str]]) -> bytes:
    """The output package: the ``live`` entries of the user's (``edited`` replaces some), then
    the ``new_parts`` in natural order (bytes, or text chunks of a streamed sheet)."""
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        warnings.filterwarnings("ignore", "Duplicate name", UserWarning)
        for info in live:
            data = edited.get(info.filename)
            info_out = entry_info(info.filename, info.date_time, info.compress_type,
                                  info.external_attr)
            if data is None and info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) \
                    and not info.flag_bits & 0x1:  # not encrypted
                write_raw(z, info_out, _raw(pkg.source, info), info.CRC, info.file_size)
                continue
            if data is None:
                data = pkg.data.get(info.filename) or pkg.zf.read(info)
            z.writestr(info_out, data)
        for name in sorted(new_parts, key=_natural):
            data = new_parts[name]
            info_out = entry_info(name, FIXED_TIME, zipfile.ZIP_DEFLATED, 0o600 << 16)
            if isinstance(data, bytes):
                z.writestr(info_out, data)
            else:
                raw, crc, size = _deflate(data)
                write_raw(z, info_out, raw, crc, size)
    return out.getvalue()


def _raw(source: bytes, info: zipfile.ZipInfo) -> bytes:
    """The stored (compressed) bytes of one entry of ``source``, as its directory says."""
    off = info.header_offset
    header = struct.unpack(zipfile.structFileHeader, source[off: off + zipfile.sizeFileHeader])
    if header[0] != zipfile.stringFileHeader:
        raise problem(f"the zip entry {info.filename} is damaged (bad local header); the "
                      "workbook is damaged.")
    start = off + zipfile.sizeFileHeader + header[10] + header[11]  # name and extra lengths
    raw = source[start: start + info.compress_size]
    if len(raw) != info.compress_size:
        raise problem(f"the zip entry {info.filename} is truncated; the workbook is damaged.")
    return raw


def write_raw(z: zipfile.ZipFile, info: zipfile.ZipInfo, raw: bytes, crc: int,
              size: int) -> None:
    """Append an entry whose data is already compressed with ``info.compress_type``.

    zipfile has no public call for this; these are the steps of its own ``_open_to_write``
    and ``_ZipWriteFile.close`` for a seekable file, with the data written in one go
    (tests/test_fidelity_writer.py checks every entry's CRC on Python's current zipfile).
    """
    info.flag_bits = 0
    info.CRC, info.compress_size, info.file_size = crc, len(raw), size
    zip64 = size > zipfile.ZIP64_LIMIT or len(raw) > zipfile.ZIP64_LIMIT
    z.fp.seek(z.start_dir)
    info.header_offset = z.fp.tell()
    z._writecheck(info)
    z._didModify = True
    z.fp.write(info.FileHeader(zip64))
    z.fp.write(raw)
    z.start_dir = z.fp.tell()
    z.filelist.append(info)
    z.NameToInfo[info.filename] = info


#: Deflate level of the streamed sheets. Measured on the 100,000-position Plan Trades (67 MB of
#: XML): level 6 (zipfile's, openpyxl's, XlsxWriter's default) 0.88 s CPU → 7.2 MB; level 2
#: 0.30 s → 8.8 MB; level 1 0.27 s → 9.6 MB. A fifth bigger for a third of the time.
STREAM_LEVEL = 2
_CHUNK = 1 << 20


def _deflate(chunks: Iterable[str]) -> tuple[bytes, int, int]:
    """Raw-deflate the UTF-8 of ``chunks``: (data, CRC-32, size). zlib releases the GIL, so a
    one-thread pool compresses a megabyte while the next one's rows are written."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    comp = zlib.compressobj(STREAM_LEVEL, zlib.DEFLATED, -15)
    parts: list[bytes] = []
    state = [0, 0]  # crc, size

    def work(data: bytes) -> None:
        state[0] = zlib.crc32(data, state[0])
        state[1] += len(data)
        parts.append(comp.compress(data))

    pending: deque = deque()
    with ThreadPoolExecutor(1) as pool:
        buf: list[str] = []
        n = 0
        try:
            for chunk in chunks:
                buf.append(chunk)
                n += len(chunk)
                if n >= _CHUNK:
                    pending.append(pool.submit(work, "".join(buf).encode("utf-8")))
                    buf, n = [], 0
                    while len(pending) > 4:  # bound the text waiting for the compressor
                        pending.popleft().result()
            pending.append(pool.submit(work, "".join(buf).encode("utf-8")))
        finally:
            for f in pending:
                f.result()
    parts.append(comp.flush())
    return b"".join(parts), state[0], state[1]


def _natural(name: str) -> list:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def entry_info(name: str, date_time, compress_type: int, external_attr: int) -> zipfile.ZipInfo:
    """A zip entry for ``name``; a method other than stored or deflated becomes deflated."""
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = (compress_type if compress_type in (zipfile.ZIP_STORED,
                                                             zipfile.ZIP_DEFLATED)
                          else zipfile.ZIP_DEFLATED)
    info.external_attr = external_attr
    return info
