"""Queue store: atomic submission, updates, crash recovery, quarantine, group commit, free space."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import random
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable, Iterator

import pytest

from monomail.queue import store as store_mod
from monomail.queue.qfcodec import (ControlFile, Envelope, Recipient, RecipientState,
                                    QueueFileError, encode)
from monomail.queue.store import (GroupCommitter, MessageTooLargeError, MissingDataError,
                                  NoSpaceError, QueueError, QueueStore, room_for)

ENVELOPE = Envelope(sender="joe@example.com",
                    recipients=(Recipient("ann@example.org"), Recipient("bob@example.org")),
                    macros=(("{client_addr}", "127.0.0.2"),))
DATA = b"Subject: hi\r\n\r\nhello\r\n"


@pytest.fixture
def queue(tmp_path: Path) -> QueueStore:
    return QueueStore(tmp_path / "mqueue", min_free_blocks=0, clock=lambda: 1795577000.0)


@pytest.fixture(autouse=True)
def made(queue: QueueStore) -> None:
    queue.directory.mkdir()


def names(queue: QueueStore) -> list[str]:
    return sorted(os.listdir(queue.directory))


class FsyncCounter:
    """Wraps os.fsync: counts file and directory fsyncs, and records which control files
    were in the directory when each directory fsync returned (those are durable)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.files = 0
        self.directories = 0
        self.durable: set[str] = set()
        self._real = os.fsync
        self._lock = threading.Lock()

    def __call__(self, fd: int) -> None:
        self._real(fd)
        is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
        with self._lock:
            if not is_dir:
                self.files += 1
                return
            self.directories += 1
            self.durable |= {n[2:] for n in os.listdir(self.directory) if n.startswith("qf")}


@pytest.fixture
def fsyncs(queue: QueueStore, monkeypatch: pytest.MonkeyPatch) -> Iterator[FsyncCounter]:
    counter = FsyncCounter(queue.directory)
    monkeypatch.setattr(os, "fsync", counter)
    yield counter


# ------------------------------------------------------------------ basic operations

def test_submit_load_list_remove(queue: QueueStore, fsyncs: FsyncCounter) -> None:
    qid = queue.submit(ENVELOPE, DATA)
    assert names(queue) == [f"df{qid}", f"qf{qid}"]
    assert (fsyncs.files, fsyncs.directories) == (2, 1)
    assert qid in fsyncs.durable
    control = queue.load(qid)
    assert control.envelope == ENVELOPE and control.size == len(DATA)
    assert control.created == control.next_try == 1795577000 and control.attempts == 0
    assert queue.data_path(qid).read_bytes() == DATA
    assert queue.list() == [qid]
    queue.remove(qid)
    assert names(queue) == [] and queue.list() == []


def test_files_are_private(queue: QueueStore) -> None:
    qid = queue.submit(ENVELOPE, DATA)
    assert stat.S_IMODE(os.stat(queue.path("qf", qid)).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(queue.data_path(qid)).st_mode) == 0o600


def test_list_is_time_ordered_and_ignores_other_names(queue: QueueStore) -> None:
    first = queue.submit(ENVELOPE, DATA)
    second = queue.submit(ENVELOPE, DATA)
    (queue.directory / "qfnot-an-id").write_bytes(b"")
    (queue.directory / "README").write_bytes(b"")
    assert queue.list() == sorted([first, second]) == [first, second]


def mark_sent(index: int) -> Callable[[ControlFile], ControlFile]:
    def change(cf: ControlFile) -> ControlFile:
        rcpts = list(cf.envelope.recipients)
        rcpts[index] = dataclasses.replace(rcpts[index], state=RecipientState.SENT, status="2.0.0")
        env = dataclasses.replace(cf.envelope, recipients=tuple(rcpts))
        return dataclasses.replace(cf, envelope=env, attempts=cf.attempts + 1)
    return change


def test_update_rewrites_control_file(queue: QueueStore, fsyncs: FsyncCounter) -> None:
    qid = queue.submit(ENVELOPE, DATA)
    new = queue.update(qid, mark_sent(0))
    assert queue.load(qid) == new
    assert [r.state for r in new.envelope.recipients] == [RecipientState.SENT, RecipientState.PENDING]
    assert new.attempts == 1 and names(queue) == [f"df{qid}", f"qf{qid}"]
    with pytest.raises(QueueError):
        queue.update(qid, lambda cf: dataclasses.replace(cf, qid="6AP3HY1D031232"))


def test_failed_update_keeps_old_control_file(queue: QueueStore,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    qid = queue.submit(ENVELOPE, DATA)
    before = queue.path("qf", qid).read_bytes()

    def broken(fd: int) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(OSError):
        queue.update(qid, mark_sent(0))
    assert queue.path("qf", qid).read_bytes() == before
    monkeypatch.undo()
    assert queue.recover().temps_removed == [f"tf{qid}.u"]
    assert queue.load(qid).envelope == ENVELOPE


def test_load_refuses_bad_ids_and_missing_data(queue: QueueStore) -> None:
    with pytest.raises(QueueError):
        queue.load("../../etc/passwd")
    qid = queue.submit(ENVELOPE, DATA)
    queue.data_path(qid).write_bytes(DATA[:5])
    with pytest.raises(MissingDataError, match="5 bytes"):
        queue.load(qid)
    queue.data_path(qid).unlink()
    with pytest.raises(MissingDataError, match="missing"):
        queue.load(qid)


def test_queue_id_collisions_are_skipped(queue: QueueStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """ids.queue_id repeats after 3600 ids in one second: a taken id is never reused."""
    taken = queue.submit(ENVELOPE, DATA)
    ids = iter([taken, taken, "6AP3HY00031232"])
    monkeypatch.setattr(store_mod, "queue_id", lambda now: next(ids))
    assert queue.submit(ENVELOPE, b"other") == "6AP3HY00031232"
    assert queue.data_path(taken).read_bytes() == DATA
    monkeypatch.setattr(store_mod, "queue_id", lambda now: taken)
    with pytest.raises(QueueError, match="no free queue id"):
        queue.submit(ENVELOPE, DATA)
    assert names(queue) == sorted(f"{p}{q}" for p in ("df", "qf") for q in (taken, "6AP3HY00031232"))


# ------------------------------------------------------------------ admission

@pytest.mark.parametrize("free, size, minimum, ok", [
    (1000, 0, 100, True), (100, 0, 100, True), (99, 0, 100, False),
    (200, 4096 * 100, 100, True), (200, 4096 * 100 + 1, 100, False),
    (0, 10 ** 9, 0, True), (0, 10 ** 9, -1, True),
])
def test_room_for(free: int, size: int, minimum: int, ok: bool) -> None:
    assert room_for(free, 4096, size, minimum) is ok


def test_full_disk_refuses_before_writing(queue: QueueStore, monkeypatch: pytest.MonkeyPatch) -> None:
    old = queue.submit(ENVELOPE, DATA)
    queue.min_free_blocks = 100
    monkeypatch.setattr(store_mod, "free_blocks", lambda d: (100, 4096))
    assert queue.has_room(0) and not queue.has_room(1)
    with pytest.raises(NoSpaceError):
        queue.submit(ENVELOPE, DATA)
    assert names(queue) == [f"df{old}", f"qf{old}"]
    assert queue.load(old).envelope == ENVELOPE


def test_real_statvfs(queue: QueueStore) -> None:
    assert queue.has_room(0) or queue.min_free_blocks > 0
    queue.min_free_blocks = 2 ** 62
    assert not queue.has_room(0)


def test_max_message_size(queue: QueueStore) -> None:
    queue.max_message_size = len(DATA)
    queue.submit(ENVELOPE, DATA)
    with pytest.raises(MessageTooLargeError):
        queue.submit(ENVELOPE, DATA + b"x")


# ------------------------------------------------------------------ crash recovery

def test_crash_after_prepare_leaves_nothing_queued(queue: QueueStore) -> None:
    prepared = queue.prepare(ENVELOPE, DATA)
    assert names(queue) == [f"td{prepared.qid}", f"tf{prepared.qid}"]
    report = queue.recover()
    assert sorted(report.temps_removed) == [f"td{prepared.qid}", f"tf{prepared.qid}"]
    assert names(queue) == [] and report.messages == []


def test_crash_between_renames_leaves_an_ignored_data_file(queue: QueueStore) -> None:
    prepared = queue.prepare(ENVELOPE, DATA)
    os.rename(queue.path("td", prepared.qid), queue.data_path(prepared.qid))
    report = queue.recover()
    assert report.orphans == [f"df{prepared.qid}"] and report.messages == []
    assert queue.list() == [] and queue.data_path(prepared.qid).exists()


def test_partial_temp_files_are_removed(queue: QueueStore) -> None:
    keep = queue.submit(ENVELOPE, DATA)
    (queue.directory / "tf6AP3HY1D031232").write_bytes(b"version 1\nqid 6AP")
    (queue.directory / "td6AP3HY1D031232").write_bytes(b"Subj")
    report = queue.recover()
    assert sorted(report.temps_removed) == ["td6AP3HY1D031232", "tf6AP3HY1D031232"]
    assert report.messages == [keep] and names(queue) == [f"df{keep}", f"qf{keep}"]


def corrupt_truncated(queue: QueueStore, qid: str) -> None:
    raw = queue.path("qf", qid).read_bytes()
    queue.path("qf", qid).write_bytes(raw[: len(raw) // 2])


def corrupt_hostile(queue: QueueStore, qid: str) -> None:
    queue.path("qf", qid).write_bytes(b"#!/bin/sh\nrm -rf /\n")


def corrupt_foreign_id(queue: QueueStore, qid: str) -> None:
    cf = dataclasses.replace(queue.load(qid), qid="6AP3HY1D031232")
    queue.path("qf", qid).write_bytes(encode(cf))


def corrupt_no_data(queue: QueueStore, qid: str) -> None:
    queue.data_path(qid).unlink()


def corrupt_short_data(queue: QueueStore, qid: str) -> None:
    queue.data_path(qid).write_bytes(DATA[:-1])


def corrupt_empty(queue: QueueStore, qid: str) -> None:
    queue.path("qf", qid).write_bytes(b"")


@pytest.mark.parametrize("corrupt, reason", [
    (corrupt_truncated, "line"),
    (corrupt_hostile, "line 1: not a monomail control file"),
    (corrupt_foreign_id, "does not match file name"),
    (corrupt_no_data, "data file missing"),
    (corrupt_short_data, "data file has"),
    (corrupt_empty, "empty file"),
])
def test_corrupt_messages_are_quarantined(queue: QueueStore, caplog: pytest.LogCaptureFixture,
                                          corrupt: Callable[[QueueStore, str], None],
                                          reason: str) -> None:
    good = queue.submit(ENVELOPE, DATA)
    bad = queue.submit(ENVELOPE, DATA)
    corrupt(queue, bad)
    with caplog.at_level(logging.ERROR, logger="monomail.queue"):
        report = queue.recover()
    assert report.messages == [good] and [q for q, _ in report.quarantined] == [bad]
    assert reason in report.quarantined[0][1]
    assert f"{bad}: control file quarantined" in caplog.text and reason in caplog.text
    assert queue.list() == [good] and (queue.directory / f"Qf{bad}").exists()
    assert report.orphans == []
    again = queue.recover()
    assert again.messages == [good] and again.quarantined == [] and again.orphans == []


def test_recover_creates_missing_directory(tmp_path: Path) -> None:
    queue = QueueStore(tmp_path / "new" / "mqueue", min_free_blocks=0)
    assert queue.recover().messages == []
    assert queue.directory.is_dir()


def test_unreadable_control_file_is_a_codec_error(queue: QueueStore) -> None:
    qid = queue.submit(ENVELOPE, DATA)
    queue.path("qf", qid).write_bytes(b"version 1\n" + b"x" * 5000 + b"\n")
    with pytest.raises(QueueFileError) as info:
        queue.load(qid)
    assert info.value.line == 2


# ------------------------------------------------------------------ group commit

async def test_group_commit_shares_directory_fsyncs(queue: QueueStore, fsyncs: FsyncCounter,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """50 concurrent submissions: fewer directory fsyncs than messages, and each caller's
    future resolves only after a directory fsync that saw its control file."""
    count = 50
    all_prepared = threading.Event()
    prepared: list[str] = []
    real_prepare, real_commit = queue.prepare, queue.commit

    def prepare(envelope: Envelope, data: bytes) -> store_mod.Prepared:
        item = real_prepare(envelope, data)
        with fsyncs._lock:
            prepared.append(item.qid)
            if len(prepared) == count:
                all_prepared.set()
        return item

    def commit(batch: list[store_mod.Prepared]) -> None:
        all_prepared.wait(timeout=30)   # hold the first batch so the others pile up
        real_commit(batch)

    monkeypatch.setattr(queue, "prepare", prepare)
    monkeypatch.setattr(queue, "commit", commit)

    async def one(i: int) -> str:
        qid = await queue.submit_async(ENVELOPE, b"message %d\r\n" % i)
        assert qid in fsyncs.durable, "acknowledged before its directory fsync"
        return qid

    qids = await asyncio.gather(*(one(i) for i in range(count)))
    committer = queue._committer
    assert committer is not None
    assert len(set(qids)) == count and sorted(qids) == queue.list()
    assert fsyncs.directories == committer.batches < count
    assert fsyncs.files == 2 * count
    for i, qid in enumerate(qids):
        assert queue.data_path(qid).read_bytes() == b"message %d\r\n" % i


async def test_failed_commit_fails_its_batch_only(queue: QueueStore,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    committer = GroupCommitter(queue)
    real_commit = queue.commit
    calls = []

    def commit(batch: list[store_mod.Prepared]) -> None:
        calls.append(len(batch))
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        real_commit(batch)

    monkeypatch.setattr(queue, "commit", commit)
    with pytest.raises(OSError, match="No space"):
        await committer.submit(ENVELOPE, DATA)
    assert names(queue) == []
    qid = await committer.submit(ENVELOPE, DATA)
    assert queue.list() == [qid] and committer.batches == 1


async def test_group_commit_refuses_when_full(queue: QueueStore,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    queue.min_free_blocks = 10
    monkeypatch.setattr(store_mod, "free_blocks", lambda d: (5, 4096))
    results = await asyncio.gather(*(queue.submit_async(ENVELOPE, DATA) for _ in range(3)),
                                   return_exceptions=True)
    assert all(isinstance(r, NoSpaceError) for r in results)
    assert names(queue) == []


# ------------------------------------------------------------------ killed submitters

CHILD = """
import sys
from monomail.queue.qfcodec import Envelope, Recipient
from monomail.queue.store import QueueStore
store = QueueStore(sys.argv[1], min_free_blocks=0)
env = Envelope("joe@example.com", (Recipient("ann@example.org"),))
i = 0
while True:
    qid = store.submit(env, b"message %d\\r\\n" % i * (i % 7 + 1))
    print(qid, i, flush=True)
    i += 1
"""


def test_sigkill_during_submissions(tmp_path: Path) -> None:
    """Submitters killed at varying points: every acknowledged message survives whole,
    and after recover() nothing half-written is left in the queue."""
    rnd = random.Random(4)
    directory = tmp_path / "killed"
    directory.mkdir()
    acked: dict[str, int] = {}
    root = Path(__file__).parents[2]
    for _ in range(12):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(directory)], cwd=root,
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        for _ in range(rnd.randint(1, 6)):
            qid, index = child.stdout.readline().split()
            acked[qid] = int(index)
        child.send_signal(signal.SIGKILL)
        child.wait()
        for line in child.stdout:          # acknowledged before the kill landed
            qid, index = line.split()
            acked[qid] = int(index)
    queue = QueueStore(directory, min_free_blocks=0)
    report = queue.recover()
    assert report.quarantined == []
    assert set(acked) <= set(report.messages)
    for qid, number in acked.items():
        assert queue.data_path(qid).read_bytes() == b"message %d\r\n" % number * (number % 7 + 1)
    assert not [n for n in os.listdir(directory) if n.startswith(("tf", "td"))]
