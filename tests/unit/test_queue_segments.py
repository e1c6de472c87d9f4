"""Segment files: reading back what a crash or a bad disk left, and the group-committing
writer (shared fdatasync, acknowledgement after it, adoption, rotation, failures)."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from typing import Iterator

import pytest

from monomail.queue import records as rec
from monomail.queue import segments
from monomail.queue.segments import SegmentWriter, scan, segment_names

QID = "6AP3HY1D031232"


def record(n: int, size: int = 10) -> bytes:
    return rec.encode_record(rec.MESSAGE, QID, n, b"c%d" % n, b"d" * size)


def frames(*batches: list[bytes]) -> bytes:
    return rec.SEGMENT_MAGIC + b"".join(rec.encode_frame(b) for b in batches)


def scanned(tmp_path: Path, raw: bytes, start: int = 0) -> segments.Scan:
    path = tmp_path / "journal.x"
    path.write_bytes(raw)
    fd = os.open(path, os.O_RDONLY)
    try:
        return scan(fd, start)
    finally:
        os.close(fd)


# ------------------------------------------------------------------ reading back

def test_scan_reads_every_frame(tmp_path: Path) -> None:
    raw = frames([record(1)], [record(2), record(3)])
    found = scanned(tmp_path, raw)
    assert found.stop is None and found.bad == [] and found.end == len(raw)
    versions = [r.version for _, p in found.frames for r in rec.decode_payload(p)]
    assert versions == [1, 2, 3]
    first_end = len(frames([record(1)]))
    later = scanned(tmp_path, raw, first_end)
    assert [r.version for _, p in later.frames for r in rec.decode_payload(p)] == [2, 3]


@pytest.mark.parametrize("cut", [1, rec.FRAME_HEADER - 1, rec.FRAME_HEADER, rec.FRAME_HEADER + 5])
def test_a_batch_cut_off_is_torn(tmp_path: Path, cut: int) -> None:
    whole = frames([record(1)])
    raw = whole + rec.encode_frame([record(2)])[:cut]
    found = scanned(tmp_path, raw)
    assert (found.stop, found.end, found.size, len(found.frames)) == ("torn", len(whole), len(raw), 1)


def test_zeros_after_the_last_frame_are_torn(tmp_path: Path) -> None:
    """A power cut may leave the file longer than what reached the disk, zero-filled."""
    whole = frames([record(1)])
    found = scanned(tmp_path, whole + b"\0" * 5000)
    assert (found.stop, found.end) == ("torn", len(whole))


def test_garbage_header_makes_the_rest_unreadable(tmp_path: Path) -> None:
    whole = frames([record(1)])
    found = scanned(tmp_path, whole + b"#!/bin/sh\nrm -rf /\n" + rec.encode_frame([record(2)]))
    assert (found.stop, found.end, len(found.frames)) == ("unreadable", len(whole), 1)


def test_rotten_payload_is_skipped_and_reported(tmp_path: Path) -> None:
    first, second = rec.encode_frame([record(1)]), rec.encode_frame([record(2)])
    rotten = bytearray(first)
    rotten[-3] ^= 0xFF
    raw = rec.SEGMENT_MAGIC + bytes(rotten) + second
    found = scanned(tmp_path, raw)
    start = len(rec.SEGMENT_MAGIC)
    assert found.bad == [(start, len(first), "frame checksum mismatch")]
    assert [r.version for _, p in found.frames for r in rec.decode_payload(p)] == [2]
    assert found.stop is None and found.end == len(raw)


@pytest.mark.parametrize("raw, stop", [
    (b"", "torn"), (rec.SEGMENT_MAGIC[:5], "torn"), (b"monomail queue 9\n", "unreadable")])
def test_segment_header(tmp_path: Path, raw: bytes, stop: str) -> None:
    found = scanned(tmp_path, raw)
    assert (found.stop, found.end, found.frames) == (stop, 0, [])


# ------------------------------------------------------------------ the writer

class SyncWatch:
    """Wraps os.fdatasync: counts calls and remembers how much of each file was synced."""

    def __init__(self) -> None:
        self.calls = 0
        self.synced: dict[int, int] = {}     # inode -> size when its last fdatasync returned
        self._real = os.fdatasync
        self._lock = threading.Lock()

    def __call__(self, fd: int) -> None:
        self._real(fd)
        st = os.fstat(fd)
        with self._lock:
            self.calls += 1
            self.synced[st.st_ino] = st.st_size

    def covers(self, path: Path, end: int) -> bool:
        with self._lock:
            return self.synced.get(os.stat(path).st_ino, 0) >= end


@pytest.fixture
def syncs(monkeypatch: pytest.MonkeyPatch) -> Iterator[SyncWatch]:
    watch = SyncWatch()
    monkeypatch.setattr(os, "fdatasync", watch)
    yield watch


def test_concurrent_commits_share_fdatasyncs(tmp_path: Path, syncs: SyncWatch) -> None:
    writer = SegmentWriter(tmp_path)
    gate = threading.Barrier(20)
    results: dict[int, list[segments.Placed]] = {}

    def one(i: int) -> None:
        gate.wait()
        placed = writer.commit([record(i, 100)])
        assert syncs.covers(tmp_path / placed[0].segment, placed[0].frame_end), \
            "returned before the fdatasync covering its record"
        results[i] = placed

    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 20 and writer.flushes == syncs.calls < 20
    raw = (tmp_path / writer.name).read_bytes()  # type: ignore[operator]
    for i, placed in results.items():
        assert raw[placed[0].offset:placed[0].offset + len(record(i, 100))] == record(i, 100)


def test_failed_flush_fails_its_callers_and_leaves_no_half_batch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = SegmentWriter(tmp_path)
    first = writer.commit([record(1)])[0]
    size = (tmp_path / first.segment).stat().st_size

    def broken(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fdatasync", broken)
    with pytest.raises(OSError, match="Input/output"):
        writer.commit([record(2)])
    assert (tmp_path / first.segment).stat().st_size == size and writer.name is None
    monkeypatch.undo()
    again = writer.commit([record(3)])[0]
    found = scanned(tmp_path, (tmp_path / again.segment).read_bytes())
    assert found.stop is None
    assert [r.version for _, p in found.frames for r in rec.decode_payload(p)][-1] == 3


def test_a_new_segment_name_is_synced_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced = []
    monkeypatch.setattr(segments, "fsync_directory", synced.append)
    writer = SegmentWriter(tmp_path)
    writer.commit([record(1)])
    writer.commit([record(2)])
    assert synced == [tmp_path]


def test_sealed_segment_is_adopted_after_cutting_its_torn_tail(tmp_path: Path) -> None:
    whole = frames([record(1)])
    (tmp_path / "journal.0001.1").write_bytes(whole + rec.encode_frame([record(2)])[:20])
    seen = []
    writer = SegmentWriter(tmp_path, on_open=lambda name, end: seen.append((name, end)))
    placed = writer.commit([record(3)])[0]
    assert seen == [("journal.0001.1", len(whole))] and placed.segment == "journal.0001.1"
    assert writer.adopted_tail == ("journal.0001.1", 20)
    found = scanned(tmp_path, (tmp_path / "journal.0001.1").read_bytes())
    assert found.stop is None
    assert [r.version for _, p in found.frames for r in rec.decode_payload(p)] == [1, 3]


@pytest.mark.parametrize("content", [
    frames([record(1)]) + b"garbage that is no frame header",
    rec.SEGMENT_MAGIC + b"\xff" + rec.encode_frame([record(1)])[1:],
    b"x" * 5000,
])
def test_damaged_or_large_segments_are_not_adopted(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "journal.0001.1").write_bytes(content)
    writer = SegmentWriter(tmp_path, adopt_limit=4000)
    placed = writer.commit([record(2)])[0]
    assert placed.segment != "journal.0001.1"
    assert (tmp_path / "journal.0001.1").read_bytes() == content


def test_segment_held_by_another_writer_is_not_adopted(tmp_path: Path) -> None:
    first = SegmentWriter(tmp_path)
    one = first.commit([record(1)])[0]
    second = SegmentWriter(tmp_path)
    two = second.commit([record(2)])[0]
    assert one.segment != two.segment
    first.close()
    third = SegmentWriter(tmp_path)
    assert third.commit([record(3)])[0].segment == one.segment


def test_writer_rotates_past_its_size(tmp_path: Path) -> None:
    writer = SegmentWriter(tmp_path, rotate_size=200, adopt_limit=0)
    names = {writer.commit([record(i, 200)])[0].segment for i in range(3)}
    assert len(names) == 3 and sorted(names) == segment_names(tmp_path)
    for name in names:                      # sealed: nobody holds them
        fd = os.open(tmp_path / name, os.O_RDONLY)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.close(fd)
