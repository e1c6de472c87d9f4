"""When each queued message is tried next: the queue runner's pure core.

The runner keeps every message it knows in one heap ordered by (next try, priority,
queue id), built once at recovery and kept up to date as messages arrive, are tried
and leave; a queue run therefore costs what is due, not what is queued.

Retry timing: a message that was deferred waits `base * 2**(attempts-1)`, doubling
from `base` (MinQueueAge, at least 5 minutes as Postfix's minimal backoff) up to `cap`
(the -q interval when one is given, else one hour), so a dead destination is not
hammered and a live one is retried at least once per queue interval, which is what
sendmail admins expect of -q30m.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

MIN_BACKOFF = 300
DEFAULT_CAP = 3600


@dataclass(frozen=True)
class RetryPolicy:
    base: int = MIN_BACKOFF
    cap: int = DEFAULT_CAP

    @classmethod
    def from_options(cls, min_queue_age: int, queue_interval: int) -> "RetryPolicy":
        base = max(min_queue_age, MIN_BACKOFF)
        cap = queue_interval if queue_interval > 0 else DEFAULT_CAP
        return cls(base=min(base, cap), cap=max(cap, 1))

    def delay(self, attempts: int) -> int:
        """Seconds to wait after the `attempts`-th attempt (1 = the first) deferred."""
        if attempts <= 0:
            return 0
        return min(self.base << min(attempts - 1, 30), self.cap)


@dataclass(order=True)
class _Entry:
    due: float
    priority: int
    qid: str
    live: bool = field(default=True, compare=False)


class Schedule:
    """The runner's heap of queued messages; one entry per message.

    `add` replaces a message's entry (lazily: the old heap item is marked dead), `take`
    removes and returns what is due, most urgent first.
    """

    def __init__(self) -> None:
        self._heap: list[_Entry] = []
        self._by_qid: dict[str, _Entry] = {}

    def __len__(self) -> int:
        return len(self._by_qid)

    def __contains__(self, qid: str) -> bool:
        return qid in self._by_qid

    def add(self, qid: str, due: float, priority: int = 0) -> None:
        old = self._by_qid.get(qid)
        if old is not None:
            old.live = False
        entry = _Entry(due, priority, qid)
        self._by_qid[qid] = entry
        heapq.heappush(self._heap, entry)

    def discard(self, qid: str) -> None:
        entry = self._by_qid.pop(qid, None)
        if entry is not None:
            entry.live = False

    def next_due(self) -> float | None:
        """When the earliest message is due, or None when there is nothing queued."""
        self._drop_dead()
        return self._heap[0].due if self._heap else None

    def take(self, now: float, limit: int) -> list[str]:
        """Up to `limit` due messages, removed from the schedule (the caller adds back
        what it defers)."""
        due: list[str] = []
        while len(due) < limit:
            self._drop_dead()
            if not self._heap or self._heap[0].due > now:
                break
            entry = heapq.heappop(self._heap)
            del self._by_qid[entry.qid]
            due.append(entry.qid)
        return due

    def _drop_dead(self) -> None:
        while self._heap and not self._heap[0].live:
            heapq.heappop(self._heap)
