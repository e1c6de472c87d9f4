"""The queue directory as a journal: messages and their changes appended to segment files.

A message is acknowledged (250, exit 0) only after the fdatasync of the batch that holds it
has returned; concurrent submissions, and concurrent state changes of delivery, share that
fdatasync (segments.SegmentWriter for threads, batching.AsyncBatcher for coroutines).  The
newest version of a message wins when the journal is read back, and a done record wins over
everything, so a recipient marked delivered is never delivered again.  Every record read back
is checked (frame CRC, record lengths, the strict control codec, data CRC on delivery); what
fails is moved aside under a Q name with a log line and never delivered.  docs/queue.md has
the format, the recovery rules and the locking between processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from monomail.queue import records as rec
from monomail.queue.batching import AsyncBatcher
from monomail.queue.ids import queue_id
from monomail.queue.index import Entry, Location, Need, QueueIndex
from monomail.queue.locks import COMPACTION, LockFile, message_byte
from monomail.queue.qfcodec import (QID_RE, ControlFile, Envelope, QueueFileError, check_qid,
                                    decode, encode)
from monomail.queue.segments import (ADOPT_LIMIT, ROTATE_SIZE, Placed, Scan, SegmentWriter,
                                     fsync_directory, same_file, scan, segment_names,
                                     try_flock)

log = logging.getLogger("monomail.queue")

QUARANTINE_CONTROL, QUARANTINE_DATA, QUARANTINE_JOURNAL = "Qf", "Qd", "Qj"
COMPACT_EVERY = 1000        # removals between automatic compaction passes
SPARSE = 4                  # a sealed segment is compacted when < 1/4 of its messages need it

Change = Callable[[ControlFile], ControlFile]


class QueueError(Exception):
    """Base of the store's refusals."""


class NoSpaceError(QueueError):
    """Too little free space (MinFreeBlocks): the SMTP layer answers 452 4.3.1, the CLI 75."""


class MessageTooLargeError(QueueError):
    """Larger than MaxMessageSize: a permanent 552 5.3.4."""


class MissingDataError(QueueError):
    """A message whose data is gone or does not match its checksum: quarantine it."""


class UnknownMessageError(QueueError):
    """No such message in the queue (never there, or already done)."""


class MessageLockedError(QueueError):
    """Another process (or another task of this one) is working on the message."""


@dataclass(frozen=True)
class _Change:
    """A change to a message, encoded and ready to append."""

    qid: str
    version: int
    new: ControlFile | None          # None: the message is done
    raw: bytes | None
    record: bytes


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


def room_for(free_blocks: int, block_size: int, size: int, min_free_blocks: int) -> bool:
    """MinFreeBlocks as sendmail means it: after storing `size` bytes, at least
    `min_free_blocks` blocks must remain free (0 or less disables the check)."""
    if min_free_blocks <= 0:
        return True
    needed = -(-size // block_size) if block_size > 0 else 0
    return free_blocks - needed >= min_free_blocks


def free_blocks(directory: str | os.PathLike[str]) -> tuple[int, int]:
    """(blocks available to unprivileged users, block size) of the filesystem."""
    st = os.statvfs(directory)
    return st.f_bavail, st.f_frsize


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


class QueueStore:
    """One queue directory, shared safely with other processes using it.

    Nothing is read at construction: a process that only submits never reads the journal.
    The index is built by recover() (the daemon, at start) or by the first call that needs
    it, and kept current by refresh(), which reads only what was appended since."""

    def __init__(self, directory: str | os.PathLike[str], *, min_free_blocks: int = 100,
                 max_message_size: int = 0, clock: Callable[[], float] = time.time,
                 adopt_limit: int = ADOPT_LIMIT, rotate_size: int = ROTATE_SIZE) -> None:
        self.directory = Path(directory)
        self.min_free_blocks = min_free_blocks
        self.max_message_size = max_message_size
        self.clock = clock
        self.index = QueueIndex()
        self.writer = SegmentWriter(self.directory, adopt_limit=adopt_limit,
                                    rotate_size=rotate_size, on_open=self._opened)
        self._lock = threading.RLock()          # guards the index and what was read
        self._read_upto: dict[str, int] = {}    # segment -> offset read and applied so far
        self._damage: dict[str, dict[int, tuple[int, str]]] = {}  # segment -> bad frames
        self._bad: list[Bad] = []
        self._read_once = False
        self._listing: tuple[int, list[str]] | None = None   # (directory mtime, segments)
        self._path = str(self.directory)
        self._locks: LockFile | None = None
        self._batcher = AsyncBatcher(self.writer)
        self._removed = 0

    def close(self) -> None:
        """Seal this process's segment and drop its locks (process exit does the same)."""
        self.writer.close()
        if self._locks is not None:
            self._locks.close()
            self._locks = None

    # ------------------------------------------------------------ admission
    def has_room(self, size: int = 0) -> bool:
        """Whether a message of `size` bytes may be accepted now (MinFreeBlocks)."""
        blocks, block_size = free_blocks(self.directory)
        return room_for(blocks, block_size, size, self.min_free_blocks)

    def check_admission(self, size: int) -> None:
        """Raise before writing anything, so a full disk never holds half a message."""
        if self.max_message_size > 0 and size > self.max_message_size:
            raise MessageTooLargeError(f"message of {size} bytes exceeds {self.max_message_size}")
        if self.min_free_blocks > 0 and not self.has_room(size):
            raise NoSpaceError("insufficient disk space; try again later")

    # ------------------------------------------------------------ submission
    def _message(self, envelope: Envelope, data: bytes) -> tuple[ControlFile, bytes, bytes]:
        """(control file, its bytes, the record) of a new message."""
        self.check_admission(len(data))
        now = int(self.clock())
        control = ControlFile(qid=queue_id(now), envelope=envelope, created=now, next_try=now,
                              size=len(data))
        raw = encode(control)
        return control, raw, rec.encode_record(rec.MESSAGE, control.qid, 0, raw, data)

    def _submitted(self, new: tuple[ControlFile, bytes, bytes], placed: list[Placed]) -> str:
        control, raw, record = new
        where = placed[0]
        start, length, crc = rec.data_span(record)
        with self._lock:
            self.index.add_message(where.segment, control.qid, 0, control, raw,
                                   Location(where.segment, where.offset + start, length, crc))
            self._advance(where)
        return control.qid

    def submit(self, envelope: Envelope, data: bytes) -> str:
        """Store one message durably and return its queue id."""
        new = self._message(envelope, data)
        return self._submitted(new, self.writer.commit([new[2]]))

    async def submit_async(self, envelope: Envelope, data: bytes) -> str:
        """submit() with the flush shared among the coroutines submitting at that moment."""
        new = self._message(envelope, data)
        return await self._batcher.commit([new[2]], lambda placed: self._submitted(new, placed))

    # ------------------------------------------------------------ reading the journal
    def _opened(self, name: str, end: int) -> None:
        """The writer took `name`: read what others left in it before we append."""
        with self._lock:
            if self._read_once:
                self._tail(name)

    def _advance(self, where: Placed) -> None:
        """Our own frame is applied: reading `where.segment` later resumes after it."""
        if where.segment in self._read_upto:
            self._read_upto[where.segment] = max(self._read_upto[where.segment], where.frame_end)

    def _reset(self) -> None:
        self.index = QueueIndex()
        self._read_upto.clear()
        self._damage.clear()
        self._bad.clear()

    def refresh(self) -> None:
        """Apply what other processes appended since the last call (and, the first time,
        everything): new segments, grown segments, segments a compaction deleted."""
        with self._lock:
            self._read_once = True
            names = self._segment_names()
            for name in names:
                # our own segment is applied as we write it, once it has been read
                if (name != self.writer.name or name not in self._read_upto) and self._grown(name):
                    self._tail(name)
            self._forget(set(self._read_upto) - set(names))

    def _segment_names(self) -> list[str]:
        """segment_names(), reusing the last listing while the directory's mtime says
        nothing was added or removed.  A listing is kept only if the mtime it goes with
        was already a second old when taken: a change in the same clock tick as the
        listing could otherwise leave the mtime as it was."""
        try:
            mtime = os.stat(self.directory).st_mtime_ns
        except FileNotFoundError:
            return []
        if self._listing is not None and self._listing[0] == mtime:
            return self._listing[1]
        names = segment_names(self.directory)
        self._listing = (mtime, names) if time.time_ns() - mtime > 1_000_000_000 else None
        return names

    def _grown(self, name: str) -> bool:
        try:
            return os.stat(os.path.join(self._path, name)).st_size > self._read_upto.get(name, -1)
        except FileNotFoundError:
            return False

    def _forget(self, gone: set[str]) -> None:
        for name in gone:
            self.index.drop_segment(name)
            self._read_upto.pop(name, None)
            self._damage.pop(name, None)

    def _tail(self, name: str, fd: int | None = None) -> Scan | None:
        """Apply the frames of `name` past what was read; None if the file is gone."""
        mine = fd is None
        if mine:
            try:
                fd = os.open(self.directory / name, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                return None
        try:
            found = scan(fd, self._read_upto.get(name, 0))  # type: ignore[arg-type]
        finally:
            if mine:
                os.close(fd)  # type: ignore[arg-type]
        for offset, payload in found.frames:
            self._apply_frame(name, offset, payload)
        for offset, length, reason in found.bad:
            self._damage.setdefault(name, {})[offset] = (length, reason)
        self._read_upto[name] = found.end
        return found

    def _apply_frame(self, name: str, offset: int, payload: bytes) -> None:
        try:
            records = rec.decode_payload(payload)
            for record in records:
                check_qid(record.qid)
        except ValueError as exc:       # FrameError, or a queue id that cannot name a file
            start = offset - rec.FRAME_HEADER
            self._damage.setdefault(name, {})[start] = (rec.FRAME_HEADER + len(payload), str(exc))
            return
        for record in records:
            try:
                self._apply_record(name, offset, record)
            except QueueFileError as exc:
                # never trusted: done as far as delivery goes, set aside by recovery
                self.index.add_done(name, record.qid, record.version)
                self._bad.append(Bad(name, record, offset, str(exc)))

    def _apply_record(self, name: str, offset: int, record: rec.Record) -> None:
        if record.kind == rec.DONE:
            self.index.add_done(name, record.qid, record.version)
            return
        control = decode(record.control)
        if control.qid != record.qid:
            raise QueueFileError(2, f"queue id {control.qid} does not match record {record.qid}")
        if record.kind == rec.STATE:
            self.index.add_state(name, record.qid, record.version, control, record.control)
            return
        if control.size != record.data_length:
            raise QueueFileError(0, f"data has {record.data_length} bytes, control file says "
                                    f"{control.size}")
        where = Location(name, offset + record.data_offset, record.data_length, record.data_crc)
        self.index.add_message(name, record.qid, record.version, control, record.control, where)

    # ------------------------------------------------------------ questions
    def list(self) -> list[str]:
        """Queue ids of the messages to deliver, oldest first, as of now."""
        self.refresh()
        with self._lock:
            return self.index.live()

    def _live_entry(self, qid: str) -> Entry:
        if not QID_RE.match(qid):
            raise QueueError(f"bad queue id {qid!r}")
        for attempt in range(2):
            with self._lock:
                entry = self.index.get(qid)
            if entry is not None:
                return entry
            if attempt == 0:
                self.refresh()
        raise UnknownMessageError(f"{qid}: not in the queue")

    def load(self, qid: str) -> ControlFile:
        """The newest control file of a queued message whose data is present."""
        entry = self._live_entry(qid)
        assert entry.control is not None and entry.data is not None
        control = decode(entry.control)
        if entry.data.length != control.size:
            raise MissingDataError(f"{qid}: data has {entry.data.length} bytes, control file "
                                   f"says {control.size}")
        return control

    def due(self, now: float | None = None) -> list[str]:
        """Queue ids whose next try has come, in the order sendmail runs them by default
        (priority, then age); from the index, without reading any control file."""
        moment = int(self.clock() if now is None else now)
        self.refresh()
        with self._lock:
            entries = [(e.priority, qid) for qid, e in self.index.entries.items()
                       if e.live and e.next_try <= moment]
        return [qid for _, qid in sorted(entries)]

    def read_data(self, qid: str) -> bytes:
        """The message data, checked against the CRC it was written with."""
        for attempt in range(2):
            where = self._live_entry(qid).data
            assert where is not None
            try:
                return self._read(qid, where)
            except FileNotFoundError:
                if attempt:
                    raise MissingDataError(f"{qid}: data segment missing") from None
                self.refresh()                 # a compaction moved it
        raise AssertionError("unreachable")

    def _read(self, qid: str, where: Location) -> bytes:
        fd = os.open(self.directory / where.segment, os.O_RDONLY | os.O_CLOEXEC)
        try:
            data = os.pread(fd, where.length, where.offset)
        finally:
            os.close(fd)
        try:
            rec.check_data(data, where.length, where.crc)
        except rec.FrameError as exc:
            raise MissingDataError(f"{qid}: {exc} in {where.segment}") from None
        return data

    # ------------------------------------------------------------ message locks
    def _lockfile(self) -> LockFile:
        if self._locks is None:
            self._locks = LockFile(self.directory, writable=os.access(self.directory, os.W_OK))
        return self._locks

    def claim(self, qid: str) -> bool:
        """Lock a message against other processes and tasks (False if someone has it),
        then read what they appended, so its state is current while we hold it."""
        if not self._lockfile().try_lock(message_byte(qid)):
            return False
        self.refresh()
        return True

    def release(self, qid: str) -> None:
        self._lockfile().unlock(message_byte(qid))

    def is_locked(self, qid: str) -> bool:
        """Whether some process is working on the message (mailq's `*`)."""
        return self._lockfile().is_locked(message_byte(qid))

    @contextlib.contextmanager
    def locked(self, qid: str) -> Iterator[None]:
        """claim() ... release(), or MessageLockedError."""
        if not self.claim(qid):
            raise MessageLockedError(f"{qid}: locked by another process")
        try:
            yield
        finally:
            self.release(qid)

    @contextlib.contextmanager
    def _claimed(self, qid: str) -> Iterator[None]:
        """Inside a claim the caller took already, or else a claim of our own."""
        if self._lockfile().held_here(message_byte(qid)):
            yield
            return
        with self.locked(qid):
            yield

    # ------------------------------------------------------------ changing messages
    def _change(self, qid: str, change: Change | None) -> _Change:
        """The record for a new state (or for done, when `change` is None)."""
        self._live_entry(qid)
        new = raw = None
        if change is not None:
            old = self.load(qid)
            new = change(old)
            if new.qid != qid or new.size != old.size:
                raise QueueError("update may not change the queue id or the size")
            raw = encode(new)
        with self._lock:
            version = self.index.reserve(qid)
        record = rec.encode_record(rec.STATE if new else rec.DONE, qid, version, raw or b"")
        return _Change(qid, version, new, raw, record)

    def _changed(self, change: _Change, placed: list[Placed]) -> ControlFile | None:
        where = placed[0]
        with self._lock:
            if change.new is None or change.raw is None:
                self.index.add_done(where.segment, change.qid, change.version)
            else:
                self.index.add_state(where.segment, change.qid, change.version, change.new,
                                     change.raw)
            self._advance(where)
        return change.new

    def update(self, qid: str, change: Change) -> ControlFile:
        """Apply `change` to the newest control file and make the result durable."""
        with self._claimed(qid):
            made = self._change(qid, change)
            new = self._changed(made, self.writer.commit([made.record]))
        assert new is not None
        return new

    def remove(self, qid: str) -> None:
        """The message is finished (delivered or bounced): it is never delivered again."""
        with self._claimed(qid):
            made = self._change(qid, None)
            self._changed(made, self.writer.commit([made.record]))
        if self._removal_due():
            self.compact()

    async def update_async(self, qid: str, change: Change) -> ControlFile:
        """update() sharing the flush with the coroutines changing messages at that moment."""
        with self._claimed(qid):
            made = self._change(qid, change)
            new = await self._batcher.commit([made.record], lambda p: self._changed(made, p))
        assert new is not None
        return new

    async def remove_async(self, qid: str) -> None:
        """remove() sharing the flush; compaction, when due, runs in a worker thread."""
        with self._claimed(qid):
            made = self._change(qid, None)
            await self._batcher.commit([made.record], lambda p: self._changed(made, p))
        if self._removal_due():
            await asyncio.get_running_loop().run_in_executor(None, self.compact)

    def _removal_due(self) -> bool:
        """Every COMPACT_EVERY removals (a rough count: threads may race on it)."""
        self._removed += 1
        if self._removed < COMPACT_EVERY:
            return False
        self._removed = 0
        return True

    def quarantine(self, qid: str, reason: str) -> None:
        """Set a message aside as Qf<qid> and Qd<qid> with a log line; never delivered."""
        with self._claimed(qid):
            entry = self._live_entry(qid)
            assert entry.control is not None and entry.data is not None
            try:
                data: bytes | None = self._read(qid, entry.data)
            except (OSError, MissingDataError):
                data = None
            self._set_aside(qid, entry.control, data, reason)
            made = self._change(qid, None)
            self._changed(made, self.writer.commit([made.record]))

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


class GroupCommitter:
    """What an SMTP server holds to submit messages: `await submit_async(envelope, data)`
    returns the queue id once the batch holding the message is on disk.  Every committer
    of one store shares that store's batches, so one per session is as good as one."""

    def __init__(self, store: QueueStore) -> None:
        self.store = store

    async def submit_async(self, envelope: Envelope, data: bytes) -> str:
        return await self.store.submit_async(envelope, data)

    @property
    def batches(self) -> int:
        """Flushes (fdatasyncs of batches) so far, for benchmarks and tests."""
        return self.store.writer.flushes
