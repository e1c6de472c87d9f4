"""Envelopes by owner: sendmail's sendall splits recipients whose alias has an owner-
alias into envelopes of their own, sent with the owner as the envelope sender, so
that bounces for a mailing list go to its owner and not to whoever wrote to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .address import Recipient


@dataclass
class Envelope:
    """One envelope after the split: its sender (None: the message's own) and its
    live recipients (deliverable or failed) in queue order."""

    owner: str | None
    recipients: list[Recipient] = field(default_factory=list)


def assign_owners(sendq: list[Recipient], sender: str | None) -> None:
    """Each address takes the owner of the nearest alias above it; an owner that is the
    sender itself is dropped."""
    for q in sendq:
        q.owner = next((a.owner for a in q.chain() if a.owner is not None), None)
        if q.owner is not None and not q.dead and q.owner == sender:
            q.owner = None


def split_by_owner(sendq: list[Recipient], sender: str | None,
                   send_receipt: bool) -> list[Envelope]:
    """The envelopes sendall delivers, in the order it delivers them: the original
    (possibly taken over by an owner), then the split ones, newest first."""
    assign_owners(sendq, sender)
    moved: set[int] = set()
    splits: list[Envelope] = []
    owner: str | None = ""
    others = 1
    while owner is not None and others > 0:
        owner, others = None, 1 if send_receipt else 0
        for q in sendq:
            if q.dead or id(q) in moved:
                continue
            if q.owner is None:
                others += 1
            elif owner is None:
                owner = q.owner
            elif q.owner != owner:
                others += 1
                owner = q.owner
        if owner is not None and others > 0:
            members = [q for q in sendq if q.owner == owner and id(q) not in moved]
            moved.update(id(q) for q in members)
            splits.append(Envelope(owner, [q for q in members if not q.dead]))
    main = Envelope(owner, [q for q in sendq if not q.dead and id(q) not in moved])
    return [main] + splits[::-1]
