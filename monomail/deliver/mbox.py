"""Appending a message to an mbox file the way mail.local does, all or nothing.

The entry is mail.local's: a `From sender ctime` line, the message with CRLF turned into
LF, a newline added if the message lacked one, then one empty line.  Quoting is mboxrd:
every line that starts with `From ` after any number of `>` gets one more `>`, so readers
that unquote (mutt, `formail`, mboxrd tools) get the message back exactly, and readers that
split on any `From ` line (Python's `mailbox`) never split inside a message.  mail.local
quotes less: as sendmail ships it, mboxo-style and only a `From ` line that follows an
empty line; as Debian builds it (CONTENTLENGTH), not at all, adding a Content-Length
header instead.  Both leave lines that Python's reader takes for separators, so monomail
follows neither there (tests/unit/test_deliver_mbox.py compares the rest with Debian's).

The mailbox's checks are mail.local's: a missing one is created 0600 with O_EXCL and given
to its user; an existing one must be a regular file with one link, owned by the user, and
still the same file once open (no symlink or hard-link tricks).  Whatever fails after the
first byte is written, the file is cut back to its old size.
"""

from __future__ import annotations

import os
import re
import stat
import time
from dataclasses import dataclass

from .job import LockPolicy
from .mboxlock import LockTimeout, dot_locked, lock_open_file
from .outcome import Outcome, delivered, failure, os_failure
from monomail import sysexits as ex

_FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_APPEND = os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def from_line(sender: str, when: float) -> bytes:
    """mail.local's separator line: the sender (`MAILER-DAEMON` for <>) and ctime()."""
    name = _CONTROL.sub("_", sender) if sender and sender != "<>" else "MAILER-DAEMON"
    return f"From {name} {time.ctime(when)}\n".encode("utf-8", "surrogateescape")


def mbox_entry(message: bytes, separator: bytes) -> bytes:
    """`separator` and the message as one mboxrd entry."""
    body = _FROM_LINE.sub(rb">\1", message.replace(b"\r\n", b"\n"))
    if not body.endswith(b"\n"):
        body += b"\n"
    return separator + body + b"\n"


@dataclass(frozen=True)
class MailboxOwner:
    """Who the mailbox must belong to; `give` says a new one is handed over with fchown
    (monomail running as root; otherwise it is monomail's own file)."""

    uid: int
    gid: int
    give: bool


def append_entry(path: str, entry: bytes, owner: MailboxOwner, policy: LockPolicy,
                 sync: bool = True) -> Outcome:
    """Append under a dot-lock; the Outcome says why not."""
    try:
        with dot_locked(path, policy):
            return _append_locked(path, entry, owner, policy, sync)
    except LockTimeout as error:
        return failure("451 4.3.0", f"lockmailbox {path} failed; {error.strerror}",
                       error.errno or 0)
    except OSError as error:
        return os_failure("551 5.3.0", f"lockmailbox {path} failed", error)


def _append_locked(path: str, entry: bytes, owner: MailboxOwner, policy: LockPolicy,
                   sync: bool) -> Outcome:
    opened = _open_mailbox(path, owner)
    if isinstance(opened, Outcome):
        return opened
    fd = opened
    try:
        start, refused = _write_locked(fd, path, entry, policy, sync)
    except BaseException:
        os.close(fd)
        raise
    if refused is not None:
        _close_quietly(fd)
        return refused
    return _close_checked(fd, path, start)


def _write_locked(fd: int, path: str, entry: bytes, policy: LockPolicy,
                  sync: bool) -> tuple[int, Outcome | None]:
    """Lock, append, sync: (the old size, None) or (.., why not, the file cut back)."""
    try:
        lock_open_file(fd, path, policy)
    except OSError as error:
        return 0, os_failure("450 4.2.0", f"Lock {path}", error)
    start = os.lseek(fd, 0, os.SEEK_END)
    stage = "Write"
    try:
        write_all(fd, entry)
        stage = "Sync"
        if sync:
            os.fsync(fd)
    except OSError as error:
        _cut_back(fd, start)
        return start, os_failure("450 4.2.0", f"{stage} {path}", error)
    return start, None


def _close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def write_all(fd: int, data: bytes) -> None:
    """os.write until everything is written (a short write is not an error)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _cut_back(fd: int, size: int) -> None:
    """Truncate to the size before this delivery and make that stick."""
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    except OSError:
        pass


def _close_checked(fd: int, path: str, start: int) -> Outcome:
    """close() can report a late write error (NFS): then the mailbox is reopened and cut
    back, but only if it is still our file at the size we left it (mail.local's care not
    to cut off a later delivery)."""
    before = os.fstat(fd)
    try:
        os.close(fd)
    except OSError as error:
        try:
            again = os.open(path, _APPEND & ~os.O_APPEND)
        except OSError:
            return os_failure("450 4.2.0", f"Close {path}", error)
        try:
            now = os.fstat(again)
            if (now.st_dev, now.st_ino, now.st_size) == (before.st_dev, before.st_ino,
                                                          before.st_size):
                _cut_back(again, start)
        finally:
            os.close(again)
        return os_failure("450 4.2.0", f"Close {path}", error)
    return delivered()


def _open_mailbox(path: str, owner: MailboxOwner) -> int | Outcome:
    """An fd open for appending to the checked mailbox, created if missing."""
    for _ in range(3):
        try:
            before = os.lstat(path)
        except FileNotFoundError:
            created = _create(path, owner)
            if created is not None:
                return created
            continue  # someone else made it meanwhile: check theirs
        except OSError as error:
            return os_failure("450 4.2.0", f"lstat {path}", error)
        refusal = _refusal(path, before, owner)
        if refusal is not None:
            return refusal
        try:
            fd = os.open(path, _APPEND)
        except OSError as error:
            return os_failure("450 4.2.0", f"Append {path}", error)
        after = os.fstat(fd)
        if not _same_file(before, after):
            os.close(fd)
            return failure("450 4.2.0", f"{path}: fstat: file changed after open")
        return fd
    return failure("450 4.2.0", f"Create {path}: the file keeps appearing and vanishing")


def _create(path: str, owner: MailboxOwner) -> int | Outcome | None:
    """A new mailbox, 0600 and its user's; None if it appeared before we could make it."""
    try:
        fd = os.open(path, _APPEND | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return None
    except OSError as error:
        return os_failure("450 4.2.0", f"Create {path}", error)
    try:
        os.fchmod(fd, 0o600)
        if owner.give:
            os.fchown(fd, owner.uid, owner.gid)
    except OSError as error:
        os.close(fd)
        os.unlink(path)  # empty and ours: leaving it would refuse the user next time
        return os_failure("451 4.3.0", f"chown {owner.uid}.{owner.gid}: {path}", error)
    return fd


def _refusal(path: str, st: os.stat_result, owner: MailboxOwner) -> Outcome | None:
    if st.st_nlink != 1:
        return failure("550 5.2.0", f"{path}: too many links", exit=ex.EX_UNAVAILABLE)
    if not stat.S_ISREG(st.st_mode):
        return failure("550 5.2.0", f"{path}: irregular file", exit=ex.EX_UNAVAILABLE)
    if st.st_uid != owner.uid:
        return failure("550 5.2.0", f"{path}: wrong ownership ({st.st_uid})",
                       exit=ex.EX_CANTCREAT)
    return None


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (b.st_nlink == 1 and stat.S_ISREG(b.st_mode) and a.st_dev == b.st_dev
            and a.st_ino == b.st_ino and a.st_uid == b.st_uid)
