"""The whole flow, once: workbook → inputs → plan → plan sheets → PDF → mail/outbox.

Every entry point calls it: ``derisk run`` and the local batch through :func:`run_one` (itself
:func:`prepare` then :func:`apply`; a Dask batch runs the two on either side of the network);
``derisk check`` through :func:`check_one`; the Excel button, which gathers from and applies to the open book, through :func:`compute`, the
middle both share. This is the only code that sequences the adapters; each adapter is imported
where it is first needed so that a button press or a ``derisk check`` does not pay for
WeasyPrint or SMTP.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, replace
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
    columns: tuple[tuple[str, str], ...] = ()  # --column FIELD=HEADER, as (field, header)

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
    read_warnings = warnings(read.issues)
    if read_warnings:  # what reading had to say belongs on Plan Summary and in the PDF too
        plan = replace(plan, warnings=read_warnings + plan.warnings)
    pdf_bytes = None
    if pdf:
        from .report import render_pdf

        pdf_bytes = render_pdf(plan, template_dir=template_dir, paper=paper)
    return Computed(plan, pdf_bytes, plan.warnings)


def check_one(source: Path, *, as_of: dt.date | None = None, today: dt.date | None = None,
              holdings: str | None = None, columns: tuple[tuple[str, str], ...] = ()
              ) -> tuple["ReadResult", Computed]:
    """Everything ``run`` does short of writing: read, plan, and add the plan sheets to the
    package in memory (the writer's own checks of the package included), so that ``check``
    says "ready to plan" only for a file ``run`` can plan."""
    from .core.issues import InputError
    from .workbook.reader import read_workbook

    source = Path(source)
    read = read_workbook(source, as_of=as_of, today=today or dt.date.today(), holdings=holdings,
                         columns=columns)
    computed = compute(read, pdf=False)
    if computed.plan is None:  # compute has no plan whenever reading found errors
        return read, computed
    from .workbook.writer import planned_bytes

    try:
        planned_bytes(source.read_bytes(), computed.plan)
    except InputError as exc:
        return read, Computed(None, None, exc.issues)
    return read, computed


@dataclass(frozen=True)
class Prepared:
    """One workbook planned in memory, nothing written yet: what a worker hands back.

    ``workbook`` is the planned workbook's bytes, ``pdf`` the PDF's when one was rendered (to
    keep, to mail, or both: :attr:`RunOptions.renders_pdf`); ``status`` is ``planned``,
    ``failed`` (``issues`` says why) or ``skipped-unchanged``. Small enough to send from a Dask
    worker to the client, which writes the files itself.
    """

    status: RunStatus
    plan: Plan | None = None
    issues: tuple[Issue, ...] = ()
    workbook: bytes | None = None
    pdf: bytes | None = None


@dataclass(frozen=True)
class Stamp:
    """The source file as it was when the run began: what is written must come from it."""

    size: int
    mtime_ns: int
    inode: int


def stamp_of(source: Path) -> Stamp | None:
    """The source file's stamp now; None when there is no such file (the reader says so)."""
    try:
        st = Path(source).stat()
    except OSError:
        return None
    return Stamp(st.st_size, st.st_mtime_ns, st.st_ino)


def read_source(source: Path) -> tuple[bytes, Stamp]:
    """The workbook's bytes and the stamp they were read at, or :class:`EnvironmentProblem`
    with a sentence (a file that vanished, a folder that refuses us)."""
    from .fsutil import os_problem

    try:
        with open(source, "rb") as fh:
            st = os.fstat(fh.fileno())
            data = fh.read()
    except FileNotFoundError as exc:
        from .core.issues import EnvironmentProblem

        raise EnvironmentProblem(f"{source} vanished while it was being planned; nothing was "
                                 "written.") from exc
    except OSError as exc:
        raise os_problem(exc, f"read {source}") from exc
    return data, Stamp(st.st_size, st.st_mtime_ns, st.st_ino)


def prepare(source: Path, data: bytes | None, options: RunOptions, *,
            existing_fingerprint: str | None = None, refused: str = "") -> Prepared:
    """Read ``source``, plan it, and build the planned workbook and PDF in memory from its
    bytes (``data``, or read once the plan is made). Writes nothing, so it can run anywhere:
    here, or on a Dask worker that was sent the bytes.

    ``existing_fingerprint`` is the inputs fingerprint of the plan already at the output
    (skip-unchanged unless ``options.force``); ``refused`` a reason not to plan it (the
    workbook is open in Excel), checked after the skip as a run of an unchanged book is a no-op.
    """
    from .workbook.reader import read_workbook

    today = options.today or dt.date.today()
    read = read_workbook(source, as_of=options.as_of, today=today,
                         holdings=options.holdings, columns=options.columns)
    if read.inputs is not None and not options.force and existing_fingerprint is not None:
        from .core.fingerprint import inputs_fingerprint

        if existing_fingerprint == inputs_fingerprint(read.inputs):
            return Prepared("skipped-unchanged")
    if refused:
        return Prepared("failed", issues=(Issue("", refused),))
    computed = compute(read, pdf=options.renders_pdf,
                       template_dir=options.template_dir, paper=options.paper)
    plan = computed.plan
    if plan is None:
        return Prepared("failed", issues=computed.issues)
    if data is None:  # read only now: a workbook that fails costs no copy in memory
        data, _ = read_source(source)
    from .workbook.writer import planned_bytes

    return Prepared("planned", plan, computed.issues, planned_bytes(data, plan), computed.pdf)


def existing_fingerprint(source: Path, options: RunOptions) -> str | None:
    """The fingerprint of the plan at the output, when skip-unchanged may use it."""
    if options.force:
        return None
    from .workbook.writer import read_plan_fingerprint

    workbook_out, _ = output_paths(source, options)
    return read_plan_fingerprint(workbook_out) if workbook_out.exists() else None


def refusal(source: Path, options: RunOptions) -> str:
    """Why the workbook must not be replaced in place now (open in Excel), or ``""``."""
    if options.out_dir is None and is_open_in_excel(source):
        return (f"{source.name} is open in Excel (lock file {lock_file_for(source).name} "
                "beside it): close it and run again, or use --out to write a copy.")
    return ""


def apply(source: Path, prepared: Prepared, options: RunOptions, stamp: Stamp | None,
          started: float) -> RunResult:
    """Write what :func:`prepare` built, atomically and together, then mail the report.

    The planned workbook and its PDF are written to temp files first and renamed only when
    both are complete, so a full disk or a refused folder leaves neither (and the old files as
    they were); the PDF is renamed first, so a PDF locked by a viewer stops the run before the
    workbook is replaced, and a refused workbook rename says the PDF was. The workbook must still be the file that was read (``stamp``, taken before
    reading): a file saved or removed meanwhile is not overwritten or copied half-read.
    Failures of the machine raise :class:`EnvironmentProblem` with one sentence.
    """
    from .fsutil import atomic_write_many, os_problem

    source = Path(source)
    if prepared.status != "planned":
        workbook = output_paths(source, options)[0] if prepared.status != "failed" else None
        return RunResult(source=source, status=prepared.status, workbook=workbook,
                         issues=prepared.issues, seconds=time.perf_counter() - started)
    plan = prepared.plan
    assert plan is not None and prepared.workbook is not None
    workbook_out, pdf_out = output_paths(source, options)
    if stamp is not None and stamp_of(source) != stamp:
        from .core.issues import EnvironmentProblem

        raise EnvironmentProblem(
            f"{source} changed or vanished while it was being planned; nothing was written "
            "(run again to plan the file as it is now).")
    if options.out_dir is not None:
        try:
            options.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise os_problem(exc, f"create the output folder {options.out_dir}") from exc
    kept = prepared.pdf if options.pdf else None  # else rendered only to be mailed
    # the PDF first: a PDF open in a viewer refuses its rename before the workbook is touched
    files = [(pdf_out, kept)] if kept is not None else []
    files.append((workbook_out, prepared.workbook))
    try:
        atomic_write_many(files)
    except OSError as exc:
        what = " and ".join(str(p) for p, _ in files)
        # a refused rename names its target (filename2); the files before it were replaced
        targets = [str(p) for p, _ in files]
        failed = str(exc.filename2) if exc.filename2 is not None else None
        done = targets[:targets.index(failed)] if failed in targets else []
        note = f"{' and '.join(done)} was replaced before the failure" if done else \
            "nothing was written"
        raise os_problem(exc, f"write {what} ({note})") from exc

    email_status = ""
    if options.email:
        from .mail import deliver_report

        outbox = options.outbox or (options.out_dir or source.parent) / "derisk-outbox"
        try:
            delivery = deliver_report(
                plan, prepared.pdf or b"", pdf_name=pdf_out.name,
                outbox=outbox, config_path=options.mail_config,
            )
            email_status = delivery.status
        except OSError as exc:
            problem = os_problem(exc, f"write the report into the outbox {outbox}")
            email_status = f"failed: {problem}"

    return RunResult(
        source=source, status="planned", workbook=workbook_out,
        pdf=pdf_out if kept is not None else None, plan=plan,
        issues=prepared.issues, email_status=email_status,
        seconds=time.perf_counter() - started,
    )


def run_one(source: Path, options: RunOptions = RunOptions()) -> RunResult:
    """Plan one workbook file end to end: gather, compute, apply.

    User errors come back as issues, never as exceptions; failures of the machine (a disk
    full, a folder that cannot be made, a file that vanished) raise
    :class:`~derisk_xl.core.issues.EnvironmentProblem` with one sentence. The user's file is
    only replaced, atomically, after the plan and PDF are computed; a failed run leaves it
    byte for byte as it was.
    """
    started = time.perf_counter()
    source = Path(source)
    stamp = stamp_of(source)
    prepared = prepare(source, None, options,
                       existing_fingerprint=existing_fingerprint(source, options),
                       refused=refusal(source, options))
    return apply(source, prepared, options, stamp, started)
