"""Maps onto the operating system: `user` (the password database) and `program`.

`K name user -vfield` answers a passwd field of the user (name, passwd, uid, gid,
gecos, dir, shell), found the way sendmail's finduser finds local users.
`K name program /path args...` runs the program with the key as last argument and
answers the first line of its output; a non-zero exit is the lookup's status (75
makes the lookup a temporary failure).
"""

from __future__ import annotations

import errno
import os
import pwd
import subprocess
from typing import Sequence

from monomail.sysexits import EX_CONFIG, EX_NOUSER, EX_OK, EX_OSERR, EX_UNAVAILABLE

from .base import MAXLINE, MAXNAME, Map, MapContext, MapOptions, cstring, equal_ignore_case

USER_FIELDS = ("name", "passwd", "uid", "gid", "gecos", "dir", "shell")
MAXPV = 256


def full_name(gecos: str, login: str, limit: int = MAXNAME) -> str:
    """sm_pwfullname: the GECOS name up to , ; or %, with & standing for the login name;
    `limit` is the caller's buffer (a longer name gives the login name)."""
    if gecos.startswith("*"):
        gecos = gecos[1:]
    out: list[str] = []
    size = 0
    for ch in gecos:
        if ch in ",;%":
            break
        if size >= limit:
            return login[:limit]
        if ch == "&":
            piece = login[:1].upper() + login[1:] if login[:1].isascii() else login
        else:
            piece = ch
        out.append(piece)
        size += len(piece)
    return "".join(out)[:limit]


def find_user(key: str, match_gecos: bool, blank: str) -> tuple[pwd.struct_passwd | None, str]:
    """finduser(): the exact login, then the login in lower case, then (MatchGECOS) full names.

    Returns the entry (None if unknown) and the key as finduser left it (it folds the
    key in place, which -m answers show).
    """
    try:
        return pwd.getpwnam(key), key
    except (KeyError, ValueError):
        pass
    lowered = "".join(c.lower() if "A" <= c <= "Z" else c for c in key)
    if lowered != key:
        key = lowered
        try:
            return pwd.getpwnam(key), key
        except (KeyError, ValueError):
            pass
    if not match_gecos:
        return None, key
    wanted = "".join(" " if c in (blank, "_") else c for c in key)
    for entry in pwd.getpwall():
        name = full_name(entry.pw_gecos, entry.pw_name)
        if " " in name and equal_ignore_case(name, wanted):
            return entry, key
    return None, key


class UserMap(Map):
    """`user`: a field of the password entry (-v names it; default the login name)."""

    optional_file = True

    def __init__(self, options: MapOptions, valid: bool = True) -> None:
        super().__init__(options, valid)
        self.field = 0

    def _open(self, ctx: MapContext) -> bool:
        wanted = self.options.valcol
        if wanted is None:
            return True
        for number, name in enumerate(USER_FIELDS, start=1):
            if equal_ignore_case(wanted, name):
                self.field = number
                return True
        ctx.message(f"User map {self.name}: unknown column name {wanted}")
        return False

    def _lookup(self, key: str, args: Sequence[str], ctx: MapContext) -> tuple[str | None, int]:
        entry, key = find_user(key, bool(getattr(ctx, "match_gecos", False)),
                               self.spacesub or " ")
        if entry is None:
            return None, EX_NOUSER
        values = {0: entry.pw_name, 1: entry.pw_name, 2: "x", 3: str(entry.pw_uid),
                  4: str(entry.pw_gid), 5: full_name(entry.pw_gecos, entry.pw_name),
                  6: entry.pw_dir, 7: entry.pw_shell}
        return self.answer(key, values[self.field], args), EX_OK


class ProgramMap(Map):
    """`program`: run /path [args] key; the first output line is the answer."""

    def command(self, key: str) -> list[str]:
        argv = [self.options.file or ""]
        for word in (self.options.rebuild or "").replace("\t", " ").split(" ")[:MAXPV]:
            if word and len(argv) < MAXPV - 1:
                argv.append(word)
        return argv + [key]

    def _run_as(self, ctx: MapContext) -> dict[str, int]:
        """Run as the DefaultUser when we are root and the context names one (as sendmail)."""
        if os.geteuid() != 0:
            return {}
        uid, gid = getattr(ctx, "default_uid", None), getattr(ctx, "default_gid", None)
        out: dict[str, int] = {}
        if gid is not None:
            out["group"] = int(gid)
        if uid is not None:
            out["user"] = int(uid)
        return out

    def _lookup(self, key: str, args: Sequence[str], ctx: MapContext) -> tuple[str | None, int]:
        argv = self.command(key)
        try:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  check=False, **self._run_as(ctx))  # type: ignore[call-overload]
        except OSError as exc:
            # sendmail's child reports this on the pipe it is about to read, so nobody sees it
            transient = exc.errno in (errno.EAGAIN, errno.ENOMEM, errno.EMFILE, errno.ENFILE)
            return None, EX_OSERR if transient else EX_CONFIG
        if proc.returncode < 0:
            ctx.message(f"prog_map_lookup({self.name}): child died on signal {-proc.returncode}")
            return None, EX_UNAVAILABLE
        output = proc.stdout[:MAXLINE - 1].decode("latin-1")
        value: str | None = None
        if output:
            value = self.answer(key, cstring(output.split("\n", 1)[0]), args)
        if proc.returncode != EX_OK:
            return None, proc.returncode
        return value, EX_OK
