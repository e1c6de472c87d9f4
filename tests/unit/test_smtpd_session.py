"""The SMTP session as a pure state machine: bytes in, replies out, no sockets and no
clock.  Pauses (tarpits, greet_pause) and the accept hook are events the test
resolves itself, so every case runs in microseconds."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import pytest

from monomail.config import mc
from monomail.config.cfparser import parse_cf
from monomail.smtpd.hooks import (Hooks, RecipientAnswer, RecipientCheck, SessionInfo,
                                  Verified)
from monomail.smtpd.policy import Client, Daemon
from monomail.smtpd.session import MessageReady, Pause, Session
from monomail.smtpd.settings import Runtime, SettingsError

TESTS = Path(__file__).resolve().parents[1]
OUTSIDE = Client.network("127.0.0.2", 40000, "outside.example.net", "OK")
INSIDE = Client.network("127.0.0.1", 40001, "localhost", "OK")


async def never_called(info: SessionInfo, envelope: object, data: bytes) -> str:
    raise AssertionError("the driver runs accept_message, not the session")


@pytest.fixture(scope="module")
def cf_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("smtpd-unit")
    settings = root / "etc"
    shutil.copytree(TESTS / "compat" / "etc", settings,
                    ignore=shutil.ignore_patterns("maps", "README.md"))
    (settings / "helpfile").write_text(
        "#vers\t2\nsmtp\tHello from $j.\nmail\tMAIL FROM: <sender>\n")
    text, _ = mc.build(TESTS / "smtpd" / "unit-mc" / "unit.mc", [f"MAIL_SETTINGS_DIR={settings}/"])
    cf = root / "unit.cf"
    cf.write_text(text)
    return cf


@pytest.fixture
def make(cf_path: Path) -> Callable[..., Session]:
    def build(*options: str, client: Client = INSIDE, hooks: Hooks | None = None,
              daemon: Daemon = Daemon(port=25)) -> Session:
        runtime = Runtime.from_config(parse_cf(str(cf_path), command_line=options, op_mode="d"))
        session = Session(runtime, client, daemon, hooks or Hooks(never_called))
        session.start()
        pause = session.outgoing()
        assert pause == b"" and isinstance(session.waiting, Pause)   # greet_pause
        session.resume()
        return session
    return build


def lines(session: Session, data: bytes = b"") -> list[str]:
    """Feed data; the replies as lines (pauses resumed at once)."""
    if data:
        session.receive(data)
    out = []
    while True:
        out += session.outgoing().decode("latin-1").splitlines()
        if isinstance(session.waiting, Pause):
            session.resume()
            continue
        return out


def greeted(session: Session) -> Session:
    assert lines(session)[0].startswith("220 mail.example.com ESMTP monomail ")
    return session


def start_data(session: Session, *rcpts: str) -> None:
    lines(session, b"EHLO c.example.org\r\n")
    lines(session, b"MAIL FROM:<a@mx.example.org>\r\n")
    for rcpt in rcpts or ("root@mail.example.com",):
        assert lines(session, f"RCPT TO:<{rcpt}>\r\n".encode())[0].startswith("250 ")
    assert lines(session, b"DATA\r\n") == ["354 End data with <CR><LF>.<CR><LF>"]


def test_pipelined_group_is_answered_in_one_batch(make: Callable[..., Session]) -> None:
    s = greeted(make())
    lines(s, b"EHLO c.example.org\r\n")
    s.receive(b"MAIL FROM:<a@mx.example.org>\r\nRCPT TO:<root@mail.example.com>\r\n"
              b"RCPT TO:<nobody@elsewhere.example> NOTIFY=WHENEVER\r\nDATA\r\n")
    batch = s.outgoing().decode().splitlines()
    assert [line[:3] for line in batch] == ["250", "250", "501", "354"]


def test_message_ready_carries_envelope_and_unstuffed_data(make: Callable[..., Session]) -> None:
    s = greeted(make())
    lines(s, b"EHLO c.example.org\r\n")
    lines(s, b"MAIL FROM:<a@mx.example.org> BODY=8BITMIME ENVID=x+2By RET=HDRS\r\n")
    lines(s, b"RCPT TO:<root@mail.example.com> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;r+40x\r\n")
    lines(s, b"DATA\r\n")
    s.receive(b"Subject: t\r\n\r\n..x\r\n.\r\nQUIT\r\n")
    assert s.outgoing() == b""
    ready = s.waiting
    assert isinstance(ready, MessageReady)
    assert ready.data == b"Subject: t\r\n\r\n.x\r\n"
    envelope = ready.envelope
    assert envelope.sender == "a@mx.example.org" and envelope.envid == "x+2By"
    assert envelope.ret == "HDRS" and envelope.body_type == "7BIT"   # no 8-bit octets came
    assert envelope.recipients[0].notify == ("SUCCESS", "DELAY")
    assert envelope.recipients[0].orcpt == "rfc822;r+40x"
    assert ("{client_addr}", "127.0.0.1") in envelope.macros
    s.message_done("AB12CD34EF5678")
    assert lines(s) == ["250 2.0.0 AB12CD34EF5678 Message accepted for delivery",
                        "221 2.0.0 mail.example.com closing connection"]
    assert s.closed


def test_refused_message_gets_the_hooks_reply(make: Callable[..., Session]) -> None:
    s = greeted(make())
    start_data(s)
    s.receive(b"Subject: x\r\n\r\n.\r\n")
    assert isinstance(s.waiting, MessageReady)
    s.message_done(None, "452 4.3.1 Insufficient disk space; try again later")
    assert lines(s) == ["452 4.3.1 Insufficient disk space; try again later"]
    assert lines(s, b"RCPT TO:<root@mail.example.com>\r\n") == ["503 5.0.0 Need MAIL before RCPT"]


def test_commands_sent_before_the_ehlo_reply_are_refused(make: Callable[..., Session]) -> None:
    s = greeted(make())
    assert lines(s, b"EHLO c.example.org\r\nNOOP\r\n") == ["554 5.5.0 SMTP protocol error",
                                                         "250 2.0.0 OK"]
    assert lines(s, b"MAIL FROM:<a@mx.example.org>\r\n") == ["550 5.0.0 Command rejected"]


def test_data_sent_with_the_data_command_ends_the_session(make: Callable[..., Session]) -> None:
    s = greeted(make())
    lines(s, b"EHLO c.example.org\r\n")
    lines(s, b"MAIL FROM:<a@mx.example.org>\r\n")
    lines(s, b"RCPT TO:<root@mail.example.com>\r\n")
    assert lines(s, b"DATA\r\nSubject: x\r\n\r\n.\r\n") == ["554 5.5.0 SMTP protocol error"]
    assert s.closed


def test_client_talking_during_greet_pause_is_refused(cf_path: Path) -> None:
    runtime = Runtime.from_config(parse_cf(str(cf_path), op_mode="d"))
    s = Session(runtime, OUTSIDE, Daemon(), Hooks(never_called))
    s.start()
    assert s.outgoing() == b""
    assert s.waiting == Pause(0.7, greeting=True)
    s.receive(b"EHLO early.example.org\r\n")
    s.resume()
    out = lines(s)
    assert out[0] == "554 mail.example.com ESMTP not accepting messages"
    assert out[1:] == ["250-mail.example.com Hello outside.example.net [127.0.0.2], pleased to "
                       "meet you", "250 ENHANCEDSTATUSCODES"]
    assert lines(s, b"MAIL FROM:<a@mx.example.org>\r\n") == ["550 5.0.0 Command rejected"]


def test_repeated_helo_is_slowed_down_as_sendmail_does(make: Callable[..., Session]) -> None:
    s = greeted(make())
    pauses = []
    for _ in range(5):
        s.receive(b"HELO c.example.org\r\n")
        while True:
            s.outgoing()
            if not isinstance(s.waiting, Pause):
                break
            pauses.append(s.waiting.seconds)
            s.resume()
    # third: 1 s then 1<<0 - 1; fourth: 1 s then 1<<1 - 1; fifth: 1 s then 1<<2 - 1
    assert pauses == [1, 1, 1, 1, 3]


def test_max_daemon_children_turns_repeated_abuse_into_421(make: Callable[..., Session]) -> None:
    s = greeted(make(" MaxDaemonChildren=5"))
    out: list[str] = []
    for _ in range(6):
        out += lines(s, b"HELO c.example.org\r\n")
    assert out[-1] == "421 4.7.0 mail.example.com Too many bad commands; closing connection"
    assert s.closed


def test_unknown_local_user_comes_from_the_recipient_hook(make: Callable[..., Session]) -> None:
    seen: list[RecipientCheck] = []

    def lookup(info: SessionInfo, check: RecipientCheck) -> RecipientAnswer:
        seen.append(check)
        if check.address.user == "nosuch":
            return RecipientAnswer(error="550 5.1.1 User unknown")
        if check.purpose == "expn":
            return RecipientAnswer(expansion=(Verified(check.address, "Charlie Root"),))
        return RecipientAnswer(queue=check.address.user == "slow")

    s = greeted(make(hooks=Hooks(never_called, recipient=lookup)))
    lines(s, b"EHLO c.example.org\r\n")
    lines(s, b"MAIL FROM:<a@mx.example.org>\r\n")
    assert lines(s, b"RCPT TO:<nosuch@mail.example.com>\r\n") == [
        "550 5.1.1 <nosuch@mail.example.com>... User unknown"]
    assert lines(s, b"RCPT TO:<slow@mail.example.com>\r\n") == [
        "250 2.1.5 <slow@mail.example.com>... Recipient ok (will queue)"]
    assert lines(s, b"EXPN root\r\n") == ["250 2.1.5 Charlie Root <root@mail.example.com>"]
    assert [(c.purpose, c.address.mailer, c.address.user) for c in seen] == [
        ("rcpt", "local", "nosuch"), ("rcpt", "local", "slow"), ("expn", "local", "root")]


def test_rules_refuse_at_data_and_discard_quietly(make: Callable[..., Session]) -> None:
    s = greeted(make())
    start_data(s, "discard@mx.example.org")
    s.receive(b"Subject: x\r\n\r\n.\r\n")
    out = lines(s)
    assert s.waiting is None and len(out) == 1                    # not handed to the queue
    assert out[0].startswith("250 2.0.0 ") and out[0].endswith(" Message accepted for delivery")
    lines(s, b"MAIL FROM:<a@mx.example.org>\r\n")
    for rcpt in (b"x@mx.example.org", b"y@mx.example.org", b"z@mx.example.org"):
        lines(s, b"RCPT TO:<" + rcpt + b">\r\n")
    assert lines(s, b"DATA\r\n") == ["550 5.7.1 no more than two recipients, please"]
    assert lines(s, b"RCPT TO:<later@mx.example.org>\r\n") == [
        "450 4.7.1 <later@mx.example.org>... try later"]


def test_data_errors_are_held_and_the_last_one_answers(make: Callable[..., Session]) -> None:
    s = greeted(make(" MaxMessageSize=20"))
    start_data(s)
    s.receive(b"no header at all, and more than twenty octets\r\n.\r\n")
    assert lines(s) == ["552 5.2.3 Message exceeds maximum fixed size (20)"]
    start_data(s)
    s.receive(b"\r\nno header\r\n.\r\n")
    assert lines(s) == ["554 5.6.0 a message needs a header"]


def test_header_limit_and_nul_and_8bit_rules(make: Callable[..., Session]) -> None:
    s = greeted(make(" MaxHeadersLength=20000", " RejectNUL=true", " EightBitMode=s"))
    start_data(s)
    s.receive(b"X-Long: " + b"y" * 20000 + b"\r\n\r\nbody\r\n.\r\n")
    assert lines(s) == ["552 5.6.0 Headers too large (20000 max)"]
    start_data(s)
    s.receive(b"Subject: a\r\n\r\nnul \0 here\r\n.\r\n")
    assert lines(s) == ["554 5.6.1 NUL byte not allowed"]
    start_data(s)
    s.receive(b"Subject: a\r\n\r\n\xe9t\xe9\r\n.\r\n")
    assert lines(s) == ["554 5.6.1 Eight bit data not allowed"]


def test_check_other_421_ends_the_session(make: Callable[..., Session]) -> None:
    s = greeted(make())
    assert lines(s, b"I AM THE WIZARD\r\n") == ["421 4.7.0 go away"]
    assert s.closed


def test_bad_rcpt_throttle_pauses_each_later_rcpt(make: Callable[..., Session]) -> None:
    s = greeted(make(" BadRcptThrottle=2"))
    lines(s, b"EHLO c.example.org\r\n")
    lines(s, b"MAIL FROM:<a@mx.example.org>\r\n")
    pauses = []
    for _ in range(4):
        s.receive(b"RCPT TO:<later@mx.example.org>\r\n")
        s.outgoing()
        if isinstance(s.waiting, Pause):
            pauses.append(s.waiting.seconds)
            s.resume()
            s.outgoing()
    assert pauses == [1.0, 1.0]


def test_eof_and_timeout(make: Callable[..., Session]) -> None:
    s = greeted(make())
    s.receive(b"")
    assert s.closed and lines(s) == []                  # sendmail has disconnected already
    s = greeted(make())
    start_data(s)
    s.timed_out()
    assert lines(s) == ["421 4.4.1 collect: relay=localhost, from=<a@mx.example.org>, "
                        "info=read timeout"]


def test_help_reads_the_help_file_with_macros(make: Callable[..., Session]) -> None:
    s = greeted(make())
    assert lines(s, b"HELP\r\n") == ["214-2.0.0 Hello from mail.example.com.",
                                     "214 2.0.0 End of HELP info"]
    assert lines(s, b"HELP Mail\r\n") == ["214-2.0.0 MAIL FROM: <sender>",
                                          "214 2.0.0 End of HELP info"]
    assert lines(s, b"HELP nothing\r\n") == ['504 5.3.0 HELP topic "nothing" unknown']


def test_listener_modifiers_reach_the_features(make: Callable[..., Session]) -> None:
    s = greeted(make(daemon=Daemon(name="MSA", flags="EE a", modifiers="Ea", port=587)))
    ehlo = lines(s, b"EHLO c.example.org\r\n")
    assert "250-ETRN" not in ehlo
    assert lines(s, b"MAIL FROM:<a@mx.example.org>\r\n") == ["530 5.7.0 Authentication required"]
    assert s.policy.macro("daemon_flags") == "EE a" and s.policy.macro("daemon_name") == "MSA"


def test_bare_line_ends_option_sets_the_default_mode(make: Callable[..., Session],
                                                      cf_path: Path) -> None:
    s = greeted(make(" Monomail.BareLineEnds=normalize"))
    start_data(s)
    s.receive(b"Subject: x\r\n\r\nbare\nLF\r\n.\r\n")
    assert isinstance(s.waiting, MessageReady)
    assert s.waiting.data == b"Subject: x\r\n\r\nbare LF\r\n"
    s = greeted(make())
    start_data(s)
    assert lines(s, b"Subject: x\r\n\r\nbare\nLF\r\n") == [
        "421 4.5.0 Bare linefeed (LF) not allowed"]
    assert s.closed
    with pytest.raises(SettingsError, match="Monomail.BareLineEnds=sometimes: expected"):
        Runtime.from_config(parse_cf(str(cf_path),
                                     command_line=(" Monomail.BareLineEnds=sometimes",)))


def test_check_relay_makes_a_null_server_or_drops_the_client(cf_path: Path) -> None:
    runtime = Runtime.from_config(parse_cf(str(cf_path), op_mode="d"))
    refused = Session(runtime, Client.network("127.0.0.4", 4000, None, "FAIL"), Daemon(),
                      Hooks(never_called))
    refused.start()                   # no greet_pause for a client already refused
    assert lines(refused)[0].startswith("220 mail.example.com ESMTP")
    assert lines(refused, b"EHLO c.example.org\r\n") == [
        "250-mail.example.com Hello [127.0.0.4], pleased to meet you",
        "250 ENHANCEDSTATUSCODES"]
    for command in (b"MAIL FROM:<a@mx.example.org>", b"VRFY root", b"HELP"):
        assert lines(refused, command + b"\r\n") == ["550 5.7.1 Access denied"]
    assert lines(refused, b"NOOP\r\n") == ["250 2.0.0 OK"]
    busy = Session(runtime, Client.network("127.0.0.5", 4000, None, "FAIL"), Daemon(),
                   Hooks(never_called))
    busy.start()
    assert lines(busy) == ["421 4.3.2 Too busy"] and busy.closed
