"""The whole flow, once: workbook → inputs → plan → plan sheets → PDF → mail/outbox.

Every entry point (CLI ``derisk run``, ``derisk batch``, the Excel button) calls :func:`run_one`
or, for the button, the same steps through :func:`plan_inputs`. This is the only code that
sequences the adapters; each adapter is imported where it is first needed so that a button press
or a ``derisk check`` does not pay for WeasyPrint or SMTP.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .core.issues import Issue
from .core.model import Plan

RunStatus = Literal["planned", "failed", "skipped-unchanged"]


@dataclass(frozen=True)
class RunOptions:
    """What the caller asked for. ``out_dir`` None means write the plan into the workbook."""

    out_dir: Path | None = None
    as_of: dt.date | None = None
    pdf: bool = True
    email: bool = False
    template_dir: Path | None = None
    paper: Literal["a4", "letter"] = "a4"
    outbox: Path | None = None
    mail_config: Path | None = None
    force: bool = True
    today: dt.date | None = None  # for tests; None means the machine's date


@dataclass(frozen=True)
class RunResult:
    """What happened to one workbook; the batch summary and the CLI print from this."""

    source: Path
    status: RunStatus
    workbook: Path | None = None
    pdf: Path | None = None
    plan: Plan | None = None
    issues: tuple[Issue, ...] = ()
    email_status: str = ""
    seconds: float = 0.0
    error: str = ""
    warnings: tuple[Issue, ...] = field(default=())
