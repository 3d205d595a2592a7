"""The whole flow, once: workbook → inputs → plan → plan sheets → PDF → mail/outbox.

Every entry point calls it: ``derisk run`` and ``derisk batch`` through :func:`run_one`; the
Excel button, which gathers from and applies to the open book, through :func:`compute`, the
middle both share. This is the only code that sequences the adapters; each adapter is imported
where it is first needed so that a button press or a ``derisk check`` does not pay for
WeasyPrint or SMTP.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .core.issues import Issue
from .core.model import Plan

if TYPE_CHECKING:
    from .workbook.reader import ReadResult

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
    holdings: str | None = None  # --holdings: a sheet, Excel Table or range (SPEC 3.9 item 1)

    @property
    def renders_pdf(self) -> bool:
        """The PDF is rendered when it is kept or mailed."""
        return self.pdf or self.email


@dataclass(frozen=True)
class RunResult:
    """What happened to one workbook; the batch summary and the CLI print from this.

    ``issues`` are the errors that stopped a failed run, or the warnings of a planned one.
    """

    source: Path
    status: RunStatus
    workbook: Path | None = None
    pdf: Path | None = None
    plan: Plan | None = None
    issues: tuple[Issue, ...] = ()
    email_status: str = ""
    seconds: float = 0.0

    @property
    def error(self) -> str:
        """The issues that stopped a failed run, in one line; empty for any other status."""
        return "; ".join(str(i) for i in self.issues) if self.status == "failed" else ""

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def ok(self) -> bool:
        """False when the workbook failed or its report could not be sent (it waits in the
        outbox): either way the command must exit non-zero."""
        return self.status != "failed" and not self.email_status.startswith("failed")


def lock_file_for(path: Path) -> Path:
    """Excel's owner file for an open workbook: ``~$`` + the name (first two chars dropped
    for long names on some versions, so both spellings are checked by :func:`is_open_in_excel`)."""
    return path.with_name("~$" + path.name)


def is_open_in_excel(path: Path) -> bool:
    candidates = {lock_file_for(path), path.with_name("~$" + path.name[2:])}
    return any(c.exists() for c in candidates)


def output_paths(source: Path, options: RunOptions) -> tuple[Path, Path]:
    """Where the planned workbook and its PDF go: in place, or into ``--out``."""
    folder = options.out_dir if options.out_dir is not None else source.parent
    return folder / source.name, folder / f"{source.stem}-derisk-plan.pdf"


@dataclass(frozen=True)
class Computed:
    """The middle of every door: the plan and its PDF, computed before anything is written.

    ``plan`` is None when the inputs have errors; ``issues`` then lists every one of them
    (otherwise the warnings of reading and planning).
    """

    plan: Plan | None
    pdf: bytes | None
    issues: tuple[Issue, ...]


def compute(read: "ReadResult", *, pdf: bool = True, template_dir: Path | None = None,
            paper: str = "a4") -> Computed:
    """Checked inputs → plan → PDF bytes. No file is touched, so a failure here changes nothing.

    The CLI and batch (through :func:`run_one`) and the Excel button gather inputs their own
    way (a file, or the open book through xlwings), call this, then apply the result their
    own way (package-level write, or sheets written through Excel).
    """
    from .core.issues import errors, warnings
    from .core.plan import make_plan

    problems = errors(read.issues)
    if read.inputs is None or problems:
        return Computed(None, None, problems or (Issue("", "the workbook has no inputs to plan"),))
    try:
        plan = make_plan(read.inputs)
    except ArithmeticError:  # the reader's ranges should make this unreachable; say it plainly
        return Computed(None, None, (Issue("", "the plan could not be computed: a figure in the "
                                              "inputs is out of the range the calculator "
                                              "handles (see the workbook ranges in the "
                                              "README)."),))
    pdf_bytes = None
    if pdf:
        from .report import render_pdf

        pdf_bytes = render_pdf(plan, template_dir=template_dir, paper=paper)
    return Computed(plan, pdf_bytes, warnings(read.issues) + plan.warnings)


def check_one(source: Path, *, as_of: dt.date | None = None, today: dt.date | None = None,
              holdings: str | None = None) -> tuple["ReadResult", Computed]:
    """Everything ``run`` does short of writing: read, plan, and add the plan sheets to the
    package in memory (the writer's own checks of the package included), so that ``check``
    says "ready to plan" only for a file ``run`` can plan."""
    from .core.issues import InputError, errors
    from .workbook.reader import read_workbook

    source = Path(source)
    read = read_workbook(source, as_of=as_of, today=today or dt.date.today(), holdings=holdings)
    computed = compute(read, pdf=False)
    if computed.plan is None or errors(read.issues):
        return read, computed
    from . import __version__
    from .workbook.package import add_plan_sheets
    from .workbook.plan_sheets import plan_sheets

    try:
        add_plan_sheets(source.read_bytes(), plan_sheets(computed.plan, version=__version__))
    except InputError as exc:
        return read, Computed(None, None, exc.issues)
    return read, computed


def run_one(source: Path, options: RunOptions = RunOptions()) -> RunResult:
    """Plan one workbook file end to end: gather, compute, apply.

    User errors come back as issues, never as exceptions. The user's file is only replaced,
    atomically, after the plan and PDF are computed; a failed run leaves it byte for byte as
    it was.
    """
    from .workbook.reader import read_workbook

    started = time.perf_counter()
    source = Path(source)
    today = options.today or dt.date.today()

    def failed(issues: tuple[Issue, ...]) -> RunResult:
        return RunResult(source=source, status="failed", issues=issues,
                         seconds=time.perf_counter() - started)

    # gather
    read = read_workbook(source, as_of=options.as_of, today=today, holdings=options.holdings)
    workbook_out, pdf_out = output_paths(source, options)
    if read.inputs is not None and not options.force and workbook_out.exists():
        from .core.fingerprint import inputs_fingerprint
        from .workbook.writer import read_plan_fingerprint

        if read_plan_fingerprint(workbook_out) == inputs_fingerprint(read.inputs):
            return RunResult(source=source, status="skipped-unchanged", workbook=workbook_out,
                             seconds=time.perf_counter() - started)
    if options.out_dir is None and is_open_in_excel(source):
        return failed((Issue("", f"{source.name} is open in Excel (lock file "
                             f"{lock_file_for(source).name} beside it): close it and run again, "
                             "or use --out to write a copy."),))

    # compute
    computed = compute(read, pdf=options.renders_pdf,
                       template_dir=options.template_dir, paper=options.paper)
    plan = computed.plan
    if plan is None:
        return failed(computed.issues)

    # apply
    from .workbook.writer import write_plan

    if options.out_dir is not None:
        options.out_dir.mkdir(parents=True, exist_ok=True)
    write_plan(source, workbook_out, plan)
    pdf_path = None
    if computed.pdf is not None and options.pdf:
        from .fsutil import atomic_write_bytes

        atomic_write_bytes(pdf_out, computed.pdf)
        pdf_path = pdf_out

    email_status = ""
    if options.email:
        from .mail import deliver_report

        outbox = options.outbox or (options.out_dir or source.parent) / "derisk-outbox"
        delivery = deliver_report(
            plan, computed.pdf or b"", pdf_name=pdf_out.name, outbox=outbox,
            config_path=options.mail_config,
        )
        email_status = delivery.status

    return RunResult(
        source=source, status="planned", workbook=workbook_out, pdf=pdf_path, plan=plan,
        issues=computed.issues, email_status=email_status,
        seconds=time.perf_counter() - started,
    )
