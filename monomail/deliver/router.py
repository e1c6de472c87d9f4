"""The router: one message's deliverable recipients grouped into deliveries.

This is sendmail's deliver() recipient loop as a pure function, in Postfix qmgr's terms:
message -> mailer -> destination (one mailer and one host signature) -> batch (one
delivery: one SMTP transaction, one program run).  A mailer with F=m takes every user of
a destination in one batch, up to its r= limit (and, for mailers that get the users on
their command line, sendmail's argument limits); other mailers get one user per batch.
Recipients whose MX lists are identical share a destination, as sendmail's host
signatures group them; the caller resolves the signatures first (mx.py) and passes them in,
so routing itself does no I/O beyond the rewriting rules.

Per recipient, as deliver() does before any connection: the mailer's M= size limit,
the check_compat ruleset ($#error fails the recipient, $#discard drops it), F=s and F=B
clean-ups of the user, and the sender rewritten once per mailer (rulesets 1, S= and 4,
comments stripped).  8-bit messages for F=7 mailers are refused here as sendmail does.

Recipients are taken in the order given, which should be the send queue's order
(`sendqueue_order`); within a batch they are in the order sendmail sends them: its
recipient chain is built by prepending, so each batch is the reverse of the queue order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from monomail import sysexits as ex
from monomail.config.model import Config, Mailer
from monomail.dsn.status import is_enhanced
from monomail.rewrite.addrutil import lower, stripquotes
from monomail.rewrite.engine import Rewriter
from monomail.rewrite.env import RewriteEnv
from monomail.rewrite.parseaddr import ERROR_MAILER, RF_CANONICAL, RF_SENDERADDR, Address
from monomail.rewrite.remotename import remotename
from monomail.rewrite.rscheck import RSF_COUNT, RSF_RMCOMM, rscheck
from monomail.rewrite.tokens import MACROEXPAND

from .argv import clean_user
from .result import DeliveryReport, DeliveryResult, Decision, default_status, exit_text

TOBUFSIZE = 4096   # sendmail's limit on the address list of a program mailer (SM_ARG_MAX)
MAXPV = 256        # and on its argument vector


@dataclass(frozen=True, eq=False)
class Recipient:
    """One recipient: what ruleset 0 chose for it and its DSN parameters.

    paddr is the address as the sender wrote it (logs, DSNs); notify the NOTIFY=
    keywords (None when not given); orcpt the ORCPT= value as received (xtext);
    primary is false for addresses that came from aliases or .forward files; key is
    the caller's own handle.  An *error* recipient carries its verdict in `error`.
    """

    paddr: str
    mailer: str
    host: str | None
    user: str
    notify: frozenset[str] | None = None
    orcpt: str | None = None
    primary: bool = True
    key: object = None
    error: DeliveryResult | None = None

    @classmethod
    def from_address(cls, paddr: str, address: Address, **dsn: object) -> "Recipient":
        """From parseaddr's result; $#error addresses become recipients that fail (or
        wait, for 4xx errors) without a delivery."""
        error = None
        if address.mailer == ERROR_MAILER or address.bad:
            rcode = address.exit_status if address.exit_status != ex.EX_OK else ex.EX_UNAVAILABLE
            if address.queue_up:
                rcode = ex.EX_TEMPFAIL
            status = address.status or default_status(rcode)
            error = DeliveryResult(rcode, status, exit_text(rcode))
        return cls(paddr, address.mailer, address.host, address.user, error=error,
                   **dsn)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Envelope:
    """The message-wide facts routing and the SMTP client need.

    sender is the envelope sender as received (e_from.q_paddr); sender_local says the
    mailer ruleset 0 chose for it has F=l (F=p adds no route to local senders); null_sender
    marks bounces (MAIL From:<> unless the mailer has F=g); size is SIZE=; body_type,
    envid, ret and smtputf8 are the MAIL parameters the message arrived with; tries
    counts earlier delivery attempts (Timeout.iconnect applies to the first).
    """

    sender: str
    sender_local: bool = False
    size: int = 0
    null_sender: bool = False
    has_8bit: bool = False
    is_mime: bool = False
    body_type: str | None = None
    envid: str | None = None
    ret: str | None = None
    smtputf8: bool = False
    tries: int = 0


@dataclass
class Batch:
    """One delivery: a mailer, its host, the sender as this mailer must see it ($g),
    and the recipients with the user string each is delivered as ($u / RCPT TO)."""

    mailer: Mailer
    host: str | None
    signature: str
    sender: str
    order: int = 0
    recipients: list[Recipient] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    list_size: int = 2  # the length of sendmail's address list (tobuf) so far

    def add(self, recipient: Recipient, user: str) -> None:
        self.recipients.insert(0, recipient)
        self.users.insert(0, user)
        self.list_size += len(recipient.paddr) + 1


@dataclass
class Destination:
    """One mailer to one host signature (qmgr's queue): its batches in order."""

    mailer: Mailer
    signature: str
    batches: list[Batch] = field(default_factory=list)


@dataclass
class Plan:
    """Where every recipient goes: destinations with their batches, and the verdicts
    reached without a delivery (address errors, check_compat, size limits)."""

    destinations: list[Destination]
    report: DeliveryReport

    @property
    def batches(self) -> list[Batch]:
        """All batches in sendmail's delivery order (by their first recipient)."""
        return sorted((b for d in self.destinations for b in d.batches), key=lambda b: b.order)


def uses_dns(mailer: Mailer) -> bool:
    """Whether a host of this mailer has an MX-based signature (an [IPC] TCP mailer)."""
    return mailer.path == "[IPC]" and mailer.argv[:1] != ("FILE",) and not mailer.has("0")


def signature_hosts(config: Config, recipients: Iterable[Recipient]) -> set[str]:
    """The hosts whose MX lists must be known before `plan` can group recipients."""
    hosts = set()
    for r in recipients:
        m = config.mailer(r.mailer) if r.error is None else None
        if m is not None and r.host and uses_dns(m) and not m.has("l"):
            hosts.add(r.host)
    return hosts


def host_signature(mailer: Mailer, host: str | None,
                   signatures: Mapping[str, str] | None = None) -> str:
    """sendmail's hostsignature with the MX part looked up by the caller."""
    if mailer.has("l") and mailer.path != "[IPC]" and mailer.argv[:1] != ("TCP",):
        return "localhost"
    if not host:
        return "_empty_"
    if mailer.path != "[IPC]" or mailer.argv[:1] == ("FILE",):
        return host
    return (signatures or {}).get(host, host.lower())


def sendqueue_order(recipients: Iterable[Recipient],
                    signatures: Mapping[str, str] | None = None) -> list[Recipient]:
    """The order sendmail's recipient() keeps its send queue in, which decides the order
    of deliveries and of RCPT commands: by host on a message's first try (sorthost), by
    host signature then user, users descending, once signatures are known (sortbysignature).
    Both sorts are stable, as insertion into sendmail's list is."""
    listed = list(recipients)
    if signatures is None:
        return sorted(listed, key=lambda r: lower(r.host or ""))
    listed.sort(key=lambda r: r.user, reverse=True)
    return sorted(listed, key=lambda r: (signatures or {}).get(r.host or "", r.host or ""))


def plan(rw: Rewriter, env: RewriteEnv, envelope: Envelope, recipients: Iterable[Recipient],
         signatures: Mapping[str, str] | None = None) -> Plan:
    """Group the recipients of one message into deliveries, in sendmail's order."""
    report = DeliveryReport()
    destinations: dict[tuple[str, str], Destination] = {}
    open_batches: dict[tuple[str, str], Batch] = {}
    senders: dict[str, tuple[str | None, int]] = {}
    order = 0
    for r in recipients:
        m = _mailer_or_verdict(rw, report, r)
        if m is None or not _admitted(rw, env, envelope, report, m, r):
            continue
        if m.name not in senders:
            senders[m.name] = remotename(rw, env, envelope.sender, m,
                                         RF_SENDERADDR | RF_CANONICAL)
        rpath, rcode = senders[m.name]
        if rcode != ex.EX_OK and m.path == "[IPC]":
            _decide(report, r, DeliveryResult(ex.EX_TEMPFAIL, "4.4.3", exit_text(ex.EX_TEMPFAIL)))
            continue
        host = stripquotes(r.host) if r.host and m.has("s") else r.host
        signature = host_signature(m, host, signatures)
        key = (m.name, signature)
        batch = open_batches.get(key)
        user = clean_user(m, r.user)
        if batch is None or not _room(batch, m, r):
            batch = Batch(m, host, signature, rpath or "", order)
            order += 1
            open_batches[key] = batch
            dest = destinations.setdefault(key, Destination(m, signature))
            dest.batches.append(batch)
        batch.add(r, user)
    for dest in destinations.values():
        for batch in dest.batches:
            _check_8bit(env, envelope, batch, report)
        dest.batches = [b for b in dest.batches if b.recipients]
    kept = [d for d in destinations.values() if d.batches]
    return Plan(kept, report)


def _mailer_or_verdict(rw: Rewriter, report: DeliveryReport, r: Recipient) -> Mailer | None:
    if r.error is not None:
        _decide(report, r, r.error)
        return None
    m = rw.config.mailer(r.mailer)
    if m is None:
        _decide(report, r, DeliveryResult(ex.EX_SOFTWARE, "5.3.5", exit_text(ex.EX_SOFTWARE),
                                          message=f"unknown mailer {r.mailer}"))
    return m


def _admitted(rw: Rewriter, env: RewriteEnv, envelope: Envelope, report: DeliveryReport,
              m: Mailer, r: Recipient) -> bool:
    """deliver()'s per-recipient checks before the recipient joins a batch."""
    if m.maxsize and (envelope.size > m.maxsize or envelope.size < 0):
        status = "5.2.3" if m.has("l") else "5.3.4"
        _decide(report, r, DeliveryResult(
            ex.EX_UNAVAILABLE, status, exit_text(ex.EX_UNAVAILABLE),
            message=f"552 {status} Message is too large; {m.maxsize} bytes max"))
        return False
    env.to = r.paddr
    verdict = rscheck(rw, env, "check_compat", envelope.sender, r.paddr,
                      RSF_RMCOMM | RSF_COUNT)
    if verdict.discard:
        _decide(report, r, DeliveryResult(ex.EX_OK, "2.0.0", "discarded", discarded=True))
        return False
    if verdict.status != ex.EX_OK or verdict.message is not None:
        rcode = verdict.status if verdict.status != ex.EX_OK else ex.EX_UNAVAILABLE
        _decide(report, r, DeliveryResult(rcode, _status_of(verdict.message, rcode),
                                          exit_text(rcode), message=verdict.message))
        return False
    return True


def _status_of(message: str | None, rcode: int) -> str:
    """The enhanced code an error reply carries, else markfailure's default."""
    if message and message[:3].isdigit():
        word = message[4:].split(" ", 1)[0]
        if is_enhanced(word):
            return word
    return default_status(rcode)


def _room(batch: Batch, m: Mailer, r: Recipient) -> bool:
    """Can this batch take one more recipient (F=m, r=, and for program mailers the
    size of the address list and of the argument vector)?"""
    if not m.has("m"):
        return False
    count = len(batch.recipients)
    if count + 1 > m.maxrcpt:
        return False
    if m.path == "[IPC]" or not any(MACROEXPAND + "u" in a for a in m.argv):
        return True
    if batch.list_size + len(r.paddr) + 1 > TOBUFSIZE:
        return False
    fixed = 3 + next(i for i, a in enumerate(m.argv) if MACROEXPAND + "u" in a)
    return fixed + count < MAXPV - 2


def _check_8bit(env: RewriteEnv, envelope: Envelope, batch: Batch,
                report: DeliveryReport) -> None:
    """An 8-bit message for an F=7 mailer: sendmail refuses it before connecting unless
    EightBitMode lets it convert MIME (m: always; p: MIME messages)."""
    if not (envelope.has_8bit and batch.mailer.has("7")):
        return
    mode = str(env.config.options.get("EightBitMode") or "p")
    if mode == "m" or envelope.is_mime:
        return
    result = DeliveryResult(ex.EX_DATAERR, "5.6.3", exit_text(ex.EX_DATAERR),
                            message="554 5.6.3 Cannot send 8-bit data to 7-bit destination")
    report.outcomes.append(Decision(tuple(batch.recipients), result))
    batch.recipients.clear()
    batch.users.clear()


def _decide(report: DeliveryReport, r: Recipient, result: DeliveryResult) -> None:
    report.outcomes.append(Decision((r,), result))
