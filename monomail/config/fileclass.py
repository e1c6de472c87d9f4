"""F lines: class members read from a file, a program's output, or one map lookup.

    Fw/etc/mail/local-host-names        every line's first word (or the scanf format's)
    Fw-o /etc/mail/optional  %[^#]      -o: a missing file is no error
    Fx|/usr/local/bin/list              the first word of each output line
    F{Relay}relay@hash:/etc/mail/rel    the words of the value the key has in that map
"""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING

from .errors import ConfigError
from .mapspec import MapSpec
from .scanf import scan_first

if TYPE_CHECKING:
    from monomail.maps.base import Map
    from .cfparser import ParseState

PROGRAM_TIMEOUT = 60


def line_fileclass(state: "ParseState", rest: str) -> None:
    from .cfparser import add_class_word
    mid, end = state.names.parse(rest, 0, state.syserr)
    if mid == 0:
        return
    p = rest[end:].lstrip(" \t\n")
    optional = p.startswith("-o")
    if optional:
        p = p.split(None, 1)[1] if len(p.split(None, 1)) > 1 else ""
    class_name = state.names.name(mid)
    if p.startswith("|"):
        words = _program_words(state, extract_quoted(p)[1:].split())
    elif _is_map_spec(p):
        words = _map_words(state, class_name, p, optional)
    else:
        name, _, fmt = p.partition(" ")
        if not name:
            state.syserr("fileclass: missing file name")
            return
        words = _file_words(state, name, fmt.strip() or "%s", optional)
    for word in words:
        add_class_word(state, mid, word)


def extract_quoted(text: str) -> str:
    """sendmail's extrquotstr: the first word, where double quotes protect blanks."""
    out: list[str] = []
    quoted = False
    for i, c in enumerate(text):
        if c == '"':
            quoted = not quoted
        elif c == "\\" and i + 1 < len(text):
            continue
        elif c == " " and not quoted:
            break
        else:
            out.append(c)
    return "".join(out)


def _is_map_spec(p: str) -> bool:
    """key@class:spec (sendmail's test: after the '@', a ':' that is not first)."""
    if p.startswith("/") or "@" not in p:
        return False
    after = p.split("@", 1)[1]
    return after == "LDAP" or (not after.startswith(":") and ":" in after)


def _file_words(state: "ParseState", name: str, fmt: str, optional: bool) -> list[str]:
    try:
        with open(name, "rb") as f:
            data = f.read().decode("latin-1")
    except OSError as exc:
        if not optional:
            state.syserr(f"fileclass: cannot open '{name}': {os.strerror(exc.errno or 0)}",
                         oserr=True)
        return []
    words: list[str] = []
    for line in data.splitlines():
        if line.startswith("#"):
            continue
        found = scan_first(line, fmt)
        if found is not None:
            words.extend(found.split())
    return words


def _program_words(state: "ParseState", argv: list[str]) -> list[str]:
    try:
        out = subprocess.run(argv, capture_output=True, timeout=PROGRAM_TIMEOUT,
                             check=False).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        state.syserr(f"fileclass: cannot open '|{' '.join(argv)}': {exc}")
        return []
    words: list[str] = []
    for line in out.decode("latin-1").splitlines():
        if not line.startswith("#"):
            words.extend(line.split()[:1])
    return words


def _map_words(state: "ParseState", class_name: str, spec: str, optional: bool) -> list[str]:
    """sendmail's fileclass for F{X}key@class:spec: open the map, look the key up once."""
    from monomail.maps.registry import MapConfigError, build_map
    key, _, rest = spec.partition("@")
    mclass, _, args = rest.partition(":")
    if mclass == "LDAP":
        state.syserr(f"fileclass: F{{{class_name}}}: class ldap not available")
        return []
    try:
        handle = build_map(MapSpec(class_name, mclass, args, state.where()), known=state.maps)
    except MapConfigError as exc:
        for message in exc.messages:
            state.syserr(message)
        return []
    except ConfigError:
        state.syserr(f"fileclass: F{{{class_name}}}: class {mclass} not available")
        return []
    ctx = _ParseContext(state)
    if not handle.open_class(ctx):
        if not optional and not handle.options.optional:
            state.syserr(f"fileclass: F{{{class_name}}}: map open failed")
        return []
    value, status = handle.lookup_raw(key, [key], ctx)
    if status not in (0, 68) and not optional:
        state.syserr(f"fileclass: F{{{class_name}}}: map lookup failed")
    handle.close()
    return value.split() if value else []


class _ParseContext:
    """The little a map may ask for while the cf is still being read."""

    def __init__(self, state: "ParseState") -> None:
        self.state = state

    @property
    def hosts(self):  # type: ignore[no-untyped-def]
        from monomail.maps.hostlookup import HostLookup
        return HostLookup()

    def macro(self, name: str) -> str | None:
        return self.state.macros.get(self.state.names.lookup(
            name if len(name) == 1 else "{" + name + "}", self.state.syserr))

    def define_macro(self, name: str, value: str | None) -> None:
        mid = self.state.names.lookup(name if len(name) == 1 else "{" + name + "}",
                                      self.state.syserr)
        if value is None:
            self.state.macros.pop(mid, None)
        else:
            self.state.macros[mid] = value

    def in_class(self, cls: str, word: str) -> bool:
        mid = self.state.names.lookup(cls if len(cls) == 1 else "{" + cls + "}",
                                      self.state.syserr)
        return self.state.classes.contains(mid, word)

    def get_map(self, name: str) -> "Map | None":
        return self.state.maps.get(name)

    def message(self, text: str) -> None:
        self.state.syserr(text)
