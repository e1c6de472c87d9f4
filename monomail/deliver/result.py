"""What one delivery attempt did to each recipient, in the terms sendmail records.

sendmail keeps a recipient's outcome in its ADDRESS (q_state, q_status, q_rstatus,
q_statmta) and prints it through giveresponse/logdelivery.  `DeliveryResult` is that
record; `Decision` is one giveresponse call: the recipients it covers (all those sent in
one transaction share one, as they share one `to=a,b,c ... stat=Sent` log line), and
`DeliveryReport` is what one delivery (one batch) hands back, with the error transcript
that goes into a bounce ("Transcript of session follows").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from monomail import sysexits as ex
from monomail.dsn.causes import Cause, exit_is_deferral, exit_status, sysexit_cause

if TYPE_CHECKING:
    from .router import Recipient

def exit_text(rcode: int) -> str:
    """The words of sm_sysexmsg for an exit status ("User unknown", "Deferred")."""
    cause = sysexit_cause(rcode)
    return cause.text if cause is not None else f"unknown mailer error {rcode}"


def sysexit(rcode: int) -> Cause:
    """An exit status's reply, status and words (sendmail's sm_sysexmsg entry)."""
    return sysexit_cause(rcode) or Cause(554, "5.3.0", f"unknown mailer error {rcode}")


def default_status(rcode: int) -> str:
    """markfailure's DSN status for an exit status when nothing more specific is known."""
    return exit_status(rcode) or "5.0.0"


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
    "reason:" line, e.g. "552 5.3.4 Message is too large; 1000 bytes max"); log_status the
    `dsn=` of the log line when it is not `status` (giveresponse takes it from the reply
    text where markfailure used its own default).
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
    log_status: str | None = None

    @property
    def state(self) -> str:
        """"sent", "deferred" (keep it queued), "failed" (bounce) or "discarded"."""
        if self.discarded:
            return "discarded"
        if self.rcode == ex.EX_OK:
            return "sent"
        return "deferred" if exit_is_deferral(self.rcode) else "failed"


@dataclass(frozen=True)
class Decision:
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

    outcomes: list[Decision] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)  # other lines sendmail would syslog

    def result_of(self, recipient: "Recipient") -> DeliveryResult | None:
        """The latest verdict for a recipient (a 4xx from one MX host can be followed
        by a success at the next)."""
        for outcome in reversed(self.outcomes):
            if any(r is recipient for r in outcome.recipients):
                return outcome.result
        return None


def response_lines(result: DeliveryResult, who: str) -> list[str]:
    """What giveresponse leaves in the error transcript for a verdict about `who`: a
    deferral as "who... Deferred: ...", a failure as sendmail's own reason (if any) and
    usrerr's "550 5.1.1 who... User unknown"; a success leaves nothing."""
    if result.rcode == ex.EX_OK:
        return []
    if result.rcode == ex.EX_TEMPFAIL:
        return [f"{who}... {result.text}"]
    cause = sysexit(result.rcode)
    return ([result.message] if result.message else []) + [
        f"{cause.reply} {cause.status} {who}... {result.text}"]
