"""What WeasyPrint charges for the same text in different HTML structures, to guide report
design: 120 rows × 4 short values as a fixed table and its variants, as inline spans, as flex
and grid rows, and as one run of text per row. CPU time of layout and drawing to PDF, best of 5,
each against the fixed table measured in the same run.

The cost follows the number of separate runs of text (each is shaped and drawn through its own
Pango layout), far more than the structure around them; see the last line.
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness import best_cpu_of, line

ROWS, CELLS = 120, 4
PAGE = "@page { size: A4; margin: 14mm } html { font: 8pt 'DejaVu Sans'; line-height: 1.3 } "
TABLE = ("table { width: 100%; table-layout: fixed; border-spacing: 0 } "
         "td { padding: 0.6mm 1.3mm; vertical-align: top } ")


def _value(r: int, c: int) -> str:
    return f"{r * 7 + c:,} @ {c}.50"


def _table(cells: int = CELLS) -> str:
    rows = "".join("<tr>" + "".join(f"<td>{_value(r, c)}</td>" for c in range(cells)) + "</tr>"
                   for r in range(ROWS))
    return f"<table><tbody>{rows}</tbody></table>"


def _rows_of_spans() -> str:
    return "".join("<div class=r>" + "".join(f"<span>{_value(r, c)}</span>"
                                             for c in range(CELLS)) + "</div>"
                   for r in range(ROWS))


def _one_run_per_row() -> str:
    return "".join("<p>" + "   ".join(_value(r, c) for c in range(CELLS)) + "</p>"
                   for r in range(ROWS))


CASES = [
    ("fixed table, 4 cells a row (baseline)", _table, TABLE),
    ("  auto table layout", _table, TABLE.replace("table-layout: fixed; ", "")),
    ("  cells white-space: pre", _table, TABLE + "td { white-space: pre }"),
    ("  cells white-space: nowrap", _table, TABLE + "td { white-space: nowrap }"),
    ("  border-collapse: collapse", _table, TABLE + "table { border-collapse: collapse }"),
    ("rows of inline spans", _rows_of_spans, ".r span { margin-right: 2mm }"),
    ("rows of inline-block spans", _rows_of_spans, ".r span { display: inline-block; width: 24% }"),
    ("flex rows", _rows_of_spans, ".r { display: flex } .r span { flex: 1 }"),
    ("grid rows", _rows_of_spans, ".r { display: grid; grid-template-columns: 1fr 1fr 1fr 1fr }"),
    ("one run of text per row (same characters)", _one_run_per_row, "p { margin: 0 }"),
]


def run() -> list[str]:
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    from derisk_xl.report.weasy import LeanHTML

    fonts = FontConfiguration()

    def cpu(body: str, css: str) -> float:
        sheets = [CSS(string=PAGE + css, font_config=fonts)]

        def render():
            LeanHTML(string=f"<html><body>{body}</body></html>").render(
                stylesheets=sheets, font_config=fonts).write_pdf()

        render()
        return best_cpu_of(render)

    results = [(label, cpu(make(), css)) for label, make, css in CASES]
    baseline = results[0][1]
    lines = [f"{ROWS} rows × {CELLS} values, CPU time of layout + PDF (best of 5)"]
    lines += [line(label, seconds, None if i == 0 else baseline)
              for i, (label, seconds) in enumerate(results)]
    lines.append(f"{'fixed table, CPU per run of text':<58} "
                 f"{baseline / (ROWS * CELLS) * 1000:10.2f} ms")
    return lines


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    print("\n".join(run()))
