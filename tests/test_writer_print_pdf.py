"""The plan sheets printed by an independent application: LibreOffice converts the planned
example to PDF, read back with pdfplumber.

Each plan sheet comes out one page wide (every page holds both the first and the last column
of the sheet's header row) and a sheet longer than a page repeats its header row at the top of
every page, under the page header naming client, sheet and as-of, over "Page X of Y".
Before the print setup, the six plan sheets of the example printed as 22 pages of fragments.
Skips where LibreOffice (soffice) is not installed; .ci/run installs it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pdfplumber
import pytest
from conftest import ROOT, WORKBOOKS
from needs import soffice
from test_fidelity_writer import rich_workbook
from test_writer_stream import many_trades_plan

from derisk_xl.workbook.plan_sheets import PLAN_SHEET_NAMES
from derisk_xl.workbook.writer import write_plan

SOFFICE = soffice()

pytestmark = [
    pytest.mark.needs("libreoffice"),  # the independent application that prints the sheets
    pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning"),
]

#: The first and last header of each plan sheet's first row (Plan Summary's is its title
#: line, which runs across the sheet: its first and last words).
EDGES = {
    "Plan Trades": ("#", "Reason"),  # SPEC 5.1's columns
    "Plan Futures": ("Symbol", "Liquidation After"),
    "Plan Hedge": ("Item", "Value"),
    "Plan Ladder": ("Asset", "Notional"),
    "Plan Stress": ("Shock", "Liquidated After"),
}


def to_pdf(xlsx: Path, folder: Path) -> Path:
    out = folder / "pdf"
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{folder}/profile", "--headless",
                    "--convert-to", "pdf", "--outdir", str(out), str(xlsx)],
                   check=True, capture_output=True, timeout=300)
    return out / (xlsx.stem + ".pdf")


def pages_by_sheet(pdf_path: Path) -> dict[str, list[list[str]]]:
    """Plan sheet name → its pages, each as text lines; a page belongs to the plan sheet its
    page header names (input sheets have no header and are left out)."""
    out: dict[str, list[list[str]]] = {}
    with pdfplumber.open(pdf_path) as pdf:
        for page in pdf.pages:
            lines = (page.extract_text() or "").splitlines()
            for name in PLAN_SHEET_NAMES:
                if lines and name in lines[0]:
                    assert all(w["x1"] <= page.width + 0.5 for w in page.extract_words())
                    out.setdefault(name, []).append(lines)
    return out


def assert_one_page_wide_with_headers(pages: dict[str, list[list[str]]], title: str) -> None:
    assert set(pages) == set(PLAN_SHEET_NAMES), sorted(pages)
    for name, sheet_pages in pages.items():
        first, last = EDGES.get(name, (title.split()[0], title.split()[-1]))
        for lines in sheet_pages:
            header = lines[1]  # the first line under the page header
            assert header.startswith(first) and header.endswith(last), (name, header)


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> tuple[dict[str, list[list[str]]], str]:
    folder = tmp_path_factory.mktemp("example-pdf")
    done = subprocess.run([sys.executable, "-m", "derisk_xl.cli", "run",
                           str(WORKBOOKS / "example.xlsx"), "--no-pdf", "--out",
                           str(folder / "out")], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    planned = folder / "out" / "example.xlsx"
    import openpyxl

    title = openpyxl.load_workbook(planned, read_only=True)["Plan Summary"]["A1"].value
    return pages_by_sheet(to_pdf(planned, folder)), title


def test_example_plan_sheets_print_one_page_each(example):
    pages, title = example
    assert_one_page_wide_with_headers(pages, title)
    # the example's plan sheets are short: one page each (22 pages of fragments before)
    assert {name: len(p) for name, p in pages.items()} == {name: 1 for name in PLAN_SHEET_NAMES}


def test_example_pages_name_client_as_of_and_page_numbers(example):
    pages, _ = example
    for name, sheet_pages in pages.items():
        for lines in sheet_pages:
            assert lines[0] == f"Northwind Family Office {name} As of 2026-11-27"
            assert re.fullmatch(r"Page \d+ of \d+", lines[-1]), lines[-1]


def test_a_long_sheet_repeats_its_header_row_on_every_page(tmp_path):
    plan = many_trades_plan(160)
    planned = tmp_path / "long.xlsx"
    write_plan(rich_workbook(tmp_path / "rich.xlsx"), planned, plan)
    pages = pages_by_sheet(to_pdf(planned, tmp_path))
    trades = pages["Plan Trades"]
    assert len(trades) >= 3  # long enough to test the repeat
    title = plan.as_of.isoformat()
    assert_one_page_wide_with_headers(pages, f"De-risk plan {title}")
    numbers = [int(re.fullmatch(r"Page (\d+) of \d+", p[-1]).group(1)) for p in trades]
    assert numbers == list(range(numbers[0], numbers[0] + len(trades)))
    rows = [int(m.group(1)) for p in trades for line in p[2:-1]
            if (m := re.match(r"(\d+) ?tier\b", line))]
    assert sorted(set(rows)) == list(range(1, 161))  # every trade printed, none lost
