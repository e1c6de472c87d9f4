"""A queued message's undelivered recipients, expanded for one delivery attempt.

sendmail's queue run reads each qf recipient back with parseaddr and hands it to
recipient() (readqf), which looks up aliases, :include: files and .forward files, then
sendall splits the envelope by owner- aliases.  The same happens here with the recipient
stage (monomail.aliases), with one rule that makes retries safe: after an attempt the
control file holds what an address expanded to, each with its controlling address
(qfcodec.Controller, sendmail's qf C line), never the list itself.  A retry processes
those as sendmail's readqf does (the controlling address as their parent), so a list is
expanded once per message and a member already delivered is never sent to again.

Synchronous, as the recipient stage is: alias, password and file lookups are local reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from monomail.aliases.address import (QALIAS, QDELIVERED, QEXPANDED, QGOODUID, QPRIMARY,
                                      QS_EXPANDED, Recipient as Address)
from monomail.aliases.expand import RecipientList
from monomail.aliases.policy import Settings
from monomail.aliases.users import UserDatabase
from monomail.config.model import Config
from monomail.queue.qfcodec import ControlFile, Controller, Recipient, RecipientState

UNDELIVERED = (RecipientState.PENDING, RecipientState.DEFERRED)


@dataclass
class Leaf:
    """One recipient of this attempt: `entry` as the control file will keep it (its
    state and status are set after delivery), `q` the recipient stage's entry (mailer,
    host, user, home, state, status, controlling user), `source` the index of the
    control file recipient it stands for or came from."""

    source: int
    entry: Recipient
    q: Address


@dataclass
class Expanded:
    """What expansion made of the undelivered recipients.

    leaves: the live recipients of the message's own envelope, in queue order.
    clones: (owner, leaves) for each owner- alias that takes its members into an envelope
    of their own (sendmail's split envelopes, queued as messages of their own).
    owner: the owner that takes over the message's own envelope, when all of it went to one.
    expanded: (source, entry) for addresses the sender gave that expanded to several or into
    a list with an owner (the reports' "expanded" and "delivered to mailing list").
    unparsable: (source, reply) for control file recipients that no longer parse.
    sources: every control file recipient processed, whatever became of it.
    notices: what recipient processing said (a report's transcript)."""

    leaves: list[Leaf] = field(default_factory=list)
    clones: list[tuple[str, list[Leaf]]] = field(default_factory=list)
    owner: str | None = None
    expanded: list[tuple[int, Address]] = field(default_factory=list)
    unparsable: list[tuple[int, str]] = field(default_factory=list)
    sources: frozenset[int] = frozenset()
    notices: list[str] = field(default_factory=list)


def expand_pending(config: Config, control: ControlFile, sender: str, settings: Settings,
                   users: UserDatabase, hop_count: int = 0, relay: str | None = None) -> Expanded:
    """Expand every recipient still to deliver; `sender` is the envelope sender as the
    rules read it (for MeToo, owner- checks and Final-Recipient)."""
    rcpts = RecipientList(config, settings, users=users)
    rcpts.set_sender(sender)
    expander = rcpts.expander
    recipients = control.envelope.recipients
    tops: dict[int, int] = {}          # id(top of an alias chain) -> control file index
    result = Expanded()
    sources = []
    for index, rcpt in enumerate(recipients):
        if rcpt.state not in UNDELIVERED:
            continue
        sources.append(index)
        errors = rcpts.notices.errors
        item, _ = expander.parse_item(rcpt.address, 0, "\0")
        if item is None:
            said = rcpts.notices.said[-1].reply if rcpts.notices.errors > errors else \
                "553 5.1.3 Bad address syntax"
            result.unparsable.append((index, said))
            continue
        if rcpt.ctladdr is not None:
            item.alias = controlling_address(config, rcpt.ctladdr, users)
        tops[id(item.chain()[-1])] = index
        expander.recipient(item, 0)
    expansion = rcpts.finish(hop_count=hop_count, relay=relay)
    result.sources = frozenset(sources)
    result.notices = [n.reply for n in expansion.notices if not n.code.startswith("0")]
    main, *splits = expansion.envelopes
    result.owner = main.owner
    result.leaves = _leaves(main.recipients, tops, recipients)
    result.clones = [(env.owner or "", _leaves(env.recipients, tops, recipients, cloned=True))
                     for env in splits]
    for q in expansion.sendq:
        source = tops.get(id(q.chain()[-1]))
        if (source is not None and q.state == QS_EXPANDED and q.flags & QPRIMARY
                and q.flags & (QEXPANDED | QDELIVERED) and recipients[source].primary):
            result.expanded.append((source, q))
    return result


def controlling_address(config: Config, ctl: Controller, users: UserDatabase) -> Address:
    """sendmail's setctluser: the parent a recipient read back from the queue is given,
    with the uid and gid it had (the home from the password file, for $z)."""
    account = users.by_name(ctl.user) if ctl.user else None
    local = config.mailer("local")
    flags = QGOODUID | QPRIMARY | (QALIAS if ctl.alias else 0)
    return Address(paddr=ctl.address, mailer_name="local", mailer=local, host="",
                   user=ctl.user or ctl.address, state=QS_EXPANDED, flags=flags, uid=ctl.uid,
                   gid=ctl.gid, ruser=ctl.user, home=account.home if account else None)


def controller_of(q: Address, primary: bool) -> Controller | None:
    """What the queue keeps of the address that expanded to q: the nearest address above
    q with a good uid (alias, .forward owner, :include: owner)."""
    ctl = q.alias.ctladdr() if q.alias is not None else None
    if ctl is None:
        return None
    return Controller(ctl.paddr, ctl.uid, ctl.gid, ctl.ruser, bool(ctl.flags & QALIAS), primary)


def _leaves(found: list[Address], tops: dict[int, int], recipients: tuple[Recipient, ...],
            cloned: bool = False) -> list[Leaf]:
    """Queue entries for the live addresses of one envelope.  A single result of an
    address the sender gave stands for it (QPRIMARY); split envelopes drop NOTIFY, as
    sendall does for them."""
    leaves = []
    for q in found:
        source = tops.get(id(q.chain()[-1]))
        if source is None:
            continue                  # the sender itself (MeToo), or nothing we queued
        given = recipients[source]
        primary = given.primary and bool(q.flags & QPRIMARY)
        entry = Recipient(q.paddr, notify=() if cloned else given.notify, orcpt=given.orcpt,
                          ctladdr=controller_of(q, primary))
        leaves.append(Leaf(source, entry, q))
    return leaves
