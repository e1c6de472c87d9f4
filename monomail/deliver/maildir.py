"""Delivering one message into a Maildir: tmp, fsync, link into new, fsync new.

Names follow the Maildir convention: `seconds.M<usec>P<pid>Q<n>.host,S=<size>` (`/` and
`:` in the host name written as \\057 and \\072; S= is the size Dovecot and Courier read
for quotas).  A maildir or one of cur/new/tmp that is missing is made (0700, given to
the user).  Every step goes through directory descriptors opened with O_NOFOLLOW, and each
directory must belong to the mailbox's user, so a user who swaps a directory for a symlink
cannot make a root-run monomail write elsewhere.  A message is in new/ only once it is
completely on disk; on any failure nothing of it is left in tmp/ or new/.
"""

from __future__ import annotations

import errno
import itertools
import os
import threading
import time

from .mbox import MailboxOwner, write_all
from .outcome import Outcome, delivered, failure, os_failure
from monomail import sysexits as ex

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_sequence = itertools.count(1)
_handing_over = threading.Lock()


def unique_name(hostname: str, size: int, now: float | None = None) -> str:
    t = time.time() if now is None else now
    seconds = int(t)
    host = hostname.replace("/", "\\057").replace(":", "\\072")
    return (f"{seconds}.M{int((t - seconds) * 1_000_000)}P{os.getpid()}Q{next(_sequence)}"
            f".{host},S={size}")


class _Refused(Exception):
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


def deliver_maildir(base: str, leaf: str, data: bytes, owner: MailboxOwner, hostname: str,
                    sync: bool = True) -> Outcome:
    """Put `data` into the maildir `base/leaf` (`base` is trusted: a home or the -d folder)."""
    fds: list[int] = []
    try:
        base_fd = _keep(fds, os.open(base, _DIR & ~os.O_NOFOLLOW))
        top = _keep(fds, _subdir(base_fd, leaf, f"{base}/{leaf}", owner))
        tmp, new = (_keep(fds, _subdir(top, name, f"{base}/{leaf}/{name}", owner))
                    for name in ("tmp", "new"))
        _keep(fds, _subdir(top, "cur", f"{base}/{leaf}/cur", owner))
        return _store(tmp, new, f"{base}/{leaf}", data, owner, hostname, sync)
    except _Refused as refused:
        return refused.outcome
    except OSError as error:
        return os_failure("450 4.2.0", f"Maildir {base}/{leaf}", error)
    finally:
        for fd in fds:
            os.close(fd)


def _keep(fds: list[int], fd: int) -> int:
    fds.append(fd)
    return fd


def _subdir(parent: int, name: str, shown: str, owner: MailboxOwner) -> int:
    """The directory `name` under `parent`, made if missing, checked to be the user's."""
    try:
        fd = _open_dir(parent, name, shown)
    except FileNotFoundError:
        fd = _make_subdir(parent, name, shown, owner)
    try:
        _check_owner(fd, shown, owner)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _make_subdir(parent: int, name: str, shown: str, owner: MailboxOwner) -> int:
    """mkdir, then hand it over: under a lock, so that another thread never judges the
    folder in between, while it is still root's."""
    with _handing_over:
        made = False
        try:
            os.mkdir(name, 0o700, dir_fd=parent)
            made = True
        except FileExistsError:
            pass
        except OSError as error:
            raise _Refused(os_failure("450 4.2.0", f"Create {shown}", error)) from error
        fd = _open_dir(parent, name, shown)
        if made and owner.give:
            try:
                os.fchown(fd, owner.uid, owner.gid)
            except BaseException:
                os.close(fd)
                raise
    return fd


def _check_owner(fd: int, shown: str, owner: MailboxOwner) -> None:
    st = os.fstat(fd)
    if st.st_uid != owner.uid and owner.give and st.st_uid == os.geteuid():
        with _handing_over:  # a thread of ours may be between mkdir and fchown
            st = os.fstat(fd)
        if st.st_uid != owner.uid:  # another process may be: try again later
            raise _Refused(failure("450 4.2.0", f"{shown}: not yet its user's "
                                   f"(owned by {st.st_uid})"))
    if st.st_uid != owner.uid:
        raise _Refused(failure("550 5.2.0", f"{shown}: wrong ownership ({st.st_uid})",
                               exit=ex.EX_CANTCREAT))


def _open_dir(parent: int, name: str, shown: str) -> int:
    try:
        return os.open(name, _DIR, dir_fd=parent)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENOTDIR):
            raise _Refused(failure("550 5.2.0", f"{shown}: not a directory",
                                   exit=ex.EX_CANTCREAT)) from error
        raise


def _store(tmp: int, new: int, shown: str, data: bytes, owner: MailboxOwner, hostname: str,
           sync: bool) -> Outcome:
    for _ in range(5):
        name = unique_name(hostname, len(data))
        try:
            fd = os.open(name, _NEW_FILE, 0o600, dir_fd=tmp)
        except FileExistsError:
            continue
        except OSError as error:
            return os_failure("450 4.2.0", f"Create {shown}/tmp/{name}", error)
        written = _write_tmp(fd, data, owner, sync)
        if written is not None:
            _unlink(name, tmp)
            return os_failure("450 4.2.0", f"Write {shown}/tmp/{name}", written)
        return _publish(tmp, new, name, shown, sync)
    return failure("450 4.2.0", f"{shown}: no unique file name in tmp")


def _write_tmp(fd: int, data: bytes, owner: MailboxOwner, sync: bool) -> OSError | None:
    try:
        if owner.give:
            os.fchown(fd, owner.uid, owner.gid)
        write_all(fd, data)
        if sync:
            os.fsync(fd)
    except OSError as error:
        return error
    finally:
        os.close(fd)
    return None


def _publish(tmp: int, new: int, name: str, shown: str, sync: bool) -> Outcome:
    """tmp/name becomes new/name; the new/ directory is synced before success is told."""
    try:
        try:
            os.link(name, name, src_dir_fd=tmp, dst_dir_fd=new, follow_symlinks=False)
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
                raise
            os.rename(name, name, src_dir_fd=tmp, dst_dir_fd=new)  # no hard links here
    except OSError as error:
        _unlink(name, tmp)
        return os_failure("450 4.2.0", f"Link {shown}/new/{name}", error)
    _unlink(name, tmp)
    try:
        if sync:
            os.fsync(new)
    except OSError as error:
        _unlink(name, new)  # not known to be on disk: better delivered again than lost
        return os_failure("450 4.2.0", f"Sync {shown}/new", error)
    return delivered()


def _unlink(name: str, dir_fd: int) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except FileNotFoundError:
        pass
