"""The report email without a server: headers, bodies, attachment, determinism, validation,
and SMTP settings (where the password must never show)."""

from __future__ import annotations

import email
import io
import re
from decimal import Decimal
from email import policy

import pytest
from hypothesis import given, settings as hsettings, strategies as st
from pypdf import PdfReader

from derisk_xl.core.issues import EnvironmentProblem, InputError
from derisk_xl.mail import build_message, deliver_report, load_config, message_bytes
from derisk_xl.mail.message import parse_address
from test_mail_support import PASSWORD, RECIPIENTS, hand_plan, real_plan, small_pdf, with_settings

SENDER = "desk@derisk.example"


def parsed(plan, pdf=None, name="acme-derisk-plan.pdf", sender=SENDER):
    msg = build_message(plan, pdf or small_pdf(), pdf_name=name, sender=sender)
    return email.message_from_bytes(message_bytes(msg), policy=policy.default)


def test_headers_bodies_and_attachment():
    pdf = small_pdf("Acme plan")
    msg = parsed(hand_plan(), pdf)
    assert msg["Subject"] == "De-risk plan \u2014 Acme Capital \u2014 2026-11-28"
    assert msg["From"] == SENDER
    assert [a.addr_spec for a in msg["To"].addresses] == list(RECIPIENTS)
    assert re.fullmatch(r"<[^<>@\s]+@derisk\.example>", msg["Message-ID"])
    assert msg["Date"] is None  # added at send time; see test_mail_smtp
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Acme Capital" in body and "2026-11-28" in body and "complete" in body
        assert "35,000.00" in body and "6,843.75" in body and "2,773.80" in body
        assert "67.1 %" in body and "40.0 %" in body  # 23,500 / 35,000 before; 14,000 after
        assert "target reached" in body and "acme-derisk-plan.pdf" in body
    attachments = list(msg.iter_attachments())
    assert len(attachments) == 1
    att = attachments[0]
    assert att.get_content_type() == "application/pdf"
    assert att.get_filename() == "acme-derisk-plan.pdf"
    assert att.get_content() == pdf
    assert PdfReader(io.BytesIO(att.get_content())).metadata.title == "Acme plan"


def test_same_plan_same_bytes_and_message_id():
    plan, pdf = hand_plan(), small_pdf()
    a = message_bytes(build_message(plan, pdf, pdf_name="p.pdf", sender=SENDER))
    b = message_bytes(build_message(plan, pdf, pdf_name="p.pdf", sender=SENDER))
    assert a == b
    other = with_settings(plan, report_recipients=RECIPIENTS[:2])
    c = parsed(other)
    assert c["Message-ID"] != parsed(plan)["Message-ID"]
    assert parsed(with_settings(plan, client="Other"))["Message-ID"] != parsed(plan)["Message-ID"]


def test_real_plan_from_the_calculator():
    plan = real_plan()
    msg = parsed(plan)
    assert msg["Subject"] == f"De-risk plan \u2014 Acme Capital \u2014 {plan.as_of}"
    text = msg.get_body(("plain",)).get_content()
    # SPEC 7's figures: T 35,000; realized 6,843.75; hedge 0.069 BTC = 2,773.80; risk spot
    # 23,500 of 35,000 = 67.1 % before, 14,000 = 40.0 % after.
    for figure in ("35,000.00", "6,843.75", "2,773.80", "67.1 %", "40.0 %"):
        assert figure in text
    assert parsed(plan)["Message-ID"] == msg["Message-ID"]


def test_workbook_text_is_escaped_in_html_and_kept_in_text():
    plan = with_settings(hand_plan(), client="<script>alert(1)</script> & Co",
                         report_title="<b>bold</b>")
    msg = parsed(plan)
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert "<b>bold</b>" not in html
    assert "<script>alert(1)</script> & Co" in msg.get_body(("plain",)).get_content()


@pytest.mark.parametrize("bad", [
    "ana@example.com\r\nBcc: eve@evil.example",
    "ana@example.com\nBcc: eve@evil.example",
    "ana@example.com, eve@evil.example",
    "Eve <eve@evil.example> <ana@example.com>",
    "Eve <eve@evil.example>, Ann <ana@example.com>",
    "Eve\r\n <eve@evil.example>",
    "undisclosed: eve@evil.example;",
    "eve@evil.example (comment) junk",
    "not-an-address",
    "ana@localhost",
    "ana@exa mple.com",
    "\u0430na@example.com",  # Cyrillic a
    "",
])
def test_bad_recipient_refused_with_the_setting_named(bad):
    plan = with_settings(hand_plan(), report_recipients=("ok@example.com", bad))
    with pytest.raises(InputError) as info:
        build_message(plan, small_pdf(), pdf_name="p.pdf", sender=SENDER)
    assert all(i.location == "Settings!Report Recipients" for i in info.value.issues)
    assert len(info.value.issues) == 1


@pytest.mark.parametrize("client", ["Acme\r\nBcc: eve@evil.example", "Acme\nX-Evil: 1",
                                    "Acme\x00", "Acme\u2028Bcc: x"])
def test_header_injection_in_client_refused(client, tmp_path):
    plan = with_settings(hand_plan(), client=client)
    with pytest.raises(InputError) as info:
        build_message(plan, small_pdf(), pdf_name="p.pdf", sender=SENDER)
    assert info.value.issues[0].location == "Settings!Client"
    d = deliver_report(plan, small_pdf(), pdf_name="p.pdf", outbox=tmp_path / "out", env={})
    assert not d.ok and d.status.startswith("failed: Settings!Client")
    assert d.message_path is None and not (tmp_path / "out").exists()


def test_display_names_as_the_reader_gives_them():
    plan = with_settings(hand_plan(), report_recipients=(
        "Operations <ops@example.com>", "pm@example.com", "Zoë Ødegård <zoe@example.com>",
        "OPS@example.com"))
    msg = parsed(plan)
    assert [(a.display_name, a.addr_spec) for a in msg["To"].addresses] == [
        ("Operations", "ops@example.com"), ("", "pm@example.com"),
        ("Zoë Ødegård", "zoe@example.com")]


def rfc2047_to(raw: bytes) -> list[tuple[str, str]]:
    """The To header decoded the RFC 2047 way (whitespace between encoded words ignored), as
    mail clients read it; Python 3.11's newer parser inserts spaces there in display names."""
    from email.header import decode_header, make_header
    from email.utils import getaddresses

    to = email.message_from_bytes(raw, policy=policy.compat32)["To"]
    return [(str(make_header(decode_header(name))), addr) for name, addr in getaddresses([to])]


names = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=40)


@hsettings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(
    st.text(min_size=1, max_size=60),
    st.builds("{} <{}@example.com>".format, names,
              st.from_regex(r"[a-z0-9._+-]{1,20}", fullmatch=True))), min_size=1, max_size=4))
def test_every_accepted_recipient_arrives_in_the_to_header_as_written(texts):
    from derisk_xl.mail.message import validate_recipients

    good, issues = validate_recipients(texts)
    assert len(good) + len(issues) <= len(texts)
    if not good or issues:
        return
    plan = with_settings(hand_plan(), report_recipients=tuple(texts))
    raw = message_bytes(build_message(plan, b"%PDF-1.4", pdf_name="p.pdf", sender=SENDER))
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert rfc2047_to(raw) == [(a.display_name, a.addr_spec) for a in good]


def test_every_problem_reported_at_once():
    plan = with_settings(hand_plan(), client="A\nB", report_recipients=("x\n@y.com", "nope"))
    with pytest.raises(InputError) as info:
        build_message(plan, small_pdf(), pdf_name="p\r\n.pdf", sender="bad\nsender")
    assert len(info.value.issues) == 5


def test_header_injection_in_pdf_name_and_sender_refused():
    with pytest.raises(InputError):
        build_message(hand_plan(), small_pdf(), pdf_name="p.pdf\r\nBcc: e@evil.example",
                      sender=SENDER)
    with pytest.raises(InputError):
        build_message(hand_plan(), small_pdf(), pdf_name="p.pdf",
                      sender="desk@derisk.example\r\nBcc: e@evil.example")


@hsettings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=60))
def test_anything_accepted_as_an_address_is_one_header_safe_address(text):
    addr = parse_address(text)
    if addr is not None:
        assert "\r" not in addr and "\n" not in addr and addr.count("@") == 1
        msg = email.message.EmailMessage(policy=policy.SMTP)
        msg["To"] = addr
        reparsed = email.message_from_bytes(bytes(msg), policy=policy.default)
        assert [a.addr_spec for a in reparsed["To"].addresses] == [addr]


@hsettings(max_examples=150, deadline=None)
@given(st.text(max_size=120))
def test_any_client_name_either_refused_or_one_subject_header(client):
    plan = with_settings(hand_plan(), client=client)
    try:
        msg = build_message(plan, small_pdf(), pdf_name="p.pdf", sender=SENDER)
    except InputError:
        assert any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f or c in "\u2028\u2029" for c in client)
        return
    raw = message_bytes(msg)
    head = raw.split(b"\r\n\r\n", 1)[0]
    names = [line.split(b":", 1)[0] for line in head.split(b"\r\n") if line[:1] not in (b" ", b"\t")]
    assert names == [b"Subject", b"From", b"To", b"Message-ID", b"X-Derisk-Fingerprint",
                     b"MIME-Version", b"Content-Type"]
    reparsed = email.message_from_bytes(raw, policy=policy.default)
    assert reparsed["Subject"] == f"De-risk plan \u2014 {client.strip() or 'client'} \u2014 2026-11-28"


def test_no_recipients_is_a_report_not_sent_naming_the_setting(tmp_path):
    plan = with_settings(hand_plan(), report_recipients=())
    d = deliver_report(plan, small_pdf(), pdf_name="p.pdf", outbox=tmp_path, env={})
    assert not d.ok and d.status.startswith("failed") and d.message_path is None
    assert "Report Recipients" in d.status
    assert list(tmp_path.iterdir()) == []


def test_outbox_without_smtp(tmp_path):
    out = tmp_path / "derisk-outbox"
    pdf = small_pdf()
    d = deliver_report(hand_plan(), pdf, pdf_name="acme.pdf", outbox=out,
                       env={"DERISK_SMTP_FROM": SENDER})
    assert d.ok and d.status.startswith("written to outbox (no SMTP configured)")
    eml = d.message_path
    assert eml.parent == out and eml.suffix == ".eml"
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert msg["From"] == SENDER and next(msg.iter_attachments()).get_content() == pdf
    # the same plan again is the same message: no second file, same bytes
    first = eml.read_bytes()
    d2 = deliver_report(hand_plan(), pdf, pdf_name="acme.pdf", outbox=out,
                        env={"DERISK_SMTP_FROM": SENDER})
    assert d2.message_path == eml and eml.read_bytes() == first
    assert sorted(p.suffix for p in out.iterdir() if not p.name.startswith(".")) == [".eml", ".json"]


# ---------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------


def test_config_from_environment():
    cfg = load_config(None, {"DERISK_SMTP_HOST": "smtp.example.com", "DERISK_SMTP_USER":
                             "desk@example.com", "DERISK_SMTP_PASSWORD": PASSWORD})
    assert (cfg.host, cfg.port, cfg.security, cfg.sender) == ("smtp.example.com", 587,
                                                             "starttls", "desk@example.com")
    assert PASSWORD not in repr(cfg) and PASSWORD not in cfg.describe()
    assert load_config(None, {"DERISK_SMTP_HOST": "h.example", "DERISK_SMTP_PORT": "465",
                              "DERISK_SMTP_FROM": SENDER}).security == "ssl"
    assert not load_config(None, {}).configured


def test_config_file_wins_and_environment_fills(tmp_path):
    path = tmp_path / "mail.toml"
    path.write_text('[smtp]\nhost = "smtp.example.com"\nport = 2525\nsecurity = "ssl"\n'
                    'user = "desk"\nfrom = "desk@example.com"\ntimeout = 7\n')
    cfg = load_config(path, {"DERISK_SMTP_HOST": "other.example", "DERISK_SMTP_PASSWORD": PASSWORD})
    assert (cfg.host, cfg.port, cfg.security, cfg.user, cfg.sender, cfg.timeout) == (
        "smtp.example.com", 2525, "ssl", "desk", "desk@example.com", 7.0)
    assert cfg.password == PASSWORD and PASSWORD not in repr(cfg)


@pytest.mark.parametrize("toml, words", [
    ('[smtp]\nhost = "h.example"\nsecurity = "tls13"\nfrom="a@b.example"\n', "security"),
    ('[smtp]\nhost = "h.example"\nport = "abc"\nfrom="a@b.example"\n', "port"),
    ('[smtp]\nhost = "h.example"\nuser = "u"\nfrom="a@b.example"\n', "password missing"),
    ('[smtp]\nhost = "h.example"\n', "sender"),
    ('[smtp]\nhost = "h.example"\nfrom="a@b.example"\nhots = 1\n', "unknown key"),
    ('[mail]\nhost = "h.example"\n', "no [smtp] table"),
    ('[smtp]\nhost = "h.example"\npassword = "' + PASSWORD + '\n', "not valid TOML"),
    ('[smtp]\nhost = "h.example"\nsecurity = "none"\nuser = "u"\npassword = "' + PASSWORD
     + '"\nfrom="a@b.example"\n', "unencrypted"),
])
def test_config_errors_name_the_key_never_the_password(tmp_path, toml, words):
    path = tmp_path / "mail.toml"
    path.write_text(toml)
    with pytest.raises(EnvironmentProblem) as info:
        load_config(path, {})
    assert words in str(info.value) and PASSWORD not in str(info.value)
    assert PASSWORD not in repr(info.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(EnvironmentProblem, match="does not exist"):
        load_config(tmp_path / "nope.toml", {})


def test_broken_config_keeps_the_message(tmp_path):
    env = {"DERISK_SMTP_HOST": "127.0.0.1", "DERISK_SMTP_SECURITY": "bogus"}
    d = deliver_report(hand_plan(), small_pdf(), pdf_name="p.pdf", outbox=tmp_path, env=env)
    assert not d.ok and "DERISK_SMTP_SECURITY" in d.status and d.message_path.exists()


def test_email_money_rounds_like_the_pdf():
    """The email's figures round half up to the base currency's minor unit, as the PDF and the
    plan's reasons do."""
    from derisk_xl.mail.message import _money
    from derisk_xl.report import format as report_format

    for ccy in ("USD", "JPY", "BTC"):
        for value in (Decimal("0.125"), Decimal("1234567.125"), Decimal("-7050"),
                      Decimal("6843.75"), Decimal("0.000000125")):
            assert (_money(value, ccy)
                    == report_format.amount(value, ccy).replace(report_format.MINUS, "-"))
    assert _money(Decimal("0.125"), "USD") == "0.13"
    assert _money(Decimal("1250.5"), "JPY") == "1,251"
    assert _money(Decimal("0.008914"), "BTC") == "0.00891400"
    assert _money(None, "USD") == "—"


def test_email_shares_round_like_the_pdf():
    from derisk_xl.mail.message import _pct
    from derisk_xl.report import format as report_format

    for fraction in (Decimal("0.67125"), Decimal("0.0005"), Decimal("0.4"), Decimal(23500) / 35000):
        assert _pct(fraction) == report_format.pct(fraction).replace(report_format.NBSP, " ")
    assert _pct(Decimal("0.0005")) == "0.1 %"  # half up, not half even
