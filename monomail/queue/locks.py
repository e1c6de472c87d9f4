"""Locks shared by every process using one queue directory.

Message locks and the compaction lock are open-file-description locks (Linux F_OFD_SETLK)
on single bytes of the file `lock`: byte 0 for the one process allowed to rewrite or delete
sealed segments, byte 1 + CRC-32(qid) for a message being delivered or changed.  Unlike
classic POSIX record locks they belong to the open file, not to the process, so closing an
unrelated descriptor never drops them, and a process that dies loses them all at once.
Threads of one process share one description, so the store adds an in-process set.
Segment writers use flock() on the segment itself (see segments.py).
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct
import threading
import zlib

LOCK_FILE = "lock"
COMPACTION = 0
_FLOCK = struct.Struct("hhxxxxqqi4x")      # struct flock on Linux x86-64 / aarch64


def message_byte(qid: str) -> int:
    return 1 + zlib.crc32(qid.encode("ascii"))


class LockFile:
    """Byte locks on <queue>/lock; `try_lock` never waits, `lock` does."""

    def __init__(self, directory: str | os.PathLike[str], *, writable: bool = True) -> None:
        path = os.path.join(directory, LOCK_FILE)
        flags = (os.O_RDWR | os.O_CREAT) if writable else os.O_RDONLY
        self.fd = os.open(path, flags | os.O_CLOEXEC, 0o600)
        self._mutex = threading.Lock()
        self._held: set[int] = set()

    def close(self) -> None:
        os.close(self.fd)

    def _fcntl(self, command: int, kind: int, byte: int) -> bytes:
        return fcntl.fcntl(self.fd, command, _FLOCK.pack(kind, os.SEEK_SET, byte, 1, 0))

    def try_lock(self, byte: int) -> bool:
        """Take the byte unless this process or another holds it."""
        with self._mutex:
            if byte in self._held:
                return False
            try:
                self._fcntl(fcntl.F_OFD_SETLK, fcntl.F_WRLCK, byte)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES):
                    return False
                raise
            self._held.add(byte)
            return True

    def lock(self, byte: int) -> None:
        """Wait for another process to let go of the byte (used for compaction at start)."""
        self._fcntl(fcntl.F_OFD_SETLKW, fcntl.F_WRLCK, byte)
        with self._mutex:
            self._held.add(byte)

    def unlock(self, byte: int) -> None:
        with self._mutex:
            self._held.discard(byte)
            self._fcntl(fcntl.F_OFD_SETLK, fcntl.F_UNLCK, byte)

    def held_here(self, byte: int) -> bool:
        with self._mutex:
            return byte in self._held

    def is_locked(self, byte: int) -> bool:
        """Whether anyone holds the byte (mailq's `*` marker)."""
        if self.held_here(byte):
            return True
        answer = self._fcntl(fcntl.F_OFD_GETLK, fcntl.F_WRLCK, byte)
        return _FLOCK.unpack(answer)[0] != fcntl.F_UNLCK
