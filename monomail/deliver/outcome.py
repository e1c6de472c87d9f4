"""How a delivery ended, in the three forms sendmail keeps: exit status, DSN status, log text.

sendmail turns a mailer's sysexits status into the recipient's DSN status (markfailure),
and into the `dsn=` and `stat=` of its log line (giveresponse). Every agent in this package
returns an Outcome per recipient, so the router, the queue and the DSN stage need not know
which agent ran.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass

from monomail import sysexits as ex
from monomail.dsn.status import dsn_to_exit
from monomail.sysexits import sysexmsg

# markfailure: the statuses that leave a recipient in the queue for another try
RETRY_EXITS = frozenset({ex.EX_TEMPFAIL, ex.EX_IOERR, ex.EX_OSERR})

# markfailure's DSN status when nothing more specific is known (a program's exit status)
_MARKFAILURE_STATUS = {
    ex.EX_USAGE: "5.5.4", ex.EX_DATAERR: "5.5.2", ex.EX_NOUSER: "5.1.1",
    ex.EX_NOHOST: "5.1.2", ex.EX_NOINPUT: "5.3.0", ex.EX_CANTCREAT: "5.3.0",
    ex.EX_NOPERM: "5.3.0", ex.EX_UNAVAILABLE: "5.5.0", ex.EX_SOFTWARE: "5.5.0",
    ex.EX_OSFILE: "5.5.0", ex.EX_PROTOCOL: "5.5.0", ex.EX_CONFIG: "5.5.0",
    ex.EX_OSERR: "4.5.0", ex.EX_IOERR: "4.5.0", ex.EX_TEMPFAIL: "4.2.0",
}

# errors that may go away, so the message stays queued: sendmail's transienterror and
# mail.local's e_to_sys together
TRANSIENT_ERRNOS = frozenset(getattr(errno, name) for name in (
    "EIO", "ENXIO", "EAGAIN", "ENOMEM", "ENODEV", "ENFILE", "EMFILE", "ENOSPC", "ETIMEDOUT",
    "ESTALE", "ENETDOWN", "ENETUNREACH", "ENETRESET", "ECONNABORTED", "ECONNRESET",
    "ENOBUFS", "ESHUTDOWN", "ECONNREFUSED", "EHOSTDOWN", "EHOSTUNREACH", "EDQUOT", "EUSERS",
    "EDEADLK", "EISCONN", "EINPROGRESS", "EALREADY", "EADDRINUSE", "EADDRNOTAVAIL", "ETXTBSY",
    "ENOSR", "EBUSY", "EFBIG", "EROFS") if hasattr(errno, name))

# the mailbox or its file system is full: a temporary "mailbox full" (RFC 3463 X.2.2)
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


@dataclass(frozen=True)
class Outcome:
    """One recipient's result.

    `exit` is the sysexits status (EX_OK delivered; see `retry`); `dsn` the recipient's
    RFC 3463 status that delay and failure reports carry (sendmail's q_status); `log_dsn`
    and `text` the `dsn=` and `stat=` of sendmail's log line; `transcript` what the agent
    or program said, for the transcript part of a bounce."""

    exit: int
    dsn: str
    text: str
    log_dsn: str
    transcript: str = ""

    @property
    def ok(self) -> bool:
        return self.exit == ex.EX_OK

    @property
    def retry(self) -> bool:
        """The recipient stays queued (markfailure's QS_QUEUEUP)."""
        return self.exit in RETRY_EXITS


def delivered(detail: str = "") -> Outcome:
    return Outcome(ex.EX_OK, "2.0.0", f"Sent ({detail})" if detail else "Sent", "2.0.0")


def from_exit(status: int, transcript: str = "", detail: str = "") -> Outcome:
    """What sendmail makes of a mailer's exit status: the recipient's DSN status from
    markfailure's table, the log's from the status's own message (giveresponse).  A
    program gives no `detail`; in-process agents name the reason there."""
    if status == ex.EX_OK:
        return Outcome(ex.EX_OK, "2.0.0", "Sent", "2.0.0", transcript)
    message = sysexmsg(status)
    if message is None:
        return Outcome(ex.EX_UNAVAILABLE, "5.5.0", f"unknown mailer error {status}", "5.3.0",
                       transcript)
    return Outcome(status, _MARKFAILURE_STATUS[status], stat_text(status, detail),
                   message[5:10], transcript)


def failure(reply: str, detail: str, errnum: int = 0, exit: int | None = None) -> Outcome:
    """A failure the agent itself describes, as mail.local does: `reply` is its "450 4.2.0"
    style code, `detail` the message.  An errno that may go away makes it temporary;
    ENOSPC and EDQUOT are the temporary "mailbox full" 4.2.2."""
    code, _, dsn = reply.partition(" ")
    if errnum in FULL_ERRNOS:
        dsn = "4.2.2"
    elif errnum in TRANSIENT_ERRNOS or code.startswith("4"):
        dsn = "4" + dsn[1:]
    if dsn.startswith("4"):
        exit = ex.EX_TEMPFAIL
    elif exit is None:
        exit = dsn_to_exit(dsn)
        exit = ex.EX_UNAVAILABLE if exit in RETRY_EXITS else exit
    line = f"{code if dsn[0] == code[:1] else dsn[0] + code[1:]} {dsn} {detail}"
    return Outcome(exit, dsn, stat_text(exit, detail), dsn, line)


def stat_text(status: int, detail: str) -> str:
    """giveresponse's text: "Deferred: why" for a temporary failure, else the status's
    own words with the agent's reason in parentheses (as for an LMTP reply)."""
    if status == ex.EX_TEMPFAIL:
        return f"Deferred: {detail}" if detail else "Deferred"
    message = sysexmsg(status)
    words = message[11:] if message else f"unknown mailer error {status}"
    return f"{words} ({detail})" if detail and detail != words else words


def os_failure(reply: str, what: str, error: OSError, exit: int | None = None) -> Outcome:
    """failure() for an OSError: "what: strerror" as mail.local words it."""
    return failure(reply, f"{what}: {os.strerror(error.errno or 0)}", error.errno or 0, exit)


def combined(outcomes: list[Outcome]) -> Outcome:
    """One status for a whole batch, as a mailer without F=z reports it (mail.local's rule:
    any temporary failure makes all temporary, else any permanent one makes all fail)."""
    for outcome in outcomes:
        if outcome.retry:
            return outcome
    for outcome in outcomes:
        if not outcome.ok:
            return outcome
    return outcomes[0] if outcomes else delivered()
