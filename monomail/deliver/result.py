"""What one delivery attempt did to each recipient, in the terms sendmail records.

sendmail keeps a recipient's outcome in its ADDRESS (q_state, q_status, q_rstatus,
q_statmta) and prints it through giveresponse/logdelivery.  `DeliveryResult` is that
record; `Outcome` is one giveresponse call: the recipients it covers (all those sent in
one transaction share one, as they share one `to=a,b,c ... stat=Sent` log line), and
`DeliveryReport` is what one delivery (one batch) hands back, with the error transcript
that goes into a bounce ("Transcript of session follows").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from monomail import sysexits as ex

if TYPE_CHECKING:
    from .router import Recipient

# libsm's sm_sysexmsg: reply code, DSN code and text per exit status; a leading ':' means
# sendmail appends the errno text when there is one
EXIT_MESSAGES = {
    ex.EX_USAGE: " 500 5.0.0 Command line usage error",
    ex.EX_DATAERR: " 501 5.6.0 Data format error",
    ex.EX_NOINPUT: ":550 5.3.0 Cannot open input",
    ex.EX_NOUSER: " 550 5.1.1 User unknown",
    ex.EX_NOHOST: " 550 5.1.2 Host unknown",
    ex.EX_UNAVAILABLE: " 554 5.0.0 Service unavailable",
    ex.EX_SOFTWARE: ":554 5.3.0 Internal error",
    ex.EX_OSERR: ":451 4.0.0 Operating system error",
    ex.EX_OSFILE: ":554 5.3.5 System file missing",
    ex.EX_CANTCREAT: ":550 5.0.0 Can't create output",
    ex.EX_IOERR: ":451 4.0.0 I/O error",
    ex.EX_TEMPFAIL: " 450 4.0.0 Deferred",
    ex.EX_PROTOCOL: " 554 5.5.0 Remote protocol error",
    ex.EX_NOPERM: ":550 5.0.0 Insufficient permission",
    ex.EX_CONFIG: " 554 5.3.5 Local configuration error",
}

# markfailure's status when nothing more specific is known
DEFAULT_STATUS = {
    ex.EX_USAGE: "5.5.4", ex.EX_DATAERR: "5.5.2", ex.EX_NOUSER: "5.1.1",
    ex.EX_NOHOST: "5.1.2", ex.EX_NOINPUT: "5.3.0", ex.EX_CANTCREAT: "5.3.0",
    ex.EX_NOPERM: "5.3.0", ex.EX_UNAVAILABLE: "5.5.0", ex.EX_SOFTWARE: "5.5.0",
    ex.EX_OSFILE: "5.5.0", ex.EX_PROTOCOL: "5.5.0", ex.EX_CONFIG: "5.5.0",
    ex.EX_OSERR: "4.5.0", ex.EX_IOERR: "4.5.0", ex.EX_TEMPFAIL: "4.2.0",
}

TEMPORARY = frozenset({ex.EX_TEMPFAIL, ex.EX_IOERR, ex.EX_OSERR})


def exit_text(rcode: int) -> str:
    """The text of sm_sysexmsg without its codes ("User unknown", "Deferred")."""
    message = EXIT_MESSAGES.get(rcode)
    return message[11:] if message else f"unknown mailer error {rcode}"


@dataclass(frozen=True)
class DeliveryResult:
    """One recipient's outcome of one attempt.

    rcode is the sysexits value (EX_OK sent, EX_TEMPFAIL/IOERR/OSERR stays queued, any
    other fails); status the RFC 3463 code for the DSN and `dsn=`; text what sendmail
    prints and logs as `stat=` ("Sent (...)", "Deferred: Connection refused by x",
    "User unknown"); reply the remote server's own reply line (q_rstatus: the DSN's
    Diagnostic-Code and the log's `reply=`); remote_mta the host talked to (DSN
    Remote-MTA); relay_host/relay_addr the `relay=host [addr]` of the log line;
    message sendmail's own explanation when no server replied (q_message: a bounce's
    "reason:" line, e.g. "552 5.3.4 Message is too large; 1000 bytes max").
    """

    rcode: int
    status: str
    text: str
    reply: str | None = None
    remote_mta: str | None = None
    relay_host: str | None = None
    relay_addr: str | None = None
    message: str | None = None
    discarded: bool = False

    @property
    def state(self) -> str:
        """"sent", "deferred" (keep it queued), "failed" (bounce) or "discarded"."""
        if self.discarded:
            return "discarded"
        if self.rcode == ex.EX_OK:
            return "sent"
        return "deferred" if self.rcode in TEMPORARY else "failed"


@dataclass(frozen=True)
class Outcome:
    """One verdict for some recipients: one `to=` log line.

    relayed lists those recipients that asked for NOTIFY=SUCCESS but went to a peer
    without DSN: their success DSN says "relayed" ("expect no further notifications").
    """

    recipients: tuple["Recipient", ...]
    result: DeliveryResult
    xdelay: float = 0.0
    relayed: tuple["Recipient", ...] = ()


@dataclass
class DeliveryReport:
    """Everything one delivery (one batch) decided, in the order sendmail reports it:
    the outcomes (later ones supersede earlier ones for the same recipient), the error
    transcript for bounces, and other log lines ("timeout waiting for input from ...")."""

    outcomes: list[Outcome] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)  # other lines sendmail would syslog

    def result_of(self, recipient: "Recipient") -> DeliveryResult | None:
        """The latest verdict for a recipient (a 4xx from one MX host can be followed
        by a success at the next)."""
        for outcome in reversed(self.outcomes):
            if any(r is recipient for r in outcome.recipients):
                return outcome.result
        return None
