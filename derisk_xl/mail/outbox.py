"""The outbox: one ``.eml`` per message and a ``.json`` state file beside it.

Layout (``derisk-outbox/`` by default)::

    2026-11-28-acme-capital-3f9c2a1b7d.eml    the message as sent (minus the Date line)
    2026-11-28-acme-capital-3f9c2a1b7d.json   per-recipient state, reasons, history
    .2026-11-28-acme-capital-3f9c2a1b7d.lock  held while a process works on the message

A recipient is ``pending`` (not yet accepted; ``reason`` says why when an attempt failed),
``sending`` (recorded just before the message's final DATA; if a run stops there the outcome is
unknown, so it is *in doubt* and never resent automatically) or ``sent``. Every state change is
written atomically before the next SMTP step, so an interruption at any point leaves a state that
errs towards "in doubt", never towards a second send.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..fsutil import atomic_write_bytes

PENDING, SENDING, SENT = "pending", "sending", "sent"
FORMAT = 1


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def slug(text: str, limit: int = 40) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit].strip("-") or "client"


def message_name(as_of: str, client: str, message_id: str) -> str:
    """A file stem people can read and that is unique per Message-ID."""
    digest = re.sub(r"[^0-9a-f]", "", message_id.split("@")[0])[-10:]
    return f"{as_of}-{slug(client)}-{digest}"


@dataclass
class Entry:
    """A message in the outbox and its state (a working copy; :func:`save` persists it)."""

    eml: Path
    state: dict

    @property
    def state_path(self) -> Path:
        return self.eml.with_suffix(".json")

    @property
    def name(self) -> str:
        return self.eml.name

    def recipients(self, state: str) -> tuple[str, ...]:
        return tuple(a for a, r in self.state["recipients"].items() if r["state"] == state)

    @property
    def all_recipients(self) -> tuple[str, ...]:
        return tuple(self.state["recipients"])

    def set(self, addresses, state: str, reason: str = "", response: str = "") -> None:
        at = now_utc()
        for addr in addresses:
            rec = self.state["recipients"][addr]
            rec.update(state=state, reason=reason, updated=at)
            if response:
                rec["response"] = response

    def log(self, event: str, **details) -> None:
        self.state.setdefault("history", []).append({"at": now_utc(), "event": event, **details})


def save(entry: Entry) -> None:
    data = json.dumps(entry.state, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    atomic_write_bytes(entry.state_path, data.encode("utf-8"))


def load(eml: Path) -> Entry:
    state = json.loads(eml.with_suffix(".json").read_text(encoding="utf-8"))
    if state.get("format") != FORMAT or not isinstance(state.get("recipients"), dict):
        raise ValueError(f"{eml.with_suffix('.json').name} is not a derisk outbox state file")
    return Entry(eml, state)


def create_or_load(outbox: Path, name: str, eml_bytes: bytes, meta: dict,
                   recipients: tuple[str, ...]) -> tuple[Entry, bool]:
    """The outbox entry for a message, written if new. An existing one is kept as it is: the
    same Message-ID is the same message, and its recorded state is what prevents a resend.
    Returns (entry, created). Call under :func:`locked`."""
    eml = outbox / f"{name}.eml"
    if eml.exists() and eml.with_suffix(".json").exists():
        return load(eml), False
    atomic_write_bytes(eml, eml_bytes)
    entry = Entry(eml, {
        "format": FORMAT,
        **meta,
        "created": now_utc(),
        "recipients": {a: {"state": PENDING, "reason": "", "updated": now_utc()}
                       for a in recipients},
        "history": [],
    })
    entry.log("written")
    save(entry)
    return entry, True


def entries(outbox: Path) -> list[Path]:
    """Every message file in the outbox, oldest name first."""
    return sorted(p for p in outbox.glob("*.eml") if not p.name.startswith("."))


@contextlib.contextmanager
def locked(outbox: Path, name: str) -> Iterator[None]:
    """Hold an exclusive lock on one message while it is written or sent, so two processes
    (batch workers, a run and a ``derisk send``) never send it both. Released by the OS if the
    process dies, so a crash never leaves it stuck."""
    path = outbox / f".{name}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if os.name == "nt":  # pragma: no cover - exercised on Windows only
            import msvcrt

            while True:
                try:
                    msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                    break
                except OSError:
                    continue
            try:
                yield
            finally:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
