"""The input sheets of the workbook ``derisk new`` makes, printed by an independent application:
LibreOffice converts workbooks/example.xlsx (written by the same code) to PDF, read back with
pdfplumber.

Each input sheet prints one page wide (every page holds the first and the last header of its
table), under a page header naming the file and the sheet, over "Page X of Y"; the price
history, longer than a page, repeats its header row. Before this print setup, example.xlsx
printed as 18 pages of fragments (Holdings in three strips of columns, the prices a few columns
a page). Skips where LibreOffice (soffice) is not installed; .ci/run installs it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pdfplumber
import pytest
from conftest import WORKBOOKS
from test_writer_print_pdf import SOFFICE, to_pdf

from derisk_xl.workbook.new import (FUTURES_HEADERS, HOLDINGS_HEADERS, LOTS_HEADERS,
                                    TIERS_HEADERS)

pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not "
                                "installed: it is the independent application that prints here")

#: The first and last header of each input sheet of example.xlsx.
EDGES = {
    "Holdings": (HOLDINGS_HEADERS[0], HOLDINGS_HEADERS[-1]),
    "Futures": (FUTURES_HEADERS[0], FUTURES_HEADERS[-1]),
    "Settings": ("Key", "About"),
    "Tiers": (TIERS_HEADERS[0], TIERS_HEADERS[-1]),
    "Lots": (LOTS_HEADERS[0], LOTS_HEADERS[-1]),
    "Prices": ("Date", "ATOM"),  # the last asset of example.xlsx's price history
}


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> list[tuple[list[str], bool]]:
    """Each page of the printed example: its text lines, and whether every word lies on it."""
    folder = tmp_path_factory.mktemp("example-inputs-pdf")
    out = []
    with pdfplumber.open(to_pdf(WORKBOOKS / "example.xlsx", folder)) as pdf:
        for page in pdf.pages:
            inside = all(w["x1"] <= page.width + 0.5 for w in page.extract_words())
            out.append(((page.extract_text() or "").splitlines(), inside))
    return out


def by_sheet(pages) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    for lines, _ in pages:
        m = re.fullmatch(r"example\.xlsx (\w+)", lines[0])
        assert m, lines[0]  # the page header: the file, then the sheet
        out.setdefault(m.group(1), []).append(lines)
    return out


def test_every_input_sheet_prints_one_page_wide(pages):
    assert all(inside for _, inside in pages)
    sheets = by_sheet(pages)
    assert list(sheets) == list(EDGES)
    for name, sheet_pages in sheets.items():
        first, last = EDGES[name]
        for lines in sheet_pages:
            header = lines[1]  # the first line under the page header, on every page
            assert header.startswith(first) and header.endswith(last), (name, header)


def test_pages_are_counted_and_numbered(pages):
    # one page a sheet, and the 90 days of prices on two: 7 pages, not 18 fragments
    assert {name: len(p) for name, p in by_sheet(pages).items()} == {
        "Holdings": 1, "Futures": 1, "Settings": 1, "Tiers": 1, "Lots": 1, "Prices": 2}
    assert [lines[-1] for lines, _ in pages] == [f"Page {n} of 7" for n in range(1, 8)]


def test_the_price_history_is_printed_whole(pages):
    dates = [line.split()[0] for lines in by_sheet(pages)["Prices"] for line in lines[2:-1]]
    assert len(dates) == 90 and dates[0] == "2026-08-30" and dates[-1] == "2026-11-27"


def test_rows_a_user_adds_print_too(tmp_path):
    """No print area is set on an input sheet: rows typed under the table print as well."""
    import openpyxl

    book = openpyxl.load_workbook(WORKBOOKS / "example.xlsx")
    holdings = book["Holdings"]
    for r in range(holdings.max_row + 1, holdings.max_row + 61):
        holdings.append([f"T{r}", 1, 1, 1])
    added = tmp_path / "added.xlsx"
    book.save(added)
    with pdfplumber.open(to_pdf(added, tmp_path)) as pdf:
        text = "\n".join(p.extract_text() or "" for p in pdf.pages)
    assert all(f"T{r}" in text.split() for r in range(22, 82))


def planned_copy_pages(folder: Path) -> int:
    import subprocess
    import sys

    from conftest import ROOT

    done = subprocess.run([sys.executable, "-m", "derisk_xl.cli", "run",
                           str(WORKBOOKS / "example.xlsx"), "--no-pdf", "--out",
                           str(folder / "out")], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    with pdfplumber.open(to_pdf(folder / "out" / "example.xlsx", folder)) as pdf:
        return len(pdf.pages)


def test_a_planned_copy_prints_its_inputs_and_its_plan(tmp_path):
    """The plan's own print names go beside the input sheets' (localSheetId counts tabs)."""
    import openpyxl

    assert planned_copy_pages(tmp_path) == 7 + 6  # the six plan sheets, one page each
    book = openpyxl.load_workbook(tmp_path / "out" / "example.xlsx")
    assert all(book[name].print_title_rows == "$1:$1" and not book[name].print_area
               for name in EDGES)
