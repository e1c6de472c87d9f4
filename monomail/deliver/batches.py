"""One message's recipients through the router and into their deliveries.

This is sendmail's sendall/deliver loop for one envelope: the expansion's entries become
the router's recipients (host signatures looked up first), each batch gets the message
rendered for its mailer ($g, $h, $u set as deliver() sets them) and goes to the SMTP
client or to an agent, and every verdict becomes one `to=` log record, as giveresponse
logs it.  Batches of one message run one after another, as sendmail's do; messages run
side by side in the queue runner.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

from monomail import sysexits as ex
from monomail.aliases.address import QALIAS, QS_BADADDR, QS_OK, QS_QUEUEUP
from monomail.cleanup import ConversionNeeded, HeaderWriteError, Message, header_context, render
from monomail.config.model import Config, Mailer
from monomail.dsn.status import dsn_to_exit
from monomail.log.fields import DeliveryRecord
from monomail.rewrite.engine import Rewriter
from monomail.rewrite.env import RewriteEnv

from . import agents
from .expansion import Leaf
from .job import AgentSettings, Job, Owner, Recipient as JobRecipient
from .outcome import Outcome
from .result import DeliveryResult, default_status, exit_text, response_lines
from .router import Batch, Envelope, Recipient, plan, sendqueue_order, uses_dns
from .smtpclient import SmtpClient

EIGHT_BIT_REFUSED = "554 5.6.3 Cannot send 8-bit data to 7-bit destination"


@dataclass
class Verdict:
    """What became of one leaf: the result, the mailer and user it was given to (for
    X-Actual-Recipient), and whether a peer without DSN took it (NOTIFY=SUCCESS: relayed)."""

    result: DeliveryResult
    mailer: Mailer | None = None
    user: str | None = None
    relayed: bool = False


@dataclass
class Delivered:
    """The attempt's verdicts by leaf index, its log records (with the exit status that
    decides their log level), the error transcript a report quotes, other lines to log."""

    verdicts: dict[int, Verdict] = field(default_factory=dict)
    records: list[tuple[int, DeliveryRecord]] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)


@dataclass
class MessageRun:
    """The message as deliveries need it: the cf and its rules, the message's own macros
    (env), the stored message, the router's envelope, what the log lines say about it
    (priority, arrival), and the order of its deliveries."""

    config: Config
    rw: Rewriter
    env: RewriteEnv
    message: Message
    envelope: Envelope
    priority: int
    arrival: float
    clock: Callable[[], float] = time.time
    by_host: bool = False     # recipient()'s sorthost (a first try, FastSplit), else signature


async def deliver_leaves(run: MessageRun, leaves: list[Leaf], client: SmtpClient,
                         settings: AgentSettings) -> Delivered:
    """Route and deliver the live leaves; every leaf gets a verdict."""
    done = Delivered()
    routed = []
    for index, leaf in enumerate(leaves):
        if leaf.q.state == QS_OK and leaf.q.mailer is not None:
            routed.append(_router_recipient(index, leaf))
        else:   # recipient processing has said why (the expansion's notices)
            _decide(run, done, leaves, [index], _expansion_result(leaf), None, said=True)
    signatures = await _signatures(run.config, client, routed)
    order = sendqueue_order(routed, None if run.by_host else signatures)
    planned = plan(run.rw, run.env, run.envelope, order, signatures)
    for decision in planned.report.outcomes:
        _decide(run, done, leaves, _keys(decision.recipients), decision.result, None)
    for batch in planned.batches:
        try:
            await _deliver_batch(run, done, leaves, batch, client, settings)
        except Exception as exc:  # noqa: BLE001 - a fault in one delivery defers, never drops
            keys = [k for k in _keys(batch.recipients) if k not in done.verdicts]
            done.log.append(f"SYSERR: deliver {batch.mailer.name}: "
                            f"{type(exc).__name__}: {exc}")
            if keys:
                _decide(run, done, leaves, keys, DeliveryResult(
                    ex.EX_TEMPFAIL, "4.3.0", "Deferred: local delivery error"), batch)
    return done


def _keys(recipients: Iterable[Recipient]) -> list[int]:
    """The leaf indexes the router's recipients carry as their keys."""
    return [int(r.key) for r in recipients]  # type: ignore[call-overload]


def _router_recipient(index: int, leaf: Leaf) -> Recipient:
    q, entry = leaf.q, leaf.entry
    return Recipient(q.paddr, q.mailer_name, q.host or None, q.user,
                     notify=frozenset(entry.notify) if entry.notify else None,
                     orcpt=entry.orcpt, primary=entry.primary, key=index)


def _expansion_result(leaf: Leaf) -> DeliveryResult:
    """A verdict recipient processing reached: unknown user, loop, a lookup to retry."""
    q = leaf.q
    if q.state == QS_QUEUEUP:
        status = q.status or "4.0.0"
        why = q.message or ""
        text = why if why.startswith("Deferred") else f"Deferred: {why}" if why else "Deferred"
        return DeliveryResult(ex.EX_TEMPFAIL, status, text)
    status = q.status or "5.0.0"
    rcode = dsn_to_exit(status) if q.state == QS_BADADDR else ex.EX_SOFTWARE
    rcode = ex.EX_UNAVAILABLE if rcode in (ex.EX_TEMPFAIL, ex.EX_OK) else rcode
    return DeliveryResult(rcode, status, q.message or exit_text(rcode), reply=q.rstatus)


async def _signatures(config: Config, client: SmtpClient,
                      recipients: list[Recipient]) -> dict[str, str]:
    """The MX-based host signatures the router groups by (sendmail's hostsignature)."""
    found: dict[str, str] = {}
    for r in recipients:
        m = config.mailer(r.mailer)
        if m is None or not r.host or r.host in found or not uses_dns(m) or m.has("l"):
            continue
        found[r.host] = (await client.mx.route(m, r.host)).signature
    return found


async def _deliver_batch(run: MessageRun, done: Delivered, leaves: list[Leaf], batch: Batch,
                         client: SmtpClient, settings: AgentSettings) -> None:
    keys = _keys(batch.recipients)
    try:
        octets = _rendered(run, batch)
    except ConversionNeeded:
        result = DeliveryResult(ex.EX_DATAERR, "5.6.3", exit_text(ex.EX_DATAERR),
                                message=EIGHT_BIT_REFUSED)
        _decide(run, done, leaves, keys, result, batch)
        return
    except HeaderWriteError as failed:
        _decide(run, done, leaves, keys, DeliveryResult(
            failed.status, default_status(failed.status), exit_text(failed.status)), batch)
        return
    if agents.handles(batch.mailer):
        await _agent_batch(run, done, leaves, batch, octets, settings)
        return
    report = await client.deliver(batch, run.envelope, octets)
    done.transcript += report.transcript
    done.log += report.log
    relayed = {id(r) for d in report.outcomes for r in d.relayed}
    for decision in report.outcomes:
        for r in decision.recipients:
            done.verdicts[int(r.key)] = Verdict(  # type: ignore[call-overload]
                decision.result, batch.mailer, _user_of(batch, r), id(r) in relayed)
        done.records.append((decision.result.rcode, _record(
            run, leaves, _keys(decision.recipients), decision.result, batch.mailer,
            decision.xdelay, batch)))


def _rendered(run: MessageRun, batch: Batch) -> bytes:
    """The message as this batch's mailer takes it, with deliver()'s macros: $g the
    sender as the mailer sees it, $h the host, $u the user when there is one."""
    env = run.env
    env.define_macro("g", batch.sender)
    env.define_macro("h", batch.host or "")
    env.define_macro("u", batch.users[0] if len(batch.users) == 1 else None)
    return render(run.message, batch.mailer, header_context(run.config, run.rw, env))


async def _agent_batch(run: MessageRun, done: Delivered, leaves: list[Leaf], batch: Batch,
                       octets: bytes, settings: AgentSettings) -> None:
    keys = _keys(batch.recipients)
    job = Job(batch.mailer, batch.sender,
              tuple(_job_recipient(leaves[k], batch, u) for k, u in zip(keys, batch.users)),
              octets, macro=run.env.macros.get)
    start = run.clock()
    outcomes = await agents.deliver(job, settings)
    xdelay = run.clock() - start
    groups: list[tuple[Outcome, list[int]]] = []
    for key, user, outcome in zip(keys, batch.users, outcomes):
        result = _from_outcome(outcome)
        done.verdicts[key] = Verdict(result, batch.mailer, user)
        if outcome.transcript:
            done.transcript += outcome.transcript.rstrip("\n").split("\n")
        done.transcript += response_lines(result, leaves[key].q.paddr)
        if groups and groups[-1][0] == outcome:
            groups[-1][1].append(key)
        else:
            groups.append((outcome, [key]))
    for outcome, members in groups:
        done.records.append((outcome.exit, _record(run, leaves, members, _from_outcome(outcome),
                                                   batch.mailer, xdelay, batch)))


def _job_recipient(leaf: Leaf, batch: Batch, user: str) -> JobRecipient:
    """$u, $h, the printable address, $z and the controlling user of one recipient."""
    q = leaf.q
    ctl = q.ctladdr()
    owner = None
    if ctl is not None:
        owner = Owner(ctl.uid, ctl.gid, ctl.ruser, ctl.home, alias=bool(ctl.flags & QALIAS))
    return JobRecipient(user, batch.host or "", q.paddr, q.home or (ctl.home if ctl else None),
                        owner)


def _from_outcome(outcome: Outcome) -> DeliveryResult:
    log_status = outcome.log_dsn if outcome.log_dsn != outcome.dsn else None
    return DeliveryResult(outcome.exit, outcome.dsn, outcome.text, log_status=log_status)


def _user_of(batch: Batch, recipient: Recipient) -> str:
    for r, user in zip(batch.recipients, batch.users):
        if r is recipient:
            return user
    return recipient.user


def _decide(run: MessageRun, done: Delivered, leaves: list[Leaf], keys: list[int],
            result: DeliveryResult, batch: Batch | None, said: bool = False) -> None:
    """A verdict reached without a delivery (or before one could start), with what
    giveresponse leaves in the transcript unless it was `said` already."""
    mailer = batch.mailer if batch is not None else leaves[keys[0]].q.mailer
    for key in keys:
        done.verdicts[key] = Verdict(result, mailer, leaves[key].q.user)
    if not said:
        done.transcript += response_lines(result, ",".join(leaves[k].q.paddr for k in keys))
    done.records.append((result.rcode, _record(run, leaves, keys, result, mailer, None, batch)))


def _record(run: MessageRun, leaves: list[Leaf], keys: list[int], result: DeliveryResult,
            mailer: Mailer | None, xdelay: float | None, batch: Batch | None) -> DeliveryRecord:
    """giveresponse's log line: to= the recipients, ctladdr= the first one's controlling
    user, relay= the host connected to (or $h for local mailers)."""
    first = leaves[keys[0]].q
    ctl = first.ctladdr()
    now = run.clock()
    relay = result.relay_host if result.relay_host else (batch.host if batch else None)
    return DeliveryRecord(
        to=",".join(leaves[k].q.paddr for k in keys), delay=int(now - run.arrival),
        stat=result.text, mailer=mailer.name if mailer else first.mailer_name, pri=run.priority,
        xdelay=None if xdelay is None else int(xdelay),
        ctladdr=ctl.paddr if ctl is not None else None,
        ctl_ids=(ctl.uid, ctl.gid) if ctl is not None else None,
        relay=relay, relay_addr=result.relay_addr if result.relay_host else None,
        dsn=result.log_status or result.status,
        reply=result.reply if result.state in ("failed", "deferred") else None)
