"""Why a delivery did not happen, in the three forms the rest of monomail shows it: the
SMTP reply code, the RFC 3463 status code (replies, the log's dsn=, DSN Status:) and
sendmail's own words.  One table, so that a cause is named the same everywhere.

Also here: what sendmail derives from a mailer's exit code (markfailure, sm_sysexmsg,
exitstat) and from a bare SMTP reply code (smtptodsn), and the texts of the queue
timeouts (Timeout.queuewarn, Timeout.queuereturn) from envelope.c.
"""

from __future__ import annotations

from dataclasses import dataclass

from monomail import sysexits as ex
from monomail.log.fields import pintvl


@dataclass(frozen=True)
class Cause:
    """One reason, as an SMTP reply: str() is "550 5.1.1 User unknown"."""

    reply: int
    status: str
    text: str

    def __str__(self) -> str:
        return f"{self.reply} {self.status} {self.text}"

    @property
    def permanent(self) -> bool:
        return self.status.startswith("5")


UNKNOWN_USER = Cause(550, "5.1.1", "User unknown")
HOST_UNKNOWN = Cause(550, "5.1.2", "Host unknown")
NO_ANSWER = Cause(451, "4.4.1", "Connection timed out")
CONNECTION_REFUSED = Cause(451, "4.4.1", "Connection refused")
ROUTING_LOOP = Cause(554, "5.4.6", "Too many hops")
ALIAS_LOOP = Cause(554, "5.4.6", "aliasing/forwarding loop broken")
MAILBOX_FULL = Cause(452, "4.2.2", "Mailbox full")
POLICY = Cause(550, "5.7.1", "Access denied")
RELAYING_DENIED = Cause(550, "5.7.1", "Relaying denied")
EXPIRED_STATUS = "4.4.7"


def too_big(limit: int) -> Cause:
    """A mailer's or the next hop's size limit (deliver.c; 5.2.3 for a local mailer)."""
    return Cause(552, "5.3.4", f"Message is too large; {limit} bytes max")


def exceeds_max_message_size(limit: int) -> Cause:
    """MaxMessageSize, at SIZE= or while the data arrives (collect.c)."""
    return Cause(552, "5.2.3", f"Message exceeds maximum fixed size ({limit})")


# --- mailer exit codes ----------------------------------------------------------------

# libsm's sm_sysexmsg: the reply sendmail gives for each sysexits value.
_SYSEXIT_CAUSES = {
    ex.EX_USAGE: Cause(500, "5.0.0", "Command line usage error"),
    ex.EX_DATAERR: Cause(501, "5.6.0", "Data format error"),
    ex.EX_NOINPUT: Cause(550, "5.3.0", "Cannot open input"),
    ex.EX_NOUSER: UNKNOWN_USER,
    ex.EX_NOHOST: HOST_UNKNOWN,
    ex.EX_UNAVAILABLE: Cause(554, "5.0.0", "Service unavailable"),
    ex.EX_SOFTWARE: Cause(554, "5.3.0", "Internal error"),
    ex.EX_OSERR: Cause(451, "4.0.0", "Operating system error"),
    ex.EX_OSFILE: Cause(554, "5.3.5", "System file missing"),
    ex.EX_CANTCREAT: Cause(550, "5.0.0", "Can't create output"),
    ex.EX_IOERR: Cause(451, "4.0.0", "I/O error"),
    ex.EX_TEMPFAIL: Cause(450, "4.0.0", "Deferred"),
    ex.EX_PROTOCOL: Cause(554, "5.5.0", "Remote protocol error"),
    ex.EX_NOPERM: Cause(550, "5.0.0", "Insufficient permission"),
    ex.EX_CONFIG: Cause(554, "5.3.5", "Local configuration error"),
}

# markfailure's status for an exit code when neither the mailer nor the envelope gave one
_EXIT_STATUS = {
    ex.EX_USAGE: "5.5.4", ex.EX_DATAERR: "5.5.2", ex.EX_NOUSER: "5.1.1",
    ex.EX_NOHOST: "5.1.2", ex.EX_NOINPUT: "5.3.0", ex.EX_CANTCREAT: "5.3.0",
    ex.EX_NOPERM: "5.3.0", ex.EX_UNAVAILABLE: "5.5.0", ex.EX_SOFTWARE: "5.5.0",
    ex.EX_OSFILE: "5.5.0", ex.EX_PROTOCOL: "5.5.0", ex.EX_CONFIG: "5.5.0",
    ex.EX_OSERR: "4.5.0", ex.EX_IOERR: "4.5.0", ex.EX_TEMPFAIL: "4.2.0",
}
_QUEUED_EXITS = (ex.EX_TEMPFAIL, ex.EX_IOERR, ex.EX_OSERR)


def sysexit_cause(code: int) -> Cause | None:
    """The reply sendmail gives for a sysexits value (None for other numbers)."""
    return _SYSEXIT_CAUSES.get(code)


def exit_status(code: int) -> str | None:
    """The DSN status markfailure gives a recipient whose mailer exited with `code`."""
    return _EXIT_STATUS.get(code)


def exit_is_deferral(code: int) -> bool:
    """Exit codes after which the recipient stays queued rather than failing."""
    return code in _QUEUED_EXITS


def exit_text(diagnostic: str) -> str:
    """sendmail's exitstat: a Diagnostic-Code that is a bare exit number ("67", as
    X-Unix mailers report it) shown as its words ("User unknown"); anything else as is."""
    if diagnostic.isdigit():
        cause = _SYSEXIT_CAUSES.get(int(diagnostic))
        if cause is not None:
            return cause.text
    return diagnostic


def smtp_to_dsn(reply: int) -> str:
    """sendmail's smtptodsn: a status for an SMTP reply that carried no enhanced code."""
    specific = {450: "4.2.0", 451: "4.3.0", 452: "4.3.1", 500: "5.5.2", 501: "5.5.4",
                502: "5.5.1", 503: "5.5.1", 504: "5.5.4", 550: "5.2.0", 551: "5.1.6",
                552: "5.2.2", 553: "5.1.0", 554: "5.0.0"}
    if reply < 0:
        return "4.4.2"
    if reply in specific:
        return specific[reply]
    return {2: "2.0.0", 4: "4.0.0"}.get(reply // 100, "5.0.0")


# --- queue timeouts -----------------------------------------------------------------------

def warning_message(warn_after: int) -> str:
    """The subject (and log text) of a delay warning after Timeout.queuewarn."""
    return f"Warning: could not send message for past {pintvl(warn_after, brief=False)}"


def warning_transcript(warn_after: int, return_after: int) -> tuple[str, ...]:
    """The lines a delay warning adds to the message's transcript."""
    return (f"Warning: message still undelivered after {pintvl(warn_after, brief=False)}",
            f"Will keep trying until message is {pintvl(return_after, brief=False)} old")


def expiry_message(return_after: int) -> str:
    """The log text when Timeout.queuereturn returns a message (status EXPIRED_STATUS)."""
    return f"Cannot send message for {pintvl(return_after, brief=False)}"


def expiry_transcript(return_after: int) -> tuple[str, ...]:
    """The lines a returned, expired message adds to its transcript."""
    return (f"Message could not be delivered for {pintvl(return_after, brief=False)}",
            "Message will be deleted from queue")
