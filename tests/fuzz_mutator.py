"""Seeded mutations of workbooks, zip and XML level, for tests/test_fuzz.py and bigger
campaigns by hand (README, "Testing"):

    DERISK_FUZZ_CASES=3000 DERISK_FUZZ_SEED=7 python -m pytest tests/test_fuzz.py

Every mutation is a pure function of (source bytes, random.Random): the same seed gives the
same files, so a failing case is reproduced by its seed and index.
"""

from __future__ import annotations

import io
import warnings
import random
import re
import zipfile
import zlib

ODD_VALUES = [b"inf", b"-inf", b"nan", b"1e999999999", b"1e26", b"-1e26", b"1e-30", b"1e-300",
              b"1e300", b"abc", b"", b"-0", b"3000000", b"1,5", b"#REF!", b"99999999999999999"]
ODD_ATTRS = [(rb'\sr="[A-Z]+\d+"', b' r="XFD1048576"'), (rb'\sref="[^"]*"', b' ref="A1:XFD1048576"'),
             (rb'\sref="[^"]*"', b' ref="H9:A1"'), (rb'numFmtId="\d+"', b'numFmtId="abc"'),
             (rb'uniqueCount="\d+"', b'uniqueCount="2000000000"'), (rb'\st="s"', b' t="e"'),
             (rb'\ss="\d+"', b' s="999999"'), (rb'<row r="\d+"', b'<row r="1048576"'),
             (rb'r:id="[^"]*"', b'r:id="rId999"'), (rb'Target="[^"]*"', b'Target="../../x.xml"')]


def parts_of(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()]


def zip_of(parts: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with warnings.catch_warnings():  # duplicated names are the point of some cases
            warnings.simplefilter("ignore")
            for name, data in parts:
                z.writestr(name, data)
    return out.getvalue()


def _xml_parts(parts):
    return [i for i, (n, _) in enumerate(parts) if n.endswith((".xml", ".rels"))]


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, len(data))]


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 20)):
        buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
    return bytes(buf)


def drop_part(data: bytes, rng: random.Random) -> bytes:
    parts = parts_of(data)
    del parts[rng.randrange(len(parts))]
    return zip_of(parts)


def duplicate_part(data: bytes, rng: random.Random) -> bytes:
    parts = parts_of(data)
    i = rng.randrange(len(parts))
    name, body = parts[i]
    other = parts[rng.randrange(len(parts))][1] if rng.random() < 0.5 else body
    parts.insert(rng.randrange(len(parts) + 1), (name, other))
    return zip_of(parts)


def _edit_part(data: bytes, rng: random.Random, indexes, edit) -> bytes | None:
    """Edit one part chosen among ``indexes(parts)``: ``edit(body, rng)`` → new body. None when
    there is no such part. The random draws are the same as when each mutator did this itself."""
    parts = parts_of(data)
    candidates = indexes(parts)
    if not candidates:
        return None
    i = rng.choice(candidates)
    name, body = parts[i]
    parts[i] = (name, edit(body, rng))
    return zip_of(parts)


def _sheets(parts):
    return [i for i, (n, _) in enumerate(parts) if "worksheets/" in n and n.endswith(".xml")]


def _inflate(body: bytes, rng: random.Random) -> bytes:
    pad = rng.choice([b"<!-- padding -->", b" " * 64, b"\n"]) * rng.randint(1_000, 400_000)
    cut = body.rfind(b"</")
    cut = cut if cut > 0 else len(body)
    if rng.random() < 0.5 and b"</sheetData>" in body:
        cut = body.index(b"</sheetData>") + len(b"</sheetData>")
    return body[:cut] + pad + body[cut:]


def _odd_value(body: bytes, rng: random.Random) -> bytes:
    values = list(re.finditer(rb"<v>([^<]*)</v>", body))
    for m in rng.sample(values, min(len(values), rng.randint(1, 3))):
        return body[: m.start(1)] + rng.choice(ODD_VALUES) + body[m.end(1):]  # one per pass
    return body


def _odd_attribute(body: bytes, rng: random.Random) -> bytes:
    pattern, repl = rng.choice(ODD_ATTRS)
    hits = list(re.finditer(pattern, body))
    if hits:
        m = rng.choice(hits)
        body = body[: m.start()] + repl + body[m.end():]
    return body


def _break_xml(body: bytes, rng: random.Random) -> bytes:
    choice = rng.randrange(4)
    if choice == 0:
        ends = [m.start() for m in re.finditer(rb"</", body)]
        if ends:
            at = rng.choice(ends)
            body = body[:at] + body[body.find(b">", at) + 1:]
    elif choice == 1:
        body = body.replace(b"<sheetData>", b"<sheetData>&undefined;", 1) if \
            b"<sheetData>" in body else body + b"&x;"
    elif choice == 2:
        body = body.decode("utf-8", "replace").encode("utf-16")
    else:
        body = body[: rng.randrange(1, max(2, len(body)))]
    return body


def inflate_part(data: bytes, rng: random.Random) -> bytes:
    return _edit_part(data, rng, _xml_parts, _inflate)


def odd_value(data: bytes, rng: random.Random) -> bytes:
    out = _edit_part(data, rng, _sheets, _odd_value)
    return flip_bytes(data, rng) if out is None else out


def odd_attribute(data: bytes, rng: random.Random) -> bytes:
    return _edit_part(data, rng, _xml_parts, _odd_attribute)


def break_xml(data: bytes, rng: random.Random) -> bytes:
    return _edit_part(data, rng, _xml_parts, _break_xml)


MUTATORS = (truncate, flip_bytes, drop_part, duplicate_part, inflate_part, odd_value,
            odd_value, odd_attribute, odd_attribute, break_xml)


def mutate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One or two mutations; returns (their names, the mutated bytes)."""
    names = []
    for _ in range(1 if rng.random() < 0.7 else 2):
        fn = rng.choice(MUTATORS)
        try:
            data = fn(data, rng)
        except (zipfile.BadZipFile, ValueError, IndexError, KeyError, EOFError, zlib.error,
                NotImplementedError):
            data = flip_bytes(data, rng)  # the first mutation broke the zip: flip bytes
            fn = flip_bytes
        names.append(fn.__name__)
    return "+".join(names), data
