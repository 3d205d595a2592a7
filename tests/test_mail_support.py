"""Shared pieces for the mail tests: a plan, a small real PDF, and a real SMTP server on
127.0.0.1 (aiosmtpd) whose handler records every envelope and can misbehave on demand."""

from __future__ import annotations

import datetime as dt
import io
import socket
import ssl
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from derisk_xl.core.model import (
    Bucket, Exposure, Hedge, Plan, Settings, Signal, TaxEstimate,
)

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "s3cr3t-Pa55word-9f1c"
RECIPIENTS = ("ana@example.com", "ben@example.org", "cy@example.net")


def hand_plan(**settings_overrides) -> Plan:
    """A plan with the case study's headline numbers (SPEC 7), built by hand so these tests do
    not depend on the calculator; :func:`real_plan` is the calculator's."""
    d = Decimal
    settings = Settings.for_model("Balanced De-Risk", client="Acme Capital",
                                  report_recipients=RECIPIENTS, **settings_overrides)
    exposure = Exposure(d(23500), d("0.671"), d(23500), d("0.671"), None)
    hedge = Hedge("BTCUSDT-PERP", "BTC", "notional", d(14000), d("0.2"), None, d(2800), d(0),
                  d("2773.80"), d("0.069"), d(40200), d(40000), d(1), d(3), d("924.60"),
                  d("0.005"), d("53333.33"), "binance", None)
    return Plan(
        as_of=dt.date(2026, 11, 28), settings=settings,
        total_before=d(35000), total_after=d(35000),
        buckets=(Bucket("spot", d(23500), d(14000), d(14000)),
                 Bucket("stable", d(11500), d(14000), d(14000)),
                 Bucket("futures", d(0), d(7000), d(7000))),
        trades=(), futures=(), hedge=hedge, exposure_before=exposure, exposure_after=exposure,
        stress=(), signals=(Signal("target reached", True, "risk spot is at its 40 % target"),
                            Signal("extreme greed", False, "no Fear Greed Index given")),
        status="complete", ladder=(), realized=(),
        tax=TaxEstimate(d(0), d(0), d("6843.75"), None), realized_gain=d("6843.75"),
        fees=d(0), slippage=d(0), positions_after=(), futures_after=(),
        fingerprint="f" * 16 + "0123456789abcdef",
    )


def with_settings(plan: Plan, **overrides) -> Plan:
    return replace(plan, settings=replace(plan.settings, **overrides))


def real_plan() -> Plan:
    """The calculator's plan of the case study, with recipients."""
    from conftest import case_study_inputs

    from derisk_xl.core.plan import make_plan

    inputs = case_study_inputs()
    inputs = replace(inputs, settings=replace(inputs.settings, client="Acme Capital",
                                              report_recipients=RECIPIENTS))
    return make_plan(inputs)


def small_pdf(text: str = "De-risk plan") -> bytes:
    """A real one-page PDF made with pypdf (blank page plus metadata naming ``text``)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Title": text})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes


@dataclass
class Handler:
    """Records what the server accepted. ``reject`` refuses those recipients at RCPT; ``drop``
    > 0 takes the message and then closes the connection without answering (that many times)."""

    received: list[Received] = field(default_factory=list)
    reject: set[str] = field(default_factory=set)
    drop: int = 0
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos),
                                      envelope.original_content or envelope.content))
        if self.drop > 0:
            self.drop -= 1
            server.transport.abort()  # the client sees the connection vanish after its "."
            return "250 never seen"
        return "250 2.0.0 OK queued"

    def per_recipient(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.received:
            for addr in r.rcpt_tos:
                counts[addr] = counts.get(addr, 0) + 1
        return counts


def authenticator(handler: Handler, user: str = "desk", password: str = PASSWORD):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def check(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        handler.logins.append("ok" if ok else "refused")
        return AuthResult(success=ok, handled=False)

    return check


class Server:
    """A context manager around aiosmtpd's Controller on 127.0.0.1 and a free port."""

    def __init__(self, handler: Handler | None = None, **kwargs):
        self.handler = handler or Handler()
        self.port = free_port()
        self.kwargs = kwargs

    def __enter__(self) -> "Server":
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     ready_timeout=10, **self.kwargs)
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def env(self, **extra: str) -> dict[str, str]:
        env = {"DERISK_SMTP_HOST": "127.0.0.1", "DERISK_SMTP_PORT": str(self.port),
               "DERISK_SMTP_SECURITY": "none", "DERISK_SMTP_FROM": "desk@derisk.example",
               "DERISK_SMTP_TIMEOUT": "5"}
        env.update(extra)
        return env


def tls_material(tmp_path: Path):
    """A CA and a server certificate for 127.0.0.1 made in the test (trustme); returns the
    server's SSL context and the CA file a client must be pointed at."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    cafile = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    return server_ctx, cafile
