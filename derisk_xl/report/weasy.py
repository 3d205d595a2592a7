"""WeasyPrint's HTML with a leaner user-agent stylesheet: the same rules, minus the ones that cost
every element six pseudo-element styles.

WeasyPrint's ``html5_ua.css`` has universal ``::marker``, ``::footnote-call``,
``::footnote-marker`` and ``::note-*`` rules. A rule that matches every element makes WeasyPrint
compute a style for that pseudo-element of every element: on a 700-element report that is ~4,400
of its ~4,700 computed styles, about a sixth of a warm render. The report has no footnotes or notes,
and list markers only exist on list items, so here ``::marker`` is scoped to ``li``/``summary``
and the footnote/note rules are dropped (a desk template that uses ``float: footnote`` can
style ``::footnote-call`` in its own report.css). Every other user-agent rule is WeasyPrint's own.

If a future WeasyPrint renames what is overridden here, the report renders exactly as with plain
``weasyprint.HTML``, only slower. Imports WeasyPrint: import this module only where a PDF is made.
"""

from __future__ import annotations

import functools
import re

from weasyprint import CSS, HTML

_MARKER = re.compile(r"(?m)^::marker(\s*\{)")
_NOTES = re.compile(r"(?m)^::(?:footnote|note)-[\w-]+\s*\{[^}]*\}[ \t]*\n?")


def lean_ua_css(ua: str) -> str:
    """WeasyPrint's user-agent CSS with the universal pseudo-element rules scoped or dropped."""
    return _NOTES.sub("", _MARKER.sub(r"li::marker, summary::marker\1", ua))


@functools.lru_cache(maxsize=1)
def lean_ua_stylesheets() -> tuple | None:
    """(lean UA sheet, form sheet), parsed once per process; None if WeasyPrint changed shape."""
    try:
        from weasyprint import html as wp_html

        ua, counters, forms = wp_html.UA, wp_html.UA_COUNTER_STYLE, wp_html.UA_FORM_STYLESHEET
    except (ImportError, AttributeError):  # pragma: no cover - another WeasyPrint
        return None
    return CSS(string=lean_ua_css(ua), counter_style=counters), forms


class LeanHTML(HTML):
    """``weasyprint.HTML`` whose user-agent stylesheet is :func:`lean_ua_css` of WeasyPrint's."""

    def _ua_stylesheets(self, forms=False):  # WeasyPrint's hook (its own tests override it)
        sheets = lean_ua_stylesheets()
        if sheets is None:  # pragma: no cover
            return super()._ua_stylesheets(forms)
        return [sheets[0], sheets[1]] if forms else [sheets[0]]


__all__ = ["LeanHTML", "lean_ua_css", "lean_ua_stylesheets"]
