"""The text of sendmail's log lines, key for key, so log analysers read monomail's logs.

Pure functions: each returns the message part of one or more syslog lines (what follows
"QID: ").  The layouts, field limits and truncations are those of sendmail 8.17's
logsender (headers.c), logdelivery (deliver.c) and rscheck (parseaddr.c) for a system
whose syslog buffer is 1024 bytes, as on Linux.
"""

from __future__ import annotations

from dataclasses import dataclass

from monomail.clib import shortenstring

SYSLOG_BUFSIZE = 1024
MAXLINE = 2048
FIRSTLOGLEN = 850                       # logsender's cut of everything before relay=
MSGIDLOGLEN = 100
ENHSCLEN = 10                           # longest enhanced status code
STATLEN = min(max((SYSLOG_BUFSIZE - 100) // 4, 63), 203)


def pintvl(seconds: int, brief: bool = True) -> str:
    """sendmail's interval printer: brief `1+02:03:04`, else `1 day, 2 hours`;
    "too long" for convtime's NOW (-1), as in a queue return's words."""
    if seconds == -1 and not brief:
        return "too long"
    seconds = max(seconds, 0)
    se, mi, hr = seconds % 60, seconds // 60 % 60, seconds // 3600 % 24
    days = seconds // 86400
    if brief:
        return (f"{days}+" if days else "") + f"{hr:02d}:{mi:02d}:{se:02d}"
    if seconds == 0:
        return "zero seconds"
    parts = [(days // 7, "week"), (days % 7, "day"), (hr, "hour"), (mi, "minute"), (se, "second")]
    return ", ".join(f"{n} {word}{'' if n == 1 else 's'}" for n, word in parts if n > 0)


@dataclass(frozen=True)
class SenderRecord:
    """What logsender prints when a message is queued."""

    sender: str | None          # q_paddr, e.g. "<joe@example.com>"; None -> <NONE>
    size: int
    nrcpts: int
    relay: str                  # $_ or "host [addr]" as the caller determined it
    msg_class: int = 0
    msgid: str | None = None
    bodytype: str | None = None
    proto: str | None = None    # $r
    daemon: str | None = None   # ${daemon_name}


def sender_line(rec: SenderRecord) -> str:
    """`from=<a@b>, size=N, class=0, nrcpts=N, msgid=<..>, proto=ESMTP, daemon=MTA, relay=..`"""
    text = (f"from={(rec.sender if rec.sender is not None else '<NONE>')[:200]}, "
            f"size={max(rec.size, 0)}, class={rec.msg_class}, nrcpts={rec.nrcpts}")
    if rec.msgid is not None:
        text += f", msgid={rec.msgid[:MSGIDLOGLEN]}"
    if rec.bodytype is not None:
        text += f", bodytype={rec.bodytype[:20]}"
    if rec.proto is not None:
        text += f", proto={rec.proto[:20]}"
    if rec.daemon is not None:
        text += f", daemon={rec.daemon[:20]}"
    return f"{text[:FIRSTLOGLEN]}, relay={rec.relay}"


@dataclass(frozen=True)
class DeliveryRecord:
    """What logdelivery prints for one delivery attempt of one or more recipients."""

    to: str                         # e_to: the recipients, comma separated
    delay: int                      # seconds since the message was queued
    stat: str                       # "Sent (...)", "Deferred: ...", "User unknown", ...
    mailer: str | None = None
    pri: int = 0
    xdelay: int | None = None       # seconds this attempt took, when there was one
    ctladdr: str | None = None
    ctl_ids: tuple[int, int] | None = None   # (uid, gid) of the controlling user
    relay: str | None = None        # the host connected to, or for local mailers $h
    relay_addr: str | None = None   # its IP address, when there was a connection
    dsn: str | None = None
    reply: str | None = None        # the remote server's reply on failure


def delivery_lines(rec: DeliveryRecord) -> list[str]:
    """`to=<x>, delay=.., xdelay=.., mailer=.., pri=.., relay=.., dsn=.., stat=..`; a long
    to= list is split at commas into lines ending " [more]", as sendmail does."""
    tail = ""
    if rec.ctladdr is not None:
        tail += f", ctladdr={shortenstring(rec.ctladdr, 83)}"
        if rec.ctl_ids is not None:
            tail += f" ({rec.ctl_ids[0]}/{rec.ctl_ids[1]})"
    tail += f", delay={pintvl(rec.delay)}"
    if rec.xdelay is not None:
        tail += f", xdelay={pintvl(rec.xdelay)}"
    if rec.mailer is not None:
        tail += f", mailer={rec.mailer}"
    tail += f", pri={max(rec.pri, 0)}"
    if rec.relay:
        tail += f", relay={shortenstring(rec.relay, 40)}"
        if rec.relay_addr:
            tail += f" [{rec.relay_addr}]"
    if rec.dsn:
        tail += f", dsn={shortenstring(rec.dsn, ENHSCLEN)}"
    if rec.reply:
        tail += f", reply={shortenstring(rec.reply, STATLEN)}"
    if len(tail) > 1024 - (STATLEN + 20):
        tail = tail[:1024 - (STATLEN + 17)] + "..."
    tail += f", stat={shortenstring(rec.stat, STATLEN)}"
    return _split_to(rec.to or "NO-TO-LIST", tail)


def _split_to(to: str, tail: str) -> list[str]:
    room = max(SYSLOG_BUFSIZE - 100 - len(tail), 0)
    lines = []
    while len(to) >= room:
        cut = to.rfind(",", 0, room + 1)
        if cut <= 0:
            break
        lines.append(f"to={to[:cut + 1]} [more]{tail}")
        to = to[cut + 1:]
    lines.append(f"to={to[:room]}{tail}")
    return lines


def policy_line(ruleset: str, arg1: str, outcome: str, arg2: str | None = None,
                relay: str | None = None) -> str:
    """A policy ruleset's verdict as rscheck logs it; `outcome` is `reject=550 5.7.1 ...`,
    `discard` or `quarantine=reason`:
    `ruleset=check_rcpt, arg1=<x>, relay=host [1.2.3.4], reject=550 5.7.1 <x>... Relaying denied`"""
    text = f"ruleset={ruleset}, arg1={arg1}"
    if arg2 is not None:
        text += f", arg2={arg2}"
    if relay is not None:
        text += f", relay={relay}"
    return f"{text}, {outcome}"
