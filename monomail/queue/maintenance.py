"""Recovery, quarantine and compaction of the journal: the part of QueueStore that
rewrites or deletes sealed segments (see docs/queue.md, "Recovery" and "Compaction").

A mixin of QueueStore: it works on the store's index, reader state and writer, always with
the compaction lock held and every sealed segment it touches flocked, so no writer adopts a
segment while it is being repaired, copied out or deleted.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from monomail.queue import records as rec
from monomail.queue.errors import MissingDataError
from monomail.queue.index import Need
from monomail.queue.locks import COMPACTION
from monomail.queue.segments import Placed, Scan, fsync_directory, same_file, segment_names, try_flock

log = logging.getLogger("monomail.queue")

QUARANTINE_CONTROL, QUARANTINE_DATA, QUARANTINE_JOURNAL = "Qf", "Qd", "Qj"
SPARSE = 4                  # a sealed segment is compacted when < 1/4 of its messages need it


@dataclass(frozen=True)
class Bad:
    """A record whose frame is sound but whose content is refused (never delivered)."""

    segment: str
    record: rec.Record
    payload_offset: int
    reason: str


@dataclass
class RecoveryReport:
    """What recover() found, for the start-up log and for tests."""

    messages: list[str] = dataclasses.field(default_factory=list)
    quarantined: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    dropped: list[tuple[str, int]] = dataclasses.field(default_factory=list)
    retired: list[str] = dataclasses.field(default_factory=list)


def write_synced(path: Path, data: bytes) -> None:
    """A whole new file, fsynced (quarantine copies must survive the segment they leave)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


class Maintenance:
    """recover(), compact() and setting bad messages aside, for QueueStore."""

    def _set_aside(self, qid: str, control: bytes, data: bytes | None, reason: str) -> None:
        log.error("%s: control file quarantined: %s", qid, reason)
        write_synced(self.directory / f"{QUARANTINE_CONTROL}{qid}", control)
        if data is not None:
            write_synced(self.directory / f"{QUARANTINE_DATA}{qid}", data)
        fsync_directory(self.directory)

    # ------------------------------------------------------------ recovery and compaction
    def recover(self) -> RecoveryReport:
        """At start: read the whole journal again, cut off batches a crash left half
        written (never acknowledged), set aside what does not read back, and delete or
        compact sealed segments.  Waits for a compaction running in another process."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        report = RecoveryReport()
        locks = self._lockfile()
        locks.lock(COMPACTION)
        try:
            self._maintain(report, reset=True)
        finally:
            locks.unlock(COMPACTION)
        with self._lock:
            report.messages = self.index.live()
        log.info("%s: %d messages queued, %d quarantined, %d segments retired", self.directory,
                 len(report.messages), len(report.quarantined), len(report.retired))
        return report

    def compact(self) -> list[str]:
        """Delete sealed segments nobody needs and rewrite sparse ones; returns the deleted
        names.  Does nothing if another process is compacting."""
        locks = self._lockfile()
        if not locks.try_lock(COMPACTION):
            return []
        report = RecoveryReport()
        try:
            self._maintain(report, reset=False)
        finally:
            locks.unlock(COMPACTION)
        return report.retired

    def _maintain(self, report: RecoveryReport, *, reset: bool) -> None:
        """Read everything, repair and compact sealed segments (compaction lock held)."""
        held = self._hold_sealed()
        try:
            with self._lock:
                if reset:
                    self._reset()
                self._read_once = True
                names = segment_names(self.directory)
                for name in names:
                    found = self._tail(name, held.get(name))
                    if name in held and found is not None:
                        self._repair(name, held[name], found, report)
                self._forget(set(self._read_upto) - set(names))
                dirty = self._set_aside_damage(held, report)
            self._compact_held(held, dirty, report)
        finally:
            for fd in held.values():
                os.close(fd)

    def _hold_sealed(self) -> dict[str, int]:
        """flock every segment no writer holds, so none is adopted while we work on it."""
        held = {}
        for name in segment_names(self.directory):
            if name == self.writer.name:
                continue
            path = self.directory / name
            try:
                fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            if try_flock(fd) and same_file(fd, path):
                held[name] = fd
            else:
                os.close(fd)
        return held

    def _repair(self, name: str, fd: int, found: Scan, report: RecoveryReport) -> None:
        """Cut a sealed segment back to its last sound frame."""
        if found.end >= found.size:
            return
        cut = found.size - found.end
        if found.stop == "unreadable":
            tail = os.pread(fd, cut, found.end)
            reason = f"{cut} bytes from offset {found.end} unreadable (bad frame header)"
            self._set_aside_bytes(name, found.end, tail, reason, report)
        else:
            log.info("%s: dropped %d bytes of a batch never acknowledged (crash while writing)",
                     name, cut)
            report.dropped.append((name, cut))
        os.ftruncate(fd, found.end)
        os.fdatasync(fd)
        self._read_upto[name] = found.end

    def _set_aside_damage(self, held: dict[str, int], report: RecoveryReport) -> set[str]:
        """Quarantine files for bad frames and refused records of held segments; those
        segments are then compacted without them."""
        dirty = set()
        for name, frames in self._damage.items():
            if name in held:
                for offset, (length, reason) in sorted(frames.items()):
                    raw = os.pread(held[name], length, offset)
                    self._set_aside_bytes(name, offset, raw, reason, report)
                dirty.add(name)
        for bad in [b for b in self._bad if b.segment in held]:
            record = bad.record
            data = None
            if record.kind == rec.MESSAGE:
                data = os.pread(held[bad.segment], record.data_length,
                                bad.payload_offset + record.data_offset)
            self._set_aside(record.qid, record.control, data, bad.reason)
            report.quarantined.append((record.qid, bad.reason))
            self._bad.remove(bad)
            dirty.add(bad.segment)
        for name in dirty:
            self._damage.pop(name, None)
        return dirty

    def _set_aside_bytes(self, name: str, offset: int, raw: bytes, reason: str,
                         report: RecoveryReport) -> None:
        target = f"{QUARANTINE_JOURNAL}{name}@{offset}"
        log.error("%s: journal bytes quarantined as %s: %s", name, target, reason)
        write_synced(self.directory / target, raw)
        fsync_directory(self.directory)
        report.quarantined.append((f"{name}@{offset}", reason))

    def _compact_held(self, held: dict[str, int], dirty: set[str], report: RecoveryReport) -> None:
        synced = False
        for name in sorted(held):
            with self._lock:
                needs = self.index.needs(name)
                if needs and name not in dirty and \
                        len(needs) * SPARSE >= len(self.index.segments.get(name, ())):
                    continue
                copies = self._copies(needs)
            if copies:
                self._copied(copies, self.writer.commit(copies))
            if not synced:        # what the decision relied on must be on disk first
                self._sync_segments()
                synced = True
            os.unlink(self.directory / name)
            with self._lock:
                self._forget({name})
            report.retired.append(name)

    def _copies(self, needs: list[Need]) -> list[bytes]:
        """Records that carry what a segment still holds for the queue (newest state
        merged into one message record where the data must move too)."""
        out = []
        for need in needs:
            entry = self.index.entries[need.qid]
            if need.kind == rec.DONE:
                out.append(rec.encode_record(rec.DONE, need.qid, need.version))
                continue
            assert entry.control is not None and entry.data is not None
            raw = entry.control
            if need.kind == rec.STATE:
                out.append(rec.encode_record(rec.STATE, need.qid, entry.version, raw))
                continue
            try:
                data = self._read(need.qid, entry.data)
            except MissingDataError as exc:
                self._set_aside(need.qid, raw, None, str(exc))
                out.append(rec.encode_record(rec.DONE, need.qid, self.index.reserve(need.qid)))
                continue
            out.append(rec.encode_record(rec.MESSAGE, need.qid, entry.version, raw, data))
        return out

    def _copied(self, copies: list[bytes], placed: list[Placed]) -> None:
        with self._lock:
            for raw, where in zip(copies, placed):
                record = rec.decode_payload(raw)[0]
                self._apply_record(where.segment, where.offset, record)
                self._advance(where)

    def _sync_segments(self) -> None:
        for name in segment_names(self.directory):
            try:
                fd = os.open(self.directory / name, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            try:
                os.fdatasync(fd)
            finally:
                os.close(fd)
