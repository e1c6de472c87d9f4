"""Queue store: durable submission with shared flushes, changes, recovery and quarantine,
compaction, message locks, free space, and several processes on one directory."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import stat
import sys
import threading
from pathlib import Path
from typing import Callable, Iterator

import pytest

from monomail.queue import records as rec
from monomail.queue import store as store_mod
from monomail.queue.qfcodec import ControlFile, Envelope, Recipient, RecipientState, encode
from monomail.queue.segments import segment_names
from monomail.queue.store import (GroupCommitter, MessageLockedError, MessageTooLargeError,
                                  MissingDataError, NoSpaceError, QueueError, QueueStore,
                                  UnknownMessageError, room_for)

ENVELOPE = Envelope(sender="joe@example.com",
                    recipients=(Recipient("ann@example.org"), Recipient("bob@example.org")),
                    macros=(("{client_addr}", "127.0.0.2"),))
DATA = b"Subject: hi\r\n\r\nhello\r\n"
ROOT = Path(__file__).parents[2]


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[QueueStore]:
    store = QueueStore(tmp_path / "mqueue", min_free_blocks=0, clock=lambda: 1795577000.0)
    store.recover()
    yield store
    store.close()


def fresh(queue: QueueStore) -> QueueStore:
    """Another user of the same directory (as another process would be)."""
    return QueueStore(queue.directory, min_free_blocks=0)


class SyncWatch:
    """Wraps os.fdatasync: counts calls and remembers how far each file was synced."""

    def __init__(self) -> None:
        self.calls = 0
        self.synced: dict[int, int] = {}
        self._real = os.fdatasync
        self._lock = threading.Lock()

    def __call__(self, fd: int) -> None:
        self._real(fd)
        st = os.fstat(fd)
        with self._lock:
            self.calls += 1
            self.synced[st.st_ino] = st.st_size

    def durable(self, store: QueueStore, qid: str) -> bool:
        where = store.index.entries[qid].data
        assert where is not None
        ino = os.stat(store.directory / where.segment).st_ino
        with self._lock:
            return self.synced.get(ino, 0) >= where.offset + where.length


@pytest.fixture
def syncs(monkeypatch: pytest.MonkeyPatch) -> Iterator[SyncWatch]:
    watch = SyncWatch()
    monkeypatch.setattr(os, "fdatasync", watch)
    yield watch


def mark_sent(index: int) -> Callable[[ControlFile], ControlFile]:
    def change(cf: ControlFile) -> ControlFile:
        rcpts = list(cf.envelope.recipients)
        rcpts[index] = dataclasses.replace(rcpts[index], state=RecipientState.SENT, status="2.0.0")
        env = dataclasses.replace(cf.envelope, recipients=tuple(rcpts))
        return dataclasses.replace(cf, envelope=env, attempts=cf.attempts + 1)
    return change


# ------------------------------------------------------------------ basic operations

def test_submit_load_read_list_remove(queue: QueueStore, syncs: SyncWatch) -> None:
    qid = queue.submit(ENVELOPE, DATA)
    assert syncs.calls == 1 and syncs.durable(queue, qid)
    control = queue.load(qid)
    assert control.envelope == ENVELOPE and control.size == len(DATA)
    assert control.created == control.next_try == 1795577000 and control.attempts == 0
    assert queue.read_data(qid) == DATA and queue.list() == [qid]
    other = fresh(queue)
    assert other.list() == [qid] and other.read_data(qid) == DATA
    queue.remove(qid)
    assert queue.list() == [] and other.list() == []
    with pytest.raises(UnknownMessageError):
        other.load(qid)


def test_files_are_private(queue: QueueStore) -> None:
    queue.submit(ENVELOPE, DATA)
    assert stat.S_IMODE(queue.directory.stat().st_mode) == 0o700
    for name in os.listdir(queue.directory):
        assert stat.S_IMODE(os.stat(queue.directory / name).st_mode) == 0o600, name


def test_list_is_time_ordered(queue: QueueStore) -> None:
    qids = [queue.submit(ENVELOPE, DATA) for _ in range(5)]
    assert queue.list() == sorted(qids) == qids


def test_update_is_durable_and_newest_wins(queue: QueueStore) -> None:
    qid = queue.submit(ENVELOPE, DATA)
    new = queue.update(qid, mark_sent(0))
    assert queue.load(qid) == new and new.attempts == 1
    assert [r.state for r in fresh(queue).load(qid).envelope.recipients] == \
        [RecipientState.SENT, RecipientState.PENDING]
    with pytest.raises(QueueError, match="may not change"):
        queue.update(qid, lambda cf: dataclasses.replace(cf, qid="6AP3HY1D031232"))
    with pytest.raises(QueueError, match="may not change"):
        queue.update(qid, lambda cf: dataclasses.replace(cf, size=1))


def test_due_follows_next_try_and_priority(queue: QueueStore) -> None:
    low, high, later = (queue.submit(dataclasses.replace(ENVELOPE, priority=p), DATA)
                        for p in (100, 900, 5))
    queue.update(later, lambda cf: dataclasses.replace(cf, next_try=1795577600))
    queue.update(high, lambda cf: dataclasses.replace(cf, envelope=dataclasses.replace(
        cf.envelope, priority=50)))
    assert queue.due() == [high, low]
    assert queue.due(1795577600) == [later, high, low]


def test_a_delivered_recipient_stays_delivered_after_restart(queue: QueueStore) -> None:
    qid = queue.submit(ENVELOPE, DATA)
    queue.update(qid, mark_sent(1))
    queue.close()
    again = fresh(queue)
    assert again.recover().messages == [qid]
    assert again.load(qid).envelope.recipients[1].state == RecipientState.SENT


def test_failed_update_keeps_old_state(queue: QueueStore, monkeypatch: pytest.MonkeyPatch) -> None:
    qid = queue.submit(ENVELOPE, DATA)

    def broken(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fdatasync", broken)
    with pytest.raises(OSError):
        queue.update(qid, mark_sent(0))
    monkeypatch.undo()
    assert queue.load(qid).envelope == ENVELOPE
    assert not queue.is_locked(qid)           # the claim taken for the update was released
    assert fresh(queue).recover().messages == [qid]
    assert queue.update(qid, mark_sent(0)).attempts == 1


def test_bad_and_unknown_ids(queue: QueueStore) -> None:
    with pytest.raises(QueueError, match="bad queue id"):
        queue.load("../../etc/passwd")
    with pytest.raises(UnknownMessageError):
        queue.read_data("6AP3HY1D031232")
    with pytest.raises(UnknownMessageError):
        queue.remove("6AP3HY1D031232")


def test_many_ids_in_one_second_stay_unique(queue: QueueStore) -> None:
    """The clock is frozen: ids run ahead of it instead of repeating after 3600."""
    qids = [queue.submit(ENVELOPE, b"x") for _ in range(4000)]
    assert len(set(qids)) == 4000 and qids == sorted(qids) == queue.list()


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
    before = {n: (queue.directory / n).read_bytes() for n in os.listdir(queue.directory)}
    queue.min_free_blocks = 100
    monkeypatch.setattr(store_mod, "free_blocks", lambda d: (100, 4096))
    assert queue.has_room(0) and not queue.has_room(1)
    with pytest.raises(NoSpaceError):
        queue.submit(ENVELOPE, DATA)
    assert {n: (queue.directory / n).read_bytes() for n in os.listdir(queue.directory)} == before
    assert queue.read_data(old) == DATA


def test_real_statvfs(queue: QueueStore) -> None:
    assert queue.has_room(0)
    queue.min_free_blocks = 2 ** 62
    assert not queue.has_room(0)


def test_max_message_size(queue: QueueStore) -> None:
    queue.max_message_size = len(DATA)
    queue.submit(ENVELOPE, DATA)
    with pytest.raises(MessageTooLargeError):
        queue.submit(ENVELOPE, DATA + b"x")


# ------------------------------------------------------------------ group commit

async def test_concurrent_sessions_share_fdatasyncs(queue: QueueStore, syncs: SyncWatch) -> None:
    """50 sessions: far fewer fdatasyncs than messages, and nobody is answered before the
    fdatasync that covers its message has returned."""
    committer = GroupCommitter(queue)

    async def session(i: int) -> str:
        qid = await committer.submit_async(ENVELOPE, b"message %d\r\n" % i)
        assert syncs.durable(queue, qid), "acknowledged before its fdatasync"
        return qid

    qids = await asyncio.gather(*(session(i) for i in range(50)))
    assert len(set(qids)) == 50 and sorted(qids) == queue.list()
    assert syncs.calls == committer.batches < 25
    for i, qid in enumerate(qids):
        assert fresh(queue).read_data(qid) == b"message %d\r\n" % i


async def test_committers_of_one_store_share_batches(queue: QueueStore, syncs: SyncWatch) -> None:
    await asyncio.gather(*(GroupCommitter(queue).submit_async(ENVELOPE, DATA) for _ in range(30)))
    assert syncs.calls < 15


async def test_async_changes_share_fdatasyncs(queue: QueueStore, syncs: SyncWatch) -> None:
    qids = [queue.submit(ENVELOPE, DATA) for _ in range(40)]
    before = syncs.calls
    await asyncio.gather(*(queue.update_async(q, mark_sent(0)) for q in qids))
    assert syncs.calls - before < 20
    before = syncs.calls
    await asyncio.gather(*(queue.remove_async(q) for q in qids[:30]))
    assert syncs.calls - before < 15
    again = fresh(queue)
    assert again.list() == qids[30:]
    assert all(again.load(q).envelope.recipients[0].state == RecipientState.SENT for q in qids[30:])


async def test_failed_flush_fails_its_batch_only(queue: QueueStore,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.fdatasync
    calls = []

    def flaky(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        real(fd)

    monkeypatch.setattr(os, "fdatasync", flaky)
    results = await asyncio.gather(*(queue.submit_async(ENVELOPE, DATA) for _ in range(3)),
                                   return_exceptions=True)
    assert all(isinstance(r, OSError) for r in results)
    qid = await queue.submit_async(ENVELOPE, DATA)
    assert queue.list() == [qid]
    monkeypatch.undo()
    assert fresh(queue).recover().messages == [qid]


async def test_async_submission_refuses_when_full(queue: QueueStore,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    queue.min_free_blocks = 10
    monkeypatch.setattr(store_mod, "free_blocks", lambda d: (5, 4096))
    results = await asyncio.gather(*(queue.submit_async(ENVELOPE, DATA) for _ in range(3)),
                                   return_exceptions=True)
    assert all(isinstance(r, NoSpaceError) for r in results)
    assert segment_names(queue.directory) == []


# ------------------------------------------------------------------ recovery

def sealed_segment(queue: QueueStore, name: str, raw: bytes) -> Path:
    path = queue.directory / name
    path.write_bytes(raw)
    return path


def message_record(qid: str, data: bytes = DATA, control: bytes | None = None) -> bytes:
    cf = ControlFile(qid, ENVELOPE, created=1, next_try=1, size=len(data))
    return rec.encode_record(rec.MESSAGE, qid, 0, encode(cf) if control is None else control, data)


def test_half_written_batch_is_dropped(queue: QueueStore, caplog: pytest.LogCaptureFixture) -> None:
    good = rec.SEGMENT_MAGIC + rec.encode_frame([message_record("6AP3HY1D031232")])
    cut = rec.encode_frame([message_record("6AP3HY1E031232")])[:-7]
    path = sealed_segment(queue, "journal.0001.1", good + cut)
    with caplog.at_level(logging.INFO, logger="monomail.queue"):
        report = queue.recover()
    assert report.messages == ["6AP3HY1D031232"] and report.quarantined == []
    assert report.dropped == [("journal.0001.1", len(cut))] and "never acknowledged" in caplog.text
    assert path.read_bytes() == good


def test_rotten_frame_is_quarantined_and_the_rest_kept(queue: QueueStore,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    frames = [rec.encode_frame([message_record(q)]) for q in
              ("6AP3HY1D031232", "6AP3HY1E031232", "6AP3HY1F031232")]
    rotten = bytearray(frames[1])
    rotten[-2] ^= 1
    sealed_segment(queue, "journal.0001.1", rec.SEGMENT_MAGIC + frames[0] + bytes(rotten) + frames[2])
    with caplog.at_level(logging.ERROR, logger="monomail.queue"):
        report = queue.recover()
    assert report.messages == ["6AP3HY1D031232", "6AP3HY1F031232"]
    offset = len(rec.SEGMENT_MAGIC) + len(frames[0])
    assert report.quarantined == [(f"journal.0001.1@{offset}", "frame checksum mismatch")]
    assert (queue.directory / f"Qjjournal.0001.1@{offset}").read_bytes() == bytes(rotten)
    assert "journal bytes quarantined" in caplog.text
    assert "journal.0001.1" not in segment_names(queue.directory)   # compacted without it
    again = fresh(queue).recover()
    assert again.messages == report.messages and again.quarantined == []


@pytest.mark.parametrize("control, reason", [
    (b"#!/bin/sh\nrm -rf /\n", "line 1: not a monomail control file"),
    (encode(ControlFile("6AP3HY1E031232", ENVELOPE, 1, 1, size=len(DATA))), "does not match"),
    (encode(ControlFile("6AP3HY1D031232", ENVELOPE, 1, 1, size=3)), "control file says 3"),
])
def test_hostile_record_is_quarantined_never_delivered(queue: QueueStore,
                                                       caplog: pytest.LogCaptureFixture,
                                                       control: bytes, reason: str) -> None:
    good = message_record("6AP3HY1F031232")
    bad = message_record("6AP3HY1D031232", control=control)
    sealed_segment(queue, "journal.0001.1", rec.SEGMENT_MAGIC + rec.encode_frame([good, bad]))
    with caplog.at_level(logging.ERROR, logger="monomail.queue"):
        report = queue.recover()
    assert report.messages == ["6AP3HY1F031232"]
    assert [q for q, _ in report.quarantined] == ["6AP3HY1D031232"]
    assert reason in report.quarantined[0][1]
    assert "6AP3HY1D031232: control file quarantined" in caplog.text and reason in caplog.text
    assert (queue.directory / "Qf6AP3HY1D031232").read_bytes() == control
    assert (queue.directory / "Qd6AP3HY1D031232").read_bytes() == DATA
    again = fresh(queue)
    assert again.recover().quarantined == [] and again.list() == ["6AP3HY1F031232"]


def test_unreadable_rest_of_a_segment_is_set_aside(queue: QueueStore) -> None:
    good = rec.SEGMENT_MAGIC + rec.encode_frame([message_record("6AP3HY1D031232")])
    junk = b"\x01garbage where a frame header should be" + rec.encode_frame([message_record("6AP3HY1E031232")])
    sealed_segment(queue, "journal.0001.1", good + junk)
    report = queue.recover()
    assert report.messages == ["6AP3HY1D031232"]
    assert report.quarantined[0][0] == f"journal.0001.1@{len(good)}"
    assert (queue.directory / f"Qjjournal.0001.1@{len(good)}").read_bytes() == junk


def test_corrupt_data_found_at_delivery(queue: QueueStore) -> None:
    qid = queue.submit(ENVELOPE, DATA)
    where = queue.index.entries[qid].data
    assert where is not None
    fd = os.open(queue.directory / where.segment, os.O_WRONLY)
    os.pwrite(fd, b"J", where.offset)
    os.close(fd)
    with pytest.raises(MissingDataError, match="data checksum mismatch"):
        queue.read_data(qid)
    queue.quarantine(qid, "data checksum mismatch")
    assert queue.list() == [] and (queue.directory / f"Qf{qid}").exists()
    assert fresh(queue).recover().messages == []


# ------------------------------------------------------------------ compaction

def test_finished_messages_give_their_space_back(tmp_path: Path) -> None:
    queue = QueueStore(tmp_path / "q", min_free_blocks=0, rotate_size=2000, adopt_limit=0)
    queue.recover()
    qids = [queue.submit(ENVELOPE, DATA * 20) for _ in range(30)]
    assert len(segment_names(queue.directory)) > 5
    for qid in qids:
        queue.remove(qid)
    queue.compact()
    assert len(segment_names(queue.directory)) <= 1          # at most the one being written
    queue.close()
    assert fresh(queue).recover().messages == []


def test_sparse_segment_is_compacted_and_nothing_comes_back(tmp_path: Path) -> None:
    queue = QueueStore(tmp_path / "q", min_free_blocks=0, rotate_size=8000, adopt_limit=0)
    queue.recover()
    qids = [queue.submit(ENVELOPE, b"%d" % i * 300) for i in range(20)]
    keep, sent = qids[0], qids[1]
    queue.update(sent, mark_sent(0))
    for qid in qids[2:]:
        queue.remove(qid)
    first = queue.index.entries[keep].data.segment  # type: ignore[union-attr]
    retired = queue.compact()
    assert first in retired and first not in segment_names(queue.directory)
    assert queue.list() == [keep, sent]
    queue.close()
    again = fresh(queue)
    assert again.recover().messages == [keep, sent]
    assert again.read_data(keep) == b"0" * 300
    assert again.load(sent).envelope.recipients[0].state == RecipientState.SENT


def test_removals_trigger_compaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_mod, "COMPACT_EVERY", 10)
    queue = QueueStore(tmp_path / "q", min_free_blocks=0, rotate_size=1500, adopt_limit=0)
    queue.recover()
    for _ in range(10):
        queue.remove(queue.submit(ENVELOPE, DATA * 20))
    assert len(segment_names(queue.directory)) <= 1


def test_index_is_not_rebuilt_per_queue_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A big queue is parsed once at start; later runs read only what was appended."""
    writer = QueueStore(tmp_path / "q", min_free_blocks=0)
    writer.recover()
    for _ in range(20):                       # 20,000 messages, 1,000 per flush
        writer.writer.commit([writer._message(ENVELOPE, DATA)[2] for _ in range(1000)])
    daemon = fresh(writer)
    assert len(daemon.recover().messages) == 20000
    decodes = []
    real = store_mod.decode
    monkeypatch.setattr(store_mod, "decode", lambda raw: decodes.append(1) or real(raw))
    assert len(daemon.list()) == 20000
    qid = writer.submit(ENVELOPE, DATA)
    assert len(daemon.list()) == 20001 and len(decodes) == 1
    assert daemon.claim(qid) and len(decodes) == 1


# ------------------------------------------------------------------ locks and processes

def test_new_segments_of_others_are_seen_when_the_directory_was_quiet(queue: QueueStore) -> None:
    """refresh() reuses its listing while the directory's mtime is unchanged and old."""
    first = queue.submit(ENVELOPE, DATA)
    past = queue.directory.stat().st_mtime - 60
    os.utime(queue.directory, (past, past))
    assert queue.list() == [first]
    assert queue._listing is not None          # kept: the mtime was a minute old
    other = fresh(queue)                        # creates a segment of its own
    second = other.submit(ENVELOPE, DATA)
    assert queue.list() == [first, second]
    assert queue._listing is None               # the new mtime is too recent to trust


def test_claims_exclude_other_users(queue: QueueStore) -> None:
    qid = queue.submit(ENVELOPE, DATA)
    other = fresh(queue)
    assert queue.claim(qid) and queue.is_locked(qid) and other.is_locked(qid)
    assert not other.claim(qid) and not queue.claim(qid)
    with pytest.raises(MessageLockedError):
        other.update(qid, mark_sent(0))
    queue.update(qid, mark_sent(0))           # inside our own claim
    queue.release(qid)
    assert not other.is_locked(qid)
    with other.locked(qid):
        assert other.load(qid).attempts == 1  # the claim read what the first user wrote
        other.remove(qid)
    with pytest.raises(UnknownMessageError):
        queue.update(qid, mark_sent(1))


SUBMITTER = """
import sys
from monomail.queue.qfcodec import Envelope, Recipient
from monomail.queue.store import QueueStore
env = Envelope("joe@example.com", (Recipient("ann@example.org"),))
for i in range(int(sys.argv[2])):
    store = QueueStore(sys.argv[1], min_free_blocks=0)      # one store per message, like -odq
    print(store.submit(env, b"%s %d" % (sys.argv[3].encode(), i)), flush=True)
    store.close()
"""


async def test_processes_and_sessions_write_one_queue_together(queue: QueueStore) -> None:
    """Four command-line submitters and 20 SMTP-like sessions at once: every
    acknowledged message is there once, whole, in this process and after a restart."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = [await asyncio.create_subprocess_exec(
        sys.executable, "-c", SUBMITTER, str(queue.directory), "40", f"p{n}",
        stdout=asyncio.subprocess.PIPE, env=env) for n in range(4)]

    async def session(k: int) -> dict[str, bytes]:
        out = {}
        for i in range(10):
            data = b"s%d %d" % (k, i)
            out[await queue.submit_async(ENVELOPE, data)] = data
        return out

    sessions = await asyncio.gather(*(session(k) for k in range(20)))
    expected = {qid: data for part in sessions for qid, data in part.items()}
    for n, child in enumerate(children):
        out, _ = await child.communicate()
        assert child.returncode == 0
        for i, qid in enumerate(out.decode().split()):
            expected[qid] = b"p%d %d" % (n, i)
    assert len(expected) == 360
    assert queue.list() == sorted(expected)
    for qid, data in expected.items():
        assert queue.read_data(qid) == data
    queue.close()
    again = fresh(queue)
    assert again.recover().messages == sorted(expected)
