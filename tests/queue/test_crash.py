"""Processes using one queue are killed with SIGKILL at random points; the journal must
still hold every acknowledged message whole, and nothing half written.

Forked children (no interpreter start) submit messages (one at a time, as the command
line does, or from concurrent coroutines, as the SMTP server does), deliver them (claim,
mark a recipient sent, remove, compact) or recover the queue over and over, as a daemon
starting while others write.  They report on a pipe what was acknowledged: each line is
written only after the call returned, i.e. after its fdatasync.  The parent reads all
children at once and kills each after a random number of reports, so the kill lands
anywhere in the next call; half the submitters are instead killed just after announcing
the write() of a large batch, so that some kills cut a batch in half (the test fails if
none did).  Afterwards a fresh store recovers the directory and every report is checked.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import selectors
import signal
from pathlib import Path
from typing import Callable

from monomail.queue import segments
from monomail.queue.qfcodec import ControlFile, Envelope, Recipient, RecipientState
from monomail.queue.store import MessageLockedError, QueueStore, UnknownMessageError

KILLS = 200
AT_ONCE = 4
ENVELOPE = Envelope("joe@example.com", (Recipient("ann@example.org"), Recipient("bob@example.org")))


def message(number: int) -> bytes:
    """Data that says which number it is; every 7th is large, so writes take a while."""
    size = 3_000_000 if number % 11 == 0 else 40 + number % 900
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


def recover_again(store: QueueStore, report: Callable[[str], None], base: int) -> None:
    """As a daemon starting while others write: repair, compact, over and over."""
    while True:
        store.recover()
        report("rec - -")


ROLES = [submit_one_by_one, submit_sessions, deliver, submit_one_by_one, submit_sessions,
         recover_again, deliver, submit_one_by_one]


def child(directory: Path, role: Callable[..., None], base: int, out: int) -> None:
    def report(line: str) -> None:
        os.write(out, line.encode() + b"\n")

    def announced_write(fd: int, data: bytes) -> None:
        """Say when a batch write starts, so that some kills land inside write()."""
        if len(data) > 1_000_000:
            report("write - -")
        real_write_all(fd, data)

    def reported_cut(fd: int, length: int) -> None:
        """A writer or recovery cutting off half a batch a killed process left."""
        real_ftruncate(fd, length)
        report("cut - -")

    real_write_all, real_ftruncate = segments.write_all, os.ftruncate
    segments.write_all = announced_write
    os.ftruncate = reported_cut
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
        self.cuts = 0

    def take(self, line: str) -> None:
        kind, qid, *rest = line.split()
        if kind == "sub":
            self.submitted[qid] = int(rest[0])
        elif kind in ("rec", "write"):
            pass
        elif kind == "cut":
            self.cuts += 1
        elif kind == "sent":
            self.sent.add(qid)
        else:
            self.removed.add(qid)


class Child:
    """A running child: its pipe, the reports still wanted before the kill."""

    def __init__(self, pid: int, fd: int, wanted: int, counted: str | None) -> None:
        """`counted`: the kind of report counted towards `wanted` (None: any)."""
        self.pid, self.fd, self.wanted, self.counted = pid, fd, wanted, counted
        self.buffer = b""
        self.seen = 0
        self.killed = False

    def kill_when_due(self) -> None:
        if self.seen >= self.wanted and not self.killed:
            os.kill(self.pid, signal.SIGKILL)
            self.killed = True

    def read(self, reports: Reports) -> bool:
        """Take what the child wrote; False at end of file (it is dead)."""
        chunk = os.read(self.fd, 65536)
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            reports.take(line.decode())
            if self.counted is None or line.startswith(self.counted.encode()):
                self.seen += 1
        self.kill_when_due()
        return bool(chunk)

    def reap(self) -> None:
        os.close(self.fd)
        _, status = os.waitpid(self.pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, \
            f"child ended on its own (status {status}) after {self.seen} reports"


def run_until_killed(children: list[Child], reports: Reports) -> None:
    """Read all children's reports as they come; kill each after its wanted number (so
    none runs on unobserved), keep what was in flight when the kill landed."""
    with selectors.DefaultSelector() as selector:
        for child in children:
            child.kill_when_due()
            selector.register(child.fd, selectors.EVENT_READ, child)
        while selector.get_map():
            for key, _ in selector.select():
                if not key.data.read(reports):
                    selector.unregister(key.fd)
                    key.data.reap()


def test_sigkill_at_random_points(tmp_path: Path) -> None:
    rnd = random.Random(20261125)
    directory = tmp_path / "mqueue"
    QueueStore(directory, min_free_blocks=0).recover()
    reports = Reports()
    for round_start in range(0, KILLS, AT_ONCE):
        children = []
        for k in range(AT_ONCE):
            role = ROLES[(round_start + k) % len(ROLES)]
            wanted = rnd.choice([0, 1, 2] if role is recover_again else [0, 1, 2, 3, 5, 8, 13])
            # half the submitters are killed just as a large batch starts being written
            submitter = role in (submit_one_by_one, submit_sessions)
            counted = "write" if submitter and rnd.random() < 0.5 else None
            if counted:
                wanted = rnd.choice([1, 2])
            children.append(Child(*spawn(directory, role, (round_start + k) * 1_000_000),
                                  wanted, counted))
        run_until_killed(children, reports)

    store = QueueStore(directory, min_free_blocks=0)
    report = store.recover()
    print(f"{len(reports.submitted)} acknowledged, {len(reports.removed)} finished, "
          f"{reports.cuts + len(report.dropped)} half-written batches cut off")
    assert reports.cuts + len(report.dropped) > 0, "no kill landed inside a write"
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
