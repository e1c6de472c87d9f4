"""Who gets a delivery status notification, and when: sendmail 8.17's rules as pure
functions (envelope.c dropenvelope, savemail.c savemail, headers.c eatheader).

After each delivery run over a message, plan() looks at its recipients and answers:
which recipients expired (Timeout.queuereturn), whether a delay warning is due
(Timeout.queuewarn, once), and which reports go out.  One run gives at most one report
to the sender covering every recipient that has something to say (failures, delays,
and successes asked for with NOTIFY=SUCCESS), as sendmail does; a return receipt only
when nothing failed or was delayed in that run.  Reports are sent with the null
envelope sender; a report about a message with the null sender goes to the postmaster
(DoubleBounceAddress), and a report about a postmaster report is dropped with a log
line, so nothing loops.

For command-line submissions ErrorMode decides whether the sender report is mailed,
written to the terminal or saved in dead.letter: first_step() and next_step() are
savemail's state machine.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Mapping

from monomail import sysexits as ex
from monomail.config.option_values import NOW
from monomail.dsn.causes import (EXPIRED_STATUS, exit_text, expiry_message, expiry_transcript,
                                 warning_message, warning_transcript)
from monomail.dsn.report import (OriginalMessage, Outcome, RecipientStatus, ReportRequest,
                                 unbracketed)

RECEIPT_MESSAGE = "Return receipt"
DEFAULT_FAILURE_MESSAGE = "Unable to deliver mail"       # returntosender's word for none
DOUBLE_BOUNCE_DROPPED = "double bounce dropped"


class Origin(enum.Enum):
    """Where a message came from, as far as reports are concerned; the queue keeps it
    (sendmail's qf flag "r")."""

    MESSAGE = "message"                     # anything a sender submitted
    REPORT = "report"                       # a report monomail sent to a sender
    POSTMASTER_REPORT = "postmaster-report"  # a double bounce or PostmasterCopy


class ErrorMode(str, enum.Enum):
    """ErrorMode (-oe?): what a command-line submission does with its errors."""

    PRINT = "p"
    QUIET = "q"
    MAIL = "m"
    WRITE = "w"
    BERKNET = "e"


class Step(enum.Enum):
    """savemail's states: the ways of getting an error report to someone."""

    WRITE_TERMINAL = "write to the sender's terminal"
    DEAD_LETTER = "save in ~/dead.letter"
    MAIL_SENDER = "mail the report"
    MAIL_POSTMASTER = "mail the report to DoubleBounceAddress"
    DEAD_LETTER_DROP = "append to DeadLetterDrop"
    PANIC = "keep the queue files"


@dataclass(frozen=True)
class Timeouts:
    """Timeout.queuewarn and Timeout.queuereturn for the message's class, in seconds
    (timeout_class() picks the class).  warn_after 0: no warnings; return_after NOW:
    return at once."""

    warn_after: int
    return_after: int


@dataclass(frozen=True)
class ReportSettings:
    """The options that shape reports."""

    postmaster_copy: str | None = None          # PostmasterCopy
    double_bounce_address: str = "postmaster"   # DoubleBounceAddress; "" drops them
    no_receipts: bool = False                   # PrivacyOptions=noreceipts
    no_body_return: bool = False                # PrivacyOptions=nobodyreturn


@dataclass(frozen=True)
class MessageState:
    """A message after a delivery run.  sender: the envelope sender ("" is <>).
    precedence: its class from Precedence: and the cf's P lines (precedence_class()).
    errors_to: the Errors-To: addresses when UseErrorsTo is set, else ().  too_big:
    over MaxMessageSize or a mailer's size limit, so its body is not returned.
    local_error: the run ended in EX_CONFIG or EX_SOFTWARE, which the postmaster
    should see too."""

    sender: str
    origin: Origin
    arrival: float
    recipients: tuple[RecipientStatus, ...]
    precedence: int = 0
    errors_to: tuple[str, ...] = ()
    ret: str | None = None
    too_big: bool = False
    warning_sent: bool = False
    local_error: bool = False


@dataclass(frozen=True)
class PlannedReport:
    """One report to send: report.ReportRequest's fields that policy decides."""

    to: tuple[str, ...]
    message: str
    postmaster: bool
    return_body: bool
    recipients: tuple[RecipientStatus, ...]


@dataclass(frozen=True)
class Plan:
    """What a delivery run leads to.  recipients: updated (expired ones FAILED with
    4.4.7, warned ones DELAYED).  transcript: lines to add to the run's transcript.
    sender_report: the report for the sender (or, when there is nobody to tell, for the
    postmaster).  remove: the message leaves the queue now (delivered, failed or
    expired).  log: messages for the log line of the message's queue id."""

    recipients: tuple[RecipientStatus, ...]
    transcript: tuple[str, ...] = ()
    sender_report: PlannedReport | None = None
    receipt: PlannedReport | None = None
    postmaster_copy: PlannedReport | None = None
    warning_sent: bool = False
    remove: bool = False
    log: tuple[str, ...] = ()

    @property
    def reports(self) -> tuple[PlannedReport, ...]:
        """Every report to mail when ErrorMode is m (daemon, queue runs, -oem)."""
        found = (self.sender_report, self.receipt, self.postmaster_copy)
        return tuple(r for r in found if r is not None)


# --- the header facts -----------------------------------------------------------------

def precedence_class(value: str | None, priorities: Mapping[str, int]) -> int:
    """priencode: the cf's P line for a Precedence: value (any case), 0 if none."""
    if value is None:
        return 0
    wanted = value.strip().lower()
    return next((n for name, n in priorities.items() if name.lower() == wanted), 0)


def timeout_class(precedence: int, priority: str | None = None, is_report: bool = False) -> str:
    """Which Timeout.queuewarn.* / queuereturn.* applies (eatheader): a negative class
    is non-urgent, a positive one urgent, a delivery report "dsn"; a Priority: header
    of urgent, normal or non-urgent overrides all."""
    chosen = "non-urgent" if precedence < 0 else "urgent" if precedence > 0 else "normal"
    if is_report:
        chosen = "dsn"
    if priority is not None and priority.strip().lower() in ("urgent", "normal", "non-urgent"):
        chosen = priority.strip().lower()
    return chosen


def return_body(ret: str | None, too_big: bool, precedence: int, settings: ReportSettings) -> bool:
    """Whether a report returns the whole message or only its header: RET=HDRS, a
    message too big to send (or to accept), a bulk/junk/list precedence and
    PrivacyOptions=nobodyreturn all keep the body back."""
    return not (ret == "HDRS" or too_big or precedence < 0 or settings.no_body_return)


def _local_part(address: str) -> str:
    bare = unbracketed(address)
    return bare.rpartition("@")[0] if "@" in bare else bare


def warnings_wanted(sender: str, origin: Origin, precedence: int) -> bool:
    """dropenvelope's test before a delay warning: not for reports, not for the null
    sender or MAILER-DAEMON, not for list traffic (a negative precedence, an owner-*
    or *-request sender).  sendmail compares its whole printable address, so "<owner-x@y>"
    slipped through; monomail compares the local part."""
    local = _local_part(sender).lower()
    return (origin is Origin.MESSAGE and precedence >= 0 and local != ""
            and local != "mailer-daemon" and not local.startswith("owner-")
            and not local.endswith("-request"))


# --- planning -------------------------------------------------------------------------------

_UNDELIVERED = (Outcome.QUEUED, Outcome.DELAYED)
_SUCCESSES = (Outcome.DELIVERED, Outcome.DELIVERED_TO_LIST, Outcome.RELAYED, Outcome.EXPANDED)


def plan(state: MessageState, timeouts: Timeouts, settings: ReportSettings, now: float,
         error_mode: ErrorMode = ErrorMode.MAIL) -> Plan:
    """dropenvelope: expiry, the delay warning, and the reports this run sends.
    DELAYED is this function's verdict, so a DELAYED recipient given counts as QUEUED."""
    recipients = tuple(replace(r, outcome=Outcome.QUEUED) if r.outcome is Outcome.DELAYED else r
                       for r in state.recipients)
    queued = any(r.outcome in _UNDELIVERED for r in recipients)
    expired = queued and (timeouts.return_after == NOW
                          or now >= state.arrival + timeouts.return_after)
    failure = any(r.wants("FAILURE") and (r.outcome is Outcome.FAILED or
                                          (expired and r.outcome in _UNDELIVERED))
                  for r in recipients)
    transcript: tuple[str, ...] = ()
    message = _failure_message(recipients)
    delayed = False
    if expired:
        if failure:
            message = expiry_message(timeouts.return_after)
        transcript = expiry_transcript(timeouts.return_after)
        recipients = tuple(replace(r, outcome=Outcome.FAILED, status=EXPIRED_STATUS)
                           if r.outcome in _UNDELIVERED else r for r in recipients)
    elif queued and 0 < timeouts.warn_after <= now - state.arrival:
        recipients, delayed = _warn(state, recipients)
        if delayed:
            message = warning_message(timeouts.warn_after)
        transcript = warning_transcript(timeouts.warn_after, timeouts.return_after)
    success = any(r.outcome in _SUCCESSES and r.wants("SUCCESS") for r in recipients)
    sender_report: PlannedReport | None = None
    log: tuple[str, ...] = ()
    if (failure or delayed) and error_mode is not ErrorMode.QUIET:
        sender_report, log = _sender_report(state, recipients, message, settings)
    receipt = None
    if success and not (failure or delayed):
        receipt = _receipt(state, recipients, settings)
    return Plan(
        recipients=recipients,
        transcript=transcript,
        sender_report=sender_report,
        receipt=receipt,
        postmaster_copy=_postmaster_copy(state, recipients, message, settings) if failure else None,
        warning_sent=state.warning_sent or delayed,
        remove=not any(r.outcome in _UNDELIVERED for r in recipients),
        log=log,
    )


def _warn(state: MessageState, recipients: tuple[RecipientStatus, ...]
          ) -> tuple[tuple[RecipientStatus, ...], bool]:
    """Mark the queued recipients that asked for DELAY notices, once per message."""
    if state.warning_sent or not warnings_wanted(state.sender, state.origin, state.precedence):
        return recipients, False
    marked = tuple(replace(r, outcome=Outcome.DELAYED)
                   if r.outcome is Outcome.QUEUED and r.wants("DELAY") else r for r in recipients)
    return marked, any(r.outcome is Outcome.DELAYED for r in marked)


def _failure_message(recipients: tuple[RecipientStatus, ...]) -> str:
    """The log's words for a failure: the first failed recipient's reason.  A reason
    that looks like another kind of report (a remote reply "Warning: ...") is not
    allowed to choose the Subject."""
    for r in recipients:
        if r.outcome is Outcome.FAILED and r.diagnostic:
            text = exit_text(r.diagnostic)
            if not text.startswith(("Warning:", "Postmaster warning:", RECEIPT_MESSAGE)):
                return text
    return DEFAULT_FAILURE_MESSAGE


def _unique(addresses: list[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address.strip().lower(), address)
    return tuple(seen.values())


def report_addresses(state: MessageState) -> tuple[str, ...]:
    """The error queue savemail mails: Errors-To (UseErrorsTo), the sender unless it
    is null, and the postmaster after a local software or configuration error."""
    found = list(state.errors_to)
    if _local_part(state.sender):
        found.append(state.sender)
    if state.local_error:
        found.append("postmaster")
    return _unique(found)


def _sender_report(state: MessageState, recipients: tuple[RecipientStatus, ...], message: str,
                   settings: ReportSettings) -> tuple[PlannedReport | None, tuple[str, ...]]:
    report = PlannedReport(
        to=report_addresses(state) if state.origin is Origin.MESSAGE else (),
        message=message,
        postmaster=False,
        return_body=return_body(state.ret, state.too_big, state.precedence, settings),
        recipients=recipients,
    )
    if report.to:
        return report, ()
    if state.origin is Origin.POSTMASTER_REPORT:
        return None, (DOUBLE_BOUNCE_DROPPED,)
    return to_postmaster(report, settings)


def to_postmaster(report: PlannedReport, settings: ReportSettings
                  ) -> tuple[PlannedReport | None, tuple[str, ...]]:
    """savemail's ESM_POSTMASTER: the report goes to DoubleBounceAddress, body and all;
    an empty DoubleBounceAddress drops it (with a log line, unlike sendmail)."""
    if not settings.double_bounce_address:
        return None, (DOUBLE_BOUNCE_DROPPED,)
    return replace(report, to=(settings.double_bounce_address,), postmaster=True), ()


def _receipt(state: MessageState, recipients: tuple[RecipientStatus, ...],
             settings: ReportSettings) -> PlannedReport | None:
    """A return receipt goes to the envelope sender alone, without the body."""
    if settings.no_receipts or not _local_part(state.sender):
        return None
    return PlannedReport((state.sender,), RECEIPT_MESSAGE, False, False, recipients)


def _postmaster_copy(state: MessageState, recipients: tuple[RecipientStatus, ...], message: str,
                     settings: ReportSettings) -> PlannedReport | None:
    """PostmasterCopy: failures of ordinary, non-bulk messages, header only."""
    if (settings.postmaster_copy is None or state.origin is not Origin.MESSAGE
            or state.precedence < 0):
        return None
    return PlannedReport((settings.postmaster_copy,), message, True, False, recipients)



def to_request(planned: PlannedReport, original: OriginalMessage, *, report_id: str,
               hostname: str, transcript: str | None, now: float, timeouts: Timeouts,
               error_header: str | None = None,
               show_actual_recipient: bool = True) -> ReportRequest:
    """The builder's input for a planned report (report.build)."""
    retry_until = (None if timeouts.return_after == NOW
                   else original.arrival + timeouts.return_after)
    return ReportRequest(
        report_id=report_id, hostname=hostname, to=planned.to, message=planned.message,
        original=original, recipients=planned.recipients, transcript=transcript, now=now,
        return_body=planned.return_body, postmaster=planned.postmaster,
        retry_until=retry_until, error_header=error_header,
        show_actual_recipient=show_actual_recipient)

# --- ErrorMode: savemail's state machine ---------------------------------------------------

def first_step(mode: ErrorMode, origin: Origin, sender_is_local: bool) -> Step | None:
    """Where savemail starts for a sender report; None: nothing is reported (-oeq, or
    a report about a postmaster report)."""
    if mode is ErrorMode.QUIET or origin is Origin.POSTMASTER_REPORT:
        return None
    if origin is Origin.REPORT:
        return Step.MAIL_POSTMASTER
    if mode is ErrorMode.WRITE:
        return Step.WRITE_TERMINAL
    if mode is ErrorMode.PRINT:
        return Step.DEAD_LETTER if sender_is_local else Step.MAIL_SENDER
    return Step.MAIL_SENDER


def next_step(step: Step, succeeded: bool, precedence: int = 0) -> Step | None:
    """The state after `step` succeeded or failed; None when savemail is done.
    Writing to the terminal is followed by dead.letter; mail that cannot be sent goes to
    the postmaster, then to DeadLetterDrop (not for bulk mail), then the queue keeps it."""
    if step is Step.WRITE_TERMINAL:
        return Step.DEAD_LETTER if succeeded else Step.MAIL_SENDER
    if succeeded or step is Step.PANIC:
        return None
    if step is Step.DEAD_LETTER_DROP:
        return Step.PANIC
    if step is Step.MAIL_POSTMASTER and precedence < 0:
        return None
    return {Step.DEAD_LETTER: Step.MAIL_SENDER, Step.MAIL_SENDER: Step.MAIL_POSTMASTER,
            Step.MAIL_POSTMASTER: Step.DEAD_LETTER_DROP}[step]


def prints_errors(mode: ErrorMode) -> bool:
    """Errors go to the terminal as they happen only with -oep (HoldErrs otherwise)."""
    return mode is ErrorMode.PRINT


def exit_code(mode: ErrorMode, status: int) -> int:
    """finis: a deferral is success for the caller, and -oee always exits 0."""
    if status == ex.EX_TEMPFAIL or mode is ErrorMode.BERKNET:
        return ex.EX_OK
    return status
