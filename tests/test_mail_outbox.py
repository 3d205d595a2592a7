"""The outbox's own promises (mail/outbox.py), which the delivery tests only pass through:
file names, the state file's layout, and the refusal of a state file derisk did not write.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from derisk_xl.mail import deliver_report, send_pending
from derisk_xl.mail import outbox as ob
from test_mail_support import RECIPIENTS, Server, hand_plan, small_pdf

UTC_SECOND = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")


def deliver(outbox, env=None):
    return deliver_report(hand_plan(), small_pdf(), pdf_name="acme-plan.pdf", outbox=outbox,
                          env=env or {})


def state_of(eml) -> dict:
    return json.loads(eml.with_suffix(".json").read_text(encoding="utf-8"))


def test_message_names_read_as_date_client_and_the_id_s_last_ten_hex_digits():
    # the local part "<20261128.3F9c2a1b7d0e12zz" keeps its lower-case hex: 9c2a1b7d0e12 → the
    # last ten, 2a1b7d0e12; the domain (hex letters in "cafe") is not part of it
    assert ob.message_name("2026-11-28", "Acme Capital", "<20261128.3F9c2a1b7d0e12zz@cafe.ex>") \
        == "2026-11-28-acme-capital-2a1b7d0e12"
    assert ob.message_name("2026-11-28", "Acme", "<ab@deadbeef.example>") == "2026-11-28-acme-ab"


def test_slugs_are_ascii_lower_case_words_joined_by_hyphens():
    assert ob.slug("Zürich Großbank AG") == "zurich-grobank-ag"
    assert ob.slug("  Acme / Capital!! ") == "acme-capital"
    assert ob.slug("¿?¡!") == "client"                     # nothing left: a neutral word
    assert ob.slug("!" + "a" * 45) == "a" * 40              # cut to 40 after the leading "-"
    assert ob.slug("a" * 39 + " b") == "a" * 39             # no hyphen left at the cut
    assert ob.slug("ab cd", limit=3) == "ab"


def test_the_state_file_is_written_as_documented_and_kept_up_to_date(tmp_path):
    """Per recipient a state, a reason and when it changed; a history of events; times in
    UTC to the second. After a send, each recipient is `sent` with the server's reply."""
    d = deliver(tmp_path)
    state = state_of(d.message_path)
    assert state["format"] == 1 and UTC_SECOND.match(state["created"])
    assert list(state["recipients"]) == list(RECIPIENTS)
    for rec in state["recipients"].values():
        assert rec["state"] == "pending" and rec["reason"] == ""
        assert UTC_SECOND.match(rec["updated"]) and "response" not in rec
    assert [h["event"] for h in state["history"]] == ["written"]
    assert UTC_SECOND.match(state["history"][0]["at"])
    with Server() as server:
        assert [x.ok for x in send_pending(tmp_path, env=server.env())] == [True]
    state = state_of(d.message_path)
    for rec in state["recipients"].values():
        assert rec["state"] == "sent" and rec["reason"] == ""
        assert rec["response"].startswith("250") and UTC_SECOND.match(rec["updated"])
    assert [h["event"] for h in state["history"]][0] == "written"
    assert state["history"][-1]["event"] == "sent"


def test_an_entry_records_a_reply_only_when_there_is_one(tmp_path, monkeypatch):
    entry, created = ob.create_or_load(tmp_path, "m", b"x", {}, ("a@x.example",))
    assert created
    assert set(state_of(tmp_path / "m.eml")) == {"format", "created", "recipients", "history"}
    monkeypatch.setattr(ob, "now_utc", lambda: "2030-01-02T03:04:05+00:00")
    entry.set(("a@x.example",), ob.PENDING, reason="refused by the server: 450")
    rec = entry.state["recipients"]["a@x.example"]
    assert rec["reason"] == "refused by the server: 450" and "response" not in rec
    assert rec["updated"] == "2030-01-02T03:04:05+00:00"        # every change is dated
    entry.set(("a@x.example",), ob.SENT, response="250 OK")
    assert (rec["state"], rec["reason"], rec["response"]) == ("sent", "", "250 OK")


def test_an_existing_message_is_loaded_not_written_again(tmp_path):
    """Recipients keep the order the workbook gave them, through the file and back."""
    who = ("zoe@x.example", "amy@x.example")
    first, created = ob.create_or_load(tmp_path, "m", b"one", {"client": "Zürich AG"}, who)
    first.set(("zoe@x.example",), ob.SENT, response="250 OK")
    ob.save(first)
    again, created_again = ob.create_or_load(tmp_path, "m", b"two", {}, who)
    assert created and not created_again
    assert (tmp_path / "m.eml").read_bytes() == b"one"
    assert again.recipients(ob.SENT) == ("zoe@x.example",)
    assert again.all_recipients == who and again.state["client"] == "Zürich AG"


def test_a_message_whose_state_file_is_missing_is_written_anew(tmp_path):
    """An interrupted run may leave the .eml without its state: the next run writes both."""
    (tmp_path / "m.eml").write_bytes(b"half")
    entry, created = ob.create_or_load(tmp_path, "m", b"whole", {}, ("a@x.example",))
    assert created and (tmp_path / "m.eml").read_bytes() == b"whole"
    assert state_of(tmp_path / "m.eml")["recipients"]["a@x.example"]["state"] == "pending"


def test_hidden_files_are_not_messages(tmp_path):
    for name in ("b.eml", ".a.eml", "a.eml", "a.json", ".a.lock"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in ob.entries(tmp_path)] == ["a.eml", "b.eml"]


@pytest.mark.parametrize("change", [
    {"format": 2},                                   # a later format this version cannot read
    {"recipients": ["ana@example.com"]},             # right format, recipients not a mapping
])
def test_a_state_file_derisk_did_not_write_is_refused_and_nothing_is_sent(tmp_path, change):
    bad = deliver(tmp_path / "out").message_path
    state = state_of(bad)
    state.update(change)
    bad.with_suffix(".json").write_text(json.dumps(state), encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(
            f"{bad.stem}.json is not a derisk outbox state file")):
        ob.load(bad)
    with Server() as server:
        out = send_pending(tmp_path / "out", env=server.env())
        assert server.handler.received == []
    assert [(x.ok, x.status) for x in out] == [
        (False, f"failed: {bad.name}: {bad.stem}.json is not a derisk outbox state file")]


def test_now_is_utc_to_the_second():
    stamp = ob.now_utc()
    assert UTC_SECOND.match(stamp)
    moment = dt.datetime.fromisoformat(stamp)
    assert abs(dt.datetime.now(dt.timezone.utc) - moment) < dt.timedelta(seconds=5)
