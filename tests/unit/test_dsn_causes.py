"""The cause table, sendmail's exit-code and reply-code mappings, and the queue timeout
texts, against the values in sendmail 8.17's sources (libsm/strexit.c, deliver.c
markfailure, savemail.c smtptodsn, convtime.c pintvl, envelope.c)."""

from __future__ import annotations

import pytest

from monomail import sysexits as ex
from monomail.config.option_values import NOW, convtime
from monomail.dsn import causes
from monomail.dsn.causes import Cause
from monomail.dsn.status import dsn_to_exit, is_enhanced
from monomail.log.fields import pintvl

NAMED = [causes.UNKNOWN_USER, causes.HOST_UNKNOWN, causes.NO_ANSWER, causes.CONNECTION_REFUSED,
         causes.ROUTING_LOOP, causes.ALIAS_LOOP, causes.MAILBOX_FULL, causes.POLICY,
         causes.RELAYING_DENIED, causes.too_big(1000), causes.exceeds_max_message_size(10)]


@pytest.mark.parametrize("cause", NAMED, ids=str)
def test_every_cause_is_a_consistent_reply(cause: Cause) -> None:
    assert is_enhanced(cause.status)
    assert str(cause.reply)[0] == cause.status[0]
    assert cause.permanent == (cause.reply >= 500)


@pytest.mark.parametrize("cause, status, exit_code", [
    (causes.UNKNOWN_USER, "5.1.1", ex.EX_NOUSER),
    (causes.HOST_UNKNOWN, "5.1.2", ex.EX_NOHOST),
    (causes.NO_ANSWER, "4.4.1", ex.EX_TEMPFAIL),
    (causes.ROUTING_LOOP, "5.4.6", ex.EX_CONFIG),
    (causes.too_big(5), "5.3.4", ex.EX_OSERR),
    (causes.MAILBOX_FULL, "4.2.2", ex.EX_TEMPFAIL),
    (causes.POLICY, "5.7.1", ex.EX_DATAERR),
])
def test_brief_codes_and_their_exit_values(cause: Cause, status: str, exit_code: int) -> None:
    assert cause.status == status
    assert dsn_to_exit(cause.status) == exit_code


def test_reply_texts_are_sendmails() -> None:
    assert str(causes.UNKNOWN_USER) == "550 5.1.1 User unknown"
    assert str(causes.ROUTING_LOOP) == "554 5.4.6 Too many hops"
    assert str(causes.too_big(1000)) == "552 5.3.4 Message is too large; 1000 bytes max"
    assert str(causes.exceeds_max_message_size(10)) == \
        "552 5.2.3 Message exceeds maximum fixed size (10)"


@pytest.mark.parametrize("code, reply", [
    (ex.EX_USAGE, "500 5.0.0 Command line usage error"),
    (ex.EX_DATAERR, "501 5.6.0 Data format error"),
    (ex.EX_NOINPUT, "550 5.3.0 Cannot open input"),
    (ex.EX_NOUSER, "550 5.1.1 User unknown"),
    (ex.EX_NOHOST, "550 5.1.2 Host unknown"),
    (ex.EX_UNAVAILABLE, "554 5.0.0 Service unavailable"),
    (ex.EX_SOFTWARE, "554 5.3.0 Internal error"),
    (ex.EX_OSERR, "451 4.0.0 Operating system error"),
    (ex.EX_OSFILE, "554 5.3.5 System file missing"),
    (ex.EX_CANTCREAT, "550 5.0.0 Can't create output"),
    (ex.EX_IOERR, "451 4.0.0 I/O error"),
    (ex.EX_TEMPFAIL, "450 4.0.0 Deferred"),
    (ex.EX_PROTOCOL, "554 5.5.0 Remote protocol error"),
    (ex.EX_NOPERM, "550 5.0.0 Insufficient permission"),
    (ex.EX_CONFIG, "554 5.3.5 Local configuration error"),
])
def test_sysexit_replies(code: int, reply: str) -> None:
    assert str(causes.sysexit_cause(code)) == reply


def test_unknown_exit_codes() -> None:
    assert causes.sysexit_cause(0) is None
    assert causes.sysexit_cause(1) is None
    assert causes.exit_status(1) is None


@pytest.mark.parametrize("code, status, deferred", [
    (ex.EX_USAGE, "5.5.4", False), (ex.EX_DATAERR, "5.5.2", False),
    (ex.EX_NOUSER, "5.1.1", False), (ex.EX_NOHOST, "5.1.2", False),
    (ex.EX_NOPERM, "5.3.0", False), (ex.EX_CONFIG, "5.5.0", False),
    (ex.EX_OSERR, "4.5.0", True), (ex.EX_IOERR, "4.5.0", True), (ex.EX_TEMPFAIL, "4.2.0", True),
])
def test_markfailure_status(code: int, status: str, deferred: bool) -> None:
    assert causes.exit_status(code) == status
    assert causes.exit_is_deferral(code) is deferred


@pytest.mark.parametrize("diagnostic, text", [
    ("67", "User unknown"),
    ("75", "Deferred"),
    ("1", "1"),
    ("550 5.1.1 <bob@example.org>... User unknown", "550 5.1.1 <bob@example.org>... User unknown"),
    ("", ""),
])
def test_exit_text(diagnostic: str, text: str) -> None:
    assert causes.exit_text(diagnostic) == text


@pytest.mark.parametrize("reply, status", [
    (-1, "4.4.2"), (450, "4.2.0"), (451, "4.3.0"), (452, "4.3.1"), (500, "5.5.2"),
    (501, "5.5.4"), (502, "5.5.1"), (503, "5.5.1"), (504, "5.5.4"), (550, "5.2.0"),
    (551, "5.1.6"), (552, "5.2.2"), (553, "5.1.0"), (554, "5.0.0"), (250, "2.0.0"),
    (421, "4.0.0"), (530, "5.0.0"), (999, "5.0.0"),
])
def test_smtp_to_dsn(reply: int, status: str) -> None:
    assert causes.smtp_to_dsn(reply) == status


@pytest.mark.parametrize("text, long_form, brief", [
    ("0", "zero seconds", "00:00:00"),
    ("4h", "4 hours", "04:00:00"),
    ("5d", "5 days", "5+00:00:00"),
    ("1h", "1 hour", "01:00:00"),
    ("1w2d3h4m5s", "1 week, 2 days, 3 hours, 4 minutes, 5 seconds", "9+03:04:05"),
    ("61s", "1 minute, 1 second", "00:01:01"),
    ("2w", "2 weeks", "14+00:00:00"),
])
def test_pintvl(text: str, long_form: str, brief: str) -> None:
    seconds = convtime(text, "s")
    assert pintvl(seconds, brief=False) == long_form
    assert pintvl(seconds) == brief


def test_pintvl_now() -> None:
    assert pintvl(NOW, brief=False) == "too long"
    assert causes.expiry_message(NOW) == "Cannot send message for too long"


def test_queue_timeout_texts() -> None:
    assert causes.warning_message(4 * 3600) == "Warning: could not send message for past 4 hours"
    assert causes.warning_transcript(4 * 3600, 5 * 86400) == (
        "Warning: message still undelivered after 4 hours",
        "Will keep trying until message is 5 days old")
    assert causes.expiry_message(5 * 86400) == "Cannot send message for 5 days"
    assert causes.expiry_transcript(5 * 86400) == (
        "Message could not be delivered for 5 days", "Message will be deleted from queue")
    assert causes.EXPIRED_STATUS == "4.4.7"
