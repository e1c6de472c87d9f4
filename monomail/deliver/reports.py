"""Delivery status notifications after an attempt: the policy's input, and each planned
report made into a message the queue can deliver.

sendmail decides reports in dropenvelope and writes them in returntosender: a new
envelope from MAILER-DAEMON with the null sender, whose header goes through the cf's H
lines (Received, Date, From, Message-Id) like any message's, and whose body errbody
writes.  Here dsn.policy decides, dsn.report writes the body and the fields
returntosender adds, and the cleanup stage's Intake gives the report its header, so it
is stored (cleanup.encode) and delivered as any other message.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from monomail import sysexits as ex
from monomail.aliases.address import QDELIVERED
from monomail.cleanup import (Intake, Message, RecipientList, encode, header_context, render,
                              set_time_macros, setsender)
from monomail.cleanup.collect import int_option
from monomail.cleanup.putheader import NULL_MAILER
from monomail.config.macros import expand
from monomail.config.model import Config, Mailer
from monomail.dsn.policy import (ErrorMode, MessageState, Origin, Plan, PlannedReport,
                                 ReportSettings, Timeouts, plan, to_request)
from monomail.dsn.report import (REPORT_MACROS, REPORTER_NAME, MailerTypes, OriginalMessage,
                                 Outcome, RecipientStatus, ReportRequest, actual_recipient,
                                 build, final_recipient)
from monomail.queue.qfcodec import Envelope, Recipient
from monomail.rewrite.engine import Rewriter
from monomail.rewrite.env import RewriteEnv
from monomail.rewrite.tokens import MACROEXPAND

from .batches import Verdict
from .expansion import Expanded

# the header of a returned message: no Unix From line, the fields every SMTP mailer gets
RETURN_MAILER: Mailer = replace(NULL_MAILER, name="*return*", flags=frozenset("nDFM"))
_LOCAL_ERRORS = (ex.EX_SOFTWARE, ex.EX_CONFIG)


@dataclass(frozen=True)
class Row:
    """What one recipient of the policy's MessageState stands for: a leaf of the attempt
    (kind "leaf", its index) or a control file recipient that is finished by being
    expanded or by no longer parsing (kind "source", its index)."""

    kind: str
    index: int


def timeouts(config: Config, timeout_class: str) -> Timeouts:
    """Timeout.queuewarn and Timeout.queuereturn of the message's class."""
    return Timeouts(int_option(config, f"Timeout.queuewarn.{timeout_class}"),
                    int_option(config, f"Timeout.queuereturn.{timeout_class}"))


def report_settings(config: Config) -> ReportSettings:
    opts = config.options
    copy = opts.get("PostmasterCopy")
    return ReportSettings(
        postmaster_copy=str(copy) if copy else None,
        double_bounce_address=str(opts.get("DoubleBounceAddress") or ""),
        no_receipts="noreceipts" in _privacy(config),
        no_body_return="nobodyreturn" in _privacy(config))


def mailer_types(mailer: Mailer | None) -> MailerTypes:
    """A mailer's T= (sendmail's defaults dns, rfc822, smtp for what is not given)."""
    if mailer is None:
        return MailerTypes()
    return MailerTypes(mailer.mtatype or "dns", mailer.addrtype or "rfc822",
                       mailer.diagtype or "smtp")


def leaf_status(expanded: Expanded, index: int, verdict: Verdict, hostname: str,
                now: float) -> RecipientStatus:
    """One leaf as errbody reports it."""
    leaf = expanded.leaves[index]
    q, entry, result = leaf.q, leaf.entry, verdict.result
    types = mailer_types(verdict.mailer)
    state = result.state
    if state in ("sent", "discarded"):
        outcome = (Outcome.DELIVERED if verdict.mailer is not None and verdict.mailer.has("l")
                   else Outcome.RELAYED if verdict.relayed else Outcome.SENT)
    else:
        outcome = Outcome.FAILED if state == "failed" else Outcome.QUEUED
    diagnostic = None
    if outcome in (Outcome.FAILED, Outcome.QUEUED):
        unix = verdict.mailer is not None and types.diagnostic.lower() == "x-unix"
        diagnostic = result.reply or (str(result.rcode) if unix else result.message)
    actual = None
    if verdict.user is not None and verdict.mailer is not None:
        actual = actual_recipient(verdict.user, types, hostname)
    return RecipientStatus(
        address=q.paddr, outcome=outcome,
        final_recipient=q.finalrcpt or final_recipient(q.user, q.paddr, hostname),
        notify=entry.notify, orcpt=entry.orcpt, status=result.status, diagnostic=diagnostic,
        remote_mta=result.remote_mta, actual_recipient=actual, types=types, last_attempt=now,
        expanded_from=entry.ctladdr.address if entry.ctladdr is not None else None,
        primary=entry.primary)


def message_state(expanded: Expanded, verdicts: dict[int, Verdict], given: tuple[Recipient, ...],
                  base: MessageState, hostname: str, now: float
                  ) -> tuple[MessageState, list[Row]]:
    """The policy's view of the message after the attempt, and what each of its
    recipients stands for.  `base` carries the message-wide facts."""
    statuses: list[RecipientStatus] = []
    rows: list[Row] = []
    for index in range(len(expanded.leaves)):
        statuses.append(leaf_status(expanded, index, verdicts[index], hostname, now))
        rows.append(Row("leaf", index))
    for source, q in expanded.expanded:
        outcome = Outcome.DELIVERED_TO_LIST if q.flags & QDELIVERED else Outcome.EXPANDED
        statuses.append(RecipientStatus(
            q.paddr, outcome, q.finalrcpt or final_recipient(q.user, q.paddr, hostname),
            notify=given[source].notify, orcpt=given[source].orcpt, status="2.0.0",
            last_attempt=now))
        rows.append(Row("source", source))
    for source, reply in expanded.unparsable:
        rcpt = given[source]
        statuses.append(RecipientStatus(
            rcpt.address, Outcome.FAILED, final_recipient(rcpt.address, rcpt.address, hostname),
            notify=rcpt.notify, orcpt=rcpt.orcpt, status="5.1.3", diagnostic=reply,
            last_attempt=now, primary=rcpt.primary))
        rows.append(Row("source", source))
    local_error = any(v.result.rcode in _LOCAL_ERRORS for v in verdicts.values())
    return replace(base, recipients=tuple(statuses), local_error=local_error), rows


def decide(state: MessageState, config: Config, timeout_class: str, now: float) -> Plan:
    """dropenvelope's verdict: expiry, the delay warning, the reports (ErrorMode m, as
    queue runs and the daemon deliver)."""
    return plan(state, timeouts(config, timeout_class), report_settings(config), now,
                ErrorMode.MAIL)


def returned_data(message: Message, config: Config, rw: Rewriter, env: RewriteEnv) -> bytes:
    """The message as a report returns it: header and body, LF line ends."""
    return render(message, RETURN_MAILER, header_context(config, rw, env))


def _privacy(config: Config) -> frozenset[str]:
    words = config.options.get("PrivacyOptions")
    return words if isinstance(words, frozenset) else frozenset()


def report_request(planned: PlannedReport, original: OriginalMessage, config: Config,
                   report_id: str, transcript: list[str], now: float,
                   timeout_class: str) -> ReportRequest:
    return to_request(planned, original, report_id=report_id,
                      hostname=config.macros.get(ord("j"), "") or "localhost",
                      transcript="\n".join(transcript), now=now,
                      timeouts=timeouts(config, timeout_class),
                      show_actual_recipient="noactualrecipient" not in _privacy(config))


def report_message(request: ReportRequest, config: Config, rw: Rewriter
                   ) -> tuple[Envelope, bytes]:
    """The report as the queue keeps it: an envelope from the null sender to the report's
    addresses, and the stored message (the cf's header lines added as returntosender's
    eatheader adds them, with $n as the sender and "Mail Delivery Subsystem" as $x)."""
    built = build(request)
    env = RewriteEnv(config, lambda _line: None)
    env.define_macro("i", request.report_id)
    for name, value in REPORT_MACROS:
        env.define_macro(name, value)
    set_time_macros(env, request.now)
    daemon = expand(MACROEXPAND + "n", env.macro_value, env.syserr) or "MAILER-DAEMON"
    sender = setsender(config, rw, env, daemon, real_user=daemon, smtp=False, internal=True)
    env.define_macro("x", REPORTER_NAME)
    intake = Intake(config, rw, env, sender, smtp=False, response=True)
    message = intake.collect(built.as_bytes(), RecipientList(list(request.to))).message
    data = encode(message)
    origin = Origin.POSTMASTER_REPORT if request.postmaster else Origin.REPORT
    macros = tuple((name, value) for name, value in REPORT_MACROS if name in ("r", "s") and value)
    envelope = Envelope(sender="", recipients=tuple(Recipient(a) for a in request.to),
                        body_type=message.body_type, macros=macros,
                        priority=initial_priority(config, len(data), message.priority_class,
                                                  len(request.to)),
                        header_size=len(data) - len(message.body), origin=origin.value)
    return envelope, data


def initial_priority(config: Config, size: int, precedence: int, nrcpts: int) -> int:
    """sendmail's queue priority of a new message: its size, less ClassFactor per
    precedence class, plus RecipientFactor per recipient (larger runs later)."""
    value = (size - precedence * int_option(config, "ClassFactor")
             + nrcpts * int_option(config, "RecipientFactor"))
    return max(value, 0)


def log_kind(origin: Origin, planned: PlannedReport) -> str:
    """What returntosender's log line calls the report."""
    if origin is not Origin.MESSAGE:
        return "return to sender"
    if planned.message.startswith("Warning:"):
        return "sender notify"
    return "postmaster notify" if planned.postmaster else "DSN"
