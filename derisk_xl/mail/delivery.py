"""Deliver a plan's report: build the message, put it in the outbox, send what is pending.

The outbox is both the default (no SMTP configured: the ``.eml`` files are the result) and the
safety net (SMTP configured: a message is written there first, sent, then marked). Statuses are
short phrases for a person; every failure starts with ``failed`` so the CLI's exit code follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from ..core.issues import EnvironmentProblem, InputError
from ..core.model import Plan
from . import outbox as ob
from .config import SmtpConfig, load_config
from .message import build_message, message_bytes, message_id_for, validate_recipients
from .smtp import Attempt, Connection, transmit

NO_RECIPIENTS = ("failed: no recipients: Settings 'Report Recipients' is empty, so no report was "
                 "sent (the plan itself was written); add the addresses, separated by , or ;")

RESEND_HINT = ("check with the recipient(s); if it did not arrive, run "
               "'derisk send --resend-in-doubt'")


@dataclass(frozen=True)
class Delivery:
    """What happened to one message.

    Attributes:
      status: a short phrase: ``sent to 3 recipients``, ``written to outbox (no SMTP
        configured): …``, ``failed: connection refused by … — kept in outbox (…)``,
        ``failed: no recipients: …``. Starts with ``failed`` exactly when ``ok`` is False.
      ok: nothing is left for the user to do about this message.
      message_path: the ``.eml`` in the outbox (None when no message could be built).
      message_id: its Message-ID header.
      sent: recipients that accepted it in this call.
      pending: recipients still to send (with a reason in the state file).
      in_doubt: recipients for whom a send was started and not confirmed; never resent
        automatically.
    """

    status: str
    ok: bool
    message_path: Path | None
    message_id: str = ""
    sent: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()
    in_doubt: tuple[str, ...] = ()


def _plural(n: int, word: str = "recipient") -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _summarize(entry: ob.Entry, attempt: Attempt | None) -> Delivery:
    sent_now = attempt.sent if attempt else ()
    pending = entry.recipients(ob.PENDING)
    doubt = entry.recipients(ob.SENDING)
    total = len(entry.all_recipients)
    base = dict(message_path=entry.eml, message_id=entry.state.get("message_id", ""),
                sent=sent_now, pending=pending, in_doubt=doubt)
    if not pending and not doubt:
        if sent_now:
            extra = f" (all {total} now delivered)" if len(sent_now) < total else ""
            return Delivery(f"sent to {_plural(len(sent_now))}{extra}", True, **base)
        return Delivery(f"already sent to {_plural(total)}", True, **base)
    parts: list[str] = []
    if sent_now:
        parts.append(f"sent to {_plural(len(sent_now))}")
    if pending:
        reasons = {entry.state["recipients"][a].get("reason", "") for a in pending}
        if len(reasons) == 1 and not (attempt and attempt.rejected):
            parts.append(next(iter(reasons)) or "not sent yet")
        else:
            parts.extend(f"{a}: {entry.state['recipients'][a].get('reason') or 'not sent yet'}"
                         for a in pending)
    if doubt:
        reason = entry.state["recipients"][doubt[0]].get("reason") or "not confirmed"
        parts.append(f"in doubt for {', '.join(doubt)} ({reason}), so not resent "
                     f"automatically: {RESEND_HINT}")
    kept = f" for {_plural(len(pending) + len(doubt))}" if len(pending) + len(doubt) < total else ""
    return Delivery(f"failed: {'; '.join(parts)} — kept in outbox{kept} ({entry.eml})", False,
                    **base)


def _send_one(conn: Connection, entry: ob.Entry, resend_in_doubt: bool) -> Delivery:
    if resend_in_doubt and entry.recipients(ob.SENDING):
        doubt = entry.recipients(ob.SENDING)
        entry.set(doubt, ob.PENDING, reason="resend of a message in doubt, asked for by the user")
        entry.log("resend in doubt", recipients=list(doubt))
        ob.save(entry)
    todo = entry.recipients(ob.PENDING)
    attempt = transmit(conn, entry, todo) if todo else None
    return _summarize(entry, attempt)


def deliver_report(plan: Plan, pdf_bytes: bytes, *, pdf_name: str, outbox: Path,
                   config_path: Path | None = None,
                   env: Mapping[str, str] | None = None) -> Delivery:
    """Email the plan's PDF to its Report Recipients, through the outbox.

    Never raises for a delivery problem: the status says it, and the message stays in the
    outbox. A message already sent (same plan, same recipients) is not sent again.
    """
    if not plan.settings.report_recipients:
        # the user asked for an email: an empty list is a report not sent, not a quiet success
        return Delivery(NO_RECIPIENTS, False, None)
    config_problem = ""
    try:
        config = load_config(config_path, env)
    except EnvironmentProblem as exc:
        config, config_problem = SmtpConfig(), str(exc)
    try:
        msg = build_message(plan, pdf_bytes, pdf_name=pdf_name, sender=config.sender)
    except InputError as exc:
        problems = "; ".join(str(i) for i in exc.issues)
        return Delivery(f"failed: {problems} — no message written", False, None)
    recipients = tuple(a.addr_spec for a in validate_recipients(
        plan.settings.report_recipients)[0])
    message_id = message_id_for(plan, recipients, config.sender)
    outbox = Path(outbox)
    outbox.mkdir(parents=True, exist_ok=True)
    name = ob.message_name(plan.as_of.isoformat(), plan.settings.client, message_id)
    meta = {"message_id": message_id, "subject": str(msg["Subject"]),
            "client": plan.settings.client.strip(), "as_of": plan.as_of.isoformat(),
            "fingerprint": plan.fingerprint, "from": config.sender or None,
            "pdf_name": pdf_name}
    with ob.locked(outbox, name):
        entry, _created = ob.create_or_load(outbox, name, message_bytes(msg), meta, recipients)
        if config_problem:
            return Delivery(f"failed: {config_problem} — kept in outbox ({entry.eml})", False,
                            entry.eml, message_id, pending=entry.recipients(ob.PENDING))
        if not config.configured:
            summary = _summarize(entry, None)
            if summary.ok:  # everything was sent by an earlier run
                return summary
            return Delivery(f"written to outbox (no SMTP configured): {entry.eml}", True,
                            entry.eml, message_id, pending=summary.pending,
                            in_doubt=summary.in_doubt)
        conn = Connection(config)
        try:
            return _send_one(conn, entry, resend_in_doubt=False)
        finally:
            conn.close()


def send_pending(outbox: Path, *, config_path: Path | None = None,
                 env: Mapping[str, str] | None = None,
                 resend_in_doubt: bool = False) -> list[Delivery]:
    """Send every message of ``outbox`` that still has pending recipients; report the ones in
    doubt (resend them only with ``resend_in_doubt``). Messages fully sent are left alone and
    not reported. Raises :class:`EnvironmentProblem` when there is no outbox or no SMTP."""
    outbox = Path(outbox)
    if not outbox.is_dir():
        raise EnvironmentProblem(f"no outbox folder at {outbox} (it is made by "
                                 "'derisk run --email', beside the workbook or in --out)")
    config = load_config(config_path, env)
    waiting: list[Path] = []
    deliveries: list[Delivery] = []
    for eml in ob.entries(outbox):
        if not eml.with_suffix(".json").exists():
            deliveries.append(Delivery(
                f"failed: {eml.name} has no state file beside it; it was not written by derisk "
                "or its run was interrupted: run 'derisk run --email' for that workbook again",
                False, eml))
            continue
        try:
            entry = ob.load(eml)
        except (ValueError, OSError) as exc:
            deliveries.append(Delivery(f"failed: {eml.name}: {exc}", False, eml))
            continue
        if entry.recipients(ob.PENDING) or entry.recipients(ob.SENDING):
            waiting.append(eml)
    if waiting and not config.configured:
        raise EnvironmentProblem(
            f"no SMTP server configured (set DERISK_SMTP_HOST, or pass --config FILE); "
            f"{_plural(len(waiting), 'message')} wait in {outbox}")
    conn = Connection(config)
    try:
        for eml in waiting:
            with ob.locked(outbox, eml.stem):
                entry = ob.load(eml)  # again, under the lock: another process may have sent it
                if not entry.recipients(ob.PENDING) and not entry.recipients(ob.SENDING):
                    continue
                d = _send_one(conn, entry, resend_in_doubt)
                deliveries.append(Delivery(f"{eml.name}: {d.status}", d.ok, d.message_path,
                                           d.message_id, d.sent, d.pending, d.in_doubt))
    finally:
        conn.close()
    return deliveries
