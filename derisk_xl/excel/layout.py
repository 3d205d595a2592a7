"""How a plan sheet looks beyond its cells and Tables, applied through xlwings.

Wrap-text on long text, the frozen header rows and the print setup
(:class:`~derisk_xl.workbook.plan_sheets.PrintSetup`). Each is a courtesy that some Excel cannot
do (xlwings' desktop engine has no ``freeze_panes``; page setup beyond the print area exists
only through Excel's own object model on Windows), so each is tried on its own and a refusal is
logged, never shown: the figures, which :mod:`.adapter` writes, are what the user pressed for.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

_XL_LANDSCAPE, _XL_PORTRAIT = 2, 1


def apply_layout(sheet: Any, spec: Any) -> None:
    """Wrapped text, frozen rows and print setup of ``spec`` on the xlwings ``sheet``."""
    from ..workbook.plan_sheets import WRAPPED_KINDS

    _try("wrap text", _wrap, sheet, spec, WRAPPED_KINDS)
    if spec.freeze_rows:
        _try("freeze the header rows", _freeze, sheet, spec.freeze_rows)
    setup = spec.print_setup
    if setup is not None:
        _try("set the print area", _print_area, sheet, setup.area)
        _try("set up the page", _page_setup, sheet, setup)


def freeze(sheet: Any, rows: int) -> None:
    """Freeze the top ``rows`` rows where this Excel can (the button's Plan Errors sheet)."""
    _try("freeze the header rows", _freeze, sheet, rows)


def _try(what: str, step, *args) -> None:
    try:
        step(*args)
    except Exception:  # the sheet's figures are written; its looks are best effort
        log.info("could not %s on this Excel", what, exc_info=True)


def _wrap(sheet: Any, spec: Any, wrapped: frozenset) -> None:
    for block in spec.blocks:
        first = block.header_row + 2  # 1-based first data row
        for col in range(len(block.columns)):
            for r in range(len(block.rows)):
                if block.kind(r, col) in wrapped:
                    sheet.range((first + r, block.left + col + 1)).wrap_text = True


def _print_area(sheet: Any, area: str) -> None:
    sheet.page_setup.print_area = area


def _freeze(sheet: Any, rows: int) -> None:
    """xlwings' remote engine (Lite, Server) freezes through ``freeze_panes``; the desktop
    engine has none, so there Excel's window is asked (Windows)."""
    try:
        sheet.freeze_panes.freeze_at(f"1:{rows}")
        return
    except NotImplementedError:
        pass
    sheet.activate()
    window = sheet.book.app.api.ActiveWindow
    window.FreezePanes = False
    window.SplitColumn, window.SplitRow = 0, rows
    window.FreezePanes = True


def _page_setup(sheet: Any, setup: Any) -> None:
    """Excel's PageSetup object (Windows): orientation, one page wide, titles, header/footer."""
    ps = sheet.api.PageSetup
    ps.Orientation = _XL_LANDSCAPE if setup.landscape else _XL_PORTRAIT
    ps.Zoom = False
    ps.FitToPagesWide = setup.fit_width
    ps.FitToPagesTall = setup.fit_height or False
    ps.PrintTitleRows = setup.title_rows
    ps.LeftHeader, ps.CenterHeader, ps.RightHeader = setup.header
    ps.LeftFooter, ps.CenterFooter, ps.RightFooter = setup.footer
