"""Reading a user's workbook into :class:`PlanInputs` (SPEC 3), in four steps, one module each.

- :mod:`.source` — the file as a package: a workbook we may read (not encrypted, not legacy
  ``.xls``, no XML entity bomb), and where its parts are;
- :mod:`.scan` — cell values through python-calamine plus the facts calamine does not give
  (percent formats, Excel errors, formulas with no cached value, hidden rows), as a
  :class:`~.grid.WorkbookGrid`, the picture the Excel button builds too;
- :mod:`.tables` — finding the holdings in a workbook we did not make (SPEC 3.9);
- :mod:`.contract` — SPEC 3.1–3.7 fields → :class:`PlanInputs`, every problem an issue with its
  cell (typed cells in :mod:`.typed`, Settings in :mod:`.settings_sheet`, words in
  :mod:`.vocabulary`).

:func:`read_workbook` combines them and never raises for a user's file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..core.issues import Issue
from .contract import ReadResult, parse_inputs
from .settings_sheet import SETTINGS_KEYS
from .scan import load_grid
from .vocabulary import (
    FUTURES_COLUMNS, HOLDINGS_COLUMNS, INPUT_SHEETS, LOTS_COLUMNS, TIERS_COLUMNS, norm,
)


def read_workbook(path: Path, *, as_of: dt.date | None, today: dt.date,
                  holdings: str | None = None,
                  columns: tuple[tuple[str, str], ...] = ()) -> ReadResult:
    """Load and parse; every problem of a user's file comes back as an issue, never raised.
    ``holdings`` is the ``--holdings`` choice (SPEC 3.9 item 1), ``columns`` the ``--column``
    ones (item 12)."""
    path = Path(path)
    try:
        grid, issues = load_grid(path)
        if grid is None:
            return ReadResult(None, issues)
        result = parse_inputs(grid, as_of=as_of, today=today, holdings=holdings,
                              columns=columns)
        return ReadResult(result.inputs, issues + result.issues)
    except Exception:  # a file no rule above foresaw: still a sentence, no internal names
        return ReadResult(None, (Issue("", f"{path.name} could not be read as a workbook: "
                                           "something in it is not what Excel writes. Open it "
                                           "in Excel and save it again."),))



__all__ = ["FUTURES_COLUMNS", "HOLDINGS_COLUMNS", "INPUT_SHEETS", "LOTS_COLUMNS", "ReadResult",
           "SETTINGS_KEYS", "TIERS_COLUMNS", "load_grid", "norm", "parse_inputs", "read_workbook"]
