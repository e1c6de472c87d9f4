"""Locking a mailbox the ways its readers lock it: `mailbox.lock`, fcntl and flock.

mail.local (Debian's, through liblockfile) takes a dot-lock, then a kernel lock on the
open mailbox; mail readers use one or the other (mutt fcntl and dot-lock, Python's
`mailbox` lockf and dot-lock, BSD tools flock), so monomail takes all three.  The dot-lock
is created with O_EXCL and holds the locker's pid, as liblockfile writes it: a lock whose
process is gone is stale at once, one without a pid after `stale_after` seconds (mail.local
uses its age alone).  Threads of this process queue on an in-process lock first, so they
never sleep on each other's dot-lock.  All of this blocks: agents run it in a worker thread.
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
import time
from contextlib import contextmanager
from typing import Iterator

from .job import LockPolicy


class LockTimeout(OSError):
    """The mailbox stayed locked by someone else for the whole wait."""


_registry_guard = threading.Lock()
_registry: dict[str, tuple[threading.Lock, int]] = {}


@contextmanager
def _in_process(path: str) -> Iterator[None]:
    """One writer per mailbox inside this process; entries go when nobody waits."""
    with _registry_guard:
        lock, users = _registry.get(path, (threading.Lock(), 0))
        _registry[path] = (lock, users + 1)
    try:
        with lock:
            yield
    finally:
        with _registry_guard:
            lock, users = _registry[path]
            if users == 1:
                del _registry[path]
            else:
                _registry[path] = (lock, users - 1)


class _Waiter:
    """Sleeps between tries, longer each time, until the policy's deadline."""

    def __init__(self, policy: LockPolicy, what: str) -> None:
        self.policy, self.what = policy, what
        self.deadline = time.monotonic() + policy.timeout
        self.delay = policy.first_sleep

    def wait(self) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise LockTimeout(errno.EAGAIN, f"{self.what} still locked after "
                              f"{self.policy.timeout:g} s")
        time.sleep(min(self.delay, left))
        self.delay = min(self.delay * 2, self.policy.longest_sleep)


def is_stale(lock_path: str, stale_after: float, now: float | None = None) -> bool:
    """liblockfile's test: the pid written in the lock is not running, or there is no pid
    and the lock is older than `stale_after` seconds."""
    try:
        fd = os.open(lock_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # a symlink or a fifo is nobody's lock
    try:
        st = os.fstat(fd)
        text = os.read(fd, 40).decode("ascii", "replace").strip() if st.st_size <= 40 else ""
    finally:
        os.close(fd)
    if text.isdigit() and int(text) > 0:
        return not _running(int(text))
    return (time.time() if now is None else now) - st.st_mtime > stale_after


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process holds its mailboxes under _in_process, never stale ones
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _dot_lock(lock_path: str, policy: LockPolicy) -> None:
    waiter = _Waiter(policy, lock_path)
    while True:
        try:
            fd = os.open(lock_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        except FileExistsError:
            if is_stale(lock_path, policy.stale_after):
                _unlink_quietly(lock_path)
                continue
            waiter.wait()
            continue
        try:
            os.write(fd, f"{os.getpid()}\n".encode())
        finally:
            os.close(fd)
        return


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def lock_open_file(fd: int, path: str, policy: LockPolicy) -> None:
    """fcntl and flock on the open mailbox, tried without blocking (a reader holding one
    and waiting for the other must not deadlock with us) until the policy's deadline."""
    waiter = _Waiter(policy, path)
    for take in (lambda: fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB),
                 lambda: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)):
        while True:
            try:
                take()
                break
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                waiter.wait()


@contextmanager
def dot_locked(mailbox_path: str, policy: LockPolicy) -> Iterator[None]:
    """Hold `mailbox_path.lock` (and this process's own lock on the path) for the block."""
    with _in_process(os.path.abspath(mailbox_path)):
        lock_path = mailbox_path + ".lock"
        _dot_lock(lock_path, policy)
        try:
            yield
        finally:
            _unlink_quietly(lock_path)
