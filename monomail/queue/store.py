"""The queue directory: one data file (df) and one control file (qf) per message.

A message exists once its qf is in the directory and the directory is fsynced; every write
goes to a temp file first, is fsynced, then renamed, so a crash leaves either the old state
or the new one, plus temp files that recover() deletes.  The df is renamed before the qf and
remove() unlinks the qf first, so a qf never points at a missing df unless the disk lied;
load() checks that too.  Submission is split into prepare() (write and fsync the temp files)
and commit() (rename a whole batch, then one directory fsync), so that GroupCommitter can
share one directory fsync between all sessions waiting at the same moment.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from monomail.queue.ids import queue_id
from monomail.queue.qfcodec import (MAX_FILE_BYTES, QID_RE, ControlFile, Envelope,
                                    QueueFileError, decode, encode)

log = logging.getLogger("monomail.queue")

CONTROL, DATA = "qf", "df"
TEMP_CONTROL, TEMP_DATA = "tf", "td"
QUARANTINE_CONTROL, QUARANTINE_DATA = "Qf", "Qd"
MAX_ID_TRIES = 3600         # ids.queue_id has 3600 sequence numbers per second
_ID_LOCK = threading.Lock()  # ids.queue_id keeps module state; prepare() runs in threads


class QueueError(Exception):
    """Base of the store's refusals."""


class NoSpaceError(QueueError):
    """Too little free space (MinFreeBlocks): the SMTP layer answers 452 4.3.1, the CLI 75."""


class MessageTooLargeError(QueueError):
    """Larger than MaxMessageSize: a permanent 552 5.3.4."""


class MissingDataError(QueueError):
    """A qf whose df is absent or of the wrong size: the message cannot be delivered whole."""


@dataclass(frozen=True)
class Prepared:
    """A submission whose temp files are written and fsynced but not yet in the queue."""

    qid: str
    control: ControlFile


@dataclass
class RecoveryReport:
    """What recover() found, for the start-up log and for tests."""

    temps_removed: list[str] = dataclasses.field(default_factory=list)
    quarantined: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    orphans: list[str] = dataclasses.field(default_factory=list)
    messages: list[str] = dataclasses.field(default_factory=list)


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


def fsync_directory(directory: Path) -> None:
    """Make renames and unlinks in `directory` durable (ext4 needs it for the new name)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_synced(path: Path, data: bytes) -> None:
    """Write a whole file and fsync it, so a later rename publishes complete contents."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


class QueueStore:
    """Synchronous queue operations on one directory; one process owns it."""

    def __init__(self, directory: str | os.PathLike[str], *, min_free_blocks: int = 100,
                 max_message_size: int = 0, clock: Callable[[], float] = time.time) -> None:
        self.directory = Path(directory)
        self.min_free_blocks = min_free_blocks
        self.max_message_size = max_message_size
        self.clock = clock
        self._committer: GroupCommitter | None = None

    # ------------------------------------------------------------ names
    def path(self, prefix: str, qid: str) -> Path:
        return self.directory / f"{prefix}{qid}"

    def data_path(self, qid: str) -> Path:
        """Where delivery reads the message from."""
        return self.path(DATA, qid)

    # ------------------------------------------------------------ admission
    def has_room(self, size: int = 0) -> bool:
        """Whether a message of `size` bytes may be accepted now (MinFreeBlocks)."""
        blocks, block_size = free_blocks(self.directory)
        return room_for(blocks, block_size, size, self.min_free_blocks)

    def check_admission(self, size: int) -> None:
        """Raise before writing anything, so a full disk never holds half a message."""
        if self.max_message_size > 0 and size > self.max_message_size:
            raise MessageTooLargeError(f"message of {size} bytes exceeds {self.max_message_size}")
        if not self.has_room(size):
            raise NoSpaceError("insufficient disk space; try again later")

    # ------------------------------------------------------------ submission
    def _claim_qid(self) -> str:
        """Pick an id and claim it by creating its temp qf with O_EXCL.

        The qf check comes after the claim: a message under the same id is always either
        a tf or a qf (rename is atomic), so the claim fails or the check sees it.  Ids
        repeat only when ids.queue_id wraps within one second."""
        for _ in range(MAX_ID_TRIES):
            with _ID_LOCK:
                qid = queue_id(self.clock())
            try:
                os.close(os.open(self.path(TEMP_CONTROL, qid), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                continue
            if not self.path(CONTROL, qid).exists():
                return qid
            self.path(TEMP_CONTROL, qid).unlink()
        raise QueueError("no free queue id this second")

    def prepare(self, envelope: Envelope, data: bytes) -> Prepared:
        """Write and fsync the temp df and qf; nothing is in the queue yet."""
        self.check_admission(len(data))
        now = int(self.clock())
        qid = self._claim_qid()
        try:
            control = ControlFile(qid=qid, envelope=envelope, created=now, next_try=now,
                                  size=len(data))
            write_synced(self.path(TEMP_DATA, qid), data)
            write_synced(self.path(TEMP_CONTROL, qid), encode(control))
        except BaseException:
            self.discard(qid)
            raise
        return Prepared(qid, control)

    def commit(self, batch: list[Prepared]) -> None:
        """Rename every prepared df then qf into place, then one directory fsync for all."""
        for item in batch:
            os.rename(self.path(TEMP_DATA, item.qid), self.path(DATA, item.qid))
            os.rename(self.path(TEMP_CONTROL, item.qid), self.path(CONTROL, item.qid))
        fsync_directory(self.directory)

    def discard(self, qid: str) -> None:
        """Drop a prepared submission's temp files (the caller will answer with an error)."""
        for prefix in (TEMP_DATA, TEMP_CONTROL):
            self.path(prefix, qid).unlink(missing_ok=True)

    def submit(self, envelope: Envelope, data: bytes) -> str:
        """Store one message durably and return its queue id (one directory fsync)."""
        prepared = self.prepare(envelope, data)
        self.commit([prepared])
        return prepared.qid

    async def submit_async(self, envelope: Envelope, data: bytes) -> str:
        """submit() with the directory fsync shared among concurrent callers."""
        if self._committer is None:
            self._committer = GroupCommitter(self)
        return await self._committer.submit(envelope, data)

    # ------------------------------------------------------------ reading and changing
    def read_control(self, qid: str) -> ControlFile:
        """Decode a qf without trusting it: bounded read, strict codec, id must match the name."""
        with open(self.path(CONTROL, qid), "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
        control = decode(raw)
        if control.qid != qid:
            raise QueueFileError(2, f"queue id {control.qid} does not match file name {qid}")
        return control

    def load(self, qid: str) -> ControlFile:
        """The control file of a queued message whose df is present and complete."""
        if not QID_RE.match(qid):
            raise QueueError(f"bad queue id {qid!r}")
        control = self.read_control(qid)
        try:
            size = self.path(DATA, qid).stat().st_size
        except FileNotFoundError:
            raise MissingDataError(f"{qid}: data file missing") from None
        if size != control.size:
            raise MissingDataError(f"{qid}: data file has {size} bytes, control file says {control.size}")
        return control

    def update(self, qid: str, change: Callable[[ControlFile], ControlFile]) -> ControlFile:
        """Apply `change` to the stored control file and replace it atomically."""
        new = change(self.load(qid))
        if new.qid != qid:
            raise QueueError("update may not change the queue id")
        temp = self.directory / f"{TEMP_CONTROL}{qid}.u"   # never a name _claim_qid makes
        write_synced(temp, encode(new))
        os.replace(temp, self.path(CONTROL, qid))
        fsync_directory(self.directory)
        return new

    def remove(self, qid: str) -> None:
        """Delete a finished message: qf first, so a crash leaves only an ignorable df."""
        self.path(CONTROL, qid).unlink(missing_ok=True)
        self.path(DATA, qid).unlink(missing_ok=True)
        fsync_directory(self.directory)

    def list(self) -> list[str]:
        """Queue ids with a control file, oldest first (ids sort by time)."""
        return sorted(name[2:] for name in os.listdir(self.directory)
                      if name.startswith(CONTROL) and QID_RE.match(name[2:]))

    # ------------------------------------------------------------ start-up
    def quarantine(self, qid: str, reason: str) -> None:
        """Move a bad message aside under Qf/Qd names, never to be delivered or trusted."""
        log.error("%s: control file quarantined: %s", qid, reason)
        for src, dst in ((CONTROL, QUARANTINE_CONTROL), (DATA, QUARANTINE_DATA)):
            try:
                os.rename(self.path(src, qid), self.path(dst, qid))
            except FileNotFoundError:
                pass
        fsync_directory(self.directory)

    def recover(self) -> RecoveryReport:
        """Clean up after a crash: delete temp files, quarantine unreadable messages,
        leave data files without a control file alone (never acknowledged)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        report = RecoveryReport()
        names = sorted(os.listdir(self.directory))
        for name in names:
            if name.startswith((TEMP_CONTROL, TEMP_DATA)):
                (self.directory / name).unlink(missing_ok=True)
                report.temps_removed.append(name)
        for qid in self.list():
            try:
                self.load(qid)
            except (QueueFileError, MissingDataError, OSError) as exc:
                self.quarantine(qid, str(exc))
                report.quarantined.append((qid, str(exc)))
            else:
                report.messages.append(qid)
        known = set(report.messages) | {qid for qid, _ in report.quarantined}
        report.orphans = [n for n in names if n.startswith(DATA) and n[2:] not in known]
        if report.temps_removed:
            fsync_directory(self.directory)
        return report


class GroupCommitter:
    """Batches the commit step of concurrent submissions: one directory fsync per batch.

    Each caller's temp files are written in a worker thread; the caller then waits on a
    future.  While one batch is being committed, later callers accumulate, and the next
    batch takes all of them.  A future resolves only after the fsync that covers its
    message has returned, so a 250 sent on its result is never a lie."""

    def __init__(self, store: QueueStore) -> None:
        self.store = store
        self.batches = 0
        self._waiting: list[tuple[Prepared, asyncio.Future[str]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def submit(self, envelope: Envelope, data: bytes) -> str:
        loop = asyncio.get_running_loop()
        prepared = await loop.run_in_executor(None, self.store.prepare, envelope, data)
        future: asyncio.Future[str] = loop.create_future()
        self._waiting.append((prepared, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = loop.create_task(self._flush_all())
        return await future

    async def _flush_all(self) -> None:
        """Commit batches until nobody is waiting."""
        loop = asyncio.get_running_loop()
        while self._waiting:
            batch, self._waiting = self._waiting, []
            items = [prepared for prepared, _ in batch]
            try:
                await loop.run_in_executor(None, self.store.commit, items)
            except Exception as exc:   # every caller of the batch gets the error
                for prepared, future in batch:
                    self.store.discard(prepared.qid)
                    if not future.done():
                        future.set_exception(exc)
                continue
            self.batches += 1
            for prepared, future in batch:
                if not future.done():
                    future.set_result(prepared.qid)
