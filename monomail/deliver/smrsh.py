"""smrsh's rules, for monomail's Monomail.SmrshDirectory option: what a `|program` may run.

sendmail's restricted shell takes the `-c` command of the prog mailer, allows only programs
found in its directory (by the last part of their name: `/usr/bin/vacation` means
DIR/vacation), the builtins `exec`, `exit` and `echo`, and `&&`/`||` between commands, and
refuses every other shell special character.  What passes is run by /bin/sh with the
directory prefixed to each program and PATH as the only variable.  This is that check,
done before anything is started, with smrsh's messages and exit statuses (Debian's build:
PATH /usr/bin:/bin, no `;`).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

from monomail import sysexits as ex

SPECIALS = "<|>^();&`$\r\n"
SMRSH_PATH = "/usr/bin:/bin"
_CMDBUF = 1000  # smrsh's newcmdbuf
_BLANKS = " \t\n\v\f\r"
_SPECIALS = SPECIALS + "".join(chr(ord(c) | 0x80) for c in SPECIALS)


@dataclass(frozen=True)
class Refusal:
    """smrsh said no: its exit status and the line it printed on stderr."""

    exit: int
    message: str


def _find(text: str, chars: str) -> int:
    return next((i for i, ch in enumerate(text) if ch in chars), -1)


def _basename(word: str) -> str:
    """The last component, a `/` with the 0200 bit counting as one, as smrsh scans it."""
    for i in range(len(word) - 1, -1, -1):
        if ord(word[i]) & 0o177 == ord("/"):
            return word[i + 1:]
    return word


def runnable(path: str) -> str | None:
    """Why `path` is not a program smrsh may run (None when it is)."""
    try:
        st = os.stat(path)
    except OSError:
        return " (stat failed)"
    if not stat.S_ISREG(st.st_mode):
        return " (not a file)"
    if not os.access(path, os.X_OK) or not st.st_mode & 0o111:
        return ""
    return None


class _Command:
    def __init__(self, par: str, directory: str) -> None:
        self.par, self.directory, self.parts = par, directory, []

    def add(self, text: str, program: bool = False) -> None:
        extra = len(self.directory) + 1 if program else 0
        if sum(map(len, self.parts)) + len(text) + 1 + extra >= _CMDBUF:
            raise _Stop(ex.EX_UNAVAILABLE, f"smrsh: command too long: {self.par}")
        self.parts.append(f"{self.directory}/{text}" if program else text)


class _Stop(Exception):
    def __init__(self, exit: int, message: str) -> None:
        self.refusal = Refusal(exit, message)


def smrsh_command(argv: list[str], directory: str) -> str | Refusal:
    """The /bin/sh -c text smrsh would run for `argv` (`name -c command`), or its refusal."""
    if len(argv) != 3 or argv[1] != "-c":
        return Refusal(ex.EX_USAGE, "Usage: smrsh -c command")
    par = argv[2]
    if len(par) > _CMDBUF - len(directory) - 3:
        return Refusal(ex.EX_UNAVAILABLE, f"smrsh: command too long: {par}")
    command = _Command(par, directory)
    try:
        _scan(par, command)
    except _Stop as stop:
        return stop.refusal
    if not command.parts:
        return Refusal(ex.EX_USAGE, "Usage: smrsh -c command")
    return "".join(command.parts)


def _scan(par: str, command: _Command) -> None:
    q, is_exec = 0, False
    while q < len(par):
        while q < len(par) and par[q] in _BLANKS:
            q += 1
        if q >= len(par):
            if is_exec:
                raise _Stop(ex.EX_UNAVAILABLE, "smrsh: missing command to exec")
            return
        end = _find(par[q:], " \t")
        word = par[q:] if end < 0 else par[q:q + end]
        name = _basename(word)
        if word == "exec" and end >= 0:
            command.add("exec ")
            q, is_exec = q + end + 1, True
            continue
        if word in ("exit", "echo"):
            command.add(name)
        else:
            why = runnable(f"{command.directory}/{name}")
            if why is not None:
                raise _Stop(ex.EX_UNAVAILABLE,
                            f'smrsh: "{name}" not available for sendmail programs{why}')
            command.add(name, program=True)
        is_exec = False
        if end < 0:
            return
        rest = par[q + end:]
        special = _find(rest, _SPECIALS)
        if special < 0:
            command.add(rest)
            return
        if rest[special:special + 2] in ("&&", "||"):
            command.add(rest[:special + 2])
            q += end + special + 2
            continue
        raise _Stop(ex.EX_UNAVAILABLE, f"smrsh: cannot use {rest[special]} in command")
    if is_exec:
        raise _Stop(ex.EX_UNAVAILABLE, "smrsh: missing command to exec")
