"""The lean user-agent stylesheet changes nothing a reader sees: the same text and pages as
WeasyPrint's own, list markers still drawn, only the universal pseudo-element rules gone."""

from __future__ import annotations

import io

import pdfplumber
from needs import needs
from test_report_plans import case_study_plan, long_plan

from derisk_xl.report import ReportRenderer


def page_texts(pdf: bytes) -> list[str]:
    needs("dejavu")
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [p.extract_text() or "" for p in doc.pages]


def render_with(html_class, html: str) -> bytes:
    from weasyprint import CSS

    return html_class(string=html).write_pdf(stylesheets=[CSS(string="@page { size: A4 }")])


def test_lean_sheet_drops_only_the_universal_pseudo_rules():
    from weasyprint import html as wp_html

    from derisk_xl.report.weasy import DROPPED_PSEUDO, lean_ua_stylesheets

    lean, _forms = lean_ua_stylesheets()
    full = wp_html.UA_STYLESHEET.matcher
    kept = {e[3] for e in lean.matcher.other_selectors}
    assert not kept & set(DROPPED_PSEUDO) and "marker" not in kept
    assert {e[3] for e in full.other_selectors} >= set(DROPPED_PSEUDO) | {"marker"}
    assert any(e[3] == "marker" for e in lean.matcher.lower_local_name_selectors["li"])
    # every other rule is still there
    assert len(lean.matcher.other_selectors) == len(
        [e for e in full.other_selectors if e[3] not in (*DROPPED_PSEUDO, "marker")])


def test_lists_keep_their_markers_and_text_is_unchanged():
    from weasyprint import HTML

    from derisk_xl.report.weasy import LeanHTML

    html = ("<h1>Head</h1><ul><li>first</li><li>second</li></ul><ol><li>one</li></ol>"
            "<p>a <q>quote</q> and a<br>break</p><table><tr><td>1</td><td>2</td></tr></table>")
    lean, plain = page_texts(render_with(LeanHTML, html)), page_texts(render_with(HTML, html))
    assert lean == plain
    assert "• first" in lean[0] and "1. one" in lean[0]


def test_report_text_and_pages_same_as_with_weasyprints_own_sheet(monkeypatch):
    import weasyprint

    from derisk_xl.report import weasy

    for plan in (case_study_plan(), long_plan(12)):
        lean = page_texts(ReportRenderer(None, "a4").render_pdf(plan))
        monkeypatch.setattr(weasy, "LeanHTML", weasyprint.HTML)
        plain = page_texts(ReportRenderer(None, "a4").render_pdf(plan))
        monkeypatch.undo()
        assert lean == plain
