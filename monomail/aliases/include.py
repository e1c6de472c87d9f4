"""Reading an :include: or .forward file: sendmail's include().

The file must pass safefile for the user it acts for (the .forward's owner, or for
an :include: from the aliases the DefaultUser), else it is not read at all.
Whether its programs and files may run is decided here too: a file reached through
an unsafe directory, writable by others, or owned by a user without a valid shell
marks the controlling address unsafe (QUNSAFEADDR) or bogus (QBOGUSSHELL), which
recipient() then enforces for each "|prog" and "/file" in it.  Each line is a
list handed to sendtolist with the file name and line number in every message.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import replace
from typing import TYPE_CHECKING, Iterator

from .address import QBOGUSSHELL, QGOODUID, QS_BADADDR, QS_DONTSEND, QS_VERIFIED, \
    QSELFREF, QUNSAFEADDR, Recipient
from .safefile import (E_PSEUDOBASE, E_SM_FILECHANGE, E_SM_GWDIR, SFF_MUSTOWN, SFF_NOGWFILES,
                       SFF_NOLINK, SFF_NOPATHCHECK, SFF_NOWWFILES, SFF_REGONLY, SFF_ROOTOK,
                       SFF_SAFEDIRPATH, FileSafety, errstring, filechanged, may_open,
                       safedirpath, safefile, transient)
from .users import WILDCARD_SHELL, usershellok

if TYPE_CHECKING:
    from .recipient import Expander

__all__ = ["include", "errstring", "transient"]

MAXLINE = 2048   # sendmail reads these files with fgets into a buffer this size
SPACES = " \t\n\v\f\r"


def _blame_names(forwarding: bool) -> dict[str, str]:
    """The DontBlameSendmail words for a .forward or for an :include: file."""
    kind = "forward" if forwarding else "include"
    return {
        "gw_file": f"groupwritable{kind}file", "ww_file": f"worldwritable{kind}file",
        "unsafe_path": f"{kind}fileinunsafedirpath",
        "gw_path": f"{kind}fileingroupwritabledirpath",
        "unsafe_path_safe": f"{kind}fileinunsafedirpathsafe",
        "linked": f"linked{kind}fileinwritabledir",
        "gw_file_safe": f"groupwritable{kind}filesafe",
    }


def _controlling_user(x: "Expander", ctladdr: Recipient) -> tuple[Recipient | None, int, int, str]:
    """Whose rights the file is read with: the nearest good uid on the chain, or the
    DefaultUser for addresses that came from the aliases."""
    ident = x.settings.identity
    ca = ctladdr.ctladdr()
    if ca is None or (ca.uid == ident.def_uid and ca.gid == 0):
        return ca, ident.def_uid, ident.def_gid, ident.def_user
    return ca, ca.uid, ca.gid, ca.user


def include(x: "Expander", fname: str, forwarding: bool, ctladdr: Recipient,
            level: int) -> int:
    """Send to everyone listed in fname on behalf of ctladdr; returns 0 or the errno
    (or sendmail pseudo-errno) that kept the file from being read."""
    s = x.settings
    ident = s.identity
    names = _blame_names(forwarding)
    blame = lambda word: names[word] in s.dont_blame  # noqa: E731
    sff = SFF_REGONLY
    if forwarding:
        sff |= SFF_MUSTOWN | SFF_ROOTOK
    if not blame("gw_file"):
        sff |= SFF_NOGWFILES
    if not blame("ww_file"):
        sff |= SFF_NOWWFILES
    if (ident.euid != 0 or ident.run_as_uid != 0) and "nonrootsafeaddr" not in s.dont_blame:
        ctladdr.flags |= QUNSAFEADDR
    ca, uid, gid, user = _controlling_user(x, ctladdr)
    ctx = FileSafety(users=x.users, dont_blame=s.dont_blame,
                     euid=uid if ident.euid == 0 and uid != 0 else ident.euid,
                     real_uid=ident.real_uid, run_as_uid=ident.run_as_uid,
                     trusted_uid=ident.trusted_uid, dont_init_groups=s.dont_init_groups,
                     verbose=s.verbose, announce=x.notices.message)
    safedir, sff = _check_folder(fname, uid, gid, user, sff, ctx, ctladdr, blame)
    if not safedir and not blame("linked"):
        sff |= SFF_NOLINK
    rval, checked = safefile(fname, uid, gid, user, sff, stat.S_IRUSR, ctx)
    if rval != 0:
        return rval
    rval = _may_read(x, fname, uid, gid, user)
    if rval != 0:
        return rval
    try:
        with open(fname, "rb") as f:
            st = os.fstat(f.fileno())
            if checked is not None and filechanged(checked, st):
                return E_SM_FILECHANGE
            data = f.read()
    except OSError as exc:
        return exc.errno or errno.EIO
    _note_owner(x, ctladdr, ca, st, safedir, forwarding)
    if s.verify_only:
        ctladdr.state = QS_VERIFIED
        x.nrcpts += 1
        return 0
    writable = stat.S_IWOTH | (0 if blame("gw_file_safe") else stat.S_IWGRP)
    if st.st_mode & writable:
        ctladdr.flags |= QUNSAFEADDR
    _send_lines(x, fname, data, forwarding, ctladdr, level)
    return 0


def _may_read(x: "Expander", fname: str, uid: int, gid: int, user: str) -> int:
    """Could sendmail open the file?  As root it switches to the controlling user
    first; otherwise it reads with its own (RunAsUser) rights.  monomail keeps its
    rights, so unless they are those, the permission bits decide as the kernel would."""
    s = x.settings
    ident = s.identity
    if ident.euid != 0:
        uid, gid, user = ident.euid, ident.run_as_gid, ident.run_as_user
    if os.geteuid() == uid or uid == 0:
        return 0
    groups = [gid] if s.dont_init_groups else x.users.group_list(user, gid)
    return may_open(fname, uid, groups)


def _check_folder(fname: str, uid: int, gid: int, user: str, sff: int, ctx: FileSafety,
                  ctladdr: Recipient, blame) -> tuple[bool, int]:  # type: ignore[no-untyped-def]
    """Is the directory path safe?  If not, DontBlameSendmail decides how hard the file
    itself is checked, and whether its programs and files become unsafe."""
    slash = fname.rfind("/")
    if slash < 0:
        return False, sff
    folder = fname[:slash]
    ret = safedirpath(folder, uid, gid, user, sff | SFF_SAFEDIRPATH, 0, 0, ctx)
    if ret == 0:
        return True, sff | SFF_NOPATHCHECK
    if blame("unsafe_path"):
        sff |= SFF_NOPATHCHECK
    elif blame("gw_path") and ret == E_SM_GWDIR:
        relaxed = replace(ctx, dont_blame=ctx.dont_blame | {"groupwritabledirpathsafe"})
        ret = safedirpath(folder, uid, gid, user, sff | SFF_SAFEDIRPATH, 0, 0, relaxed)
        sff |= SFF_NOPATHCHECK if ret == 0 else SFF_SAFEDIRPATH
    else:
        sff |= SFF_SAFEDIRPATH
    if ret > E_PSEUDOBASE and not blame("unsafe_path_safe"):
        ctladdr.flags |= QUNSAFEADDR
    return False, sff


def _note_owner(x: "Expander", ctladdr: Recipient, ca: Recipient | None, st: os.stat_result,
                safedir: bool, forwarding: bool) -> None:
    """Programs in an alias's :include: run as the file's owner when chown is restricted
    and the path is safe; the owner's shell decides whether they may run at all."""
    s = x.settings
    ident = s.identity
    safechown = "assumesafechown" in s.dont_blame or safedir
    default_ctl = ca is None or (ca.uid == ident.def_uid and ca.gid == 0)
    if safechown and default_ctl:
        ctladdr.uid, ctladdr.gid = st.st_uid, st.st_gid
        ctladdr.flags |= QGOODUID
    if ca is not None and ca.uid == st.st_uid:
        ctladdr.flags |= ca.flags & QBOGUSSHELL
        ctladdr.ruser = ca.ruser
    elif not forwarding:
        owner = x.users.by_uid(st.st_uid)
        if owner is None:
            ctladdr.uid = st.st_uid
            ctladdr.flags |= QBOGUSSHELL
            return
        ctladdr.ruser = owner.name
        shell = owner.shell if safechown else WILDCARD_SHELL
        if not usershellok(owner.name, shell, x.users, x.env.in_class("t", owner.name),
                           s.config_level):
            ctladdr.flags |= QBOGUSSHELL if safechown else QUNSAFEADDR


def file_lines(data: bytes) -> Iterator[str]:
    """What fgets into a MAXLINE buffer yields, without the line end (CR LF or LF)."""
    pos = 0
    while pos < len(data):
        end = data.find(b"\n", pos, pos + MAXLINE - 1)
        chunk = data[pos:end + 1] if end >= 0 else data[pos:pos + MAXLINE - 1]
        pos += len(chunk)
        text = chunk.decode("latin-1").split("\0", 1)[0]
        if text.endswith("\n"):
            text = text[:-2] if text.endswith("\r\n") else text[:-1]
        yield text


def strip_comment(line: str) -> str:
    """" #@# " starts a comment anywhere after a blank (for Japanese character sets)."""
    pos = line.find("#", 1)
    while pos >= 0:
        if line[pos + 1:pos + 3] == "@#" and line[pos - 1] in SPACES and \
                (pos + 3 >= len(line) or line[pos + 3] in SPACES):
            return line[:pos - 1].rstrip(SPACES)
        pos = line.find("#", pos + 1)
    return line


def _send_lines(x: "Expander", fname: str, data: bytes, forwarding: bool,
                ctladdr: Recipient, level: int) -> None:
    s = x.settings
    notices = x.notices
    saved = notices.filename, notices.lineno, notices.to
    notices.filename, notices.lineno = fname, 0
    ctladdr.flags &= ~QSELFREF
    nincludes = 0
    try:
        for line in file_lines(data):
            notices.lineno += 1
            if line[:1] in ("#", ""):
                continue
            line = strip_comment(line)
            if not line:
                continue
            notices.to = None
            notices.message(f"{'forwarding' if forwarding else 'sending'} to {line}")
            nincludes += x.sendtolist(line, ctladdr, level + 1)
            if forwarding and 0 < s.max_forward_entries <= nincludes:
                notices.syserr(f"Attempt to forward to more than {s.max_forward_entries} "
                               f"addresses (in {fname})!")
                break
    finally:
        notices.filename, notices.lineno, notices.to = saved
    if nincludes > 0 and not ctladdr.flags & QSELFREF:
        if level <= s.max_alias_recursion or ctladdr.state != QS_BADADDR:
            ctladdr.state = QS_DONTSEND
