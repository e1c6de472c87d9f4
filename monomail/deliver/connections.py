"""The SMTP connection cache (sendmail's mci cache: ConnectionCacheSize, ConnectionCacheTimeout).

A connection is kept per (mailer, host) so the next delivery to that host skips
connecting, the greeting and EHLO; it is probed with RSET before reuse (smtpprobe).  The
cache has ConnectionCacheSize slots, filled as sendmail's mci_scan fills them (the last
empty slot, else the least recently used one, whose connection is closed); a connection
keeps its slot while a delivery uses it.  A connection idle for ConnectionCacheTimeout,
or that has made the mailer's m= number of deliveries, is closed: a timer closes each
idle one when its time is up, so none stays open after the traffic stops.  Closing sends
QUIT, in the background; at shutdown the slots are closed in order, as sendmail's
mci_flush does at exit.
"""

from __future__ import annotations

import asyncio
import time
from typing import Callable, Protocol


class Cacheable(Protocol):
    """What the cache needs of a connection."""

    key: tuple[str, str]
    last_use: float
    deliveries: int
    max_deliveries: int

    @property
    def is_open(self) -> bool: ...

    async def retire(self) -> None: ...


class ConnectionCache:
    """Connections by (mailer name, host) in `size` slots."""

    def __init__(self, size: int, timeout: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.size = max(size, 0)
        self.timeout = timeout
        self.clock = clock
        self._slots: list[Cacheable | None] = [None] * self.size
        self._busy: set[int] = set()
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._closing: set[asyncio.Task] = set()

    def __len__(self) -> int:
        return sum(s is not None for s in self._slots)

    def has(self, mailer: str, host: str) -> bool:
        """Is an idle connection to this host waiting (it is then tried first)?"""
        return self._find((mailer, host.lower())) is not None

    def take(self, mailer: str, host: str) -> Cacheable | None:
        """An idle open connection to host, now in use; None if there is none."""
        self.expire()
        index = self._find((mailer, host.lower()))
        if index is None:
            return None
        session = self._slots[index]
        self._busy.add(id(session))
        self._cancel_timer(session)
        return session

    def put(self, session: Cacheable) -> bool:
        """Keep a connection after a delivery; False (and nothing kept) when caching is
        off, the connection is closed or used up, or every slot is in use: the caller
        then quits it."""
        self._busy.discard(id(session))
        cached = session in self._slots
        if self.size <= 0 or not session.is_open or self._used_up(session):
            if cached:
                self._slots[self._slots.index(session)] = None
            return False
        session.last_use = self.clock()
        if not cached:
            index = self._free_slot()
            if index is None:
                return False
            if self._slots[index] is not None:
                self._evict(self._slots[index])  # type: ignore[arg-type]
            self._slots[index] = session
        loop = asyncio.get_running_loop()
        self._timers[id(session)] = loop.call_later(self.timeout, self._expire_one, session)
        return True

    def discard(self, session: Cacheable) -> None:
        """Forget a connection taken from the cache that turned out dead."""
        self._busy.discard(id(session))
        if session in self._slots:
            self._slots[self._slots.index(session)] = None
        self._cancel_timer(session)

    def expire(self) -> None:
        """Close idle connections past ConnectionCacheTimeout or no longer open."""
        for session in list(self._slots):
            if session is not None and id(session) not in self._busy:
                if not session.is_open or self.clock() - session.last_use >= self.timeout:
                    self._evict(session)

    async def close_all(self) -> None:
        """QUIT every idle connection, one after the other in slot order, and wait for
        any QUIT still under way."""
        for session in list(self._slots):
            if session is not None and id(session) not in self._busy:
                self.discard(session)
                await session.retire()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def _find(self, key: tuple[str, str]) -> int | None:
        for index, session in enumerate(self._slots):
            if (session is not None and session.key == key and id(session) not in self._busy
                    and session.is_open):
                return index
        return None

    def _free_slot(self) -> int | None:
        """mci_scan's choice: the last empty slot, else the least recently used idle one."""
        empty = [i for i, s in enumerate(self._slots) if s is None]
        if empty:
            return empty[-1]
        idle = [i for i, s in enumerate(self._slots) if id(s) not in self._busy]
        return min(idle, key=lambda i: self._slots[i].last_use) if idle else None  # type: ignore[union-attr]

    def _used_up(self, session: Cacheable) -> bool:
        return session.max_deliveries > 0 and session.deliveries + 1 >= session.max_deliveries

    def _expire_one(self, session: Cacheable) -> None:
        self._timers.pop(id(session), None)
        if session in self._slots and id(session) not in self._busy:
            self._evict(session)

    def _evict(self, session: Cacheable) -> None:
        if session not in self._slots:
            return
        self._slots[self._slots.index(session)] = None
        self._cancel_timer(session)
        task = asyncio.get_running_loop().create_task(session.retire())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _cancel_timer(self, session: Cacheable | None) -> None:
        timer = self._timers.pop(id(session), None)
        if timer is not None:
            timer.cancel()
