"""One queued message, delivered end to end: sendmail's dowork, sendall, deliver and
savemail as one coroutine the queue runner calls.

    deliverer = Deliverer(config, store, log=maillog)       # once per cf (again on reload)
    outcome = await deliverer.attempt(qid)                  # -> daemon.runner.Attempt
    await run_queue_once(store, deliverer, inv.queue)       # -q with its -qI/-qR/-qS
    await deliverer.close()

An attempt claims the message (a message another process holds is left alone), reads
its control file and data, expands the recipients still to deliver (expansion.py),
routes them and runs each batch through the SMTP client or an agent (batches.py), logs
one `to=` line per verdict, lets the DSN policy decide expiry, the delay warning and
the reports and queues those as messages of their own (reports.py), then writes the
control file back once (bookkeeping.py) or, with nothing left to deliver, removes the
message; the claim is released last.

Delivery is at least once: a recipient is marked sent only by the update at the end of
the attempt, so a crash between a delivery and that update delivers it again on the
next attempt (as with sendmail, whose qf is rewritten after the run).  The same holds
for reports and for envelopes split off by owner- aliases: they are queued before the
update that records them.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Callable

from monomail.aliases.expand import shared_identity, shared_rewriter
from monomail.aliases.policy import Settings, settings as recipient_settings
from monomail.aliases.users import SystemUsers, UserDatabase
from monomail.cleanup import Message, StoredMessageError, decode, set_time_macros
from monomail.cleanup.collect import int_option
from monomail.clib import MAXSHORTSTR, shortenstring
from monomail.config.model import Config, Mailer
from monomail.daemon.runner import Attempt, QueueRunner
from monomail.daemon.schedule import RetryPolicy
from monomail.dsn.policy import MessageState, Origin, PlannedReport
from monomail.dsn.report import OriginalMessage, RecipientStatus
from monomail.log.fields import delivery_lines
from monomail.log.writer import LOG_ERR, LOG_INFO, LOG_NOTICE, MailLog
from monomail.queue.ids import queue_id
from monomail.queue.listing import Filters, selected
from monomail.queue.qfcodec import ControlFile
from monomail.queue.store import MissingDataError, QueueStore, UnknownMessageError
from monomail.rewrite.env import RewriteEnv
from monomail.rewrite.parseaddr import RF_SENDERADDR, parseaddr
from monomail import sysexits as ex

from .batches import Delivered, MessageRun, deliver_leaves
from .bookkeeping import Progress, next_control, undelivered
from .expansion import Expanded, Leaf, expand_pending
from .job import AgentSettings
from .reports import (Row, decide, log_kind, mailer_types, message_state, report_message,
                      report_request, returned_data)
from .router import Envelope
from .smtpclient import SmtpClient

if TYPE_CHECKING:
    from monomail.cli.argv import QueueRequest

#: giveresponse logs a verdict when LogLevel is above this (temporary, sent, failed)
EVERYTHING = 2 ** 62          # a next-try every queued message has reached
LOG_THRESHOLDS = {ex.EX_TEMPFAIL: 8, ex.EX_OK: 7}
FAILURE_LOG_THRESHOLD = 6


class Deliverer:
    """What delivering needs, made once per cf: the config, the queue, one SMTP client
    (its connection cache shared by every attempt), the log, the agents' and the
    recipient stage's settings.  `on_queued` learns of every message an attempt queues
    (reports, split envelopes), so the runner can deliver them too."""

    def __init__(self, config: Config, store: QueueStore, *, client: SmtpClient | None = None,
                 log: MailLog | None = None, agents: AgentSettings | None = None,
                 recipients: Settings | None = None, users: UserDatabase | None = None,
                 retry: RetryPolicy | None = None, clock: Callable[[], float] = time.time,
                 on_queued: Callable[[str], None] = lambda qid: None) -> None:
        opts = config.options
        self.config, self.store, self.clock, self.on_queued = config, store, clock, on_queued
        self.rw = shared_rewriter(config)
        self.client = client or SmtpClient.from_config(config)
        log_file = opts.get("Monomail.LogFile")
        self.log = log or MailLog(int_option(config, "LogLevel"),
                                  path=str(log_file) if log_file else None)
        self.agents = agents or AgentSettings.from_config(config)
        self.recipients = recipients or recipient_settings(config, shared_identity(config))
        self.users = users or SystemUsers()
        self.retry = retry or RetryPolicy.from_options(int_option(config, "MinQueueAge"), 0)
        self.retry_factor = int_option(config, "RetryFactor")

    async def close(self) -> None:
        await self.client.close()

    async def attempt(self, qid: str) -> Attempt:
        """Try to deliver one queued message (the queue runner's callback)."""
        store = self.store
        if not store.claim(qid):
            try:
                control = store.load(qid)
            except UnknownMessageError:
                return Attempt(done=True)
            return Attempt(done=False, attempts=max(control.attempts, 1),
                           priority=control.envelope.priority)
        try:
            try:
                control = store.load(qid)
            except UnknownMessageError:
                return Attempt(done=True)
            try:
                data = store.read_data(qid)
                message = decode(data)
            except (MissingDataError, StoredMessageError) as exc:
                self.log.log(LOG_ERR, qid, f"SYSERR: cannot read the queued message: {exc}")
                store.quarantine(qid, str(exc))
                return Attempt(done=True)
            return await _MessageAttempt(self, control, data, message).run()
        finally:
            store.release(qid)


class _MessageAttempt:
    """One attempt at one claimed message."""

    def __init__(self, deliverer: Deliverer, control: ControlFile, data: bytes,
                 message: Message) -> None:
        self.d = deliverer
        self.control, self.data, self.message = control, data, message
        self.qid = control.qid
        self.now = deliverer.clock()
        # readqf: each run makes the message a little less urgent (RetryFactor)
        self.priority = control.envelope.priority + deliverer.retry_factor
        self.env = self._env()

    def _env(self) -> RewriteEnv:
        """The message's macros as its submission left them, $i, and the time now.  A
        report gets no {client_*} macros (deliver() clears them so that check_compat
        does not refuse a bounce for the client of the message it reports on)."""
        env = RewriteEnv(self.d.config, lambda line: self.d.log.log(LOG_NOTICE, self.qid, line))
        report = self.control.envelope.origin is not None
        for name, value in self.control.envelope.macros:
            if not (report and name.startswith("{client_")):
                env.define_macro(name.strip("{}"), value)
        env.define_macro("i", self.qid)
        set_time_macros(env, self.now)
        return env

    async def run(self) -> Attempt:
        d, control, message = self.d, self.control, self.message
        given_sender = control.envelope.sender
        expanded = expand_pending(d.config, control, given_sender or "<>", d.recipients, d.users,
                                  hop_count=message.hop_count, relay=self._received_from())
        for owner, leaves in expanded.clones:
            await self._clone(owner, leaves)
        sender = expanded.owner or given_sender
        run = MessageRun(d.config, d.rw, self.env, message, self._envelope(sender),
                         self.priority, control.created, d.clock,
                         by_host=control.attempts == 0 and int_option(d.config, "FastSplit") > 0)
        delivered = await deliver_leaves(run, expanded.leaves, d.client, d.agents)
        self._log_delivery(delivered)
        base = MessageState(
            sender=sender, origin=Origin(control.envelope.origin or Origin.MESSAGE.value),
            arrival=control.created, recipients=(), precedence=message.priority_class,
            errors_to=tuple(message.errors_to) if d.config.options.get("UseErrorsTo") else (),
            ret=control.envelope.ret, warning_sent=bool(control.warned))
        state, rows = message_state(expanded, delivered.verdicts, control.envelope.recipients,
                                    base, self._hostname(), self.now)
        verdict = decide(state, d.config, message.timeout_class, self.now)
        for line in verdict.log:
            d.log.log(LOG_NOTICE, self.qid, line)
        for planned in verdict.reports:
            await self._report(planned, state.origin, expanded.notices
                               + delivered.transcript + list(verdict.transcript))
        return await self._finish(expanded, verdict.recipients, rows, delivered, sender,
                                  verdict.warning_sent)

    def _received_from(self) -> str:
        """sendmail's $_ for the report's "from ...": the SMTP client as "name [address]"
        (the queue keeps {client_name} and {client_addr}, not $_), else localhost."""
        name, addr = self.env.macro("client_name"), self.env.macro("client_addr")
        if addr:
            return f"{name or ''} [{addr}]".lstrip()
        return name or "localhost"

    def _hostname(self) -> str:
        return self.d.config.macros.get(ord("j"), "") or "localhost"

    def _sender_mailer(self, sender: str) -> Mailer | None:
        """The mailer ruleset 0 picks for the envelope sender (None for <>)."""
        parsed = parseaddr(self.d.rw, self.env, sender, RF_SENDERADDR, isrcpt=False) \
            if sender else None
        return self.d.config.mailer(parsed.mailer) if parsed is not None else None

    def _envelope(self, sender: str) -> Envelope:
        """The router's and SMTP client's view of the envelope."""
        control, message = self.control, self.message
        mailer = self._sender_mailer(sender)
        return Envelope(sender=sender or "<>", sender_local=bool(mailer and mailer.has("l")),
                        size=message.size, null_sender=not sender, has_8bit=message.has_8bit,
                        is_mime=message.is_mime, body_type=control.envelope.body_type,
                        envid=control.envelope.envid, ret=control.envelope.ret,
                        tries=control.attempts)

    def _log_delivery(self, delivered: Delivered) -> None:
        log = self.d.log
        for rcode, record in delivered.records:
            if log.enabled(LOG_THRESHOLDS.get(rcode, FAILURE_LOG_THRESHOLD)):
                for line in delivery_lines(record):
                    log.log(LOG_INFO, self.qid, line)
        for line in delivered.log:
            log.log(LOG_ERR if line.startswith("SYSERR") else LOG_NOTICE, self.qid, line)

    async def _clone(self, owner: str, leaves: list[Leaf]) -> None:
        """An owner- alias's members as a message of their own (sendall's split
        envelope), with the original's arrival time."""
        d, control = self.d, self.control
        envelope = replace(control.envelope, sender=owner,
                           recipients=tuple(leaf.entry for leaf in leaves), origin=None)
        qid = await d.store.submit_async(envelope, self.data)
        await d.store.update_async(qid, lambda c: replace(c, created=control.created))
        if d.log.enabled(4):
            d.log.log(LOG_INFO, self.qid, f"{qid}: clone: owner={owner}")
        d.on_queued(qid)

    async def _report(self, planned: PlannedReport, origin: Origin,
                      transcript: list[str]) -> None:
        """Queue one report (returntosender) and log it."""
        d, control, env = self.d, self.control, self.env
        env.define_macro("g", control.envelope.sender or "<>")
        original = OriginalMessage(
            self.qid, control.created, self._received_from(),
            returned_data(self.message, d.config, d.rw, env), envid=control.envelope.envid,
            client_host=env.macro("client_name") or None,
            client_types=mailer_types(self._sender_mailer(control.envelope.sender)))
        request = report_request(planned, original, d.config, queue_id(self.now), transcript,
                                 self.now, self.message.timeout_class)
        envelope, data = report_message(request, d.config, d.rw)
        qid = await d.store.submit_async(envelope, data)
        if d.log.enabled(5):
            d.log.log(LOG_INFO, self.qid, f"{qid}: {log_kind(origin, planned)}: "
                      f"{shortenstring(planned.message, MAXSHORTSTR)}")
        d.on_queued(qid)

    async def _finish(self, expanded: Expanded, statuses: tuple[RecipientStatus, ...],
                      rows: list[Row], delivered: Delivered, sender: str,
                      warning_sent: bool) -> Attempt:
        """Write the control file back once, or remove the message when it is done."""
        d, control = self.d, self.control
        attempts = control.attempts + 1
        deferred = [v.result.text for v in delivered.verdicts.values()
                    if v.result.state == "deferred"]
        progress = Progress(
            attempts=attempts, priority=self.priority,
            next_try=int(self.now) + d.retry.delay(attempts),
            reason=deferred[-1][:1024] if deferred else None,
            warned=control.warned or (int(self.now) if warning_sent else 0), sender=sender)
        new = next_control(control, expanded, statuses, rows, progress)
        if not undelivered(new):
            await d.store.remove_async(self.qid)
            return Attempt(done=True, attempts=attempts, priority=progress.priority)
        await d.store.update_async(self.qid, lambda _old: new)
        return Attempt(done=False, attempts=attempts, priority=progress.priority)


def queue_filters(request: QueueRequest | None) -> Filters:
    """-qI, -qR and -qS of a queue run as listing filters."""
    if request is None:
        return Filters()
    return Filters(ids=tuple(request.ids), recipients=tuple(request.recipients),
                   senders=tuple(request.senders))


def _selected(store: QueueStore, filters: Filters) -> list[tuple[tuple[int, int], str]]:
    """The messages the -q limits select, with the order sendmail runs them in."""
    found = []
    for qid in store.list():
        try:
            control = store.load(qid)
        except UnknownMessageError:
            continue
        if selected(control, filters):
            found.append(((control.envelope.priority, control.created), qid))
    return found


async def run_queue_once(store: QueueStore, deliverer: Deliverer,
                         request: QueueRequest | None = None, max_active: int = 20) -> int:
    """`-q`: every queued message the filters select, by priority (at most
    MaxQueueRunSize), then the reports and split envelopes those attempts queue; returns
    how many messages were tried."""
    filters = queue_filters(request)
    if filters == Filters():
        chosen: list[str] = [*store.due(now=EVERYTHING)]  # priority order, nothing decoded
    else:
        chosen = [qid for _, qid in sorted(_selected(store, filters))]
    limit = int_option(deliverer.config, "MaxQueueRunSize")
    if limit > 0:
        chosen = chosen[:limit]
    tried: list[str] = []

    async def attempt(qid: str) -> Attempt:
        tried.append(qid)
        return await deliverer.attempt(qid)

    runner = QueueRunner(attempt, deliverer.retry, max_active, clock=deliverer.clock,
                         on_error=lambda qid, exc: deliverer.log.log(
                             LOG_ERR, qid, f"SYSERR: delivery failed: {type(exc).__name__}: {exc}"))
    previous = deliverer.on_queued
    deliverer.on_queued = runner.enqueue
    try:
        for order, qid in enumerate(chosen):
            runner.enqueue(qid, priority=order)
        while True:
            await runner.run_once()
            due = runner.schedule.next_due()
            if due is None or due > deliverer.clock():
                return len(tried)
    finally:
        deliverer.on_queued = previous
