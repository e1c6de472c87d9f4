"""Recipient processing for the rest of monomail: expand a list, or check one RCPT.

    expand(config, ["bob", "list@example.com"])      # -> Expansion (the send queue)
    verify_one(config, "<bob@example.com>")           # -> Verdict (RCPT-time check)
    RecipientList(config, ...)                        # one envelope, address by address

The work is sendmail's (see recipient.py); this module chooses the settings
(sendmail's -bv, delivery and SMTP modes differ only in them) and packages the
outcome: every address with its state, the deliverable ones as (mailer, host,
user, controlling user), the failed ones with their status, and sendmail's
transcript and exit status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from monomail import sysexits as ex
from monomail.config.model import Config
from monomail.rewrite.engine import Rewriter
from monomail.rewrite.parseaddr import RF_SENDERADDR, parseaddr

from .address import QS_BADADDR, QS_QUEUEUP, QS_SENDER, Recipient
from .notices import Notice, Notices, QuickAbort
from .owners import Envelope, split_by_owner
from .policy import Identity, Settings, identity, settings as make_settings
from .recipient import Expander, RecipientEnv
from .users import SystemUsers, UserDatabase


@dataclass
class Expansion:
    """The outcome of expanding some addresses."""

    sendq: list[Recipient]          # every address seen, dead ones included, in queue order
    notices: list[Notice]           # what sendmail would have said, in order
    errors: int                     # sendmail's Errors count
    exit_status: int                # sendmail's ExitStat after recipient processing
    envelopes: list[Envelope]       # the split by owner- aliases, in delivery order

    @property
    def deliverable(self) -> list[Recipient]:
        return [q for q in self.sendq if q.sendable]

    @property
    def failed(self) -> list[Recipient]:
        return [q for q in self.sendq if q.state == QS_BADADDR]


@dataclass(frozen=True)
class Verdict:
    """What an RCPT check found: ok (the address may be accepted), the reply (the
    error reply when not ok), and the queue entry when one was made."""

    ok: bool
    reply: str
    recipient: Recipient | None


class RecipientList:
    """One envelope's recipients as they arrive (argv, -t headers, RCPT commands)."""

    def __init__(self, config: Config, settings: Settings | None = None, *,
                 users: UserDatabase | None = None, sink: Callable[[str], None] | None = None,
                 ident: Identity | None = None, rw: Rewriter | None = None,
                 signature: Callable[[Recipient], str] | None = None) -> None:
        """settings: the cf's and the mode's (default: delivery, this process's identity);
        sink: where messages sendmail would show go (-bv's terminal); signature: the
        delivery stage's host signature when settings.sort is "signature"."""
        self.users = users or SystemUsers()
        self.settings = settings or make_settings(config, ident or shared_identity(config))
        self.notices = Notices(sink=sink, verbose=self.settings.verbose)
        self.env = RecipientEnv(config, self.notices)
        self.expander = Expander(config, rw or shared_rewriter(config), self.env, self.users,
                                 self.settings, signature)

    @property
    def sendq(self) -> list[Recipient]:
        return self.expander.sendq

    def set_sender(self, address: str) -> Recipient | None:
        """The envelope sender, parsed as sendmail's setsender does for its address
        (for MeToo and the owner check)."""
        saved = self.notices.to
        parsed = parseaddr(self.expander.rw, self.env, address, RF_SENDERADDR, isrcpt=False)
        self.notices.to = saved
        if parsed is None:
            return None
        sender = self.expander.from_address(address, parsed)
        self.expander.sender = sender
        return sender

    def add(self, addresses: str, ctladdr: Recipient | None = None) -> int:
        """sendtolist: a list as written on the command line or in a header."""
        return self.expander.sendtolist(addresses, ctladdr, 0)

    def parse_rcpt(self, text: str) -> tuple[Recipient | None, int]:
        """RCPT's parseaddr: the address up to the first blank outside quotes and
        brackets (ESMTP parameters follow), and where it ended.  None after a syntax
        error (the notices say which) or for an empty address."""
        errors_before = self.notices.errors
        item, end = self.expander.parse_item(text, 0, " ")
        if item is None and self.notices.errors == errors_before:
            self.notices.usrerr("501 5.0.0 Missing recipient", to="")
        return item, end

    def accept(self, item: Recipient) -> Verdict:
        """RCPT after parsing and check_rcpt: enter the address (and, unless only
        verifying, expand it); the first user error ends the command, as sendmail's
        QuickAbort does, and becomes the reply."""
        notices = self.notices
        errors_before = notices.errors
        notices.quick_abort = True
        try:
            entry = self.expander.recipient(item, 0)
        except QuickAbort as stop:
            return Verdict(False, stop.reply, item)
        finally:
            notices.quick_abort = False
        if notices.errors > errors_before:
            return Verdict(False, notices.said[-1].reply, entry)
        if entry.state == QS_BADADDR:
            return Verdict(False, "550 5.1.1 Addressee unknown", entry)
        return Verdict(True, "250 2.1.5 Recipient ok" +
                       (" (will queue)" if entry.state == QS_QUEUEUP else ""), entry)

    def add_rcpt(self, text: str) -> Verdict:
        """parse_rcpt and accept, for callers without a check_rcpt step."""
        errors_before = self.notices.errors
        item, _ = self.parse_rcpt(text)
        if item is None or self.notices.errors > errors_before:
            return Verdict(False, self.notices.said[-1].reply, item)
        return self.accept(item)

    def finish(self, hop_count: int = 0, relay: str | None = None) -> Expansion:
        """What sendall does before delivering: the hop-count loop check (hop_count is
        the message's Received: count, relay the client it came from), sender deletion
        (without MeToo) and the split by owner."""
        x = self.expander
        sender = x.sender
        limit = self.env.config.options.get("MaxHopCount")
        if isinstance(limit, int) and hop_count > limit:
            self._too_many_hops(hop_count, limit, relay)
            envelopes = [Envelope(None, [q for q in x.sendq if not q.dead])]
        else:
            if sender is not None and not self.settings.me_too:
                sender.state = QS_SENDER
                x.recipient(sender, 0)
            envelopes = split_by_owner(x.sendq, sender.paddr if sender else None,
                                       x.send_receipt)
        return Expansion(x.sendq, list(self.notices.said), self.notices.errors,
                         self.env.exit_status, envelopes)

    def _too_many_hops(self, hop_count: int, limit: int, relay: str | None) -> None:
        """A mail loop: every live recipient fails with 5.4.6."""
        x = self.expander
        first = x.sendq[0].paddr if x.sendq else "(nobody)"
        sender = x.sender.paddr if x.sender is not None else ""
        self.env.exit_status = ex.EX_UNAVAILABLE
        self.notices.syserr(f"554 5.4.6 Too many hops {hop_count} ({limit} max): from "
                            f"{sender} via {relay or 'localhost'}, to {first}")
        for q in x.sendq:
            if not q.dead:
                q.state, q.status = QS_BADADDR, "5.4.6"
                q.rstatus = "554 5.4.6 Too many hops"


def shared_rewriter(config: Config) -> Rewriter:
    """One Rewriter per Config: its compiled rulesets and result cache serve every
    envelope (RecipientList makes one RecipientEnv per envelope)."""
    rw = config.memo.get("rewriter")
    if rw is None:
        rw = config.memo["rewriter"] = Rewriter(config)
    return rw


def shared_identity(config: Config) -> Identity:
    """The process's identity under this cf, looked up once (passwd reads)."""
    ident = config.memo.get("identity")
    if ident is None:
        ident = config.memo["identity"] = identity(config)
    return ident


def expand(config: Config, addresses: Iterable[str] | str, *, sender: str | None = None,
           settings: Settings | None = None, users: UserDatabase | None = None,
           sink: Callable[[str], None] | None = None) -> Expansion:
    """Expand addresses (each string a list, as sendmail's argv) for delivery."""
    rcpts = RecipientList(config, settings, users=users, sink=sink)
    if sender is not None:
        rcpts.set_sender(sender)
    for text in [addresses] if isinstance(addresses, str) else addresses:
        rcpts.add(text)
    return rcpts.finish()


def verify_one(config: Config, address: str, *, settings: Settings | None = None,
               users: UserDatabase | None = None, rcpts: RecipientList | None = None) -> Verdict:
    """The RCPT-time check: parse, look up aliases and the user (no .forward), and say
    "User unknown" (or the rules' error) the way sendmail answers RCPT."""
    if rcpts is None:
        users = users or SystemUsers()
        settings = settings or make_settings(config, shared_identity(config), verify_only=True)
        rcpts = RecipientList(config, settings, users=users)
    return rcpts.add_rcpt(address)


__all__ = ["Expansion", "RecipientList", "Verdict", "expand", "verify_one"]
