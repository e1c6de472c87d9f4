"""The queue runner: tries each message when it is due, never more than `max_active` at
once, and puts deferred ones back with their backoff.

Delivery itself is a callback (`deliver(qid) -> Attempt`) so the runner knows nothing
of mailers; messages arrive by `enqueue` (a fresh acceptance: tried at once in
DeliveryMode background) and by recovery at start.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

from .schedule import RetryPolicy, Schedule


@dataclass(frozen=True)
class Attempt:
    """What one try of a message left: `done` when nothing is left to deliver, else how
    many attempts it has had (for the backoff) and its priority."""

    done: bool
    attempts: int = 1
    priority: int = 0


Deliver = Callable[[str], Awaitable[Attempt]]


class QueueRunner:
    def __init__(self, deliver: Deliver, policy: RetryPolicy, max_active: int = 100,
                 clock: Callable[[], float] = time.time,
                 on_error: Callable[[str, BaseException], None] = lambda qid, exc: None) -> None:
        self.deliver, self.policy, self.clock, self.on_error = deliver, policy, clock, on_error
        self.schedule = Schedule()
        self.active: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(max_active)
        self._wake = asyncio.Event()

    def enqueue(self, qid: str, due: float | None = None, priority: int = 0) -> None:
        """Make `qid` known to the runner, due now unless `due` says later."""
        self.schedule.add(qid, self.clock() if due is None else due, priority)
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch due messages until `stop` is set; then wait for the active ones."""
        while not stop.is_set():
            await self._dispatch_due()
            await self._sleep_until_due(stop)
        await self.drain()

    async def run_once(self) -> None:
        """One queue run (-q): try every message due now, then return."""
        await self._dispatch_due()
        await self.drain()

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait for deliveries in progress; False if some were still running at timeout."""
        if not self.active:
            return True
        done, pending = await asyncio.wait(set(self.active), timeout=timeout)
        return not pending

    async def _dispatch_due(self) -> None:
        while True:
            await self._slots.acquire()
            due = self.schedule.take(self.clock(), 1)
            if not due:
                self._slots.release()
                return
            task = asyncio.create_task(self._try(due[0]))
            self.active.add(task)
            task.add_done_callback(self.active.discard)

    async def _try(self, qid: str) -> None:
        try:
            outcome = await self.deliver(qid)
        except Exception as exc:  # noqa: BLE001 - one message's fault must not stop the runner
            self.on_error(qid, exc)
            outcome = Attempt(done=False, attempts=1)
        finally:
            self._slots.release()
            self._wake.set()
        if not outcome.done:
            self.schedule.add(qid, self.clock() + self.policy.delay(outcome.attempts),
                              outcome.priority)

    async def _sleep_until_due(self, stop: asyncio.Event) -> None:
        self._wake.clear()
        due = self.schedule.next_due()
        timeout = None if due is None else max(due - self.clock(), 0.0)
        if timeout == 0.0 and self._slots.locked():
            timeout = None        # due work waits for a free slot: a finish wakes us
        waiters = {asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())}
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
