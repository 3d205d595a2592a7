"""Delivery against a real SMTP server on 127.0.0.1 (aiosmtpd, started here): what arrives,
TLS, AUTH, and every failure followed by a retry — counting what the server received to show
that nothing is sent twice and nothing is lost."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import email
import email.utils
import io
import json
import logging
from email import policy

import pytest
from pypdf import PdfReader

from derisk_xl import cli
from derisk_xl.core.issues import EnvironmentProblem
from derisk_xl.mail import build_message, deliver_report, message_bytes, send_pending
from test_mail_support import (
    PASSWORD, RECIPIENTS, Handler, Server, authenticator, free_port, hand_plan, small_pdf,
    tls_material, with_settings,
)

SENDER = "desk@derisk.example"


def deliver(server_env, outbox, plan=None, pdf=None):
    return deliver_report(plan or hand_plan(), pdf or small_pdf(), pdf_name="acme-plan.pdf",
                          outbox=outbox, env=server_env)


def state(delivery) -> dict:
    return json.loads(delivery.message_path.with_suffix(".json").read_text())


def run_cli(monkeypatch, capsys, env, *argv) -> tuple[int, str]:
    for key in list(__import__("os").environ):
        if key.startswith("DERISK_SMTP_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code = cli.main(["send", *map(str, argv)])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_message_arrives_with_headers_and_a_pdf(tmp_path):
    pdf = small_pdf("Acme plan")
    with Server() as server:
        before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        d = deliver(server.env(), tmp_path, pdf=pdf)
        assert d.ok and d.status == "sent to 3 recipients"
        got = server.handler.received
        assert len(got) == 1
        assert got[0].mail_from == SENDER and got[0].rcpt_tos == RECIPIENTS
        msg = email.message_from_bytes(got[0].content, policy=policy.default)
        assert msg["Subject"] == "De-risk plan \u2014 Acme Capital \u2014 2026-11-28"
        assert msg["From"] == SENDER
        assert [a.addr_spec for a in msg["To"].addresses] == list(RECIPIENTS)
        built = build_message(hand_plan(), pdf, pdf_name="acme-plan.pdf", sender=SENDER)
        assert msg["Message-ID"] == built["Message-ID"] == d.message_id
        sent_at = email.utils.parsedate_to_datetime(msg["Date"])
        assert before <= sent_at <= dt.datetime.now(dt.timezone.utc)
        att = next(msg.iter_attachments())
        assert att.get_content_type() == "application/pdf"
        assert att.get_filename() == "acme-plan.pdf"
        assert PdfReader(io.BytesIO(att.get_content())).metadata.title == "Acme plan"
        # What went out is the outbox file with a Date line in front, nothing else.
        date_line, rest = got[0].content.split(b"\r\n", 1)
        assert date_line.startswith(b"Date: ") and rest == d.message_path.read_bytes()
        assert d.message_path.read_bytes() == message_bytes(built)
        assert all(r["state"] == "sent" for r in state(d)["recipients"].values())

        again = deliver(server.env(), tmp_path, pdf=pdf)
        assert again.ok and again.status == "already sent to 3 recipients"
        assert len(server.handler.received) == 1


def test_starttls_with_a_certificate_made_here_and_auth(tmp_path):
    server_ctx, cafile = tls_material(tmp_path)
    handler = Handler()
    with Server(handler, tls_context=server_ctx, require_starttls=True,
                authenticator=authenticator(handler), auth_required=True) as server:
        env = server.env(DERISK_SMTP_SECURITY="starttls", DERISK_SMTP_USER="desk",
                         DERISK_SMTP_PASSWORD=PASSWORD)
        untrusted = deliver(env, tmp_path / "out")  # the system's CAs do not know ours
        assert not untrusted.ok and "certificate" in untrusted.status and "not trusted" in untrusted.status
        assert "DERISK_SMTP_CAFILE" in untrusted.status and handler.received == []
        deliveries = send_pending(tmp_path / "out", env=dict(env, DERISK_SMTP_CAFILE=str(cafile)))
        assert [d.ok for d in deliveries] == [True]
        assert len(handler.received) == 1 and handler.logins == ["ok"]


def test_implicit_tls(tmp_path):
    server_ctx, cafile = tls_material(tmp_path)
    with Server(ssl_context=server_ctx) as server:
        d = deliver(server.env(DERISK_SMTP_SECURITY="ssl", DERISK_SMTP_CAFILE=str(cafile)),
                    tmp_path / "out")
        assert d.ok, d.status
        assert len(server.handler.received) == 1


def test_starttls_required_but_not_offered(tmp_path):
    with Server() as server:  # plain server, no STARTTLS
        d = deliver(server.env(DERISK_SMTP_SECURITY="starttls"), tmp_path)
        assert not d.ok and "does not offer STARTTLS" in d.status
        assert server.handler.received == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_auth_wrong_then_right_password_never_shown(tmp_path, monkeypatch, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    handler = Handler()
    outbox = tmp_path / "out"
    with Server(handler, authenticator=authenticator(handler), auth_required=True,
                auth_require_tls=False) as server:
        wrong = "WRONG-" + PASSWORD
        env = server.env(DERISK_SMTP_USER="desk", DERISK_SMTP_PASSWORD=wrong)
        d = deliver(env, outbox)
        assert not d.ok and d.status.startswith("failed: login refused for desk (535")
        code, output = run_cli(monkeypatch, capsys, env, outbox)
        assert code == 1 and "login refused" in output
        # smtplib tries each mechanism the server offers (PLAIN, LOGIN): all refused
        assert handler.received == [] and handler.logins and set(handler.logins) == {"refused"}

        code, output2 = run_cli(monkeypatch, capsys,
                                dict(env, DERISK_SMTP_PASSWORD=PASSWORD), outbox)
        assert code == 0 and "sent to 3 recipients" in output2
        assert len(handler.received) == 1 and handler.logins[-1] == "ok"
    produced = [d.status, output, output2, caplog.text, repr(d)]
    produced += [p.read_bytes().decode("utf-8", "replace") for p in outbox.iterdir()]
    for text in produced:
        assert PASSWORD not in text and wrong not in text


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_non_ascii_password_reported_without_it(tmp_path):
    handler = Handler()
    secret = "pässwörd-" + PASSWORD
    with Server(handler, authenticator=authenticator(handler), auth_required=True,
                auth_require_tls=False) as server:
        d = deliver(server.env(DERISK_SMTP_USER="desk", DERISK_SMTP_PASSWORD=secret), tmp_path)
    assert not d.ok and "non-ASCII" in d.status and secret not in d.status
    assert handler.received == []


def test_server_down_then_back(tmp_path, monkeypatch, capsys):
    port = free_port()  # nothing listens here yet
    outbox = tmp_path / "derisk-outbox"
    env = Server().env(DERISK_SMTP_PORT=str(port))
    d = deliver(env, outbox)
    assert not d.ok and d.status.startswith(f"failed: connection refused by 127.0.0.1:{port}")
    assert "kept in outbox" in d.status and d.message_path.exists()
    assert {r["state"] for r in state(d)["recipients"].values()} == {"pending"}

    code, output = run_cli(monkeypatch, capsys, env, outbox)
    assert code == 1 and "connection refused" in output

    handler = Handler()
    server = Server(handler)
    server.port = port
    with server:
        code, output = run_cli(monkeypatch, capsys, env, outbox)
        assert code == 0 and "sent to 3 recipients" in output
        code, output = run_cli(monkeypatch, capsys, env, outbox)
        assert code == 0 and "Nothing pending" in output
    assert len(handler.received) == 1 and handler.per_recipient() == dict.fromkeys(RECIPIENTS, 1)


def test_one_recipient_of_three_rejected_then_retry_sends_only_to_it(tmp_path):
    handler = Handler(reject={"ben@example.org"})
    with Server(handler) as server:
        d = deliver(server.env(), tmp_path)
        assert not d.ok
        assert d.sent == ("ana@example.com", "cy@example.net") and d.pending == ("ben@example.org",)
        assert "ben@example.org: refused by the server: 550" in d.status
        assert "kept in outbox for 1 recipient" in d.status
        recorded = state(d)["recipients"]
        assert recorded["ana@example.com"]["state"] == recorded["cy@example.net"]["state"] == "sent"
        assert recorded["ben@example.org"]["state"] == "pending"
        assert "550" in recorded["ben@example.org"]["reason"]

        still = send_pending(tmp_path, env=server.env())  # still refused: nothing new sent
        assert [x.ok for x in still] == [False] and len(handler.received) == 1

        handler.reject.clear()
        retry = send_pending(tmp_path, env=server.env())
        assert [x.ok for x in retry] == [True] and retry[0].sent == ("ben@example.org",)
        assert [r.rcpt_tos for r in handler.received] == [
            ("ana@example.com", "cy@example.net"), ("ben@example.org",)]
        assert handler.per_recipient() == dict.fromkeys(RECIPIENTS, 1)
        # the retried copy is the same message (same Message-ID, To lists all three)
        ids = {email.message_from_bytes(r.content, policy=policy.default)["Message-ID"]
               for r in handler.received}
        assert ids == {d.message_id}
        assert send_pending(tmp_path, env=server.env()) == []


def test_connection_dropped_after_data_is_in_doubt_not_resent(tmp_path, monkeypatch, capsys):
    handler = Handler(drop=1)
    with Server(handler) as server:
        d = deliver(server.env(), tmp_path)
        assert not d.ok and d.in_doubt == RECIPIENTS and d.pending == ()
        assert "--resend-in-doubt" in d.status
        assert len(handler.received) == 1  # the server did get it

        code, output = run_cli(monkeypatch, capsys, server.env(), tmp_path)
        assert code == 1 and "in doubt" in output
        again = deliver(server.env(), tmp_path)  # the same plan run again: still not resent
        assert not again.ok and again.in_doubt == RECIPIENTS
        assert len(handler.received) == 1

        code, output = run_cli(monkeypatch, capsys, server.env(), tmp_path, "--resend-in-doubt")
        assert code == 0 and "sent to 3 recipients" in output
        assert len(handler.received) == 2  # exactly the one resend the user asked for
        code, output = run_cli(monkeypatch, capsys, server.env(), tmp_path, "--resend-in-doubt")
        assert code == 0 and "Nothing pending" in output
        assert len(handler.received) == 2


def test_run_interrupted_right_after_the_server_accepted(tmp_path, monkeypatch):
    """The process dies between the server's 250 and writing 'sent': the retry must not send."""
    import derisk_xl.mail.smtp as smtp_mod

    real_save = smtp_mod.save

    def dying_save(entry):
        if any(r["state"] == "sent" for r in entry.state["recipients"].values()):
            raise KeyboardInterrupt
        real_save(entry)

    with Server() as server:
        monkeypatch.setattr(smtp_mod, "save", dying_save)
        with pytest.raises(KeyboardInterrupt):
            deliver(server.env(), tmp_path)
        monkeypatch.setattr(smtp_mod, "save", real_save)
        assert len(server.handler.received) == 1
        retry = send_pending(tmp_path, env=server.env())
        assert [x.ok for x in retry] == [False] and retry[0].in_doubt == RECIPIENTS
        assert len(server.handler.received) == 1


def test_data_refused_stays_pending_and_is_retried(tmp_path):
    class Refusing(Handler):
        refuse = 1

        async def handle_DATA(self, server, session, envelope):
            if self.refuse:
                self.refuse -= 1
                return "451 4.3.0 try again later"
            return await super().handle_DATA(server, session, envelope)

    handler = Refusing()
    with Server(handler) as server:
        d = deliver(server.env(), tmp_path)
        assert not d.ok and "451" in d.status and d.pending == RECIPIENTS
        assert handler.received == []
        assert [x.ok for x in send_pending(tmp_path, env=server.env())] == [True]
        assert handler.per_recipient() == dict.fromkeys(RECIPIENTS, 1)


def test_many_messages_one_session_and_concurrent_runs_send_once(tmp_path):
    plans = [with_settings(hand_plan(), client=f"Client {i}") for i in range(3)]
    with Server() as server:
        down = Server().env(DERISK_SMTP_PORT=str(free_port()))
        for plan in plans:  # server "down": three messages wait
            assert not deliver(down, tmp_path, plan=plan).ok
        # four processes' worth of concurrent sends of the same outbox and plan
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            jobs = [pool.submit(send_pending, tmp_path, env=server.env()) for _ in range(2)]
            jobs += [pool.submit(deliver, server.env(), tmp_path, plans[0]) for _ in range(2)]
            [j.result() for j in jobs]
        subjects = sorted(email.message_from_bytes(r.content, policy=policy.default)["Subject"]
                          for r in server.handler.received)
        assert subjects == [f"De-risk plan \u2014 Client {i} \u2014 2026-11-28" for i in range(3)]
        assert send_pending(tmp_path, env=server.env()) == []


def test_send_without_smtp_or_outbox_is_an_error(tmp_path, monkeypatch, capsys):
    d = deliver({}, tmp_path / "out")
    assert d.ok and "no SMTP configured" in d.status
    with pytest.raises(EnvironmentProblem, match="no SMTP server configured"):
        send_pending(tmp_path / "out", env={})
    code, output = run_cli(monkeypatch, capsys, {}, tmp_path / "out")
    assert code == 1 and "Error: no SMTP server configured" in output
    code, output = run_cli(monkeypatch, capsys, {}, tmp_path / "missing")
    assert code == 1 and "no outbox folder" in output


def test_outbox_written_without_sender_gets_one_at_send_time(tmp_path):
    d = deliver({}, tmp_path)  # no DERISK_SMTP_FROM: the .eml has no From yet
    assert email.message_from_bytes(d.message_path.read_bytes())["From"] is None
    with Server() as server:
        assert [x.ok for x in send_pending(tmp_path, env=server.env())] == [True]
        msg = email.message_from_bytes(server.handler.received[0].content, policy=policy.default)
        assert msg["From"] == SENDER and len(msg.get_all("From")) == 1


def test_derisk_run_email_end_to_end(tmp_path, monkeypatch, capsys):
    """The whole path: a real workbook, the real PDF, `derisk run --email` with the server down
    (exit 1, message kept), then `derisk send` with it up."""
    import shutil

    from test_mail_support import ROOT

    book = tmp_path / "example.xlsx"
    shutil.copy(ROOT / "workbooks" / "example.xlsx", book)
    port = free_port()
    env = Server().env(DERISK_SMTP_PORT=str(port))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code = cli.main(["run", str(book), "--out", str(tmp_path / "out"), "--email"])
    output = capsys.readouterr().out
    assert code == 1 and "email:       failed: connection refused" in output
    outbox = tmp_path / "out" / "derisk-outbox"
    assert len(list(outbox.glob("*.eml"))) == 1

    handler = Handler()
    server = Server(handler)
    server.port = port
    with server:
        code, output = run_cli(monkeypatch, capsys, env, outbox)
    assert code == 0 and len(handler.received) == 1
    msg = email.message_from_bytes(handler.received[0].content, policy=policy.default)
    assert msg["Subject"].startswith("De-risk plan \u2014 ")
    pdf = PdfReader(io.BytesIO(next(msg.iter_attachments()).get_content()))
    assert len(pdf.pages) >= 1 and pdf.pages[0].extract_text().strip()
    assert next(msg.iter_attachments()).get_content() == (
        tmp_path / "out" / "example-derisk-plan.pdf").read_bytes()
