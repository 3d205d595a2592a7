"""WeasyPrint's HTML with a leaner user-agent stylesheet: the same rules, minus the ones that cost
every element six pseudo-element styles.

WeasyPrint's ``html5_ua.css`` has universal ``::marker``, ``::footnote-call``,
``::footnote-marker`` and ``::note-*`` rules. A rule that matches every element makes WeasyPrint
compute a style for that pseudo-element of every element: on a 700-element report that was
~4,400 of its ~4,700 computed styles. The report has no footnotes or notes, and list markers only
exist on list items, so here ``::marker`` is scoped to ``li``/``summary`` and the footnote/note
rules are dropped (a desk template that uses ``float: footnote`` can style ``::footnote-call``
in its own report.css). Every other user-agent rule is WeasyPrint's own.

The lean sheet is WeasyPrint's already parsed one with a filtered copy of its selector index
(re-parsing the 16 kB stylesheet would cost a fresh process ~30 ms). If a future WeasyPrint or
cssselect2 changes what is relied on here, the report renders exactly as with plain
``weasyprint.HTML``, only slower. Imports WeasyPrint: import this module only where a PDF is made.
"""

from __future__ import annotations

import copy
import functools

from weasyprint import HTML

#: pseudo-elements whose universal user-agent rules are dropped
DROPPED_PSEUDO = ("footnote-call", "footnote-marker", "note-call", "note-marker",
                  "note-callback")
#: elements that keep the user-agent ``::marker`` rule
MARKED = ("li", "summary")


def lean_matcher(matcher):
    """A copy of a cssselect2 matcher without universal ``DROPPED_PSEUDO`` rules and with the
    universal ``::marker`` rule indexed under :data:`MARKED` only; None if it is not the shape
    this was written for."""
    try:
        other, marker = [], []
        for entry in matcher.other_selectors:
            _test, _specificity, _order, pseudo, _payload = entry
            if pseudo == "marker":
                marker.append(entry)
            elif pseudo not in DROPPED_PSEUDO:
                other.append(entry)
        names = {name: list(entries)
                 for name, entries in matcher.lower_local_name_selectors.items()}
    except (AttributeError, TypeError, ValueError):  # pragma: no cover - another cssselect2
        return None
    for name in MARKED:
        names[name] = sorted(names.get(name, []) + marker, key=lambda e: e[2])
    lean = copy.copy(matcher)
    lean.other_selectors = other
    lean.lower_local_name_selectors = names
    return lean


@functools.lru_cache(maxsize=1)
def lean_ua_stylesheets() -> tuple | None:
    """(lean UA sheet, form sheet), made once per process; None if WeasyPrint changed shape."""
    try:
        from weasyprint import html as wp_html

        ua, forms = wp_html.UA_STYLESHEET, wp_html.UA_FORM_STYLESHEET
    except (ImportError, AttributeError):  # pragma: no cover - another WeasyPrint
        return None
    matcher = lean_matcher(getattr(ua, "matcher", None))
    if matcher is None:  # pragma: no cover
        return None
    lean = copy.copy(ua)
    lean.matcher = matcher
    return lean, forms


class LeanHTML(HTML):
    """``weasyprint.HTML`` whose user-agent stylesheet is WeasyPrint's minus the universal
    pseudo-element rules (see the module's docstring)."""

    def _ua_stylesheets(self, forms=False):  # WeasyPrint's hook (its own tests override it)
        sheets = lean_ua_stylesheets()
        if sheets is None:  # pragma: no cover
            return super()._ua_stylesheets(forms)
        return [sheets[0], sheets[1]] if forms else [sheets[0]]


__all__ = ["DROPPED_PSEUDO", "LeanHTML", "MARKED", "lean_matcher", "lean_ua_stylesheets"]
