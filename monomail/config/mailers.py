"""M lines: mailer definitions with sendmail's equates, defaults and checks."""

from __future__ import annotations

import grp
import pwd
from dataclasses import replace
from typing import TYPE_CHECKING

from monomail.rewrite.tokens import MACROEXPAND
from monomail.clib import atoi

from .equates import split_equates
from .model import DEFAULT_MAX_RCPT, NO_ID, Mailer

if TYPE_CHECKING:
    from .cfparser import ParseState

MAXMAILERS = 25
SMTPLINELIM = 990
BUILTIN = (
    "prog, P=/bin/sh, F=lsouDq9, T=X-Unix/X-Unix/X-Unix, A=sh -c \x81u",
    "*file*, P=[FILE], F=lsDFMPEouq9, T=X-Unix/X-Unix/X-Unix, A=FILE \x81u",
    "*include*, P=/dev/null, F=su, A=INCLUDE \x81u",
)


def predefine(state: "ParseState") -> None:
    """The mailers sendmail defines before it reads the cf (a cf may redefine them)."""
    for line in BUILTIN:
        line_mailer(state, line)


def finish(state: "ParseState") -> None:
    """What sendmail's main() adjusts after reading the cf."""
    prog = state.mailers.get("prog")
    if prog is not None:
        state.mailers["prog"] = replace(prog, flags=prog.flags - {"m"})


def line_mailer(state: "ParseState", line: str) -> None:
    from .cfparser import strtorwset
    parsed = split_equates(state, line, "mailer")
    if parsed is None:
        return
    name, equates = parsed
    fields: dict = {"name": name, "flags": set()}
    for code, value in equates:
        if not _equate(state, fields, code, value, strtorwset):
            return
    _install(state, fields)


def _rwsets(state, fields, code, value, strtorwset) -> bool:
    number, rest = strtorwset(state, value, enter=True)
    if number < 0:
        return False
    env = hdr = number
    if rest.startswith("/"):
        hdr, _ = strtorwset(state, rest[1:], enter=True)
        if hdr < 0:
            return False
    prefix = "sender" if code == "S" else "recipient"
    fields[f"{prefix}_env"], fields[f"{prefix}_hdr"] = env, hdr
    return True


def _equate(state, fields: dict, code: str, value: str, strtorwset) -> bool:
    name = fields["name"]
    if code == "P":
        if value:
            fields["path"] = value
    elif code == "F":
        fields["flags"].update(ch for ch in value if not ch.isspace())
    elif code in "SR":
        return _rwsets(state, fields, code, value, strtorwset)
    elif code == "E":
        if not value:
            state.syserr(f"mailer {name}: null end-of-line string")
        else:
            fields["eol"] = value
    elif code == "A":
        if value:
            fields["argv"] = tuple(value.split())
    elif code in "MmrLN":
        key = {"M": "maxsize", "m": "maxdeliveries", "r": "maxrcpt", "L": "linelimit",
               "N": "nice"}[code]
        fields[key] = max(atoi(value), 0) if code == "L" else atoi(value)
    elif code in "DC/Q":
        key = {"D": "execdir", "C": "charset", "/": "rootdir", "Q": "queue"}[code]
        what = {"D": "working directory", "C": "charset", "/": "root directory",
                "Q": "queue"}[code]
        if not value:
            state.syserr(f"mailer {name}: null {what}")
        else:
            fields[key] = value
    elif code == "T":
        _types(fields, value)
    elif code == "U":
        _user(state, fields, value)
    elif code == "W":
        fields["wait"] = _seconds(value)
    else:
        state.syserr(f"M{name}: unknown mailer equate {code}=")
    return True


def _types(fields: dict, value: str) -> None:
    parts = value.split("/", 2)
    fields["mtatype"] = parts[0] or "dns"
    fields["addrtype"] = parts[1] if len(parts) > 1 and parts[1] else "rfc822"
    fields["diagtype"] = parts[2] if len(parts) > 2 and parts[2] else "smtp"


def _user(state, fields: dict, value: str) -> None:
    """U=user[:group]: names are looked up now, as sendmail does; the first unknown
    one is reported and the rest of the equate ignored."""
    user, _, group = value.partition(":")
    user, group = user.strip(), group.strip()
    if user and not user[0].isdigit():
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            state.syserr(f"readcf: mailer U= flag: unknown user {user}")
            return
        fields["uid"], fields["gid"] = entry.pw_uid, entry.pw_gid
    elif user:
        fields["uid"] = atoi(user)
    if group and not group[0].isdigit():
        try:
            fields["gid"] = grp.getgrnam(group).gr_gid
        except KeyError:
            state.syserr(f"readcf: mailer U= flag: unknown group {group}")
    elif group:
        fields["gid"] = atoi(group)


def _seconds(value: str) -> int:
    from .options import convtime
    return convtime(value, "s")


def _install(state: "ParseState", f: dict) -> None:
    name = f["name"]
    if "argv" not in f:
        state.syserr(f"M{name}: A= argument required")
        return
    if "path" not in f:
        state.syserr(f"M{name}: P= argument required")
        return
    if f.get("maxrcpt", 0) <= 0:
        f["maxrcpt"] = DEFAULT_MAX_RCPT
    if "L" in f["flags"] and not f.get("linelimit"):
        f["linelimit"] = SMTPLINELIM
    path, argv = f["path"], f["argv"]
    if path == "[TCP]":
        state.syserr(f"M{name}: P=[TCP] must be replaced by P=[IPC]")
        return
    if path == "[IPC]" and not _check_ipc(state, f):
        return
    if path == "[FILE]" and not _check_file(state, f):
        return
    if "eol" not in f:
        uses_user = any(MACROEXPAND + "u" in arg for arg in argv)
        f["eol"] = "\n" if uses_user else "\r\n"
    existing = state.mailers.get(name.lower())
    if existing is not None:
        index = existing.index
    else:
        index = len(state.mailers)
        if index >= MAXMAILERS:
            state.syserr(f"too many mailers defined ({MAXMAILERS} max)")
            return
    f["flags"] = frozenset(f["flags"])
    state.mailers[name.lower()] = Mailer(index=index, **f)


def _check_file(state, f: dict) -> bool:
    """[FILE] mailers take exactly `FILE path`."""
    name, argv = f["name"], f["argv"]
    if len(argv) != 2:
        state.syserr(f"M{name}: too {'few' if len(argv) < 2 else 'many'} parameters "
                     "for [FILE] mailer")
        return False
    if argv[0] != "FILE":
        state.syserr(f"M{name}: first argument in [FILE] mailer must be FILE")
        return False
    return True


def _check_ipc(state, f: dict) -> bool:
    name, argv = f["name"], f["argv"]
    if len(argv) < 2 or not argv[1]:
        state.syserr(f"M{name}: too few parameters for [IPC] mailer")
        return False
    if argv[0] not in ("TCP", "FILE"):
        state.say(f"M{name}: Warning: first argument in [IPC] mailer must be TCP or FILE")
    f.setdefault("mtatype", "dns")
    f.setdefault("addrtype", "rfc822")
    f.setdefault("diagtype", "x-unix" if argv[0] == "FILE" else "smtp")
    return True


__all__ = ["predefine", "finish", "line_mailer", "NO_ID", "MAXMAILERS"]
