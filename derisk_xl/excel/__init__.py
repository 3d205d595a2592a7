"""The Excel button: ``build_plan()`` is what the workbook's macro runs through xlwings'
``RunPython``. This module imports nothing heavy, so the press pays only for what it uses."""

from __future__ import annotations


def build_plan():
    """Entry point of the "Build de-risk plan" button (see :mod:`derisk_xl.excel.button`)."""
    from .button import build_plan as _build_plan

    return _build_plan()


__all__ = ["build_plan"]
