"""The PDF report read back: SPEC 7's figures in the right sections, stable pages and text,
A4 and Letter page sizes, nothing logged by WeasyPrint, long tables broken with their header.

The expected figures are typed in from SPEC section 7, not taken from the code under test.
"""

from __future__ import annotations

import io
import logging
import re

import pdfplumber
import pypdf
import pytest
from needs import needs
from test_report_plans import case_study_plan, long_plan

from derisk_xl.report import ReportRenderer, render_html, render_pdf

SECTIONS = [  # headings in the order the report prints them
    "Where the money sits",
    "Exposure to a market move",
    "Trades, in order",
    "Existing futures positions",
    "The hedge",
    "Sell orders to leave resting",
    "If prices move at once",
    "Signals",
    "Warnings",
    "How this plan was made",
]


def pdf_text(pdf: bytes) -> list[str]:
    """Text per page, with non-breaking spaces as spaces and runs of blanks collapsed."""
    needs("dejavu")
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        pages = [page.extract_text() or "" for page in doc.pages]
    return [re.sub(r"[ \u00a0\u202f]+", " ", p) for p in pages]


def sections(text: str) -> dict[str, str]:
    """Split the report's text at its section headings (the title block is ``title``)."""
    out: dict[str, str] = {}
    rest = text
    name = "title"
    for heading in SECTIONS:
        where = rest.find("\n" + heading + "\n")
        assert where >= 0, f"section {heading!r} missing or out of order"
        out[name] = rest[:where]
        name, rest = heading, rest[where + len(heading) + 2:]
    out[name] = rest
    return out


def strip_running(pages: list[str]) -> str:
    """The pages' text without the running header and footer lines."""
    body = []
    for page in pages:
        lines = page.split("\n")
        body.extend(ln for ln in lines[1:] if not re.match(r"Not investment advice Page \d+ of", ln))
    return "\n".join(body)


@pytest.fixture(scope="module")
def case_pdf() -> bytes:
    return render_pdf(case_study_plan())


def test_case_study_figures_in_their_sections(case_pdf):
    s = sections(strip_running(pdf_text(case_pdf)))
    # title block: T = 35,000 and the realized gain 5,718.75 + 1,125.00
    assert "$35,000.00 before" in s["title"]
    assert "$6,843.75 realized" in s["title"]
    assert "Balanced De-Risk" in s["title"]
    # buckets: S* = C* = 14,000; F* = 7,000
    buckets = s["Where the money sits"]
    assert re.search(r"Risk spot \$23,500.00 \(67.1 %\) \$14,000.00 \(40.0 %\) \$14,000.00 \(40.0 %\)",
                     buckets)
    assert re.search(r"Futures wallet \$0.00 \(0.0 %\) \$7,000.00 \(20.0 %\) \$7,000.00 \(20.0 %\)", buckets)
    # exposure: 23,500 (67.1 %) → 11,226.20 (32.1 %)
    exposure = s["Exposure to a market move"]
    assert re.search(r"Net exposure \$23,500.00 \(67.1 % of the portfolio\) \$11,226.20 \(32.1 %\)",
                     exposure)
    # trades: ETH 0.625 (1,875.00), ALT 500 + 135.41666… (7,625.00 in all), 7,000 transferred
    trades = s["Trades, in order"]
    assert re.search(r"sell ETH 0.625 @ \$3,000.00 1,875.00", trades)
    assert re.search(r"sell ALT 500 @ \$12.00 6,000.00", trades)
    assert re.search(r"sell ALT 135.41666667 @ \$12.00 1,625.00", trades)
    assert "7,000" in trades and "futures wallet" in trades
    assert "Realized gain $6,843.75" in trades
    # hedge: 0.069 BTC = 2,773.80, margin 924.60 at 3×, liquidation 53,333.33
    hedge = s["The hedge"]
    assert "Short 0.069 BTCUSDT-PERP at $40,200.00: $2,773.80 of BTC" in hedge
    assert "$924.60 of margin at 3.0×" in hedge
    assert "$53,333.33" in hedge
    # carry in words: 0.01 % per 8 h → 10.95 % a year; earns ≈ 24.96 over 30 days; basis 200
    flat = hedge.replace("\n", " ")
    assert "The short earns about $25 of funding over 30 days" in flat
    assert "$24.96" in flat and "0.01 % per 8 hours" in flat and "10.95 % a year" in flat
    assert "$200.00 a unit (0.50 %)" in flat
    # stress −30 %: −7,050 before, −3,367.86 after
    stress = s["If prices move at once"]
    assert re.search(r"−30 % −\$7,050.00 −\$3,367.86", stress)
    assert re.search(r"\+20 % \$4,700.00", stress)
    # status and the not-advice line
    assert "Complete" in s["Signals"]
    assert "Target reached — yes" in s["Signals"]
    assert "not investment advice" in s["How this plan was made"]


def test_running_header_and_page_numbers(case_pdf):
    pages = pdf_text(case_pdf)
    for number, page in enumerate(pages, start=1):
        lines = page.split("\n")
        assert lines[0].startswith("De-risk plan") and "as of 28 November 2026" in lines[0]
        assert lines[-1] == f"Not investment advice Page {number} of {len(pages)}"


def test_same_plan_same_text_and_pages(case_pdf):
    """Same inputs, same text and pages: the case study fits two pages (a third would mean a
    section overflowed or the layout grew)."""
    again = render_pdf(case_study_plan())
    assert pdf_text(again) == pdf_text(case_pdf)
    assert len(pypdf.PdfReader(io.BytesIO(again)).pages) == len(
        pypdf.PdfReader(io.BytesIO(case_pdf)).pages) == 2


@pytest.mark.parametrize("paper, size", [("a4", (595.28, 841.89)), ("letter", (612.0, 792.0))])
def test_paper_sizes_from_the_mediabox(paper, size):
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(case_study_plan(), paper=paper)))
    for page in reader.pages:
        box = page.mediabox
        assert (round(float(box.width), 2), round(float(box.height), 2)) == size


def test_unknown_paper_is_refused():
    with pytest.raises(ValueError, match="a4, letter"):
        render_pdf(case_study_plan(), paper="tabloid")


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.mark.parametrize("paper", ["a4", "letter"])
@pytest.mark.needs("harfbuzz-subset", "dejavu")  # else WeasyPrint warns of the machine
def test_weasyprint_logs_no_warning(paper):
    """A fresh renderer (stylesheet parsed inside the test) on a long plan: nothing at WARNING+."""
    handler = Collect()
    loggers = [logging.getLogger(n) for n in ("weasyprint", "fontTools")]
    for lg in loggers:
        lg.addHandler(handler)
    try:
        renderer = ReportRenderer(None, paper)
        renderer.render_pdf(long_plan(30))
    finally:
        for lg in loggers:
            lg.removeHandler(handler)
    loud = [f"{r.name}: {r.getMessage()}" for r in handler.records if r.levelno >= logging.WARNING]
    assert loud == []


def test_long_trades_table_breaks_with_its_header_repeated():
    plan = long_plan(30)
    pages = pdf_text(render_pdf(plan))
    trade_pages = [p for p in pages if re.search(r"^\d+ (Profit tier|Rebalance):", p, re.M)]
    assert len(trade_pages) >= 2
    for page in trade_pages:
        assert "# Step: trade Quantity @ price Value Fee / gain" in page
    # every trade number appears exactly once, in order, across the pages
    numbers = [int(m) for p in pages for m in re.findall(r"^(\d+) (?:Profit tier|Rebalance|"
                                                        r"Transfer|Hedge|Close long|Cut leverage)",
                                                        p, re.M)]
    assert numbers == list(range(1, len(plan.trades) + 1))


def test_strict_undefined_fails_loudly(tmp_path):
    """A desk template naming something the plan does not have is an error, not a blank."""
    from derisk_xl.core.issues import EnvironmentProblem

    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "title.html").write_text("<h1>{{ plan.no_such_field }}</h1>")
    with pytest.raises(EnvironmentProblem, match="UndefinedError.*no_such_field"):
        ReportRenderer(tmp_path).render_html(case_study_plan())


def test_html_charts_are_generated_images():
    html = render_html(case_study_plan())
    assert 'src="generated:buckets.svg"' in html and 'src="generated:stress.svg"' in html
    assert "The short earns about $25 of funding over 30 days" in html


def test_render_pdf_reuses_one_warm_renderer_per_folder_and_paper(tmp_path):
    from derisk_xl.report import default_template_dir, renderer_for

    (tmp_path / "report").mkdir()
    a4 = renderer_for(None, "a4")
    assert renderer_for(None, "A4") is a4
    assert renderer_for(None, "letter") is not a4
    assert renderer_for(tmp_path, "a4") is renderer_for(tmp_path, "a4") is not a4
    assert renderer_for(default_template_dir(), "a4") is a4  # our folder named is no folder
    fonts_and_sheets = a4._weasyprint()
    render_pdf(case_study_plan())
    assert a4._weasyprint() is fonts_and_sheets  # stylesheet and fonts made once


def test_renderer_for_a_folder_under_home_written_with_a_tilde(tmp_path, monkeypatch):
    """``~/desk`` is the desk's folder for the warm renderer as for ReportRenderer itself."""
    from derisk_xl.report import renderer_for

    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "desk" / "report").mkdir(parents=True)
    assert renderer_for("~/desk", "a4").dirs[0] == (tmp_path / "desk").resolve()
