"""The report email: validated recipients, a subject, text and HTML bodies from Jinja templates,
the PDF attached, and a Message-ID that is the same for the same plan.

The bytes are deterministic: MIME boundaries are derived from the content and there is no Date
header here — the Date is the real send time, added in front of these bytes when they go out
(see :mod:`derisk_xl.mail.smtp`). So the outbox file for a plan is a pure function of the plan,
the PDF, its name and the sender.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from email import policy
from email.errors import HeaderParseError
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Iterable

from ..core.issues import InputError, Issue
from ..core.model import Plan
from ..core.valuation import fmt_money

RECIPIENTS_CELL = "Settings!Report Recipients"
CLIENT_CELL = "Settings!Client"
SUBJECT_DASH = "\u2014"  # em dash, as SPEC 5.3 writes the subject
_SEPARATORS = {"\u2028", "\u2029"}


# --------------------------------------------------------------------------------------------
# Validation: the workbook is untrusted; whatever reaches a header is checked here again.
# --------------------------------------------------------------------------------------------


def _control_chars(text: str) -> bool:
    """Any C0/C1 control (CR, LF, NUL, NEL…) or Unicode line separator."""
    return any(unicodedata.category(ch) == "Cc" or ch in _SEPARATORS for ch in text)


def parse_address(text: str) -> str | None:
    """The address as ``local@domain`` if ``text`` is exactly one plain ASCII address, else None."""
    text = text.strip()
    if not text or _control_chars(text) or not text.isascii() or any(c in text for c in ",;<>\"() "):
        return None
    try:
        addr = Address(addr_spec=text)
    except (ValueError, IndexError, HeaderParseError):
        return None
    if not addr.username or "." not in addr.domain.strip(".") or addr.addr_spec != text:
        return None
    return addr.addr_spec


def parse_recipient(text: str) -> Address | None:
    """One recipient as the reader gives it — ``ann@example.com`` or ``Ann Lee
    <ann@example.com>`` — parsed by the standard library's header parser; None unless it is
    exactly one address with a plain ASCII addr-spec and nothing left over."""
    text = text.strip()
    if not text or _control_chars(text):
        return None
    try:
        header = policy.default.header_factory("To", text)
        groups, addresses = header.groups, header.addresses
    except Exception:  # noqa: BLE001 - the 3.11 parser can raise AttributeError on odd input
        return None
    if header.defects or len(groups) != 1 or groups[0].display_name is not None \
            or len(addresses) != 1:
        return None
    addr = addresses[0]
    spec = parse_address(addr.addr_spec)
    if spec is None or _control_chars(addr.display_name):
        return None
    return Address(display_name=addr.display_name, addr_spec=spec)


def validate_recipients(recipients: Iterable[str]) -> tuple[tuple[Address, ...], tuple[Issue, ...]]:
    """Parsed recipients (duplicate addresses dropped, order kept) and one issue per bad one."""
    good: list[Address] = []
    seen: set[str] = set()
    issues: list[Issue] = []
    for raw in recipients:
        addr = parse_recipient(raw)
        if addr is None:
            shown = raw.encode("unicode_escape").decode("ascii")
            issues.append(Issue(RECIPIENTS_CELL, f"{shown!r} is not one email address "
                                "(expected ann@example.com or Ann Lee <ann@example.com>, "
                                "no line breaks)"))
        elif addr.addr_spec.lower() not in seen:
            seen.add(addr.addr_spec.lower())
            good.append(addr)
    return tuple(good), tuple(issues)


def validate_text(text: str, location: str, what: str) -> tuple[Issue, ...]:
    if _control_chars(text):
        shown = text.encode("unicode_escape").decode("ascii")
        return (Issue(location, f"the {what} {shown!r} contains a line break or control "
                      "character; it would go into an email header"),)
    return ()


def subject_for(plan: Plan) -> str:
    client = plan.settings.client.strip() or "client"
    return f"De-risk plan {SUBJECT_DASH} {client} {SUBJECT_DASH} {plan.as_of.isoformat()}"


def message_id_for(plan: Plan, recipients: Iterable[str], sender: str = "") -> str:
    """Stable: the plan's fingerprint, client, as-of and recipients decide it, so the same plan
    sent to the same people is the same message (and the outbox knows it was already sent)."""
    key = json.dumps({
        "fingerprint": plan.fingerprint,
        "as_of": plan.as_of.isoformat(),
        "client": plan.settings.client.strip(),
        "recipients": sorted(r.lower() for r in recipients),
    }, sort_keys=True).encode()
    digest = hashlib.sha256(key).hexdigest()[:32]
    domain = sender.rpartition("@")[2] if "@" in sender else "derisk-xl.localhost"
    return f"<derisk-plan.{digest}@{domain}>"


# --------------------------------------------------------------------------------------------
# Bodies
# --------------------------------------------------------------------------------------------


def _money(value: Decimal | None, currency: str) -> str:
    """In the currency's minor unit, as the plan's reasons write money (half up, like the PDF)."""
    return "—" if value is None else fmt_money(value, currency)


def _pct(value: Decimal | None) -> str:
    """One decimal, half up like the PDF's percentages."""
    if value is None:
        return "—"
    return f"{(value * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} %"


def figures(plan: Plan) -> dict[str, object]:
    """The key numbers the bodies show, computed once so both bodies agree."""
    def share(part: Decimal, whole: Decimal) -> Decimal | None:
        return part / whole if whole else None

    spot = next((b for b in plan.buckets if b.name == "spot"), None)
    hedge, ccy = plan.hedge, plan.settings.base_currency
    return {
        "client": plan.settings.client.strip() or "client",
        "title": plan.settings.report_title.strip(),
        "as_of": plan.as_of.isoformat(),
        "model": plan.settings.model,
        "currency": plan.settings.base_currency,
        "status": plan.status,
        "signals": [{"name": s.name, "on": s.on, "reason": s.reason} for s in plan.signals],
        "total_before": _money(plan.total_before, ccy),
        "total_after": _money(plan.total_after, ccy),
        "risk_spot_before": _pct(share(spot.before, plan.total_before)) if spot else "—",
        "risk_spot_after": _pct(share(spot.after, plan.total_after)) if spot else "—",
        "risk_spot_target": _pct(share(spot.target, plan.total_before)) if spot else "—",
        "realized_gain": _money(plan.realized_gain, ccy),
        "fees": _money(plan.fees, ccy),
        "trades": len(plan.trades),
        "hedge_notional": _money(hedge.notional if hedge else Decimal(0), ccy),
        "hedge_instrument": hedge.instrument if hedge else "",
        "warnings": [str(w) for w in plan.warnings],
        "fingerprint": plan.fingerprint,
    }


def render_bodies(plan: Plan, pdf_name: str) -> tuple[str, str]:
    """(text, html) from ``email/plan.txt.j2`` and ``plan.html.j2`` in the folder the PDF
    report's own templates come from (:func:`~derisk_xl.report.render.default_template_dir`):
    HTML autoescaped, undefined names an error rather than a silent blank."""
    import jinja2

    from ..report.render import default_template_dir

    folder = default_template_dir() / "email"
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=lambda name: bool(name) and name.endswith((".html", ".html.j2")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    context = dict(figures(plan), pdf_name=pdf_name)
    return (env.get_template("plan.txt.j2").render(context),
            env.get_template("plan.html.j2").render(context))


# --------------------------------------------------------------------------------------------
# The message
# --------------------------------------------------------------------------------------------


def build_message(plan: Plan, pdf_bytes: bytes, *, pdf_name: str, sender: str = ""
                  ) -> EmailMessage:
    """The report email, or :class:`InputError` listing every header-bound value that is unsafe.

    ``sender`` empty leaves out From (an outbox written with no SMTP configured); the sender of
    the eventual send is put in front then.
    """
    recipients, issues = validate_recipients(plan.settings.report_recipients)
    issues += validate_text(plan.settings.client, CLIENT_CELL, "client name")
    issues += validate_text(pdf_name, "", "PDF file name")
    if sender and parse_address(sender) is None:
        issues += (Issue("", f"the sender address {sender!r} (DERISK_SMTP_FROM) is not one "
                         "email address"),)
    if not recipients and not issues:
        issues += (Issue(RECIPIENTS_CELL, "no recipients to send the report to"),)
    if issues:
        raise InputError(issues)

    text, html = render_bodies(plan, pdf_name)
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = subject_for(plan)
    if sender:
        msg["From"] = sender
    msg["To"] = recipients
    msg["Message-ID"] = message_id_for(plan, [a.addr_spec for a in recipients], sender)
    msg["X-Derisk-Fingerprint"] = plan.fingerprint or "none"
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    msg.add_attachment(pdf_bytes, maintype="application", subtype="pdf", filename=pdf_name)
    _fix_boundaries(msg)
    return msg


def _fix_boundaries(msg: EmailMessage) -> None:
    """Replace the random MIME boundaries by ones derived from the content, so the same plan
    gives the same bytes. A hash of a part cannot appear inside that part."""
    multiparts = [p for p in msg.walk() if p.is_multipart()]
    for depth, part in reversed(list(enumerate(multiparts))):  # innermost first
        payload = b"".join(bytes(sub) if isinstance(sub, EmailMessage) else b""
                           for sub in part.iter_parts())
        digest = hashlib.sha256(payload + str(depth).encode()).hexdigest()[:40]
        part.set_boundary(f"=_derisk_{depth}_{digest}")


def message_bytes(msg: EmailMessage) -> bytes:
    """CRLF line ends: the bytes written to the outbox are the bytes sent after the Date line.

    Subject and To are encoded here with :class:`email.header.Header` instead of the modern
    folder: in Python 3.11 that folder drops the space between two encoded words in a long
    non-ASCII subject, and can fold a comma between addresses into an encoded word, which
    merges two recipients in the To header. A client's name must arrive as written.
    """
    raw = msg.as_bytes(policy=policy.SMTP)
    head, sep, body = raw.partition(b"\r\n\r\n")
    replacements = {
        b"subject": "Subject: " + Header(str(msg["Subject"]), "utf-8",
                                         header_name="Subject").encode(linesep="\r\n"),
        b"to": "To: " + ",\r\n ".join(_encoded_address(a) for a in msg["To"].addresses),
    }
    lines: list[bytes] = []
    replacing = False
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and replacing:
            continue
        name = line.split(b":", 1)[0].lower()
        replacing = name in replacements and line[:1] not in (b" ", b"\t")
        lines.append(replacements.pop(name).encode("ascii") if replacing else line)
    return b"\r\n".join(lines) + sep + body


def _encoded_address(addr: Address) -> str:
    if not addr.display_name:
        return addr.addr_spec
    if addr.display_name.isascii():
        return str(addr)  # the header registry quotes specials such as a comma
    name = Header(addr.display_name, "utf-8").encode(linesep="\r\n")
    return f"{name} <{addr.addr_spec}>"
