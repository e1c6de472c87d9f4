"""sendmail's safefile and safedirpath: may this file be trusted for this user?

.forward and :include: files decide where mail goes and which programs run, so
sendmail refuses them in writable directories, when writable by others, when
linked from elsewhere or owned by someone else; DontBlameSendmail relaxes each
rule.  The answers (an errno, or one of sendmail's pseudo-errnos with its own
text) are sendmail's, check for check, because they show in `-bv -v` output and
decide which .forward is read.  Only stat/lstat/readlink are used: the process
never changes its uid, the caller says which uid and groups sendmail would have.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from typing import Callable

from .users import UserDatabase

E_PSEUDOBASE = 512
E_SM_OPENTIMEOUT = E_PSEUDOBASE + 0
E_SM_NOSLINK = E_PSEUDOBASE + 1
E_SM_NOHLINK = E_PSEUDOBASE + 2
E_SM_REGONLY = E_PSEUDOBASE + 3
E_SM_ISEXEC = E_PSEUDOBASE + 4
E_SM_WWDIR = E_PSEUDOBASE + 5
E_SM_GWDIR = E_PSEUDOBASE + 6
E_SM_FILECHANGE = E_PSEUDOBASE + 7
E_SM_WWFILE = E_PSEUDOBASE + 8
E_SM_GWFILE = E_PSEUDOBASE + 9
E_SM_GRFILE = E_PSEUDOBASE + 10
E_SM_WRFILE = E_PSEUDOBASE + 11
PSEUDO_TEXT = {
    E_SM_OPENTIMEOUT: "Timeout on file open", E_SM_NOSLINK: "Symbolic links not allowed",
    E_SM_NOHLINK: "Hard links not allowed", E_SM_REGONLY: "Regular files only",
    E_SM_ISEXEC: "Executable files not allowed", E_SM_WWDIR: "World writable directory",
    E_SM_GWDIR: "Group writable directory", E_SM_FILECHANGE: "File changed after open",
    E_SM_WWFILE: "World writable file", E_SM_GWFILE: "Group writable file",
    E_SM_GRFILE: "Group readable file", E_SM_WRFILE: "World readable file",
}

SFF_MUSTOWN = 0x1
SFF_NOSLINK = 0x2
SFF_ROOTOK = 0x4
SFF_RUNASREALUID = 0x8
SFF_NOPATHCHECK = 0x10
SFF_SETUIDOK = 0x20
SFF_CREAT = 0x40
SFF_REGONLY = 0x80
SFF_SAFEDIRPATH = 0x100
SFF_NOHLINK = 0x200
SFF_NOWLINK = 0x400
SFF_NOGWFILES = 0x800
SFF_NOWWFILES = 0x1000
SFF_OPENASROOT = 0x2000
SFF_NOGRFILES = 0x8000
SFF_NOWRFILES = 0x10000
SFF_EXECOK = 0x40000
SFF_NOLINK = SFF_NOHLINK | SFF_NOSLINK

MAXSYMLINKS = 40        # Linux
MAXPATHLEN = 4096
MAXLINKPATHLEN = MAXPATHLEN * 2
ST_MODE_NOFILE = 0o171147   # sendmail's marker for "no such file" in st_mode
S_IREAD, S_IWRITE, S_IEXEC = stat.S_IRUSR, stat.S_IWUSR, stat.S_IXUSR
TRANSIENT_ERRNOS = frozenset({
    errno.EAGAIN, errno.ETIMEDOUT, errno.ENFILE, errno.ENOBUFS, errno.ENOSR,
    errno.ECONNRESET, errno.ENETRESET, errno.EHOSTDOWN, errno.ECONNREFUSED,
    errno.EIO, errno.EDEADLK, errno.ESTALE, E_SM_OPENTIMEOUT,
})


def errstring(err: int) -> str:
    """sm_errstring: sendmail's pseudo-errno texts, else strerror()."""
    return PSEUDO_TEXT.get(err) or os.strerror(err)


def transient(err: int) -> bool:
    """sendmail's transienterror(): worth retrying later."""
    return err in TRANSIENT_ERRNOS


@dataclass
class FileSafety:
    """The process state safefile's answers depend on.

    euid: the effective uid sendmail has while checking (the include file's user
    when sendmail runs as root and switched to it); verbose: sendmail's Verbose.
    """

    users: UserDatabase
    dont_blame: frozenset[str] = frozenset()
    euid: int = 0
    real_uid: int = 0
    run_as_uid: int = 0
    trusted_uid: int = 0
    dont_init_groups: bool = False
    verbose: int = 0
    announce: Callable[[str], None] = field(default=lambda text: None)

    def blame(self, flag: str) -> bool:
        return flag in self.dont_blame

    def in_group(self, user: str | None, gid: int) -> bool:
        """Is user a listed member of group gid (the group-set check, not initgroups)?"""
        if user is None or self.dont_init_groups:
            return False
        members = self.users.group_members(gid)
        return members is not None and user in members


def _lstat(path: str) -> os.stat_result | int:
    try:
        return os.lstat(path)
    except OSError as exc:
        return exc.errno or errno.EIO


def _stat(path: str, nolink: bool) -> os.stat_result | int:
    if nolink:
        return _lstat(path)
    try:
        return os.stat(path)
    except OSError as exc:
        return exc.errno or errno.EIO


def _dirname(fn: str) -> str:
    """The directory part as sendmail cuts it at the last '/' ("." without one)."""
    slash = fn.rfind("/")
    return "." if slash < 0 else fn[:slash]


def safefile(fn: str, uid: int, gid: int, user: str | None, flags: int, mode: int,
             ctx: FileSafety) -> tuple[int, os.stat_result | None]:
    """0 and the file's stat when fn exists and is safe for uid, else an errno."""
    if len(fn) >= MAXPATHLEN:
        return errno.ENAMETOOLONG, None
    if ctx.real_uid != 0 and ctx.run_as_uid == ctx.real_uid:
        flags &= ~SFF_SAFEDIRPATH
    st = _stat(fn, bool(flags & SFF_NOSLINK))
    file_errno = st if isinstance(st, int) else 0
    if not isinstance(st, int) and flags & SFF_SETUIDOK and \
            not st.st_mode & 0o111 and stat.S_ISREG(st.st_mode):
        if st.st_mode & stat.S_ISUID and st.st_uid not in (0, ctx.trusted_uid):
            uid, user = st.st_uid, None
        if st.st_mode & stat.S_ISGID and st.st_gid != 0:
            gid = st.st_gid
    checkpath = not flags & SFF_NOPATHCHECK or (
        uid == 0 and not flags & (SFF_ROOTOK | SFF_OPENASROOT))
    if flags & SFF_NOWLINK and not flags & SFF_SAFEDIRPATH:
        ret = safedirpath(_dirname(fn), uid, gid, user, flags | SFF_SAFEDIRPATH, 0, 0, ctx)
        if ret == 0:
            checkpath = False
        else:
            if not flags & SFF_NOSLINK:
                st = _lstat(fn)
                if isinstance(st, int):
                    return st, None
            flags |= SFF_NOLINK
    if checkpath:
        ret = safedirpath(_dirname(fn), uid, gid, user, flags, 0, 0, ctx)
        if ret != 0:
            return ret, None
    if file_errno:
        return _no_file(fn, file_errno, uid, gid, user, flags, ctx), None
    assert not isinstance(st, int)
    ret = _file_checks(st, flags, mode)
    if ret:
        return ret, st
    return (0 if _may_access(st, uid, gid, user, flags, mode, ctx) else errno.EACCES), st


def _no_file(fn: str, err: int, uid: int, gid: int, user: str | None, flags: int,
             ctx: FileSafety) -> int:
    """A missing file: its errno, unless SFF_CREAT asks whether it may be created."""
    if not flags & SFF_CREAT or err != errno.ENOENT:
        return err
    slash = fn.rfind("/")
    folder = "." if slash < 0 else "/" if slash == 0 else fn[:slash]
    try:
        st = os.stat(folder)
    except OSError as exc:
        return exc.errno or errno.EIO
    md = S_IWRITE | S_IEXEC
    if st.st_uid != uid and not (uid == 0 and st.st_uid == ctx.trusted_uid):
        md >>= 3
        if st.st_gid != gid and not ctx.in_group(user, st.st_gid):
            md >>= 3
    return 0 if (st.st_mode & md) == md else errno.EACCES


def _file_checks(st: os.stat_result, flags: int, mode: int) -> int:
    """The type, write-bit, exec-bit and link-count rules, in sendmail's order."""
    m = st.st_mode
    checks = (
        (SFF_NOSLINK, stat.S_ISLNK(m), E_SM_NOSLINK),
        (SFF_REGONLY, not stat.S_ISREG(m), E_SM_REGONLY),
        (SFF_NOGWFILES, bool(m & stat.S_IWGRP), E_SM_GWFILE),
        (SFF_NOWWFILES, bool(m & stat.S_IWOTH), E_SM_WWFILE),
        (SFF_NOGRFILES, bool(m & stat.S_IRGRP), E_SM_GRFILE),
        (SFF_NOWRFILES, bool(m & stat.S_IROTH), E_SM_WRFILE),
    )
    for flag, bad, err in checks:
        if flags & flag and bad:
            return err
    if not flags & SFF_EXECOK and mode & 0o222 and m & 0o111:
        return E_SM_ISEXEC
    if flags & SFF_NOHLINK and st.st_nlink != 1:
        return E_SM_NOHLINK
    return 0


def _may_access(st: os.stat_result, uid: int, gid: int, user: str | None, flags: int,
                mode: int, ctx: FileSafety) -> bool:
    """The final owner and permission-bit test of safefile."""
    if uid == 0 and flags & SFF_OPENASROOT:
        pass
    elif uid == 0 and not flags & SFF_ROOTOK:
        mode >>= 6
    elif st.st_uid == uid or (uid == 0 and st.st_uid == ctx.trusted_uid):
        pass
    else:
        mode >>= 3
        if st.st_gid != gid and not ctx.in_group(user, st.st_gid):
            mode >>= 3
    owner_ok = st.st_uid in (uid, 0, ctx.trusted_uid) or not flags & SFF_MUSTOWN
    return owner_ok and (st.st_mode & mode) == mode


def safedirpath(fn: str, uid: int, gid: int, user: str | None, flags: int, level: int,
                offset: int, ctx: FileSafety) -> int:
    """0 when every directory on the way to fn is safe: not writable by group or world
    (fatal with SFF_SAFEDIRPATH, else only a warning), searchable for uid; symbolic
    links are followed and their targets checked too."""
    if level > MAXSYMLINKS:
        return errno.ELOOP
    if level < 0 or offset < 0 or offset > len(fn):
        return errno.EINVAL
    if fn == "":
        fn = "/"
    if len(fn) >= MAXLINKPATHLEN:
        return errno.EINVAL
    bad_mode = stat.S_IWOTH | (0 if ctx.blame("groupwritabledirpathsafe") else stat.S_IWGRP)
    for prefix in _prefixes(fn, offset):
        tail = prefix[prefix.rfind("/"):] if "/" in prefix else None
        if tail in ("/..", "/."):
            continue
        st = _lstat(prefix)
        if isinstance(st, int):
            return st
        if stat.S_ISLNK(st.st_mode):
            ret = _follow(prefix, uid, gid, user, flags, level, ctx)
            if ret != 0:
                return ret
            continue
        refused = _check_dir(prefix, st, uid, gid, user, flags, bad_mode, ctx)
        if refused is not None:
            return refused
    return 0


def _prefixes(fn: str, offset: int) -> list[str]:
    """The paths safedirpath stats: each prefix ending before a '/' from offset on
    ("/" itself for a leading slash), then the whole name."""
    found: list[str] = []
    pos = offset
    while pos < len(fn):
        slash = fn.find("/", pos)
        if slash < 0:
            found.append(fn)
            break
        found.append("/" if slash == 0 else fn[:slash])
        pos = slash + 1
    return found


def _follow(link: str, uid: int, gid: int, user: str | None, flags: int, level: int,
            ctx: FileSafety) -> int:
    """Check a symbolic link's target, skipping the part of the path already checked."""
    try:
        target = os.readlink(link)
    except OSError as exc:
        return exc.errno or errno.EIO
    if len(target) >= MAXPATHLEN:
        return errno.EINVAL
    if target.startswith("/"):
        offset = 0
        while offset < len(link) and offset < len(target) and link[offset] == target[offset]:
            offset += 1
        if offset == len(link) and offset == len(target):
            return errno.ELOOP
        offset = _common_dir_offset(link, target, offset)
        full = target
    else:
        slash = link.rfind("/")
        if slash >= 0:
            full = link[:slash] + "/" + target
            offset = slash + 1
        else:
            full, offset = target, 0
        if len(full) >= MAXLINKPATHLEN:
            return errno.EINVAL
    return safedirpath(full, uid, gid, user, flags, level + 1, offset, ctx)


def _common_dir_offset(s: str, buf: str, offset: int) -> int:
    """Back off from the first mismatch to a directory break, as safedirpath does."""
    at = lambda text, i: text[i] if i < len(text) else ""  # noqa: E731  (C's NUL)
    if offset > 0:
        offset -= 1
    if offset > 0 and at(s, offset) not in ("/", ""):
        while at(buf, offset) != "/" and offset > 0:
            offset -= 1
    if offset > 0 and at(s, offset) == "/" and at(buf, offset) == "/":
        offset += 1
    return offset


def _check_dir(path: str, st: os.stat_result, uid: int, gid: int, user: str | None,
               flags: int, bad_mode: int, ctx: FileSafety) -> int | None:
    """One directory: None to go on, else the errno that ends the walk."""
    sticky_ok = ctx.blame("truststickybit") and st.st_mode & stat.S_ISVTX
    if (uid == 0 or flags & SFF_SAFEDIRPATH) and not sticky_ok and st.st_mode & bad_mode:
        if flags & SFF_SAFEDIRPATH:
            return E_SM_WWDIR if st.st_mode & stat.S_IWOTH else E_SM_GWDIR
        if ctx.verbose > 1:
            kind = "World" if st.st_mode & stat.S_IWOTH else "Group"
            ctx.announce(f"WARNING: {kind} writable directory {path}")
    if uid == 0 and not flags & (SFF_ROOTOK | SFF_OPENASROOT):
        return None if st.st_mode & stat.S_IXOTH else errno.EACCES
    if ctx.euid != 0 or flags & SFF_OPENASROOT:
        return None
    if st.st_uid == uid and st.st_mode & stat.S_IXUSR:
        return None
    if st.st_gid == gid and st.st_mode & stat.S_IXGRP:
        return None
    if ctx.in_group(user, st.st_gid) and st.st_mode & stat.S_IXGRP:
        return None
    return None if st.st_mode & stat.S_IXOTH else errno.EACCES


def filechanged(before: os.stat_result, after: os.stat_result) -> bool:
    """Was the file replaced between the check and the open?"""
    return (before.st_nlink, before.st_dev, before.st_ino, before.st_uid, before.st_gid) != \
        (after.st_nlink, after.st_dev, after.st_ino, after.st_uid, after.st_gid)


def may_open(path: str, uid: int, gids: list[int]) -> int:
    """0 if a process with this uid and these groups could open path for reading, else
    EACCES -- what sendmail finds by switching to the user before opening, emulated
    (the permission bits of each directory searched and of the file)."""
    if uid == 0:
        return 0
    real = os.path.realpath(path)
    parts = real.split("/")
    checks = [("/".join(parts[:i]) or "/", stat.S_IXUSR) for i in range(1, len(parts))]
    for where, bit in checks + [(real, stat.S_IRUSR)]:
        try:
            st = os.stat(where)
        except OSError as exc:
            return exc.errno or errno.EIO
        shift = 0 if st.st_uid == uid else 3 if st.st_gid in gids else 6
        if not st.st_mode & (bit >> shift):
            return errno.EACCES
    return 0
