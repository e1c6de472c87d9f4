"""Local users as sendmail sees them: finduser, sm_pwfullname and usershellok.

The password database is behind `UserDatabase` so that tests (and a future
MailboxDatabase other than pw) can supply their own; `SystemUsers` reads the
machine's through the C library (pwd, grp, /etc/shells via getusershell's rules).
"""

from __future__ import annotations

import grp
import os
import pwd
from dataclasses import dataclass
from typing import Callable, Iterable, Protocol

from monomail import sysexits as ex
from monomail.maps.sysmaps import full_name

WILDCARD_SHELL = "/SENDMAIL/ANY/SHELL/"
SHELLS_FILE = "/etc/shells"
#: getusershell's answer when there is no /etc/shells (glibc)
DEFAULT_SHELLS = ("/bin/sh", "/bin/csh")
MAXNAME = 256   # the size of sendmail's SM_MBDB_T name fields


@dataclass(frozen=True)
class User:
    """One password entry, as sendmail's SM_MBDB_T keeps it (full name already built)."""

    name: str
    uid: int
    gid: int
    fullname: str
    home: str
    shell: str


class UserDatabase(Protocol):
    """Where local users, their groups and the valid shells come from."""

    def by_name(self, name: str) -> User | None: ...

    def by_uid(self, uid: int) -> User | None: ...

    def every_user(self) -> Iterable[User]: ...

    def shells(self) -> list[str]: ...

    def group_members(self, gid: int) -> list[str] | None: ...

    def group_list(self, user: str, gid: int) -> list[int]: ...


def pwfullname(gecos: str, login: str) -> str:
    """sm_pwfullname into the mailbox database's name field (one octet for the NUL)."""
    return full_name(gecos, login, MAXNAME - 1)


def _from_pw(entry: pwd.struct_passwd) -> User:
    return User(entry.pw_name, entry.pw_uid, entry.pw_gid,
                pwfullname(entry.pw_gecos, entry.pw_name), entry.pw_dir, entry.pw_shell)


def read_shells(text: str | None) -> list[str]:
    """getusershell over /etc/shells text: '#' starts a comment, a shell is the run of
    characters from the first '/' of a line up to a blank or '#'."""
    if text is None:
        return list(DEFAULT_SHELLS)
    found = []
    for line in text.splitlines():
        start = next((i for i, ch in enumerate(line) if ch in "#/"), -1)
        if start < 0 or line[start] == "#":
            continue
        end = start
        while end < len(line) and line[end] not in "# \t\n":
            end += 1
        found.append(line[start:end])
    return found


class SystemUsers:
    """The machine's users, groups and shells (getpwnam, getgrgid, getusershell)."""

    def by_name(self, name: str) -> User | None:
        try:
            return _from_pw(pwd.getpwnam(name))
        except (KeyError, ValueError):
            return None

    def by_uid(self, uid: int) -> User | None:
        try:
            return _from_pw(pwd.getpwuid(uid))
        except (KeyError, ValueError, OverflowError):
            return None

    def every_user(self) -> Iterable[User]:
        return (_from_pw(entry) for entry in pwd.getpwall())

    def shells(self) -> list[str]:
        try:
            with open(SHELLS_FILE, encoding="latin-1") as f:
                return read_shells(f.read())
        except OSError:
            return read_shells(None)

    def group_members(self, gid: int) -> list[str] | None:
        try:
            return list(grp.getgrgid(gid).gr_mem)
        except (KeyError, OverflowError):
            return None

    def group_list(self, user: str, gid: int) -> list[int]:
        try:
            return os.getgrouplist(user, gid)
        except OSError:
            return [gid]


@dataclass(frozen=True)
class Lookup:
    """What finduser answers: a sysexits status, the entry, and whether it was found
    only by folding case or by full name (sendmail then re-aliases the login name)."""

    status: int
    user: User | None = None
    fuzzy: bool = False


def finduser(name: str, users: UserDatabase, match_gecos: bool, space_sub: str,
             announce: Callable[[str], None]) -> Lookup:
    """sendmail's finduser: the login name, then it in lower case, then (MatchGECOS)
    a full name with blanks written as BlankSub or '_'."""
    found = users.by_name(name)
    if found is not None:
        return Lookup(ex.EX_OK, found)
    folded = name.translate(_ASCII_LOWER)
    if folded != name:
        found = users.by_name(folded)
        if found is not None:
            return Lookup(ex.EX_OK, found, fuzzy=True)
    if not match_gecos:
        return Lookup(ex.EX_NOUSER)
    blank = chr(ord(space_sub[:1] or " ") & 0o177)
    wanted = "".join(" " if ch in (blank, "_") else ch for ch in folded)
    for entry in users.every_user():
        if " " in entry.fullname and entry.fullname.lower() == wanted.lower():
            announce(f"sending to login name {entry.name}")
            return Lookup(ex.EX_OK, entry, fuzzy=True)
    return Lookup(ex.EX_NOUSER)


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def usershellok(user: str, shell: str, users: UserDatabase, trusted: bool,
                config_level: int) -> bool:
    """May this user's mail run programs or write files?  Only with a shell listed in
    /etc/shells (or the wildcard shell there); trusted users (class t) and old cfs always."""
    if not shell or trusted or config_level <= 1:
        return True
    listed = users.shells()
    return shell in listed or WILDCARD_SHELL in listed
