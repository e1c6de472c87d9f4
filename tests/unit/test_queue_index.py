"""The journal index: order of reading never matters, done never comes back, and a segment
is only deleted once what it holds is written elsewhere."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from monomail.queue.index import Location, Need, QueueIndex
from monomail.queue.qfcodec import ControlFile, Envelope, Recipient, encode
from monomail.queue.records import DONE, MESSAGE, STATE

QID = "6AP3HY1D031232"
BASE = ControlFile(QID, Envelope("joe@example.com", (Recipient("ann@example.org"),)),
                   created=1, next_try=1, size=5)


def state(version: int) -> ControlFile:
    return dataclasses.replace(BASE, attempts=version)


def message(index: QueueIndex, segment: str, version: int, qid: str = QID) -> None:
    control = dataclasses.replace(state(version), qid=qid)
    index.add_message(segment, qid, version, control, encode(control), where(segment))


def new_state(index: QueueIndex, segment: str, version: int) -> None:
    index.add_state(segment, QID, version, state(version), encode(state(version)))


def where(segment: str) -> Location:
    return Location(segment, 100, 5, 0)


def apply(index: QueueIndex, item: tuple[bytes, str, int]) -> None:
    kind, segment, version = item
    if kind == MESSAGE:
        message(index, segment, version)
    elif kind == STATE:
        new_state(index, segment, version)
    else:
        index.add_done(segment, QID, version)


histories = st.lists(st.tuples(st.sampled_from([STATE, DONE]), st.sampled_from("ABC")),
                     max_size=6).map(
    lambda changes: [(MESSAGE, "A", 0)] + [(k, s, v) for v, (k, s) in enumerate(changes, 1)])


@given(histories, st.randoms())
def test_reading_order_does_not_matter(history: list[tuple[bytes, str, int]], rnd) -> None:
    ordered, shuffled = QueueIndex(), QueueIndex()
    for item in history:
        apply(ordered, item)
    mixed = list(history)
    rnd.shuffle(mixed)
    for item in mixed:
        apply(shuffled, item)
    done = any(kind == DONE for kind, _, _ in history)
    assert ordered.live() == shuffled.live() == ([] if done else [QID])
    if not done:
        assert shuffled.get(QID).control == encode(state(history[-1][2]))  # type: ignore[union-attr]
    assert shuffled.entries[QID].highest == history[-1][2]


def test_done_wins_over_later_copies() -> None:
    index = QueueIndex()
    index.add_done("B", QID, 1)
    message(index, "A", 0)
    new_state(index, "C", 5)
    assert index.get(QID) is None and index.live() == []


def test_only_copy_of_a_message_is_needed_with_its_newest_state() -> None:
    index = QueueIndex()
    message(index, "A", 0)
    new_state(index, "B", 1)
    assert index.needs("A") == [Need(MESSAGE, QID, 1)]        # merged: data with state 1
    assert index.needs("B") == [Need(STATE, QID, 1)]
    message(index, "C", 1)      # the merged copy was written
    assert index.needs("A") == index.needs("B") == index.needs("C") == []
    index.drop_segment("A")
    index.drop_segment("B")
    assert index.needs("C") == [Need(MESSAGE, QID, 1)]


def test_done_is_needed_while_an_older_copy_exists() -> None:
    index = QueueIndex()
    message(index, "A", 0)
    index.add_done("B", QID, 1)
    assert index.needs("A") == []
    assert index.needs("B") == [Need(DONE, QID, 1)]
    index.drop_segment("A")
    assert index.needs("B") == []
    index.drop_segment("B")
    assert index.entries == {} and index.segments == {}


def test_two_segments_holding_each_others_done() -> None:
    """A holds message 1 and the done of 2, B the reverse: deleting A must carry the done
    of 2 forward, after which B can go without carrying anything."""
    other = "6AP3HY1E031232"
    index = QueueIndex()
    message(index, "A", 0)
    index.add_done("A", other, 1)
    message(index, "B", 0, other)
    index.add_done("B", QID, 1)
    assert index.needs("A") == [Need(DONE, other, 1)]
    index.add_done("C", other, 1)
    index.drop_segment("A")
    assert index.needs("B") == [] and index.live() == []


def test_state_without_data_is_never_delivered_nor_kept() -> None:
    index = QueueIndex()
    new_state(index, "B", 3)
    assert index.live() == [] and index.needs("B") == []


def test_reserved_versions_are_never_reused() -> None:
    index = QueueIndex()
    message(index, "A", 0)
    assert [index.reserve(QID) for _ in range(3)] == [1, 2, 3]
    new_state(index, "A", 2)
    assert index.reserve(QID) == 4


def test_data_follows_the_newest_copy() -> None:
    index = QueueIndex()
    message(index, "A", 0)
    message(index, "C", 2)
    assert index.get(QID).data == where("C")  # type: ignore[union-attr]
    index.drop_segment("C")
    assert index.get(QID).data == where("A")  # type: ignore[union-attr]
