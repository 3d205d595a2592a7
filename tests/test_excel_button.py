"""The button's entry point, pressed through the xlwings calls it makes in Excel.

No live Excel exists on these machines: ``xw.Book.caller`` is patched to hand back an in-memory
double (tests/fake_excel.py) that answers those calls as xlwings does. Expected figures are the
SPEC section 7 case study's.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import xlwings as xw
from fake_excel import ErrorValue, FakeBook, FakeSheet
from needs import needs

from derisk_xl.excel import adapter, button, vba

PLAN_SHEETS = ["Plan Summary", "Plan Trades", "Plan Futures", "Plan Hedge", "Plan Ladder",
               "Plan Stress"]

HOLDINGS = [["Asset", "Quantity", "Price", "Avg Cost"],
            ["BTC", 0.1, 40000, 40000],
            ["ETH", 2.5, 3000, 1200],
            ["ALT", 1000, 12, 3],
            ["USDC", 11500, 1, 1]]
SETTINGS = [["Key", "Value"],
            ["Model", "Balanced De-Risk"],
            ["Fee bps", 0],
            ["Hedge Price", 40200],
            ["Hedge Funding Rate 8h %", 0.01],
            ["As Of", dt.datetime(2026, 11, 28)]]


def make_book(fullname: str, sheets: dict[str, list[list]],
              formats: dict[tuple[str, str], str] | None = None) -> FakeBook:
    return fill(FakeBook(fullname), sheets, formats)


def fill(book: FakeBook, sheets: dict[str, list[list]],
         formats: dict[tuple[str, str], str] | None = None) -> FakeBook:
    """Add ``sheets`` (rows of values from A1) and number ``formats`` to an open ``book``."""
    for name, rows in sheets.items():
        sheet = FakeSheet(book, name)
        book.sheets._items.append(sheet)
        for r, row in enumerate(rows, 1):
            for c, value in enumerate(row, 1):
                if value is not None:
                    sheet.values[(r, c)] = value
    for (name, ref), fmt in (formats or {}).items():
        book.sheets[name].range(ref).number_format = fmt
    return book


@pytest.fixture
def press(monkeypatch):
    """Press the button on ``book`` exactly as RunPython would: run the macro's command."""
    def _press(book: FakeBook):
        monkeypatch.setattr(xw.Book, "caller", classmethod(lambda cls: book))
        namespace: dict = {}
        exec(vba.PYTHON_COMMAND, namespace)  # "import derisk_xl.excel; ….build_plan()"
        return book
    return _press


@pytest.fixture(autouse=True)
def private_temp(tmp_path, monkeypatch):
    """Temp folder and log file of this test only."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setattr(button, "LOG_FILE", temp / "derisk-xl-button.log")
    return temp


def find_row(sheet: FakeSheet, label: str) -> list:
    rows = [row for row in sheet.rows() if row and row[0] == label]
    assert rows, f"no row {label!r} on {sheet.name}: {[r[0] for r in sheet.rows()]}"
    return rows[0]


def trades(book: FakeBook) -> list[dict]:
    rows = book.sheets["Plan Trades"].rows()
    header_at = next(i for i, r in enumerate(rows) if "Instrument" in r)
    header = rows[header_at]
    return [dict(zip(header, r)) for r in rows[header_at + 1:] if any(v is not None for v in r)]


def case_study_book(folder: Path, name: str = "Client Smith 2026.xlsm") -> FakeBook:
    return make_book(str(folder / name), {"Holdings": HOLDINGS, "Settings": SETTINGS,
                                          "Notes": [["keep me", 1]]})


# --- good input -----------------------------------------------------------------------------


def test_case_study_press_writes_spec7_plan(press, tmp_path):
    book = press(case_study_book(tmp_path))
    assert book.app.alerts == []
    names = book.sheets.names
    assert names[:3] == ["Holdings", "Settings", "Notes"] and names[3:] == PLAN_SHEETS

    summary = book.sheets["Plan Summary"]
    assert find_row(summary, "Total value before (T)")[1] == pytest.approx(35000)
    assert find_row(summary, "Realized gain")[1] == pytest.approx(6843.75)
    net = find_row(summary, "Net exposure")
    assert net[1] == pytest.approx(23500) and net[3] == pytest.approx(11226.20)
    assert net[4] == pytest.approx(11226.20 / 35000)

    sold = {t["Instrument"]: t for t in trades(book) if t["Side"] and "sell" in str(t["Side"]).lower()}
    assert sum(t["Quantity"] for t in trades(book) if t["Instrument"] == "ALT") == \
        pytest.approx(635.416666, rel=1e-6)
    assert sold["ETH"]["Quantity"] == pytest.approx(0.625)
    hedge = [t for t in trades(book) if t["Step"] == "hedge"]
    assert len(hedge) == 1 and hedge[0]["Quantity"] == pytest.approx(0.069)
    assert hedge[0]["Notional"] == pytest.approx(2773.80)

    stress = book.sheets["Plan Stress"].rows()
    shock = next(r for r in stress if r[0] is not None and r[0] == pytest.approx(-0.30))
    assert pytest.approx(-7050) in shock and pytest.approx(-3367.86, abs=0.01) in shock

    pdf = tmp_path / "Client Smith 2026-derisk-plan.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    from pypdf import PdfReader
    needs("dejavu")
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "6,843.75" in text and "2,773.80" in text
    assert str(pdf) in book.app.status_bar
    assert summary.active  # the plan is what the user sees after the press


def test_plan_sheets_are_formatted_through_excel(press, tmp_path):
    book = press(case_study_book(tmp_path))
    summary = book.sheets["Plan Summary"]
    rows = summary.rows()
    header = next(i for i, r in enumerate(rows) if r[:3] == ["Bucket", "Before", "Before %"])
    r = header + 2  # 1-based row of the first bucket
    assert summary.range((r, 3)).number_format.endswith("%")  # Before % as a percent
    assert "%" not in summary.range((r, 2)).number_format  # Before as money
    assert summary.range((header + 1, 1), (header + 1, 7)).font.bold
    for sheet_name in PLAN_SHEETS:
        sheet = book.sheets[sheet_name]
        assert len(sheet.tables) >= 1
        assert all(table.range.shape[0] >= 2 for table in sheet.tables)
        assert sheet.widths  # columns sized
        assert all(not isinstance(v, str) or not v.startswith("=") for row in sheet.rows()
                   for v in row)  # values, not formulas
    tables = [t.name for s in book.sheets for t in s.tables]
    assert len(tables) == len(set(tables))
    assert len(summary.charts) == 1 and summary.charts[0].chart_type == "bar_clustered"


def test_second_press_replaces_the_plan_and_keeps_everything_else(press, tmp_path):
    book = press(case_study_book(tmp_path))
    first = {name: book.sheets[name].rows() for name in PLAN_SHEETS}
    inputs = {name: dict(book.sheets[name].values) for name in ("Holdings", "Settings", "Notes")}
    press(book)
    assert book.sheets.names == ["Holdings", "Settings", "Notes"] + PLAN_SHEETS
    assert {name: book.sheets[name].rows() for name in PLAN_SHEETS} == first
    assert {name: dict(book.sheets[name].values) for name in inputs} == inputs
    tables = [t.name for s in book.sheets for t in s.tables]
    assert len(tables) == len(set(tables))


def test_presses_in_one_python_are_independent(press, tmp_path):
    """With "Use UDF Server", xlwings runs every press in one long-lived Python: a press must
    leave nothing behind that changes the next one's plan or PDF."""
    import pypdf

    def pdf_text(path: Path) -> str:
        return "".join(page.extract_text() for page in pypdf.PdfReader(path).pages)

    first = press(case_study_book(tmp_path, "first.xlsm"))
    other_holdings = [HOLDINGS[0], ["ETH", 4, 3000, 600], ["USDC", 2000, 1, 1]]
    other = press(make_book(str(tmp_path / "other.xlsm"),
                            {"Holdings": other_holdings, "Settings": SETTINGS}))
    bad = press(make_book(str(tmp_path / "bad.xlsm"),
                          {"Holdings": [HOLDINGS[0], ["ETH", -1, 3000, 600]], "Settings": SETTINGS}))
    again = press(case_study_book(tmp_path, "again.xlsm"))

    assert first.app.alerts == other.app.alerts == again.app.alerts == []
    assert {name: again.sheets[name].rows() for name in PLAN_SHEETS} == \
        {name: first.sheets[name].rows() for name in PLAN_SHEETS}
    assert [t["Instrument"] for t in trades(other)] != [t["Instrument"] for t in trades(first)]
    assert "Holdings!B2" in bad.app.alerts[0]["prompt"] and "Plan Summary" not in bad.sheets
    assert not (tmp_path / "bad-derisk-plan.pdf").exists()
    first_pdf = pdf_text(tmp_path / "first-derisk-plan.pdf")
    assert pdf_text(tmp_path / "again-derisk-plan.pdf") == first_pdf
    assert pdf_text(tmp_path / "other-derisk-plan.pdf") != first_pdf


def test_percent_formatted_cell_means_what_it_shows(press, tmp_path):
    """SPEC 3: 0.3 shown as 30 % and a plain 30 are the same hedge ratio."""
    settings_shown = SETTINGS + [["Hedge Ratio %", 0.3]]
    settings_plain = SETTINGS + [["Hedge Ratio %", 30]]
    a = press(make_book(str(tmp_path / "a.xlsm"), {"Holdings": HOLDINGS, "Settings": settings_shown},
                        formats={("Settings", "B7"): "0%"}))
    b = press(make_book(str(tmp_path / "b.xlsm"), {"Holdings": HOLDINGS, "Settings": settings_plain}))
    assert find_row(a.sheets["Plan Summary"], "Hedge ratio")[1] == pytest.approx(0.3)
    assert a.sheets["Plan Hedge"].rows() == b.sheets["Plan Hedge"].rows()


def test_reads_are_bulk_not_per_cell(tmp_path):
    def calls_to_read(n: int) -> int:
        rows = [HOLDINGS[0]] + [[f"C{i}", 1.5, 10 + i, 2] for i in range(n)]
        book = make_book(str(tmp_path / "x.xlsm"), {"Holdings": rows, "Settings": SETTINGS},
                         formats={("Holdings", f"C2:C{n + 1}"): "#,##0.00"})
        book.calls = 0
        adapter.gather(book)
        return book.calls

    assert calls_to_read(200) == calls_to_read(5) <= 20


# --- bad input ------------------------------------------------------------------------------


def test_bad_input_lists_every_problem_with_its_cell(press, tmp_path):
    holdings = [HOLDINGS[0], ["BTC", 0.1, ErrorValue("#N/A"), 40000], ["ETH", -2.5, 3000, 1200]]
    settings = [["Key", "Value"], ["Model", "Balanced Derisk"], ["Fee bsp", 0]]
    book = make_book(str(tmp_path / "bad.xlsm"), {"Holdings": holdings, "Settings": settings})
    before = {s.name: dict(s.values) for s in book.sheets}
    press(book)

    assert len(book.app.alerts) == 1
    alert = book.app.alerts[0]
    prompt = alert["prompt"]
    for cell in ("Holdings!C2", "Holdings!B3", "Settings!B2", "Settings!A3"):
        assert cell in prompt
    assert "#N/A" in prompt and "Fee bps" in prompt
    assert "Traceback" not in prompt and "File \"" not in prompt
    assert alert["title"] == adapter.TITLE

    errors = book.sheets["Plan Errors"].rows()
    assert errors[0] == ["#", "Cell", "Problem"]
    assert {r[1] for r in errors[1:]} >= {"Holdings!C2", "Holdings!B3", "Settings!B2",
                                          "Settings!A3"}
    assert book.sheets["Plan Errors"].active
    assert not any(name in book.sheets for name in PLAN_SHEETS)
    assert {s.name: dict(s.values) for s in book.sheets if s.name != "Plan Errors"} == before
    assert not list(tmp_path.glob("*.pdf"))


def test_missing_holdings_sheet_is_a_message_not_a_traceback(press, tmp_path):
    book = press(make_book(str(tmp_path / "empty.xlsm"), {"Settings": SETTINGS}))
    assert "Holdings" in book.app.alerts[0]["prompt"]
    assert "Plan Errors" in book.sheets


def test_success_removes_a_stale_error_sheet(press, tmp_path):
    book = case_study_book(tmp_path)
    book.sheets["Holdings"].values[(2, 3)] = "forty thousand"
    press(book)
    assert "Plan Errors" in book.sheets
    book.sheets["Holdings"].values[(2, 3)] = 40000
    press(book)
    assert "Plan Errors" not in book.sheets
    assert "Plan Summary" in book.sheets


def test_unexpected_failure_is_one_sentence_and_a_log(press, tmp_path, monkeypatch, private_temp):
    import derisk_xl.core.plan as plan_module

    def broken(inputs):
        raise RuntimeError("the calculator tripped over something")

    monkeypatch.setattr(plan_module, "make_plan", broken)
    book = press(case_study_book(tmp_path))
    prompt = book.app.alerts[0]["prompt"]
    assert "could not be built: the calculator tripped over something" in prompt
    assert "Traceback" not in prompt
    log = (private_temp / "derisk-xl-button.log").read_text()
    assert "Traceback" in log and "RuntimeError" in log
    assert str(private_temp / "derisk-xl-button.log") in prompt
    assert not any(name in book.sheets for name in PLAN_SHEETS)


# --- where the PDF goes ---------------------------------------------------------------------


def test_unsaved_workbook_gets_its_pdf_in_a_temp_folder(press, private_temp, tmp_path):
    book = press(make_book("Book1", {"Holdings": HOLDINGS, "Settings": SETTINGS}))
    pdf = private_temp / "derisk-xl" / "Book1-derisk-plan.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert "temporary folder" in book.app.status_bar and str(pdf) in book.app.status_bar
    assert not list(tmp_path.glob("*.pdf"))


class OneDriveBook(FakeBook):
    """xlwings raises from ``fullname`` when a OneDrive/SharePoint file has no local folder."""

    @property
    def fullname(self):
        raise RuntimeError("Couldn't find your local OneDrive file, see: xlwings.org/error")

    @fullname.setter
    def fullname(self, value):
        pass

    @property
    def name(self):
        return "Client Smith 2026.xlsm"


def test_onedrive_workbook_without_local_folder(press, private_temp):
    book = press(fill(OneDriveBook("x"), {"Holdings": HOLDINGS, "Settings": SETTINGS}))
    pdf = private_temp / "derisk-xl" / "Client Smith 2026-derisk-plan.pdf"
    assert pdf.exists() and "OneDrive" in book.app.status_bar


# --- imports --------------------------------------------------------------------------------


def test_entry_point_imports_nothing_heavy():
    code = ("import sys, derisk_xl.excel; heavy = {'weasyprint', 'openpyxl', 'pandas', 'xlwings', "
            "'xlsxwriter', 'dask', 'rich', 'python_calamine'} & set(sys.modules); print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- hostile text ---------------------------------------------------------------------------


def test_user_text_is_never_written_as_a_formula(press, tmp_path):
    evil = '=HYPERLINK("http://example.invalid","click")'
    holdings = [row[:] for row in HOLDINGS]
    holdings[3][0] = evil  # the ALT row: it is sold, so its name reaches Plan Trades
    book = press(make_book(str(tmp_path / "evil.xlsm"), {"Holdings": holdings,
                                                          "Settings": SETTINGS}))
    assert "Plan Trades" in book.sheets
    assert all(not sheet.formulas for sheet in book.sheets)
    names = {t["Instrument"] for t in trades(book)}
    assert evil.upper() in names  # shown verbatim, as text


def test_error_sheet_keeps_hostile_text_as_text(press, tmp_path):
    holdings = [HOLDINGS[0], ["BTC", 0.1, "=cmd|' /C calc'!A0", 40000]]
    book = press(make_book(str(tmp_path / "evil.xlsm"), {"Holdings": holdings,
                                                          "Settings": SETTINGS}))
    sheet = book.sheets["Plan Errors"]
    assert not sheet.formulas
    assert any("=cmd|' /C calc'!A0" in str(row[2]) for row in sheet.rows()[1:])


# --- a failed press leaves no plan that looks current -------------------------------------


def test_a_press_that_finds_errors_takes_the_previous_plan_away(press, tmp_path):
    book = case_study_book(tmp_path)
    press(book)
    assert all(name in book.sheets for name in PLAN_SHEETS)
    inputs = {s.name: dict(s.values) for s in book.sheets if s.name in ("Holdings", "Settings",
                                                                         "Notes")}
    book.sheets["Holdings"].values[(3, 3)] = "three thousand"   # ETH's price becomes text
    press(book)

    assert not any(name in book.sheets for name in PLAN_SHEETS)
    assert book.sheets.names == ["Holdings", "Settings", "Notes", "Plan Errors"]
    errors = book.sheets["Plan Errors"].rows()
    assert errors[1][1] == "Holdings!C3"
    assert any(r and r[-1] and "plan sheets of the previous press" in str(r[-1]) for r in errors)
    prompt = book.app.alerts[-1]["prompt"]
    assert "Holdings!C3" in prompt and "Plan Summary" in prompt and "were removed" in prompt
    book.sheets["Holdings"].values[(3, 3)] = 3000
    assert {s.name: dict(s.values) for s in book.sheets
            if s.name in inputs} == {**inputs}
    # the next good press brings the plan back and takes the errors away
    press(book)
    assert all(name in book.sheets for name in PLAN_SHEETS)
    assert "Plan Errors" not in book.sheets


def test_an_unexpected_failure_after_a_good_press_takes_the_old_plan_away(press, tmp_path,
                                                                         monkeypatch):
    import derisk_xl.core.plan as plan_module

    book = case_study_book(tmp_path)
    press(book)
    assert "Plan Summary" in book.sheets

    def broken(inputs):
        raise RuntimeError("the calculator tripped over something")

    monkeypatch.setattr(plan_module, "make_plan", broken)
    press(book)
    assert not any(name in book.sheets for name in PLAN_SHEETS)
    assert "were removed" in book.app.alerts[-1]["prompt"]


def test_a_press_that_fails_while_writing_sheets_leaves_no_half_plan(press, tmp_path,
                                                                    monkeypatch):
    book = case_study_book(tmp_path)
    press(book)
    real = adapter.write_sheet
    calls = []

    def flaky(book_, spec):
        calls.append(spec.name)
        if len(calls) == 3:
            raise RuntimeError("Excel stopped answering")
        return real(book_, spec)

    monkeypatch.setattr(adapter, "write_sheet", flaky)  # both doors write their sheets through it
    press(book)
    assert len(calls) == 3
    assert not any(name in book.sheets for name in PLAN_SHEETS)
    assert "Excel stopped answering" in book.app.alerts[-1]["prompt"]
