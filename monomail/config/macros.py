"""Macro and class names, their one-octet ids, `$x` translation and expansion.

sendmail turns `$x` and `${name}` into an id octet when it reads the cf, and later
prints ids back through the same table; long names get ids from 0240 up in order
of first appearance.  Keeping that numbering is what makes `-bt` output identical.
"""

from __future__ import annotations

import re
from typing import Callable

from monomail.rewrite.tokens import (CONDELSE, CONDFI, CONDIF, MACROEXPAND, METAQUOTE,
                                     META_NAMES)

MAXMACROID = 0o377
FIRST_LONG_ID = 0o240
MAXMACNAMELEN = 25
MACBUFSIZE = 4096
MAX_MACRO_RECURSION = 10

ErrorSink = Callable[[str], None]


class MacroNames:
    """Bidirectional map between macro/class names and ids (append-only)."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._names: dict[int, str] = {}
        self._next = FIRST_LONG_ID

    def copy(self) -> "MacroNames":
        other = MacroNames()
        other._ids, other._names, other._next = dict(self._ids), dict(self._names), self._next
        return other

    def name(self, mid: int) -> str:
        """sendmail's macname()."""
        if mid > MAXMACROID:
            return "***OUT OF RANGE MACRO***"
        if mid <= 0x20 or mid > 0x7F:
            return self._names.get(mid, "***UNDEFINED MACRO***")
        return chr(mid)

    def id_of(self, name: str, syserr: ErrorSink) -> int:
        """The id of a long name, allocating one on first use (0 when out of ids)."""
        mid = self._ids.get(name)
        if mid is not None:
            return mid
        if self._next > MAXMACROID:
            syserr(f"Macro/class {{{name}}}: too many long names")
            return 0
        mid = self._next
        self._next += 1
        self._ids[name] = mid
        self._names[mid] = name
        return mid

    def parse(self, text: str, pos: int, syserr: ErrorSink) -> tuple[int, int]:
        """sendmail's macid_parse: (id, index after the name); id 0 on error."""
        if pos >= len(text) or text.startswith("{}", pos):
            syserr("Name required for macro/class")
            return 0, pos
        if text[pos] != "{":
            return ord(text[pos]) & 0xFF, pos + 1
        end = pos + 1
        name: list[str] = []
        while end < len(text) and text[end] != "}" and len(name) < MAXMACNAMELEN:
            ch = text[end]
            if ch.isascii() and (ch.isalnum() or ch == "_"):
                name.append(ch)
            else:
                syserr(f"Invalid macro/class character {ch}")
            end += 1
        mbuf = "".join(name)
        if end >= len(text) or text[end] != "}":
            if end >= len(text):
                syserr(f"Unbalanced {{ on {mbuf}")
            else:
                syserr(f"Macro/class name ({{{mbuf}}}) too long ({MAXMACNAMELEN} chars max)")
            syserr("Unable to assign macro/class ID (mid = 0xffffffff)")
            return 0, end
        if len(mbuf) == 1 and mbuf >= " ":
            return ord(mbuf), end + 1
        return self.id_of(mbuf, syserr), end + 1

    def lookup(self, text: str, syserr: ErrorSink) -> int:
        """sendmail's macid(): the id of a complete name (`x` or `{name}`)."""
        mid, _ = self.parse(text, 0, syserr)
        return mid


def initial_macros() -> dict[int, str]:
    """Macros sendmail defines before reading the cf: metasymbols stand for themselves."""
    macros = {ord(name): code for code, name in META_NAMES.items()}
    for digit in "0123456789":
        macros[ord(digit)] = "\x95" + digit
    macros[ord("n")] = "MAILER-DAEMON"
    return macros


def translate_dollars(line: str, names: MacroNames, config_level: int,
                      syserr: ErrorSink) -> str:
    """Turn `$x`/`${name}` into internal form, drop `#` comments and trailing space."""
    out: list[str] = []
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c == "#" and out and config_level >= 3:
            prev = out[-1]
            if prev == MACROEXPAND:
                out.append(c)
                i += 1
                continue
            if prev == "\\":
                out[-1] = "#"
                i += 1
                continue
            while out and out[-1] in " \t\r\x0b\x0c":
                out.pop()
            nl = line.find("\n", i)
            if nl < 0:
                break
            i = nl
            continue
        if c != "$" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        if line[i + 1] == "$":
            out.append("$")
            i += 2
            continue
        out.append(MACROEXPAND)
        i += 1
        if line[i] in "=~&?":
            out.append(line[i])
            i += 1
        mid, i = names.parse(line, i, syserr)
        out.append(chr(mid))
    return "".join(out).rstrip(" \t\n\r\x0b\x0c")


def expand(s: str, value: Callable[[int], str | None], syserr: ErrorSink,
           level: int = 0) -> str:
    """sendmail's expand(): interpolate macros and $?x..$|..$. conditionals.

    Runs of ordinary octets are copied whole; only the five special octets are
    looked at one by one (this runs for every default header of every message)."""
    out: list[str] = []
    size, cap = 0, MACBUFSIZE - 1
    recurse = skipping = False
    skiplev = iflev = 0
    i, n = 0, len(s)
    while i < n:
        found = _SPECIAL.search(s, i)
        j = n if found is None else found.start()
        c = s[j] if j < n else ""
        if c == METAQUOTE:
            j = min(j + 2, n)  # the quote and the octet it protects are ordinary
        elif (c == CONDELSE or c == CONDFI) and not iflev:
            j += 1
        if j > i:
            if not skipping and size < cap:
                piece = s[i:j][:cap - size]
                out.append(piece)
                size += len(piece)
            i = j
            continue
        i += 1
        if c == CONDIF:
            iflev += 1
            if skipping:
                skiplev += 1
            else:
                skipping = not (value(ord(s[i])) if i < n else None)
            i += 1
        elif c == CONDELSE:
            if skiplev == 0:
                skipping = not skipping
        elif c == CONDFI:
            iflev -= 1
            if skiplev == 0:
                skipping = False
            if skipping:
                skiplev -= 1
        elif i < n and s[i] != "\0":  # MACROEXPAND
            q = value(ord(s[i]))
            i += 1
            if q is None or skipping or size >= cap:
                continue
            out.append(q)
            size += len(q)
            recurse = recurse or _needs_another_pass(q)
    result = "".join(out)[:MACBUFSIZE - 1]
    if recurse:
        if level < MAX_MACRO_RECURSION:
            return expand(result, value, syserr, level + 1)
        syserr(f"expand: recursion too deep ({MAX_MACRO_RECURSION} max)")
    return result


_SPECIAL = re.compile("[" + re.escape(CONDIF + CONDELSE + CONDFI + MACROEXPAND + METAQUOTE) + "]")
_META_RANGE = re.compile("[\x80-\x9f]")


def _needs_another_pass(value: str) -> bool:
    """A macro value holding a metacharacter not protected by METAQUOTE."""
    if _META_RANGE.search(value) is None:
        return False
    hide = False
    for ch in value:
        if not hide and (ord(ch) & 0o340) == 0o200:
            return True
        hide = ch == METAQUOTE
    return False
