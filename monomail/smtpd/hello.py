"""The start of a session and HELO/EHLO, as srvrsmtp.c words them.

At connect (daemon mode) check_relay may turn the session into a "null server"
that refuses nearly every command with the rule's reply, or drop it at once with
a 421; srv_features then adjusts what is offered; greet_pause holds the greeting
back and penalizes clients that talk first.  The greeting is the cf's
SmtpGreetingMessage with "ESMTP" put in as the second word.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from monomail.log.writer import LOG_ERR, LOG_WARNING
from monomail.rewrite.tokens import MAXNAME
from monomail.smtpd.features import apply_srv_features, ehlo_keywords, greeting_lines
from monomail.smtpd.settings import DEFAULT_HELO_LIMIT

if TYPE_CHECKING:
    from monomail.smtpd.session import Session

GREET_PAUSE_CAP = 300.0          # RFC 5321's five minutes for the greeting
HELO_PUNCTUATION = "[].-_#:"
TEMPFAIL_SERVER = "450 4.3.0 Please try again later."


def begin(s: "Session") -> None:
    """What happens between accept() and the greeting."""
    s.syslog(9, f"connect from {s.client_label}")
    if not s.local_submission:
        s.hold_errors()
        relay_ok = s.policy.check_relay()
        refusal = s.take_held()
        s.connection_discard = s.policy.discard
        if not relay_ok:
            s.nullserver = refusal or "Access denied"
            if s.nullserver.startswith("421 "):
                s.reply(s.nullserver)
                s.close()
                return
    if s.nullserver is None:
        s.features, notes = apply_srv_features(s.features, s.policy.srv_features())
        for note in notes:
            s.syslog(9, note, LOG_WARNING)
        if s.features.tempfail:
            s.syslog(4, f"ERROR: srv_features=tempfail, relay={s.client_label[:100]}, "
                        "access temporarily disabled", LOG_ERR)
            s.nullserver = TEMPFAIL_SERVER
    if s.nullserver is None:
        pause_ms = s.policy.greet_pause()
        if pause_ms > 0:
            s.pause(min(pause_ms / 1000.0, GREET_PAUSE_CAP), greeting=True)
            return
    greet(s, early=False)


def greet(s: "Session", early: bool) -> None:
    """The 220 greeting; a client that talked during greet_pause gets 554 and a
    session that refuses every transaction."""
    code = "220"
    if early:
        code, s.nullserver = "554", "Command rejected"
        s.syslog(-1, f"rejecting commands from {s.client.peer_name} [{s.client.addr}] "
                     "due to pre-greeting traffic")
    if code.startswith("5"):
        text = f"{s.hostname} not accepting messages"
    else:
        text = s.policy.expand(s.settings.greeting)
    for line in greeting_lines(text, code):
        s.reply(line)
    s.greeted = True


def helo(s: "Session", arg: str, line: str) -> None:
    hello(s, arg, line, extended=False)


def ehlo(s: "Session", arg: str, line: str) -> None:
    hello(s, arg, line, extended=True)


def hello(s: "Session", arg: str, line: str, extended: bool) -> None:
    word = line.split(None, 1)[0] if line.strip() else line
    if s.features.no_stuffing and s.input_pending:
        s.error("554 5.5.0 SMTP protocol error")
        s.nullserver = "Command rejected"
        s.syslog(-1, f"{s.client_label}: SMTP protocol error: input sent before the "
                     f"{word.upper()} reply")
        return
    if s.slow_down("helo", DEFAULT_HELO_LIMIT) is None:
        return
    if not arg and not s.settings.allow_bogus_helo:
        s.error(f"501 {word} requires domain address")
        return
    if len(arg) > MAXNAME:
        s.error("501 Invalid domain name")
        s.syslog(9, f"invalid domain name (too long) from {s.client_label}")
        return
    name, valid = helo_name(arg, s.settings.allow_bogus_helo)
    if valid:
        comment = "pleased to meet you"
        s.helo = name
    elif not s.settings.allow_bogus_helo:
        s.error("501 Invalid domain name")
        s.syslog(9, f"invalid domain name ({arg}) from {s.client_label[:100]}")
        return
    else:
        comment = "accepting invalid domain name"
    if s.gothello or s.transaction is not None:
        from monomail.smtpd.transaction import clear_state
        clear_state(s, word)
    s.gothello = True
    s.protocol = "ESMTP" if extended else "SMTP"
    greeting = f"{s.hostname} Hello {s.client_label}, {comment}"
    if not extended:
        s.reply(f"250 {greeting}")
        return
    s.reply(f"250-{greeting}")
    if s.nullserver is not None:
        s.reply("250 ENHANCEDSTATUSCODES")
        return
    keywords = ehlo_keywords(s.features, s.settings)
    for keyword in keywords[:-1]:
        s.reply(f"250-{keyword}")
    s.reply(f"250 {keywords[-1]}")


def helo_name(arg: str, allow_bogus: bool) -> tuple[str, bool]:
    """(the name, whether it is acceptable): letters, digits and [].-_#: only, blanks
    allowed only at the end (anywhere with AllowBogusHELO)."""
    for i, ch in enumerate(arg):
        if not ch.isascii():
            return arg, False
        if ch.isalnum():
            continue
        if ch.isspace():
            name, rest = arg[:i], arg[i:]
            return name, allow_bogus or not rest.strip(" \t\n\v\f\r")
        if ch not in HELO_PUNCTUATION:
            return arg, False
    return arg, True
