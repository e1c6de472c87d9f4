"""Segment files: reading frames back, and one process's appending writer.

Each process appends to a segment it holds with flock(LOCK_EX); nobody else writes to it
meanwhile.  A segment nobody holds is sealed: its writer exited, died or moved on.  A small
sealed segment may be adopted by the next writer (a command-line submission then costs one
fdatasync instead of creating and syncing a new file and its directory entry); the adopter
first cuts off a batch its predecessor left half-written.  Deleting a segment also takes its
flock, and adopters check afterwards that the name still leads to the file they locked.

The writer is a group commit: threads calling commit() at the same time share one frame,
one write() and one fdatasync(); each returns only after the flush that covers its records.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from monomail.queue import records as rec

PREFIX = "journal."
ADOPT_LIMIT = 4 * 1024 * 1024       # sealed segments up to this size are reused by writers
ROTATE_SIZE = 64 * 1024 * 1024      # a writer starts a new segment past this size
BATCH_LIMIT = 16 * 1024 * 1024      # one flush writes at most this much (unless one record is larger)
CLEAN_END = "user.monomail.clean-end"


def is_segment(name: str) -> bool:
    return name.startswith(PREFIX)


def segment_names(directory: Path) -> list[str]:
    """Segment names, oldest first (names start with the creation time)."""
    return sorted(n for n in os.listdir(directory) if is_segment(n))


def new_segment_name() -> str:
    return f"{PREFIX}{time.time_ns():016x}.{os.getpid()}"


def fsync_directory(directory: Path) -> None:
    """Make a new name (or a removal) in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def same_file(fd: int, path: Path) -> bool:
    """Whether `path` still names the file open as `fd` (not deleted or replaced)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def mark_clean(fd: int, size: int) -> None:
    """Note on a segment being sealed whole that it ends at `size`, so the next writer
    need not read it all to find where a crash cut it (a hint: without it, it does)."""
    try:
        os.setxattr(fd, CLEAN_END, b"%d" % size)
    except OSError:
        pass                                   # no user xattrs here: adopters scan


def clean_end(fd: int) -> int | None:
    """The size a segment was sealed whole at, if it still has exactly that size."""
    try:
        end = int(os.getxattr(fd, CLEAN_END))
    except (OSError, ValueError):
        return None
    return end if end == os.fstat(fd).st_size and end > 0 else None


# ---------------------------------------------------------------- reading

@dataclass
class Scan:
    """What reading a segment from some offset found.

    `frames` are (file offset of the payload, payload) of sound frames; `end` is the offset
    after the last frame that could be read; `bad` lists frames whose header is sound but
    whose payload is not (offset of the frame, its length, reason); `stop` says why reading
    ended before the end of the file: "torn" (a batch cut off: only its start is there) or
    "unreadable" (a frame header that is not one: nothing after it can be trusted)."""

    frames: list[tuple[int, bytes]] = field(default_factory=list)
    end: int = 0
    bad: list[tuple[int, int, str]] = field(default_factory=list)
    stop: str | None = None
    size: int = 0


def scan(fd: int, start: int) -> Scan:
    """Read frames from `start` (0: the segment header first) to the end of the file."""
    size = os.fstat(fd).st_size
    raw = os.pread(fd, size - start, start) if size > start else b""
    result = Scan(end=start, size=start + len(raw))
    pos = 0
    if start == 0:
        head = raw[:len(rec.SEGMENT_MAGIC)]
        if head != rec.SEGMENT_MAGIC:
            result.stop = "torn" if rec.SEGMENT_MAGIC.startswith(head) else "unreadable"
            return result
        pos = result.end = len(rec.SEGMENT_MAGIC)
    while pos < len(raw):
        header = raw[pos:pos + rec.FRAME_HEADER]
        try:
            length = rec.frame_length(header)
        except rec.FrameError:
            result.stop = "torn" if len(header) < rec.FRAME_HEADER or not any(raw[pos:]) else "unreadable"
            return result
        payload = raw[pos + rec.FRAME_HEADER:pos + rec.FRAME_HEADER + length]
        if len(payload) < length:
            result.stop = "torn"
            return result
        try:
            rec.check_payload(header, payload)
        except rec.FrameError as exc:
            result.bad.append((start + pos, rec.FRAME_HEADER + length, str(exc)))
        else:
            result.frames.append((start + pos + rec.FRAME_HEADER, payload))
        pos += rec.FRAME_HEADER + length
        result.end = start + pos
    return result


# ---------------------------------------------------------------- writing

@dataclass(frozen=True, slots=True)
class Placed:
    """Where a committed record landed: its segment, the file offset of its first byte and
    the offset just after its frame (where reading the segment may resume)."""

    segment: str
    offset: int
    frame_end: int


class _Flush:
    """One caller's records waiting in the writer, and the outcome once flushed."""

    __slots__ = ("records", "placed", "error", "done")

    def __init__(self, records: list[bytes]) -> None:
        self.records = records
        self.placed: list[Placed] = []
        self.error: BaseException | None = None
        self.done = False


class SegmentWriter:
    """This process's appending end of the journal (opened on first use)."""

    def __init__(self, directory: Path, *, adopt_limit: int = ADOPT_LIMIT,
                 rotate_size: int = ROTATE_SIZE,
                 on_open: Callable[[str, int], None] | None = None) -> None:
        """`on_open(name, end)` is called when a segment is taken, before anything is
        appended: an adopted one already holds `end` bytes of other processes' records."""
        self.directory = directory
        self.on_open = on_open
        self.adopt_limit = adopt_limit
        self.rotate_size = rotate_size
        self.flushes = 0
        self.name: str | None = None
        self._fd: int | None = None
        self._size = 0
        self._unsynced_name = False
        self._cond = threading.Condition()
        self._pending: list[_Flush] = []
        self._flushing = False
        self.adopted_tail: tuple[str, int] | None = None   # (segment, bytes cut) on adoption

    # ------------------------------------------------------------ group commit
    def commit(self, records: list[bytes]) -> list[Placed]:
        """Append `records` durably; shares the flush with concurrent callers."""
        mine = _Flush(records)
        with self._cond:
            self._pending.append(mine)
            while not mine.done:
                if self._flushing:
                    self._cond.wait()
                    continue
                batch = self._take_batch()
                self._flushing = True
                self._cond.release()
                try:
                    self._flush(batch)
                finally:
                    self._cond.acquire()
                    self._flushing = False
                    for item in batch:
                        item.done = True
                    self._cond.notify_all()
        if mine.error is not None:
            raise mine.error
        return mine.placed

    def _take_batch(self) -> list[_Flush]:
        batch, size = [], 0
        while self._pending and (not batch or size + sum(map(len, self._pending[0].records)) <= BATCH_LIMIT):
            item = self._pending.pop(0)
            size += sum(map(len, item.records))
            batch.append(item)
        return batch

    def _flush(self, batch: list[_Flush]) -> None:
        try:
            self._write(batch)
        except BaseException as exc:   # every caller of the batch gets the error
            for item in batch:
                item.error = exc

    def _write(self, batch: list[_Flush]) -> None:
        if self._fd is None:
            self._open()
        assert self._fd is not None and self.name is not None
        frame = rec.encode_frame([r for item in batch for r in item.records])
        head = rec.SEGMENT_MAGIC if self._size == 0 else b""
        start = self._size
        try:
            write_all(self._fd, head + frame)
            os.fdatasync(self._fd)
            if self._unsynced_name:
                fsync_directory(self.directory)
                self._unsynced_name = False
        except BaseException:
            self._abandon(start)
            raise
        self.flushes += 1
        end = start + len(head) + len(frame)
        offset = start + len(head) + rec.FRAME_HEADER
        for item in batch:
            for record in item.records:
                item.placed.append(Placed(self.name, offset, end))
                offset += len(record)
        self._size = end
        if self._size >= self.rotate_size:
            self._close()

    def _abandon(self, good_size: int) -> None:
        """After a failed write or sync: cut back what may be half there, never write here again."""
        try:
            os.ftruncate(self._fd, good_size)  # type: ignore[arg-type]
        except OSError:
            os.close(self._fd)  # type: ignore[arg-type]
            self._fd = None                    # recovery will find a torn tail
        self._close()

    # ------------------------------------------------------------ opening and closing
    def _open(self) -> None:
        """Adopt a small sealed segment, or else create one.  A new file is taken the same
        way: between its creation and our flock another writer may have adopted it, or a
        compaction deleted it as empty; then we simply try another name."""
        for name in reversed(segment_names(self.directory)):
            if self._take(name, self.adopt_limit):
                return
        while True:
            name = new_segment_name()
            try:
                os.close(os.open(self.directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                                 | os.O_CLOEXEC, 0o600))
            except FileExistsError:
                continue
            if self._take(name, None):
                return

    def _take(self, name: str, limit: int | None) -> bool:
        """Become the writer of `name` if nobody holds it and its frames read back sound."""
        path = self.directory / name
        try:
            if limit is not None and os.stat(path).st_size > limit:
                return False
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        if not (try_flock(fd) and same_file(fd, path)):
            os.close(fd)
            return False
        end = hinted = clean_end(fd)
        if end is None:
            found = scan(fd, 0)
            if found.bad or found.stop == "unreadable":
                os.close(fd)                   # damaged: left for recovery to quarantine
                return False
            if found.end < found.size:
                os.ftruncate(fd, found.end)
                self.adopted_tail = (name, found.size - found.end)
            end = found.end
        # unless it was sealed cleanly, sync the name with the first flush: its creator
        # may have died before doing so
        self._fd, self.name, self._size = fd, name, end
        self._unsynced_name = hinted is None
        if self.on_open is not None:
            self.on_open(name, end)
        return True

    def _close(self) -> None:
        if self._fd is not None:
            if self._size:
                mark_clean(self._fd, self._size)
            os.close(self._fd)
        self._fd, self.name, self._size = None, None, 0

    def close(self) -> None:
        """Seal the current segment (the flock goes with the descriptor)."""
        with self._cond:
            while self._flushing:
                self._cond.wait()
            self._close()
