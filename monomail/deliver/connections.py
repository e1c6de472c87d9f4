"""The SMTP connection cache (sendmail's mci cache: ConnectionCacheSize, ConnectionCacheTimeout).

An idle connection is kept per (mailer, host) so the next delivery to that host skips
connecting, the greeting and EHLO; it is probed with RSET before reuse (smtpprobe).
At most `size` idle connections are kept: caching one more closes the least recently
used; a connection idle longer than `timeout`, or that has made the mailer's m= number
of deliveries, is closed.  Closing sends QUIT, in the background; a timer closes each
connection when its idle time is up, so none stays open after the traffic stops.
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
    """Idle SMTP sessions by (mailer name, host), least recently used first out."""

    def __init__(self, size: int, timeout: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.size = max(size, 0)
        self.timeout = timeout
        self.clock = clock
        self._idle: dict[tuple[str, str], list[Cacheable]] = {}
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._closing: set[asyncio.Task] = set()

    def __len__(self) -> int:
        return sum(len(v) for v in self._idle.values())

    def has(self, mailer: str, host: str) -> bool:
        """Is an idle connection to this host waiting (it is then tried first)?"""
        return bool(self._idle.get((mailer, host.lower())))

    def take(self, mailer: str, host: str) -> Cacheable | None:
        """An idle open connection to host, removed from the cache; None if there is none."""
        self.expire()
        sessions = self._idle.get((mailer, host.lower()))
        while sessions:
            session = sessions.pop()
            self._cancel_timer(session)
            if session.is_open:
                return session
        return None

    def put(self, session: Cacheable) -> bool:
        """Keep an open connection for reuse; False (and nothing kept) when caching is off,
        the connection is closed or has made its m= deliveries: the caller quits it."""
        if self.size <= 0 or not session.is_open or self._used_up(session):
            return False
        self.expire()
        while len(self) >= self.size:
            self._evict(self._least_recent())
        session.last_use = self.clock()
        self._idle.setdefault(session.key, []).append(session)
        loop = asyncio.get_running_loop()
        self._timers[id(session)] = loop.call_later(self.timeout, self._evict, session)
        return True

    def expire(self) -> None:
        """Close connections idle for ConnectionCacheTimeout or no longer open."""
        now = self.clock()
        for sessions in list(self._idle.values()):
            for session in list(sessions):
                if not session.is_open or now - session.last_use >= self.timeout:
                    self._evict(session)

    async def close_all(self) -> None:
        """QUIT every idle connection (at shutdown) and wait for the QUITs to end."""
        for sessions in list(self._idle.values()):
            for session in list(sessions):
                self._evict(session)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def _used_up(self, session: Cacheable) -> bool:
        return session.max_deliveries > 0 and session.deliveries + 1 >= session.max_deliveries

    def _least_recent(self) -> Cacheable:
        return min((s for v in self._idle.values() for s in v), key=lambda s: s.last_use)

    def _evict(self, session: Cacheable) -> None:
        sessions = self._idle.get(session.key, [])
        if session not in sessions:
            return
        sessions.remove(session)
        if not sessions:
            self._idle.pop(session.key, None)
        self._cancel_timer(session)
        task = asyncio.get_running_loop().create_task(session.retire())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _cancel_timer(self, session: Cacheable) -> None:
        timer = self._timers.pop(id(session), None)
        if timer is not None:
            timer.cancel()
