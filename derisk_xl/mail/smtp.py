"""SMTP delivery of outbox entries with the standard library, exactly once per recipient.

The DATA command is driven by hand (not ``smtplib.SMTP.data``) so that the one moment whose
outcome can be unknown — the final ``.`` has gone out and no reply came back — is told apart from
every failure before it: the recipients are recorded as ``sending`` just before the message body
is sent, become ``sent`` on the 250 reply, go back to ``pending`` on any refusal or on a failure
before the body was fully handed to the network, and stay ``sending`` (in doubt) otherwise.
"""

from __future__ import annotations

import email.utils
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage

from .config import SmtpConfig
from .outbox import PENDING, SENDING, SENT, Entry, save


class SendFailure(Exception):
    """A failure to talk to the server, already phrased for a person, password-free."""


def scrub(text: str, config: SmtpConfig) -> str:
    """Defence in depth: whatever a server or library said, the password is cut out of it."""
    if config.password:
        text = text.replace(config.password, "********")
    return text


def _response(code: int, resp: bytes | str) -> str:
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    return f"{code} {' '.join(text.split())}".strip()


def explain(exc: BaseException, config: SmtpConfig) -> str:
    """A short reason for a failed connection or command."""
    where = f"{config.host}:{config.port}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        text = f"login refused for {config.user} ({_response(exc.smtp_code, exc.smtp_error)})"
    elif isinstance(exc, smtplib.SMTPNotSupportedError):
        text = f"{where} does not support {str(exc).split()[0] if str(exc) else 'that'}"
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"{where} answered {_response(exc.smtp_code, exc.smtp_error)}"
    elif isinstance(exc, smtplib.SMTPServerDisconnected):
        text = f"{where} closed the connection"
    elif isinstance(exc, ssl.SSLCertVerificationError):
        text = (f"the TLS certificate of {where} is not trusted ({exc.verify_message}); "
                "set DERISK_SMTP_CAFILE to the CA that signed it")
    elif isinstance(exc, ssl.SSLError):
        text = f"TLS with {where} failed ({exc.reason or exc})"
    elif isinstance(exc, ConnectionRefusedError):
        text = f"connection refused by {where}"
    elif isinstance(exc, (socket.timeout, TimeoutError)):
        text = f"no answer from {where} within {config.timeout:g} s"
    elif isinstance(exc, socket.gaierror):
        text = f"cannot resolve {config.host} ({exc.strerror})"
    elif isinstance(exc, OSError):
        text = f"{where}: {exc.strerror or exc.__class__.__name__}"
    else:
        text = f"{where}: {exc.__class__.__name__}"
    return scrub(text, config)


class Connection:
    """One SMTP session, opened on first use; never in a constructor (config at call time)."""

    def __init__(self, config: SmtpConfig):
        self.config = config
        self.smtp: smtplib.SMTP | None = None
        self.broken: str = ""  # set when connecting failed: later messages fail fast

    def open(self) -> smtplib.SMTP:
        if self.smtp is not None:
            return self.smtp
        if self.broken:
            raise SendFailure(self.broken)
        cfg = self.config
        context = ssl.create_default_context(cafile=str(cfg.cafile) if cfg.cafile else None)
        smtp: smtplib.SMTP | None = None
        try:
            if cfg.security == "ssl":
                smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=context)
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
            smtp.ehlo()
            if cfg.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise SendFailure(f"{cfg.host}:{cfg.port} does not offer STARTTLS; set "
                                      "DERISK_SMTP_SECURITY to ssl, or none for a local relay")
                smtp.starttls(context=context)
                smtp.ehlo()
            if cfg.user:
                smtp.login(cfg.user, cfg.password)
        except SendFailure as exc:
            self.broken = str(exc)
            _quietly_close(smtp)
            raise
        except (smtplib.SMTPException, OSError) as exc:
            self.broken = explain(exc, cfg)
            _quietly_close(smtp)
            raise SendFailure(self.broken) from None
        except UnicodeEncodeError:  # smtplib's AUTH sends ASCII only; the error holds the secret
            self.broken = (f"the SMTP user or password for {cfg.host} has non-ASCII characters, "
                           "which SMTP AUTH here cannot send")
            _quietly_close(smtp)
            raise SendFailure(self.broken) from None
        self.smtp = smtp
        return smtp

    def drop(self) -> None:
        _quietly_close(self.smtp, polite=False)
        self.smtp = None

    def close(self) -> None:
        _quietly_close(self.smtp)
        self.smtp = None


def _quietly_close(smtp: smtplib.SMTP | None, polite: bool = True) -> None:
    if smtp is None:
        return
    try:
        if polite:
            smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        try:
            smtp.close()
        except OSError:
            pass


def _envelope_bytes(entry: Entry, sender: str) -> bytes:
    """Date (the real send time) and, for an outbox message written without a sender, From,
    in front of the stored bytes; the stored file itself is never changed."""
    head = EmailMessage(policy=policy.SMTP)
    head["Date"] = email.utils.format_datetime(email.utils.localtime())
    if not entry.state.get("from"):
        head["From"] = sender
    return bytes(head)[:-2] + entry.eml.read_bytes()


def _dot_stuffed(data: bytes) -> bytes:
    """RFC 5321 4.5.2, as ``smtplib.SMTP.data`` does it, plus the final dot."""
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


@dataclass(frozen=True)
class Attempt:
    """What one transmission of an entry did, for the status line."""

    sent: tuple[str, ...] = ()
    rejected: tuple[tuple[str, str], ...] = ()  # (address, reason)
    in_doubt: tuple[str, ...] = ()
    failure: str = ""  # the whole message failed before any recipient was accepted


def transmit(conn: Connection, entry: Entry, recipients: tuple[str, ...]) -> Attempt:
    """Send ``entry`` to ``recipients`` (a subset of its pending ones), recording every step."""
    cfg = conn.config
    try:
        smtp = conn.open()
    except SendFailure as exc:
        entry.set(recipients, PENDING, reason=str(exc))
        entry.log("failed", reason=str(exc))
        save(entry)
        return Attempt(failure=str(exc))

    sender = cfg.sender or entry.state.get("from") or ""
    # Everything up to the body: a failure here means the message was not accepted.
    try:
        payload = _dot_stuffed(_envelope_bytes(entry, sender))
        try:
            smtp.rset()
        except smtplib.SMTPServerDisconnected:  # a reused session the server timed out
            conn.drop()
            smtp = conn.open()
        code, resp = smtp.mail(sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, resp, sender)
        accepted: list[str] = []
        rejected: list[tuple[str, str]] = []
        for addr in recipients:
            code, resp = smtp.rcpt(addr)
            if code in (250, 251):
                accepted.append(addr)
            else:
                rejected.append((addr, scrub(_response(code, resp), cfg)))
        for addr, reason in rejected:
            entry.set((addr,), PENDING, reason=f"refused by the server: {reason}")
        if rejected:
            entry.log("rejected", recipients=dict(rejected))
        if not accepted:
            save(entry)
            smtp.rset()
            return Attempt(rejected=tuple(rejected))
        code, resp = smtp.docmd("DATA")
        if code != 354:
            raise smtplib.SMTPDataError(code, resp)
    except (smtplib.SMTPException, OSError, SendFailure) as exc:
        reason = str(exc) if isinstance(exc, SendFailure) else explain(exc, cfg)
        entry.set(recipients, PENDING, reason=reason)
        entry.log("failed", reason=reason)
        save(entry)
        if not isinstance(exc, smtplib.SMTPResponseException):
            conn.drop()
        return Attempt(failure=reason)

    # Recorded before the body goes out: from here on a crash leaves "in doubt", never "resend".
    entry.set(accepted, SENDING, reason="the server had not confirmed the message when the "
                                        "connection or the run ended")
    entry.log("sending", recipients=accepted)
    save(entry)
    try:
        smtp.send(payload)
    except (smtplib.SMTPException, OSError) as exc:
        # The final dot never left this machine: the server cannot have accepted the message.
        reason = explain(exc, cfg) + " while sending the message"
        entry.set(accepted, PENDING, reason=reason)
        entry.log("failed", reason=reason)
        save(entry)
        conn.drop()
        return Attempt(rejected=tuple(rejected), failure=reason)
    try:
        code, resp = smtp.getreply()
    except (smtplib.SMTPException, OSError) as exc:
        reason = (f"{explain(exc, cfg)} after the whole message was sent: it may or may not have "
                  "been accepted")
        entry.set(accepted, SENDING, reason=reason)
        entry.log("in doubt", recipients=accepted, reason=reason)
        save(entry)
        conn.drop()
        return Attempt(rejected=tuple(rejected), in_doubt=tuple(accepted))
    if code != 250:
        reason = f"message refused by the server: {scrub(_response(code, resp), cfg)}"
        entry.set(accepted, PENDING, reason=reason)
        entry.log("failed", reason=reason)
        save(entry)
        return Attempt(rejected=tuple(rejected), failure=reason)
    response = scrub(_response(code, resp), cfg)
    entry.set(accepted, SENT, response=response)
    entry.log("sent", recipients=accepted, response=response)
    save(entry)
    return Attempt(sent=tuple(accepted), rejected=tuple(rejected))
