"""The intake on monomail's example cf: defaults added, envelope facts noted, problems
worded as sendmail words them, and hostile input neutralised (the differential tests in
tests/cleanup hold the same code to sendmail's qf files)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monomail import sysexits as ex
from monomail.cleanup.codec import decode, encode
from monomail.cleanup.intake import (Intake, Outcome, RecipientList, set_time_macros,
                                     too_many_hops, unix_from_date)
from monomail.cleanup.sender import (full_name_argument, sender_argument, sender_warning,
                                     setsender)
from monomail.config.cfparser import parse_cf
from monomail.config.identity import Identity
from monomail.config.model import Config
from monomail.rewrite.engine import Rewriter
from monomail.rewrite.env import RewriteEnv

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "monomail.cf"
IDENTITY = Identity("mail.example.com", "mail.example.com")
CHECKS = """
HSubject: $>CheckSubject
SCheckSubject
R$* spam $*	$#error $@ quarantine $: "held for review"
R$* junk $*	$#discard $: junk
"""
NOW = 1795582319  # Wed, 25 Nov 2026 04:51:59 GMT


@pytest.fixture(scope="module")
def config() -> Config:
    return parse_cf(str(EXAMPLE), identity=IDENTITY)


@pytest.fixture(scope="module")
def rw(config: Config) -> Rewriter:
    return Rewriter(config)


def intake(config: Config, rw: Rewriter, sender: str | None = None, smtp: bool = False,
           full_name: str | None = None, **kwargs: object) -> Intake:
    env = RewriteEnv(config, lambda line: None)
    env.define_macro("_", "joe@localhost")
    env.define_macro("i", "6AP4pxK2026985")
    set_time_macros(env, NOW)
    s = setsender(config, rw, env, sender, real_user="root", smtp=smtp, full_name=full_name)
    return Intake(config, rw, env, s, smtp=smtp, **kwargs)  # type: ignore[arg-type]


def take(config: Config, rw: Rewriter, data: bytes, recipients: list[str] | None = None,
         **kwargs: object) -> Outcome:
    return intake(config, rw, **kwargs).collect(data, RecipientList(recipients or ["alice"]))


def values(outcome: Outcome) -> dict[str, str]:
    return {h.name: h.text() for h in outcome.message.fields}


def test_a_message_without_header_gets_the_defaults(config: Config, rw: Rewriter) -> None:
    outcome = take(config, rw, b"just text\n")
    got = values(outcome)
    assert outcome.accepted and outcome.message.body == b"just text\n"
    assert got["Date"] == " Wed, 25 Nov 2026 04:51:59 GMT"
    assert got["Message-Id"] == " <202611250451.6AP4pxK2026985@mail.example.com>"
    assert got["From"] == " root <root>"  # the full name from the password entry
    assert got["Received"].startswith(" (from joe@localhost)\n\tby mail.example.com")
    assert "\tfor alice; Wed, 25 Nov 2026 04:51:59 GMT" in got["Received"]
    assert got["Return-Path"] == " <\x81g>"  # bound at delivery


def test_envelope_facts(config: Config, rw: Rewriter) -> None:
    outcome = take(config, rw, b"Message-Id: <m@x>\nPrecedence: bulk\nMIME-Version: 1.0\n"
                               b"Subject: \xe4\nTo: a\nBcc: b\nResent-From: r\n\nb\n",
                   body_type="8BITMIME")
    m = outcome.message
    # resent: the message id that counts is Resent-Message-Id (here the one added)
    assert m.msgid == "<202611250451.6AP4pxK2026985@mail.example.com>"
    assert (m.priority_class, m.timeout_class) == (-60, "non-urgent")
    assert m.is_mime and m.has_8bit and m.body_type == "8BITMIME"
    assert m.delete_bcc and m.resent and m.hop_count == 1
    liar = take(config, rw, b"S: x\n\nb\n", body_type="8BITMIME")
    assert liar.message.body_type == "7BIT"  # it claimed 8 bits and lied


def test_timeout_class_for_reports(config: Config, rw: Rewriter) -> None:
    report = b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\n\n"
    assert take(config, rw, report).message.timeout_class == "dsn"
    assert take(config, rw, b"Priority: urgent\n\n").message.timeout_class == "urgent"


def test_header_injection_through_arguments_is_neutralised(config: Config,
                                                           rw: Rewriter) -> None:
    given = sender_argument("evil@example.org\nX-Injected: yes")
    one = intake(config, rw, sender=given, full_name=full_name_argument("Joe\nX-Too: yes"))
    one.auth_warning(sender_warning(config, one.sender, given, "nobody") or "")
    outcome = one.collect(b"Subject: x\n\nb\n", RecipientList(["a\nX-Rcpt: yes"]))
    stored = encode(outcome.message)
    assert b"\nX-Injected" not in stored and b"\nX-Too" not in stored
    assert b"\nX-Rcpt" not in stored
    warning = values(outcome)["X-Authentication-Warning"]
    assert warning == (" mail.example.com: nobody set sender to evil@example.org X-Injected: yes"
                       " using -f")


def test_authentication_warnings_follow_privacy_options(config: Config, rw: Rewriter) -> None:
    text = EXAMPLE.read_text(encoding="latin-1").replace("=authwarnings,", "=")
    quiet = parse_cf(str(EXAMPLE), text, identity=IDENTITY)
    it = intake(quiet, Rewriter(quiet))
    it.auth_warning("x")
    assert not [h for h in it.headers.fields if h.name == "X-Authentication-Warning"]
    it = intake(config, rw)
    it.auth_warning("first", host="h" * 60)
    it.auth_warning("second")
    warnings = [h.text() for h in it.headers.fields if h.name == "X-Authentication-Warning"]
    assert warnings == [" mail.example.com: second", " " + "h" * 47 + ": first"]


def test_limits_are_reported_like_sendmail(config: Config, rw: Rewriter) -> None:
    outcome = take(config, rw, b"S: " + b"x" * 40000 + b"\n\nb\n")
    assert [p.reply for p in outcome.problems] == ["552 5.6.0 Headers too large (32768 max)"]
    assert outcome.clear_queue and not outcome.accepted and outcome.exit_status == ex.EX_OK
    problem = outcome.problems[0]
    assert (problem.code, problem.status, problem.text) == (
        "552", "5.6.0", "Headers too large (32768 max)")
    bare = intake(config, rw, sender="<a@b>", smtp=True).collect(
        b"S: x\r\n\r\nb\n.\r\n", RecipientList(["<c@d>"]))
    assert bare.reply is not None
    assert bare.reply.reply == "421 4.5.0 Bare linefeed (LF) not allowed"


def test_hop_count_and_the_loop_check(config: Config, rw: Rewriter) -> None:
    many = b"Received: from a by b\n" * 24
    outcome = take(config, rw, many + b"\nb\n")
    assert outcome.message.hop_count == 25
    assert too_many_hops(config, outcome.message, "root", None, "alice") is None
    outcome = take(config, rw, many + b"Received: x\n\nb\n")
    problem = too_many_hops(config, outcome.message, "root", None, "alice")
    assert problem is not None and problem.reply == (
        "554 5.4.6 Too many hops 26 (25 max): from root via localhost, to alice")


def test_bad_field_names_are_dropped_with_exit_70(config: Config, rw: Rewriter) -> None:
    outcome = take(config, rw, b"A\x7fB: x\nC: d\n\nb\n")
    assert outcome.accepted and outcome.exit_status == ex.EX_SOFTWARE
    assert [p.text for p in outcome.problems] == ['header syntax error, line "A\x7fB: x"']
    assert "C" in values(outcome) and "A\x7fB" not in values(outcome)


def test_check_rulesets_discard_and_quarantine() -> None:
    checks = parse_cf(str(EXAMPLE), EXAMPLE.read_text(encoding="latin-1") + CHECKS,
                      identity=IDENTITY)
    crw = Rewriter(checks)
    held = take(checks, crw, b"Subject: spam here\n\nb\n")
    assert "held for review" in (held.quarantine or "") and held.accepted
    dropped = take(checks, crw, b"Subject: junk\n\nb\n")
    assert dropped.discard and dropped.accepted


def test_grab_to_needs_the_recipient_stage(config: Config, rw: Rewriter) -> None:
    with pytest.raises(TypeError, match="sendtolist"):
        intake(config, rw).collect(b"To: a\n\n", RecipientList([]), grab_to=True)


def test_unix_from_date() -> None:
    assert unix_from_date("From joe Wed Nov 25 04:00:00 2026", NOW).startswith(
        "Wed, 25 Nov 2026 04:00:00 ")  # then the machine's zone, as sendmail adds it
    assert unix_from_date("From joe  Thu Jan  1 00:00:00 1970 remote from x", NOW).startswith(
        "Thu, 1 Jan 1970 00:00:00")
    assert unix_from_date("From joe no date here", NOW) is None


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600), st.booleans())
def test_any_input_gives_a_storable_message(config: Config, rw: Rewriter, data: bytes,
                                            smtp: bool) -> None:
    outcome = intake(config, rw, sender="<a@b>" if smtp else None, smtp=smtp).collect(
        data, RecipientList(["<c@d>"]))
    assert decode(encode(outcome.message)) == outcome.message
