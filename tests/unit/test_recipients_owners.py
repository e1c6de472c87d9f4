"""monomail.aliases.owners: sendall's envelope split by owner- aliases."""

from __future__ import annotations

from monomail.aliases.address import QS_BADADDR, QS_EXPANDED, Recipient
from monomail.aliases.owners import split_by_owner


def rcpt(name: str, parent: Recipient | None = None, owner: str | None = None,
         state: int = 0) -> Recipient:
    return Recipient(name, "local", None, "", name, state=state, alias=parent, owner=owner)


def test_no_owners_one_envelope() -> None:
    q = [rcpt("a"), rcpt("b")]
    [envelope] = split_by_owner(q, "root", False)
    assert (envelope.owner, envelope.recipients) == (None, q)


def test_each_owner_gets_an_envelope_newest_first() -> None:
    """sendall splits off the last owner it saw that differs, then repeats; the split
    envelopes are delivered newest first."""
    list1 = rcpt("list1", owner="boss1", state=QS_EXPANDED)
    list2 = rcpt("list2", owner="boss2", state=QS_EXPANDED)
    a, b = rcpt("a", list1), rcpt("b", list2)
    c, bad = rcpt("c"), rcpt("d", list1, state=QS_BADADDR)
    parts = split_by_owner([list1, a, c, list2, b, bad], "root", True)
    assert [(e.owner, [q.paddr for q in e.recipients]) for e in parts] == \
        [(None, ["c"]), ("boss2", ["b"]), ("boss1", ["a", "d"])]


def test_owner_that_is_the_sender_is_dropped() -> None:
    top = rcpt("list", owner="root", state=QS_EXPANDED)
    member = rcpt("a", top)
    [envelope] = split_by_owner([top, member], "root", True)
    assert envelope.recipients == [member] and member.owner is None


def test_all_from_one_owner_takes_over_the_envelope() -> None:
    top = rcpt("list", owner="boss", state=QS_EXPANDED)
    members = [rcpt("a", top), rcpt("b", top)]
    [envelope] = split_by_owner([top, *members], "root", False)
    assert (envelope.owner, envelope.recipients) == ("boss", members)
