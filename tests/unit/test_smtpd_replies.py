"""Reply lines as sendmail's fmtmsg builds them, and the feature set srv_features makes."""

from __future__ import annotations

import pytest

from monomail.smtpd.features import (ServerFeatures, apply_srv_features, ehlo_keywords,
                                     greeting_lines)
from monomail.smtpd.hello import helo_name
from monomail.smtpd.reader import Bare
from monomail.smtpd.replies import message, usrerr
from monomail.smtpd.settings import SmtpSettings


@pytest.mark.parametrize("text,to,expected", [
    ("550 5.7.1 Relaying denied", "<x@y>", "550 5.7.1 <x@y>... Relaying denied"),
    ("553 Domain of sender address does not exist", "<a@b>",
     "553 5.0.0 <a@b>... Domain of sender address does not exist"),
    ("501 Invalid domain name", "<a@b>", "501 5.0.0 Invalid domain name"),   # 501: no address
    ("451 4.3.0 Temporary failure", None, "451 4.3.0 Temporary failure"),
    ("Something went wrong", None, "550 5.0.0 Something went wrong"),
    ("452 4.5.3 Too many recipients", "<x>", "452 4.5.3 Too many recipients"),
    ("550 5.1.1 caf\xe9", None, "550 5.1.1 cafi"),                       # cut to seven bits
])
def test_usrerr(text: str, to: str | None, expected: str) -> None:
    assert usrerr(text, to) == expected


def test_message_adds_no_enhanced_code_and_keeps_continuations() -> None:
    assert message("250-mail.example.com Hello x") == "250-mail.example.com Hello x"
    assert message("250 2.1.5 Recipient ok", "<r@x>") == "250 2.1.5 <r@x>... Recipient ok"
    assert message("214-2.0.0 text") == "214-2.0.0 text"


def test_soft_bounce_turns_5xx_into_4xx() -> None:
    assert usrerr("550 5.7.1 Relaying denied", "<x>", soft_bounce=True) == \
        "450 4.7.1 <x>... Relaying denied"
    assert usrerr("421 4.4.1 gone", soft_bounce=True) == "421 4.4.1 gone"


def test_long_addresses_are_shortened_as_sendmail_does() -> None:
    to = "<" + "a" * 300 + "@b>"
    line = usrerr("550 5.1.1 User unknown", to)
    assert "..." in line and len(line) < 260


def settings(**changes: object) -> SmtpSettings:
    base = dict(greeting="", help_file=None, privacy=frozenset(), max_message_size=0,
                max_recipients=0, max_headers_length=0, max_noop=20, max_children=0,
                bad_rcpt_throttle=0, command_timeout=3600, datablock_timeout=3600,
                deliver_by_min=0, send_mime_errors=True, allow_bogus_helo=False,
                soft_bounce=False, eight_bit_mode="p", reject_nul=False, smtputf8=False,
                log_level=9, queue_directory="", min_free_blocks=0, log_file=None,
                bare_line_ends=Bare.REJECT)
    base.update(changes)
    return SmtpSettings(**base)  # type: ignore[arg-type]


def test_ehlo_keywords_in_sendmails_order() -> None:
    assert ehlo_keywords(ServerFeatures(), settings()) == [
        "ENHANCEDSTATUSCODES", "PIPELINING", "EXPN", "VERB", "8BITMIME", "SIZE", "DSN",
        "ETRN", "DELIVERBY", "HELP"]
    words = ehlo_keywords(ServerFeatures(smtputf8=True, verb=False),
                          settings(max_message_size=1000, deliver_by_min=-1))
    assert words == ["ENHANCEDSTATUSCODES", "PIPELINING", "EXPN", "8BITMIME", "SIZE 1000",
                     "DSN", "SMTPUTF8", "ETRN", "HELP"]


def test_srv_features_letters() -> None:
    features, notes = apply_srv_features(ServerFeatures(), ["P", "X", "d", "g2", "U", "F"])
    assert not features.pipelining and not features.expn and not features.verb
    assert features.bare_lf is Bare.NORMALIZE and features.bare_cr is Bare.ACCEPT
    assert not features.no_stuffing and notes == []
    features, notes = apply_srv_features(ServerFeatures(), ["S", "O", "Q"])
    assert notes == ["srvfeatures: S ignored: STARTTLS (no TLS) is not available",
                     "srvfeatures: O refused: only CR LF . CR LF ends a message",
                     "srvfeatures: unknown feature Q"]
    assert apply_srv_features(ServerFeatures(), ["temp"])[0].tempfail


def test_greeting_gets_esmtp_after_the_first_word() -> None:
    assert greeting_lines("mail.example.com Sendmail 8/8; date", "220") == [
        "220 mail.example.com ESMTP Sendmail 8/8; date"]
    assert greeting_lines("a.example\n second line\nthird", "220") == [
        "220-a.example ESMTP", "220-second line", "220 third"]


@pytest.mark.parametrize("arg,bogus,expected", [
    ("client.example.org", False, ("client.example.org", True)),
    ("[192.0.2.1]", False, ("[192.0.2.1]", True)),
    ("name   ", False, ("name", True)),
    ("two words", False, ("two", False)),
    ("two words", True, ("two", True)),
    ("bad!name", False, ("bad!name", False)),
])
def test_helo_names(arg: str, bogus: bool, expected: tuple[str, bool]) -> None:
    assert helo_name(arg, bogus) == expected
