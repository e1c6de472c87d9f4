"""Delivering to a file (`/path` recipients of aliases and .forward files), sendmail's
mailfile().

The file name is the [FILE] mailer's `A=FILE $u`, moved under SafeFileEnvironment (or the
mailer's /= root) when one is set.  Writing follows mailfile's rules: /dev/null takes
everything; a file with any execute bit, a second hard link or (under a safe root) that is
not a regular file is refused; a symlink is refused unless DontBlameSendmail says
FileDeliveryToSymlink; a missing file is created (O_EXCL, TempFileMode); the writer is the
file's owner when it has the set-user-ID bit and the address came from an alias, else the
controlling user, else the mailer's U=, else DefaultUser, never root.  The message is the
mailer's (From line, headers, escaped body) plus an empty line; on a write error the file
is cut back to its old size.

As root that needs another identity and a real chroot, which a threaded process cannot
take for itself: a child (`python -m monomail.deliver.fileagent`) does the chroot, the
setgroups/setgid/setuid and the write, as sendmail's forked child does, and reports an
Outcome.  Run by a user, monomail writes as itself in a worker thread, and keeps the file
inside the safe root by resolving its directory instead of by chroot.
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import fcntl
import json
import math
import os
import signal
import stat
import sys
import threading
from dataclasses import dataclass

from monomail import sysexits as ex
from monomail.config.model import NO_ID

from .argv import expand_word, recipient_macros
from .job import AgentSettings, Job, Owner, Recipient
from .mbox import write_all
from .outcome import FULL_ERRNOS, TRANSIENT_ERRNOS, Outcome, delivered, failure, from_exit

_SETID = stat.S_ISUID | stat.S_ISGID
_EXEC = stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH


@dataclass(frozen=True)
class FileRequest:
    """Everything mailfile decides from, plain enough to hand to the child as JSON."""

    path: str                      # the file, inside `root` when there is one
    root: str | None               # SafeFileEnvironment or the mailer's /=
    owner: Owner | None            # the controlling user (ctladdr)
    mailer_uid: int
    mailer_gid: int
    specific_uid: bool             # F=S
    run_as: Owner | None
    default_owner: Owner
    file_mode: int
    to_symlink: bool               # DontBlameSendmail FileDeliveryToSymlink
    to_hardlink: bool              # DontBlameSendmail FileDeliveryToHardlink
    sync: bool
    execdirs: tuple[str, ...]
    open_timeout: float | None

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "FileRequest":
        fields = json.loads(text)
        for name in ("owner", "run_as", "default_owner"):
            if fields[name] is not None:
                fields[name] = Owner(**fields[name])
        fields["execdirs"] = tuple(fields["execdirs"])
        return cls(**fields)


async def deliver_file(job: Job, settings: AgentSettings) -> list[Outcome]:
    outcomes = []
    for recipient in job.recipients:
        outcomes.append(await deliver_one(job, recipient, settings))
    return outcomes


async def deliver_one(job: Job, recipient: Recipient, settings: AgentSettings) -> Outcome:
    request = make_request(job, recipient, settings)
    if isinstance(request, Outcome):
        return request
    data = job.message + b"\n"
    if settings.privileged:
        return await _in_child(request, data)
    return await asyncio.to_thread(mailfile, request, data, False)


def make_request(job: Job, recipient: Recipient, settings: AgentSettings) -> FileRequest | Outcome:
    mailer = job.mailer
    macros = recipient_macros(job, recipient)
    if len(mailer.argv) < 2:
        return from_exit(ex.EX_CONFIG, f"empty filename specification for mailer {mailer.name}")
    filename = expand_word(mailer.argv[1], macros)
    if not filename:
        return from_exit(ex.EX_CONFIG, f"empty filename specification for mailer {mailer.name}")
    if filename == "/dev/null":
        return delivered()
    root = settings.safe_file_env
    if not root and mailer.rootdir:
        root = expand_word(mailer.rootdir, macros)
    if root and filename.startswith(root):
        filename = filename[len(root):]
    dont_blame = settings.dont_blame
    return FileRequest(
        path=("/" + filename.lstrip("/")) if root else filename, root=root or None,
        owner=recipient.owner, mailer_uid=mailer.uid, mailer_gid=mailer.gid,
        specific_uid=mailer.has("S"), run_as=settings.run_as,
        default_owner=settings.default_owner, file_mode=settings.file_mode,
        to_symlink="filedeliverytosymlink" in dont_blame,
        to_hardlink="filedeliverytohardlink" in dont_blame, sync=settings.supersafe,
        execdirs=tuple(expand_word(d, macros) for d in (mailer.execdir or "").split(":") if d),
        open_timeout=settings.fileopen_timeout)


def file_mode(request: FileRequest, st: os.stat_result | None) -> int:
    """The mode mailfile goes by: the file's, without set-id bits unless the address came
    from an alias (or TempFileMode for a new file)."""
    mode = st.st_mode if st else request.file_mode
    if request.owner is not None and not request.owner.alias:
        mode &= ~_SETID
    return mode


def writer_of(request: FileRequest, st: os.stat_result | None,
              mode: int) -> tuple[int, int, str | None] | Outcome:
    """mailfile's uid, gid and user for initgroups, from the file's set-id bits and the
    controlling user; never root (its "last ditch")."""
    ctl, default = request.owner, request.default_owner
    name: str | None = default.name
    if request.specific_uid:
        run_as = request.run_as or Owner(os.geteuid(), os.getegid())
        uid = request.mailer_uid if request.mailer_uid != NO_ID else run_as.uid
        gid = request.mailer_gid if request.mailer_gid != NO_ID else run_as.gid
        if os.geteuid() != 0 and uid != os.geteuid():
            return from_exit(ex.EX_TEMPFAIL, "mailfile: insufficient privileges to change uid",
                             "mailfile: insufficient privileges to change uid")
        name = None
    else:
        if mode & stat.S_ISUID and st is not None:
            uid, name = st.st_uid, None
        elif ctl is not None and ctl.uid != 0:
            uid, name = ctl.uid, ctl.name
        else:
            uid = request.mailer_uid if request.mailer_uid != NO_ID else default.uid
        if mode & stat.S_ISGID and st is not None:
            gid = st.st_gid
        elif ctl is not None and ctl.uid == default.uid and ctl.gid == 0:
            gid, name = default.gid, default.name
        elif ctl is not None and ctl.uid != 0:
            gid = ctl.gid
        else:
            gid = request.mailer_gid if request.mailer_gid != NO_ID else default.gid
    return (uid or default.uid), (gid or default.gid), name


def mailfile(request: FileRequest, data: bytes, become: bool) -> Outcome:
    """Write as mailfile's child does; `become` takes the identity and the chroot (root
    in a fresh child only), else the file is confined to its root by path checks."""
    target = os.path.join(request.root, request.path.lstrip("/")) if request.root else request.path
    try:
        st: os.stat_result | None = os.stat(target)
    except OSError:
        st = None
    mode = file_mode(request, st)
    writer = writer_of(request, st, mode)
    if isinstance(writer, Outcome):
        return writer
    if become:
        path = _become(request, *writer)
    else:
        path = _confined(request, target)
    if isinstance(path, Outcome):
        return path
    return _write(request, path, mode, data)


def _become(request: FileRequest, uid: int, gid: int, name: str | None) -> str | Outcome:
    try:
        groups = os.getgrouplist(name, gid) if name else [gid]
    except OSError:
        groups = [gid]
    try:
        os.setgroups(groups)
        if request.root:
            os.chroot(request.root)
        os.chdir("/")
    except OSError as error:
        why = f"mailfile: Cannot chroot({request.root}): {os.strerror(error.errno or 0)}"
        return from_exit(ex.EX_CANTCREAT if request.root else ex.EX_TEMPFAIL, why, why)
    try:
        os.setgid(gid)
        os.setuid(uid)
    except OSError as error:
        why = f"mailfile: cannot become {uid}:{gid}: {os.strerror(error.errno or 0)}"
        return from_exit(ex.EX_TEMPFAIL, why, why)
    for directory in request.execdirs:
        try:
            os.chdir(directory)
            break
        except OSError:
            continue
    return request.path


def _confined(request: FileRequest, target: str) -> str | Outcome:
    """The path to write when no chroot is possible: relative names under the first D=
    folder that exists, and nothing that resolves outside the safe root."""
    if not os.path.isabs(target):
        base = next((d for d in request.execdirs if os.path.isdir(d)), None)
        target = os.path.join(base, target) if base else target
    if request.root:
        root = os.path.realpath(request.root)
        where = os.path.realpath(os.path.dirname(target) or ".")
        if where != root and not where.startswith(root.rstrip("/") + "/"):
            return from_exit(ex.EX_CANTCREAT,
                             f"554 5.3.0 cannot open {request.path}: outside {request.root}",
                             f"{request.path} resolves outside {request.root}")
    return target


def _write(request: FileRequest, path: str, mode: int, data: bytes) -> Outcome:
    flags = os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC
    try:
        before: os.stat_result | None = os.stat(path) if request.to_symlink else os.lstat(path)
    except OSError:
        before = None
    if before is None:
        mode = request.file_mode
        flags |= os.O_CREAT | os.O_EXCL
    elif (mode & _EXEC or (not request.to_hardlink and before.st_nlink != 1)
          or (request.root and not stat.S_ISREG(before.st_mode))):
        return from_exit(ex.EX_CANTCREAT, "", f"{path}: not a file monomail may write")
    else:
        mode = before.st_mode
    opened = _open(request, path, flags, mode, before)
    if isinstance(opened, Outcome):
        return opened
    fd, start = opened
    try:
        write_all(fd, data)
        if request.sync:
            os.fsync(fd)
    except OSError as error:
        _truncate(fd, start)
        os.close(fd)
        if error.errno in FULL_ERRNOS:
            return failure("452 4.2.2", f"Write {path}: {os.strerror(error.errno)}", error.errno)
        return from_exit(ex.EX_IOERR, "", f"Write {path}: {os.strerror(error.errno or 0)}")
    try:
        os.fchmod(fd, stat.S_IMODE(mode))
    except OSError:
        pass
    try:
        os.close(fd)
    except OSError as error:
        return from_exit(ex.EX_IOERR, "", f"Close {path}: {os.strerror(error.errno or 0)}")
    return delivered()


def _open(request: FileRequest, path: str, flags: int, mode: int,
          before: os.stat_result | None) -> tuple[int, int] | Outcome:
    """safefopen: refuse what sendmail's safefile refuses, open (within Timeout.fileopen),
    and check that the file opened is the one looked at."""
    if before is not None and not request.to_symlink and stat.S_ISLNK(before.st_mode):
        return _cannot_open(path, errno.ELOOP, "Symbolic links not allowed")
    if not request.to_symlink:
        flags |= os.O_NOFOLLOW
    try:
        fd = _open_in_time(path, flags | os.O_NONBLOCK, stat.S_IMODE(mode) & 0o7777,
                           request.open_timeout)
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    except TimeoutError:
        return from_exit(ex.EX_TEMPFAIL, "", f"cannot open {path}: Timeout on file open")
    except OSError as error:
        return _cannot_open(path, error.errno or 0, os.strerror(error.errno or 0))
    after = os.fstat(fd)
    if before is not None and (after.st_dev, after.st_ino, after.st_nlink, after.st_uid,
                               after.st_gid) != (before.st_dev, before.st_ino,
                                                 before.st_nlink, before.st_uid, before.st_gid):
        os.close(fd)
        return from_exit(ex.EX_CANTCREAT, "554 5.3.0 file changed after open",
                         f"{path}: File changed after open")
    return fd, after.st_size


def _cannot_open(path: str, errnum: int, why: str) -> Outcome:
    if errnum in TRANSIENT_ERRNOS:
        return from_exit(ex.EX_TEMPFAIL, f"454 4.3.0 cannot open {path}: {why}",
                         f"cannot open {path}: {why}")
    return from_exit(ex.EX_CANTCREAT, f"554 5.3.0 cannot open {path}: {why}",
                     f"cannot open {path}: {why}")


def _open_in_time(path: str, flags: int, mode: int, timeout: float | None) -> int:
    """open() under sendmail's Timeout.fileopen.  In the single-threaded child an alarm
    bounds it; in a thread, O_NONBLOCK keeps a fifo without reader from hanging."""
    if timeout is None or not _single_threaded():
        return os.open(path, flags, mode)

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(path)
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(max(1, math.ceil(timeout)))
    try:
        return os.open(path, flags & ~os.O_NONBLOCK, mode)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _single_threaded() -> bool:
    return threading.active_count() == 1 and threading.current_thread() is threading.main_thread()


def _truncate(fd: int, size: int) -> None:
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    except OSError:
        pass


async def _in_child(request: FileRequest, data: bytes) -> Outcome:
    """Run mailfile in `python -m monomail.deliver.fileagent` (root: chroot and setuid)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-P", "-m", "monomail.deliver.fileagent",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, start_new_session=True)
    out, err = await proc.communicate(request.to_json().encode() + b"\n" + data)
    try:
        return Outcome(**json.loads(out))
    except (ValueError, TypeError):
        lines = err.decode("utf-8", "replace").strip().splitlines()
        why = f"mailfile child failed: {lines[-1] if lines else f'exit {proc.returncode}'}"
        return from_exit(ex.EX_OSERR, why, why)


def main() -> None:
    """The child: one request line, the message, an Outcome as JSON on stdout."""
    stdin = sys.stdin.buffer
    request = FileRequest.from_json(stdin.readline().decode())
    data = stdin.read()
    outcome = mailfile(request, data, become=True)
    sys.stdout.write(json.dumps(dataclasses.asdict(outcome)))


if __name__ == "__main__":
    main()
