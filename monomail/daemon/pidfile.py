"""The PidFile, as sendmail keeps it: pid on line 1, the command line on line 2, the
file held open and locked while the daemon runs (so a second daemon cannot take it
over) and removed when the daemon that wrote it exits."""

from __future__ import annotations

import errno
import fcntl
import os


class PidFileError(OSError):
    """The pid file cannot be written; the text is sendmail's log message."""


class PidFile:
    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    def write(self, command_line: str) -> None:
        """Create (no symlinks), lock, truncate and fill the file; keep it open."""
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise PidFileError(exc.errno, f"unable to write pid to {self.path}: "
                                   "file in use by another process") from exc
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n{command_line}\n".encode())
        self._fd = fd

    def remove(self) -> None:
        """Unlink and release, only if this process wrote it."""
        if self._fd is None:
            return
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        os.close(self._fd)
        self._fd = None
