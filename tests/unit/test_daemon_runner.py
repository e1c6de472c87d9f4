"""The queue runner's schedule and dispatch, with a fake clock and fake deliveries."""

from __future__ import annotations

import asyncio

from monomail.daemon.runner import Attempt, QueueRunner
from monomail.daemon.schedule import RetryPolicy, Schedule


def test_backoff_doubles_from_base_to_cap() -> None:
    policy = RetryPolicy.from_options(min_queue_age=0, queue_interval=1800)
    assert [policy.delay(n) for n in range(0, 6)] == [0, 300, 600, 1200, 1800, 1800]
    assert RetryPolicy.from_options(900, 0).delay(1) == 900
    assert RetryPolicy.from_options(0, 60).delay(3) == 60   # -q1m: at least once a minute


def test_schedule_takes_due_messages_most_urgent_first() -> None:
    s = Schedule()
    s.add("c", 30.0)
    s.add("a", 10.0, priority=5)
    s.add("b", 10.0, priority=1)
    s.add("c", 5.0)                      # replaced: now due first
    assert len(s) == 3 and s.next_due() == 5.0
    assert s.take(10.0, limit=10) == ["c", "b", "a"]
    assert s.take(100.0, limit=10) == [] and s.next_due() is None
    s.add("d", 1.0)
    s.discard("d")
    assert s.take(100.0, 10) == [] and "d" not in s


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_runner_retries_deferred_and_drops_done() -> None:
    clock = FakeClock()
    tries: dict[str, int] = {}

    async def deliver(qid: str) -> Attempt:
        tries[qid] = tries.get(qid, 0) + 1
        return Attempt(done=qid == "ok" or tries[qid] == 3, attempts=tries[qid])

    async def scenario() -> None:
        runner = QueueRunner(deliver, RetryPolicy(base=300, cap=3600), max_active=2, clock=clock)
        runner.enqueue("ok")
        runner.enqueue("flaky")
        await runner.run_once()
        assert tries == {"ok": 1, "flaky": 1}
        assert runner.schedule.next_due() == 1300.0
        clock.now = 1300.0
        await runner.run_once()
        assert runner.schedule.next_due() == 1900.0       # second backoff: 600 s
        clock.now = 1900.0
        await runner.run_once()
        assert tries["flaky"] == 3 and len(runner.schedule) == 0
    asyncio.run(scenario())


def test_runner_respects_the_concurrency_limit_and_survives_a_crash() -> None:
    clock = FakeClock()
    running, peak, errors = 0, 0, []

    async def deliver(qid: str) -> Attempt:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0)
        running -= 1
        if qid == "bug":
            raise RuntimeError("broken message")
        return Attempt(done=True)

    async def scenario() -> None:
        runner = QueueRunner(deliver, RetryPolicy(), max_active=3, clock=clock,
                             on_error=lambda qid, exc: errors.append((qid, str(exc))))
        for i in range(20):
            runner.enqueue(f"m{i}")
        runner.enqueue("bug")
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))
        while len(runner.schedule) > 1 or runner.active:
            await asyncio.sleep(0)
        stop.set()
        await task
        assert "bug" in runner.schedule and runner.schedule.next_due() == 1300.0
    asyncio.run(scenario())
    assert peak == 3 and errors == [("bug", "broken message")]
