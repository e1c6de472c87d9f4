"""The commands around a transaction: VRFY, EXPN, ETRN, HELP, NOOP, VERB, and the
answers for AUTH and STARTTLS (not offered here), in sendmail's words.

PrivacyOptions decide what is answered: novrfy gives 252 without looking, noexpn
makes EXPN 502, need{vrfy,expn}helo want a HELO first, noetrn turns ETRN off.
VRFY and EXPN parse each address of the list as RCPT would and ask the recipient
hook what it stands for; EXPN shows the hook's expansion.
"""

from __future__ import annotations

from syslog import LOG_CRIT
from typing import TYPE_CHECKING

from monomail import __version__
from monomail.clib import MAXSHORTSTR, shortenstring
from monomail.log.writer import LOG_WARNING
from monomail.rewrite.prescan import prescan
from monomail.smtpd.helpfile import HELP_VERSION, find_help
from monomail.smtpd.hooks import RecipientCheck, Verified
from monomail.smtpd.settings import DEFAULT_ETRN_LIMIT, DEFAULT_VRFY_LIMIT

if TYPE_CHECKING:
    from monomail.smtpd.session import Session

NOT_ALLOWED = "502 5.7.0 Sorry, we do not allow this operation"


def vrfy(s: "Session", arg: str, line: str) -> None:
    verify(s, arg, line, expand=False)


def expn(s: "Session", arg: str, line: str) -> None:
    verify(s, arg, line, expand=True)


def verify(s: "Session", arg: str, line: str, expand: bool) -> None:
    name = "EXPN" if expand else "VRFY"
    owed = s.slow_down("vrfy", DEFAULT_VRFY_LIMIT, now=False)
    if owed is None:
        return
    privacy = s.settings.privacy
    if (not expand and "novrfy" in privacy) or (expand and not s.features.expn):
        if expand:
            s.reply(NOT_ALLOWED)
        else:
            s.reply("252 2.5.2 Cannot VRFY user; try RCPT to attempt delivery "
                    "(or try finger)")
        s.syslog(5, f"{s.client_label}: {shortenstring(line, MAXSHORTSTR)} [rejected]")
        return
    if not s.gothello and ("needexpnhelo" if expand else "needvrfyhelo") in privacy:
        s.error("503 5.0.0 I demand that you introduce yourself first")
        return
    s.syslog(5, f"{s.client_label}: {shortenstring(line, MAXSHORTSTR)}")
    found: list[Verified] = []
    if not arg:
        s.error("501 5.5.2 Argument required")
    elif s.policy.check("check_expn" if expand else "check_vrfy", arg):
        found = _send_to_list(s, arg, "expn" if expand else "vrfy")
    s.pause(owed)
    if s.failed:
        return
    if not found:
        s.error(f"554 5.5.2 Nothing to {name}")
        return
    for i, item in enumerate(found):
        s.reply(vrfy_line(s, item, last=i == len(found) - 1, vrfy=not expand))


def _send_to_list(s: "Session", text: str, purpose: str) -> list[Verified]:
    """sendtolist: each address of a comma-separated list, parsed and looked up."""
    found: list[Verified] = []
    rest = text
    while rest:
        rest = rest.lstrip(" \t\n\v\f\r,")
        if not rest:
            break
        _, end = prescan(rest, ",", s.policy.env.tables.external)
        piece, rest = rest[:end], rest[end + 1:]
        address = s.policy.parse_recipient(piece)
        if address is None or address.bad or s.failed:
            continue
        answer = s.hooks.recipient(s.info(), RecipientCheck(piece, address, purpose))
        if answer.error:
            s.error(answer.error, piece)
            continue
        found.extend(answer.expansion or (Verified(address),))
    s.policy.env.to = None
    return found


def vrfy_line(s: "Session", item: Verified, last: bool, vrfy: bool) -> str:
    """printvrfyaddr: 252 for VRFY unless the mailer says 250 (flag q); a local user
    gets this host's name."""
    address = item.address
    mailer = s.runtime.config.mailer(address.mailer)
    code = "252" if vrfy and mailer is not None and not mailer.has("q") else "250"
    rfc822 = mailer is None or mailer.addrtype is None or mailer.addrtype.lower() == "rfc822"
    shown = address.user if "@" in address.user or not rfc822 else \
        f"{address.user}@{s.hostname}"
    text = f"<{shown}>" if item.fullname is None else f"{item.fullname} <{shown}>"
    return f"{code}{' ' if last else '-'}2.1.5 {text}"


def etrn(s: "Session", arg: str, line: str) -> None:
    if not s.features.etrn or not s.may_run_queue:
        s.reply(NOT_ALLOWED)
        s.syslog(5, f"{s.client_label}: {shortenstring(line, MAXSHORTSTR)} [rejected]")
        return
    if not arg:
        s.error("500 5.5.2 Parameter required")
        return
    if s.slow_down("etrn", DEFAULT_ETRN_LIMIT) is None:
        return
    if not s.policy.check("check_etrn", arg) or s.failed:
        return
    s.syslog(5, f"{s.client_label}: ETRN {shortenstring(arg, MAXSHORTSTR)}")
    if arg.startswith("#"):
        group = arg[1:]
        if not any(q.name == group for q in s.runtime.config.queues):
            s.error(f"459 4.5.4 Queue {group} unknown")
            return
        if s.hooks.queue_run(s.info(), arg) and not s.failed:
            s.reply(f"250 2.0.0 Queuing for queue group {group} started")
        return
    target = arg[1:] if arg.startswith("@") else "@" + arg
    if s.hooks.queue_run(s.info(), target) and not s.failed:
        s.reply(f"250 2.0.0 Queuing for node {arg} started")


def help(s: "Session", arg: str, line: str) -> None:
    """The HelpFile's entries for the topic (smtp when none is given)."""
    topic = arg.lower() if arg else "smtp"
    entries = find_help(s.settings.help_file, topic, s.policy.expand_dollars)
    if entries is None:
        s.reply(f"502 5.3.0 monomail {__version__} -- HELP not implemented")
        return
    if entries.texts and entries.version < HELP_VERSION and not arg:
        s.reply(f"214-2.0.0 This is monomail version {__version__}")
    for text in entries.texts:
        s.reply(f"214-2.0.0 {text}")
    if entries.texts:
        s.reply("214 2.0.0 End of HELP info")
    else:
        s.reply(f'504 5.3.0 HELP topic "{topic[:10]}" unknown')
    if 0 <= entries.version < HELP_VERSION:
        s.syslog(1, f"{s.settings.help_file} too old (require version {HELP_VERSION})",
                 LOG_WARNING)


def noop(s: "Session", arg: str, line: str) -> None:
    if s.slow_down("noop", s.settings.max_noop) is None:
        return
    if s.check_other(line, "2"):
        s.reply("250 2.0.0 OK")


def verb(s: "Session", arg: str, line: str) -> None:
    """VERB asks for delivery in the foreground with a transcript; monomail records
    the wish for the delivery stage and answers as sendmail does."""
    if not (s.features.expn and s.features.verb):
        s.reply("502 5.7.0 Verbose unavailable")
        return
    if s.slow_down("noop", s.settings.max_noop) is None:
        return
    if s.check_other(line, "2"):
        s.verbose = True
        s.reply("250 2.0.0 Verbose mode")


def auth(s: "Session", arg: str, line: str) -> None:
    s.reply("503 5.3.3 AUTH not available")


def starttls(s: "Session", arg: str, line: str) -> None:
    if arg:
        s.reply("501 5.5.2 Syntax error (no parameters allowed)")
    else:
        s.reply("503 5.5.0 TLS not available")


def bogus(s: "Session", arg: str, line: str) -> None:
    """Debugging commands of old sendmails: logged as a probe, then unknown."""
    from monomail.smtpd.session import unknown
    s.syslog(0, f'"{line.split(None, 1)[0].lower()}" command from {s.client_label} '
                f"({s.client.addr[:100]})", LOG_CRIT)
    unknown(s, arg, line)
