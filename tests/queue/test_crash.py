"""Processes using one queue are killed with SIGKILL at random points; the journal must
still hold every acknowledged message whole, and nothing half written.

Forked children (no interpreter start) submit messages (one at a time, as the command
line does, or from concurrent coroutines, as the SMTP server does) or deliver them (claim,
mark a recipient sent, remove, compact), and report on a pipe what was acknowledged: each
line is written only after the call returned, i.e. after its fdatasync.  The parent kills a
child after a random number of such reports, so the kill lands anywhere in the next call:
inside write(), between write() and fdatasync(), in a compaction.  Afterwards a fresh
store recovers the directory and every report is checked against it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import signal
from pathlib import Path
from typing import Callable

from monomail.queue.qfcodec import ControlFile, Envelope, Recipient, RecipientState
from monomail.queue.store import MessageLockedError, QueueStore, UnknownMessageError

KILLS = 200
AT_ONCE = 4
ENVELOPE = Envelope("joe@example.com", (Recipient("ann@example.org"), Recipient("bob@example.org")))


def message(number: int) -> bytes:
    """Data that says which number it is; every 7th is large, so writes take a while."""
    size = 200_000 if number % 7 == 0 else 40 + number % 900
    return b"X-N: %d\r\n\r\n" % number + bytes([number % 251]) * size


def number_of(data: bytes) -> int:
    return int(data.split(b"\r\n", 1)[0].split(b" ")[1])


def mark_first_sent(control: ControlFile) -> ControlFile:
    rcpts = list(control.envelope.recipients)
    rcpts[0] = dataclasses.replace(rcpts[0], state=RecipientState.SENT, status="2.0.0")
    return dataclasses.replace(control, envelope=dataclasses.replace(control.envelope,
                                                                     recipients=tuple(rcpts)))


# ------------------------------------------------------------------ children

def submit_one_by_one(store: QueueStore, report: Callable[[str], None], base: int) -> None:
    """As `monomail -odq` does, one process per message: a new store each time."""
    for i in range(10 ** 9):
        one = QueueStore(store.directory, min_free_blocks=0, adopt_limit=600_000)
        qid = one.submit(ENVELOPE, message(base + i))
        report(f"sub {qid} {base + i}")
        one.close()


def submit_sessions(store: QueueStore, report: Callable[[str], None], base: int) -> None:
    """As the SMTP server does: 8 sessions sharing flushes."""
    async def session(k: int) -> None:
        for i in range(k, 10 ** 9, 8):
            qid = await store.submit_async(ENVELOPE, message(base + i))
            report(f"sub {qid} {base + i}")
    async def all_sessions() -> None:
        await asyncio.gather(*(session(k) for k in range(8)))
    asyncio.run(all_sessions())


def deliver(store: QueueStore, report: Callable[[str], None], base: int) -> None:
    """As a queue run does: claim, record a delivery, finish, now and then compact."""
    done = 0
    while True:
        for qid in store.list():
            try:
                with store.locked(qid):
                    store.update(qid, mark_first_sent)
                    report(f"sent {qid}")
                    store.remove(qid)
                    report(f"rm {qid}")
            except (MessageLockedError, UnknownMessageError):
                continue
            done += 1
            if done % 5 == 0:
                store.compact()


ROLES = [submit_one_by_one, submit_sessions, deliver, submit_one_by_one]


def child(directory: Path, role: Callable[..., None], base: int, out: int) -> None:
    def report(line: str) -> None:
        os.write(out, line.encode() + b"\n")
    store = QueueStore(directory, min_free_blocks=0, adopt_limit=600_000, rotate_size=2_000_000)
    role(store, report, base)


def spawn(directory: Path, role: Callable[..., None], base: int) -> tuple[int, int]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.close(read_end)
            child(directory, role, base, write_end)
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


# ------------------------------------------------------------------ parent

class Reports:
    def __init__(self) -> None:
        self.submitted: dict[str, int] = {}
        self.sent: set[str] = set()
        self.removed: set[str] = set()

    def take(self, line: str) -> None:
        kind, qid, *rest = line.split()
        if kind == "sub":
            self.submitted[qid] = int(rest[0])
        elif kind == "sent":
            self.sent.add(qid)
        else:
            self.removed.add(qid)


def run_until_killed(pid: int, fd: int, reports: Reports, wanted: int) -> None:
    """Read reports until `wanted` of them arrived, then SIGKILL; keep what was in flight."""
    buffer = b""
    seen = 0
    killed = False
    while True:
        if seen >= wanted and not killed:
            os.kill(pid, signal.SIGKILL)
            killed = True
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            reports.take(line.decode())
            seen += 1
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, \
        f"child ended on its own (status {status}) after {seen} reports"


def test_sigkill_at_random_points(tmp_path: Path) -> None:
    rnd = random.Random(20261125)
    directory = tmp_path / "mqueue"
    QueueStore(directory, min_free_blocks=0).recover()
    reports = Reports()
    for round_start in range(0, KILLS, AT_ONCE):
        children = []
        for k in range(AT_ONCE):
            role = ROLES[(round_start + k) % len(ROLES)]
            children.append((spawn(directory, role, (round_start + k) * 1_000_000),
                             rnd.choice([0, 1, 2, 3, 5, 8, 13])))
        for (pid, fd), wanted in children:
            run_until_killed(pid, fd, reports, wanted)

    store = QueueStore(directory, min_free_blocks=0)
    report = store.recover()
    assert report.quarantined == []
    live = set(report.messages)
    assert reports.submitted, "no submission was ever acknowledged"
    for qid, number in reports.submitted.items():
        if qid not in reports.sent:      # a kill after remove() but before its report is fine
            assert qid in live, f"acknowledged message {qid} lost"
    assert not live & reports.removed, "a finished message came back"
    for qid in live:                 # acknowledged or not, a message is whole or absent
        data = store.read_data(qid)
        assert data == message(number_of(data))
        if qid in reports.submitted:
            assert number_of(data) == reports.submitted[qid]
        if qid in reports.sent:
            assert store.load(qid).envelope.recipients[0].state == RecipientState.SENT
    assert len(reports.removed) > 0 and len(reports.sent) >= len(reports.removed)
