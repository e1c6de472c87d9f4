"""The in-memory index of the journal: which messages exist, their newest state, where
their data is, and which records a segment holds that the queue still needs.

Pure code, no I/O.  Records are applied in any order (segments are read independently and
several processes append to their own); the highest version of a message wins, and a done
record wins over everything, so reading order never resurrects a message.  The index is
built once at start and then kept current by applying what is appended, so a queue run
costs nothing per message already known.
"""

from __future__ import annotations

from dataclasses import dataclass

from monomail.queue.qfcodec import ControlFile
from monomail.queue.records import DONE, MESSAGE, STATE


@dataclass(frozen=True, slots=True)
class Location:
    """Where a message's data lies in a segment file, and its checksum."""

    segment: str
    offset: int
    length: int
    crc: int


@dataclass(slots=True)
class Entry:
    """Everything known about one queue id.  The newest control file is kept as written
    (it was checked when read; load() decodes it again), with the two numbers a queue run
    sorts by, so that a big queue costs little memory and no parsing per run."""

    control: bytes | None = None          # newest control file (None if only done was seen)
    version: int = -1                     # version of `control`
    next_try: int = 0
    priority: int = 0
    highest: int = -1                     # highest version seen: the next change uses highest + 1
    done: int | None = None               # version of a done record, if any
    copies: tuple[tuple[int, Location], ...] = ()   # (version, where) of each message record
    states: dict[str, int] | None = None  # segment -> highest state record version in it
    dones: tuple[str, ...] = ()           # segments holding a done record

    @property
    def data(self) -> Location | None:
        """The data of the highest-version message record (all copies hold the same bytes)."""
        return max(self.copies, key=lambda item: item[0])[1] if self.copies else None

    @property
    def live(self) -> bool:
        return self.done is None and self.control is not None and bool(self.copies)

    def copy_segments(self) -> set[str]:
        return {where.segment for _, where in self.copies}


@dataclass(frozen=True, slots=True)
class Need:
    """A record a segment holds that must be written again before the segment is deleted:
    the message with its newest state (MESSAGE), only its newest state (STATE), or the fact
    that it is done (DONE) while an older copy elsewhere could bring it back."""

    kind: bytes
    qid: str
    version: int


class QueueIndex:
    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self.segments: dict[str, set[str]] = {}    # segment -> queue ids with records in it

    def _entry(self, segment: str, qid: str, version: int) -> Entry:
        entry = self.entries.setdefault(qid, Entry())
        entry.highest = max(entry.highest, version)
        self.segments.setdefault(segment, set()).add(qid)
        return entry

    def add_message(self, segment: str, qid: str, version: int, control: ControlFile,
                    raw: bytes, where: Location) -> None:
        entry = self._entry(segment, qid, version)
        kept = [c for c in entry.copies if c[1].segment != segment or c[0] >= version]
        if all(c[1].segment != segment for c in kept):
            kept.append((version, where))
        entry.copies = tuple(kept)
        self._set_state(entry, version, control, raw)

    def add_state(self, segment: str, qid: str, version: int, control: ControlFile,
                  raw: bytes) -> None:
        entry = self._entry(segment, qid, version)
        if entry.states is None:
            entry.states = {}
        entry.states[segment] = max(entry.states.get(segment, -1), version)
        self._set_state(entry, version, control, raw)

    def add_done(self, segment: str, qid: str, version: int) -> None:
        entry = self._entry(segment, qid, version)
        if segment not in entry.dones:
            entry.dones += (segment,)
        entry.done = max(entry.done if entry.done is not None else -1, version)

    @staticmethod
    def _set_state(entry: Entry, version: int, control: ControlFile, raw: bytes) -> None:
        if version > entry.version:
            entry.control, entry.version = raw, version
            entry.next_try, entry.priority = control.next_try, control.envelope.priority

    def reserve(self, qid: str) -> int:
        """The version for a new change to `qid`; never reused, even if the write fails."""
        entry = self.entries[qid]
        entry.highest += 1
        return entry.highest

    # ------------------------------------------------------------ questions
    def get(self, qid: str) -> Entry | None:
        entry = self.entries.get(qid)
        return entry if entry is not None and entry.live else None

    def live(self) -> list[str]:
        """Queue ids of messages still to be delivered, oldest first (ids sort by time)."""
        return sorted(qid for qid, entry in self.entries.items() if entry.live)

    def needs(self, segment: str) -> list[Need]:
        """What must be copied out of `segment` before it may be deleted."""
        needs = []
        for qid in sorted(self.segments.get(segment, ())):
            entry = self.entries[qid]
            need = _need(entry, segment)
            if need is not None:
                needs.append(Need(need, qid, entry.done if need == DONE else entry.version))
        return needs

    def drop_segment(self, segment: str) -> None:
        """Forget a deleted segment's records, and messages nothing refers to any more."""
        for qid in self.segments.pop(segment, ()):
            entry = self.entries[qid]
            entry.copies = tuple(c for c in entry.copies if c[1].segment != segment)
            if entry.states is not None:
                entry.states.pop(segment, None)
            entry.dones = tuple(d for d in entry.dones if d != segment)
            if not (entry.copies or entry.states or entry.dones):
                del self.entries[qid]


def _need(entry: Entry, segment: str) -> bytes | None:
    others = entry.copy_segments() - {segment}
    if entry.done is not None:
        return DONE if entry.dones == (segment,) and others else None
    if entry.control is None or not entry.copies:
        return None                                  # a state without data: never delivered
    if not others:
        return MESSAGE
    newest = {where.segment for v, where in entry.copies if v == entry.version}
    newest |= {s for s, v in (entry.states or {}).items() if v == entry.version}
    return STATE if newest == {segment} else None
