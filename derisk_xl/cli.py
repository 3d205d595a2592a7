"""The ``derisk`` command: parse, call the pipeline, print, exit code. Nothing else lives here.

User errors print as ``Error: …`` sentences with their cells and exit 1, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Sequence

from . import __version__


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _column(text: str) -> tuple[str, str]:
    """``--column quantity=Stückzahl`` → ("quantity", "Stückzahl")."""
    from .workbook.mapping import HAND_FIELDS, hand_field

    name, sep, header = text.partition("=")
    field = hand_field(name) if sep else None
    if field is None or not header.strip():
        raise argparse.ArgumentTypeError(
            f"expected FIELD=HEADER with FIELD one of {', '.join(HAND_FIELDS)}, got {text!r}")
    return field, header.strip()


def _parser() -> argparse.ArgumentParser:
    from .workbook.mapping import HAND_FIELDS

    p = argparse.ArgumentParser(
        prog="derisk",
        description="Turn a holdings workbook into a written de-risking plan.",
    )
    p.add_argument("--version", action="version", version=f"derisk_xl {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add_run_options(c: argparse.ArgumentParser) -> None:
        c.add_argument("--out", type=Path, metavar="DIR",
                       help="write planned copies and PDFs into DIR instead of in place")
        c.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD",
                       help="plan as of this date (wins over Settings 'As Of'; default today)")
        c.add_argument("--no-pdf", action="store_true", help="write the plan sheets only")
        c.add_argument("--email", action="store_true",
                       help="send the PDF to the workbook's Report Recipients (or the outbox)")
        c.add_argument("--outbox", type=Path, metavar="DIR",
                       help="outbox folder (default: derisk-outbox beside the workbook or in --out)")
        c.add_argument("--config", type=Path, metavar="FILE",
                       help="TOML file with SMTP settings (else DERISK_SMTP_* variables)")
        c.add_argument("--template-dir", type=Path, metavar="DIR",
                       help="use the report templates in DIR (a desk's own branding)")
        c.add_argument("--paper", choices=("a4", "letter"), default="a4", help="PDF paper size")
        add_holdings(c)

    def add_holdings(c: argparse.ArgumentParser) -> None:
        c.add_argument("--holdings", metavar="SHEET|TABLE|RANGE",
                       help="where the positions are: a sheet, an Excel Table or a range such as "
                            "Portfolio!B10:H40 (wins over Settings 'Holdings Sheet'; default: "
                            "the sheet named Holdings, else the table found)")
        c.add_argument("--column", action="append", type=_column, default=[],
                       metavar="FIELD=HEADER", dest="columns",
                       help="map a column of the holdings by hand: FIELD is one of "
                            f"{', '.join(HAND_FIELDS)}; HEADER its header text or column "
                            "letter (wins over Settings '… Column' and over what is found); "
                            "repeat for several")

    run = sub.add_parser("run", help="plan one workbook: plan sheets, PDF, optional email")
    run.add_argument("book", type=Path, metavar="BOOK")
    add_run_options(run)
    run.add_argument("--json", action="store_true", help="print the result as JSON")

    check = sub.add_parser("check", help="validate a workbook without writing anything")
    check.add_argument("book", type=Path, metavar="BOOK")
    check.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD")
    add_holdings(check)

    new = sub.add_parser("new", help="create a fresh input workbook (.xlsx, or .xlsm with a button)")
    new.add_argument("path", type=Path, metavar="PATH")
    new.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    new.add_argument("--use-udf-server", action="store_true",
                     help=".xlsm on Windows: presses run in xlwings' persistent Python, so only "
                          "the first one pays for start-up")

    batch = sub.add_parser("batch", help="plan every workbook in files, folders and globs")
    batch.add_argument("paths", nargs="+", metavar="PATH")
    add_run_options(batch)
    batch.add_argument("--jobs", type=int, default=None, metavar="N",
                       help="worker processes (default: the CPUs this process may use)")
    batch.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on a Dask distributed cluster, e.g. tcp://10.0.0.5:8786")
    batch.add_argument("--force", action="store_true",
                       help="plan workbooks whose inputs have not changed since their last plan")

    lite = sub.add_parser("lite", help="write (or print) main.py and requirements.txt for xlwings Lite")
    lite.add_argument("folder", type=Path, nargs="?", default=None, metavar="DIR",
                      help="where to write them; without DIR both are printed")
    lite.add_argument("--button", metavar="REF", default=None,
                      help="the sheet button as xlwings Lite names it, [shape]Sheet!Cell "
                           "(default [DeriskButton]Holdings!J1)")

    send = sub.add_parser("send", help="retry the messages waiting in an outbox")
    send.add_argument("outbox", type=Path, nargs="?", default=Path("derisk-outbox"), metavar="OUTBOX")
    send.add_argument("--config", type=Path, metavar="FILE")
    send.add_argument("--resend-in-doubt", action="store_true",
                      help="also resend messages whose earlier send was not confirmed")
    return p


def _options(args: argparse.Namespace, *, force: bool = True):
    from .pipeline import RunOptions

    return RunOptions(
        out_dir=args.out, as_of=args.as_of, pdf=not args.no_pdf, email=args.email,
        template_dir=args.template_dir, paper=args.paper, outbox=args.outbox,
        mail_config=args.config, force=force, holdings=args.holdings,
        columns=tuple(args.columns),
    )


def _print_issues(issues, stream) -> None:
    for issue in issues:
        print(f"  - {issue}", file=stream)


def cmd_run(args: argparse.Namespace) -> int:
    from .pipeline import run_one

    result = run_one(args.book, _options(args))
    if args.json:
        print(json.dumps(_result_json(result), indent=2))
        return 0 if result.ok else 1
    if result.status == "failed":
        print(f"Error: {args.book} was not planned; nothing was changed.", file=sys.stderr)
        _print_issues(result.issues, sys.stderr)
        return 1
    plan = result.plan
    print(f"Planned {result.source} as of {plan.as_of}: status {plan.status}.")
    if plan.source is not None:
        print(f"  {plan.source.line}.")
    print(f"  plan sheets: {result.workbook}")
    if result.pdf:
        print(f"  PDF:         {result.pdf}")
    if result.email_status:
        print(f"  email:       {result.email_status}")
    if result.warnings:
        print("  warnings:")
        _print_issues(result.warnings, sys.stdout)
    return 0 if result.ok else 1


def json_money(value: Decimal, currency: str = "USD") -> str:
    """An amount of money for ``--json``: rounded half up to the currency's minor unit, as the
    plan sheets show it, with exactly that many decimals and never an exponent (``35000.00``,
    ``1250`` yen, ``0.00891400`` BTC; SPEC 3.10)."""
    from .core.money import in_units

    return f"{in_units(value, currency):f}"


def json_exact(value: Decimal) -> str:
    """A quantity or unit price for ``--json``: the plan's exact value, normalised (no trailing
    zeros, no exponent): ``0.069``, ``635.4166666666666666666666667``, ``40000``."""
    value = value.normalize()
    return f"{value if value else abs(value):f}"


def _result_json(result) -> dict:
    """The ``--json`` document; README's "derisk run --json" lists every field."""
    plan = result.plan
    out = {
        "source": str(result.source),
        "status": result.status,
        "workbook": str(result.workbook) if result.workbook else None,
        "pdf": str(result.pdf) if result.pdf else None,
        "email": result.email_status or None,
        "issues": [{"location": i.location, "message": i.message, "severity": i.severity}
                   for i in result.issues],
        "seconds": round(result.seconds, 3),
    }
    if plan is not None:
        ccy, exact = plan.settings.base_currency, json_exact

        def money(value: Decimal) -> str:
            return json_money(value, ccy)

        hedge = plan.hedge
        out["plan"] = {
            "as_of": plan.as_of.isoformat(),
            "model": plan.settings.model,
            "status": plan.status,
            "fingerprint": plan.fingerprint,
            "total_before": money(plan.total_before),
            "total_after": money(plan.total_after),
            "realized_gain": money(plan.realized_gain),
            "fees": money(plan.fees),
            "slippage": money(plan.slippage),
            "tax": money(plan.tax.tax) if plan.tax.tax is not None else None,
            "buckets": {b.name: {"before": money(b.before), "target": money(b.target),
                                 "after": money(b.after)} for b in plan.buckets},
            "trades": [{
                "number": t.number, "step": t.step, "venue": t.venue,
                "instrument": t.instrument, "side": t.side, "quantity": exact(t.quantity),
                "price": exact(t.price), "notional": money(t.notional), "fee": money(t.fee),
                "realized_gain": money(t.realized_gain) if t.realized_gain is not None else None,
            } for t in plan.trades],
            "hedge_notional": money(hedge.notional if hedge else Decimal(0)),
            "hedge": None if hedge is None else {
                "instrument": hedge.instrument, "quantity": exact(hedge.quantity),
                "price": exact(hedge.price), "notional": money(hedge.notional),
                "margin": money(hedge.margin),
                "liquidation_price": (exact(hedge.liquidation_price)
                                      if hedge.liquidation_price is not None else None),
                "rate": _rate_json(hedge.rate) if hedge.rate is not None else None,
            },
        }
        if plan.source is not None:
            out["holdings"] = _source_json(plan.source)
    return out


def _source_json(source) -> dict:
    """What was read (SPEC 3.9 item 7) as fields a script can use."""
    return {
        "range": source.where,
        "positions": source.positions,
        "base_currency": source.base_currency,
        "chosen_by": source.chosen_by,
        "mapping": [{"field": field, "header": header} for field, header in source.mapping],
        "ignored": list(source.ignored),
        "rates": [_rate_json(r) for r in source.rates],
    }


def _rate_json(rate) -> dict:
    """A rate used (SPEC 3.10): base currency units per unit of ``currency``, exact."""
    return {"currency": rate.currency, "rate": json_exact(rate.rate), "source": rate.source,
            "location": rate.location}


def cmd_check(args: argparse.Namespace) -> int:
    from .core.issues import warnings
    from .pipeline import check_one

    read, computed = check_one(args.book, as_of=args.as_of, holdings=args.holdings,
                               columns=tuple(args.columns))
    errs = computed.issues if computed.plan is None else ()  # the reader's errors included
    if errs:
        print(f"Error: {args.book} has {len(errs)} problem(s):", file=sys.stderr)
        _print_issues(errs, sys.stderr)
        return 1
    inputs = read.inputs
    print(f"{args.book} is ready to plan: {len(inputs.positions)} position(s), "
          f"{len(inputs.futures)} futures position(s), model {inputs.settings.model}.")
    if inputs.source is not None:
        print(f"  {inputs.source.line}.")
    if warnings(read.issues):
        print("  warnings:")
        _print_issues(warnings(read.issues), sys.stdout)
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    path: Path = args.path
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        print(f"Error: {path} must end in .xlsx or .xlsm (.xlsm adds the Excel button).",
              file=sys.stderr)
        return 1
    if path.exists() and not args.force:
        print(f"Error: {path} exists; choose another name or pass --force.", file=sys.stderr)
        return 1
    if args.use_udf_server and path.suffix.lower() != ".xlsm":
        print(f"Error: --use-udf-server is a setting of the Excel button; {path} must end in "
              ".xlsm.", file=sys.stderr)
        return 1
    folder = path.parent
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        print(f"Error: the folder {folder} {what}; create it first or choose another path.",
              file=sys.stderr)
        return 1
    try:
        if path.suffix.lower() == ".xlsm":
            from .excel.xlsm import new_macro_workbook

            new_macro_workbook(path, use_udf_server=args.use_udf_server)
        else:
            from .workbook.new import new_workbook

            new_workbook(path)
    except OSError as exc:
        from .fsutil import os_problem

        raise os_problem(exc, f"create {path} (nothing was written)") from exc
    print(f"Created {path}. Fill in Holdings (and Futures, Settings as needed), then run "
          f"'derisk run {path}'.")
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from .batch import run_batch

    report = run_batch(args.paths, _options(args, force=args.force), jobs=args.jobs,
                       scheduler=args.scheduler)
    return 1 if report.failed or report.unsent else 0


def cmd_lite(args: argparse.Namespace) -> int:
    from .excel import lite

    button = args.button or lite.DEFAULT_BUTTON
    try:
        main_py = lite.main_py(button)
    except ValueError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    if args.folder is None:
        print("# ---- main.py (paste into the xlwings Lite editor's main.py tab) ----")
        print(main_py, end="")
        print("# ---- requirements.txt (paste into its requirements.txt tab) ----")
        print(lite.requirements_txt(), end="")
        return 0
    try:
        main, reqs = lite.write_files(args.folder, button)
    except OSError as exc:
        from .fsutil import os_problem

        raise os_problem(exc, f"write main.py and requirements.txt into {args.folder}") from exc
    print(f"Wrote {main} and {reqs}: paste each into the xlwings Lite editor's tab of the same "
          "name (README: 'Excel everywhere: xlwings Lite').")
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    from .mail import send_pending

    deliveries = send_pending(args.outbox, config_path=args.config,
                              resend_in_doubt=args.resend_in_doubt)
    bad = [d for d in deliveries if not d.ok]
    for d in deliveries:
        print(f"  {d.status}")
    if not deliveries:
        print(f"Nothing pending in {args.outbox}.")
    return 1 if bad else 0


COMMANDS = {"run": cmd_run, "check": cmd_check, "new": cmd_new, "batch": cmd_batch,
            "lite": cmd_lite, "send": cmd_send}


def main(argv: Sequence[str] | None = None) -> int:
    from .core.issues import DeriskError

    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except DeriskError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a failure of the machine no adapter named: still one sentence
        from .fsutil import os_problem

        print(f"Error: {os_problem(exc, 'finish the ' + args.command)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted; files already written are complete, the rest are untouched.",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
