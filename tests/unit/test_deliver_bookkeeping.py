"""deliver.bookkeeping: the control file after an attempt, without any I/O."""

from __future__ import annotations

from dataclasses import replace

import pytest

from monomail.aliases.address import Recipient as Address
from monomail.deliver.bookkeeping import Progress, next_control, queue_state, undelivered
from monomail.deliver.expansion import Expanded, Leaf
from monomail.deliver.reports import Row
from monomail.dsn.report import Outcome, RecipientStatus
from monomail.queue.qfcodec import (ControlFile, Controller, Envelope, Recipient,
                                    RecipientState, encode)

TEAM = Controller("team", 1, 0, None, alias=True)
PROGRESS = Progress(attempts=2, priority=180000, next_try=1000, reason="Deferred: busy",
                    warned=0, sender="joe@example.org")


def control(*recipients: Recipient) -> ControlFile:
    return ControlFile("6AP3HY1D031232", Envelope("joe@example.org", recipients), created=1,
                       next_try=1, attempts=1, size=10)


def leaf(source: int, address: str, ctladdr: Controller | None = TEAM) -> Leaf:
    return Leaf(source, Recipient(address, ctladdr=ctladdr),
                Address(address, "local", None, "", address))


def status(outcome: Outcome, code: str) -> RecipientStatus:
    return RecipientStatus("x", outcome, "rfc822; x", status=code)


@pytest.mark.parametrize("outcome, state", [
    (Outcome.FAILED, RecipientState.FAILED), (Outcome.QUEUED, RecipientState.DEFERRED),
    (Outcome.DELAYED, RecipientState.DEFERRED), (Outcome.SENT, RecipientState.SENT),
    (Outcome.DELIVERED, RecipientState.SENT), (Outcome.RELAYED, RecipientState.SENT),
    (Outcome.EXPANDED, RecipientState.SENT)])
def test_queue_state(outcome: Outcome, state: RecipientState) -> None:
    assert queue_state(status(outcome, "2.0.0")) == state


def test_processed_recipients_are_replaced_by_what_they_expanded_to() -> None:
    """In place, in order; untouched and finished ones stay; a split-off member and a
    duplicate (no leaves) leave the list; an expanded list asked about stays as sent."""
    before = control(Recipient("done@x", RecipientState.SENT, status="2.0.0"),
                     Recipient("team", notify=("SUCCESS",)), Recipient("dup"),
                     Recipient("bob", RecipientState.DEFERRED))
    expanded = Expanded(leaves=[leaf(1, "alice"), leaf(1, "carol@x"), leaf(3, "bob", None)],
                        sources=frozenset({1, 2, 3}))
    statuses = (status(Outcome.DELIVERED, "2.0.0"), status(Outcome.QUEUED, "4.2.0"),
                status(Outcome.FAILED, "4.4.7"), status(Outcome.EXPANDED, "2.0.0"))
    rows = [Row("leaf", 0), Row("leaf", 1), Row("leaf", 2), Row("source", 1)]
    after = next_control(before, expanded, statuses, rows, PROGRESS)
    kept = after.envelope.recipients
    assert [(r.address, r.state.value, r.status, r.ctladdr) for r in kept] == [
        ("done@x", "sent", "2.0.0", None), ("team", "sent", "2.0.0", None),
        ("alice", "sent", "2.0.0", TEAM), ("carol@x", "deferred", "4.2.0", TEAM),
        ("bob", "failed", "4.4.7", None)]
    assert (after.attempts, after.envelope.priority, after.next_try, after.reason) == (
        2, 180000, 1000, "Deferred: busy")
    assert undelivered(after)
    encode(after)


def test_finished_recipients_give_way_when_the_list_would_be_too_long(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("monomail.deliver.bookkeeping.MAX_RECIPIENTS", 3)
    before = control(Recipient("list"))
    leaves = [leaf(0, f"m{n}") for n in range(5)]
    statuses = tuple(status(Outcome.SENT if n % 2 else Outcome.QUEUED, "2.0.0")
                     for n in range(5))
    after = next_control(before, Expanded(leaves=leaves, sources=frozenset({0})), statuses,
                         [Row("leaf", n) for n in range(5)], PROGRESS)
    assert [r.address for r in after.envelope.recipients] == ["m0", "m2", "m4"]


def test_nothing_left_to_deliver() -> None:
    done = control(Recipient("a", RecipientState.SENT), Recipient("b", RecipientState.FAILED))
    assert not undelivered(done)
    assert undelivered(replace(done, envelope=replace(done.envelope, recipients=(
        Recipient("c", RecipientState.DEFERRED),))))
