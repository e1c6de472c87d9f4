"""The argument parsers of the K line, one per family of classes, as sendmail has them.

sendmail does not parse every class alike: map_parseargs (files and most classes)
complains about unknown flags, the host, regex and dns parsers ignore them, and the
dequote parser (also used by macro, arith and arpa) reads only the first flag.  A
cf that works with sendmail must mean the same here, so each parser follows its
original's scanning rules, quirks included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from monomail.config.options import convtime
from monomail.clib import atoi

from .base import SPACES, MapOptions


@dataclass
class Parsed:
    """Options gathered so far, complaints in sendmail's words, and whether the line is usable."""

    fields: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    ok: bool = True

    def options(self, name: str, mclass: str) -> MapOptions:
        return MapOptions(name=name, mclass=mclass, **self.fields)


class Cursor:
    """A read position in the argument text, moved the way the C parsers move `p`."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def char(self, offset: int = 0) -> str:
        """The character at pos+offset, or "" past the end (C's NUL)."""
        i = self.pos + offset
        return self.text[i] if 0 <= i < len(self.text) else ""

    def skip_spaces(self) -> None:
        while self.char() != "" and self.char() in SPACES:
            self.pos += 1

    def word(self) -> str:
        """The text from pos to the next white space, without moving."""
        end = self.pos
        while end < len(self.text) and self.text[end] not in SPACES:
            end += 1
        return self.text[self.pos:end]

    def skip_word(self) -> None:
        """Go past the current word and the one separator after it (C writes a NUL there)."""
        self.pos += len(self.word())
        if self.pos < len(self.text):
            self.pos += 1

    def rest(self) -> str:
        return self.text[self.pos:]

    def up_to_blank(self) -> str:
        """The text from pos up to the next space character (strchr(p, ' '): tabs do not end it)."""
        end = self.text.find(" ", self.pos)
        return self.text[self.pos:] if end < 0 else self.text[self.pos:end]

    def after_spaces(self) -> str:
        """Skip white space after the flag letter, then take the word there (-k, -v, -r)."""
        self.pos += 1
        self.skip_spaces()
        return self.word()


def seconds(text: str) -> int:
    try:
        return convtime(text, "s")
    except ValueError:
        return 0


def coldelim(cur: Cursor) -> str:
    """-z: one character, or \\n, \\t, and \\x for a backslash."""
    cur.pos += 1
    if cur.char() != "\\":
        return cur.char()
    cur.pos += 1
    return {"n": "\n", "t": "\t"}.get(cur.char(), "\\")


def scan_flags(cur: Cursor, handle: Callable[[str], None]) -> None:
    """The loop the C parsers share: each "-x..." word goes to handle(x), up to a non-flag."""
    while True:
        cur.skip_spaces()
        if cur.char() != "-":
            return
        cur.pos += 1
        handle(cur.char())
        cur.skip_word()


COMMON_SIMPLE = {"A": "append", "f": "nofoldcase", "m": "matchonly", "o": "optional",
                 "q": "keepquotes", "t": "nodefer"}


def common_flag(c: str, cur: Cursor, f: dict[str, Any]) -> bool:
    """Flags map_parseargs and dns_map_parseargs read alike; False if c is not one of them."""
    if c in COMMON_SIMPLE:
        f[COMMON_SIMPLE[c]] = True
    elif c == "N":
        f["inclnull"] = True
        f["try0null"] = False
    elif c == "O":
        f["try1null"] = False
    elif c in ("a", "T"):
        cur.pos += 1
        f["app" if c == "a" else "tapp"] = cur.word()
    elif c == "d":
        cur.pos += 1
        f["timeout"] = seconds(cur.up_to_blank())
    elif c == "z":
        f["coldelim"] = coldelim(cur)
    else:
        return False
    return True


def parse_standard(name: str, mclass: str, text: str, file_optional: bool,
                   blank_sub: str = " ") -> Parsed:
    """sendmail's map_parseargs: common flags, then the file name, then anything else."""
    out = Parsed({"try0null": True, "try1null": True, "spacesub": blank_sub})
    f = out.fields
    cur = Cursor(text)

    def flag(c: str) -> None:
        if common_flag(c, cur, f):
            return
        if c == "D":
            f["defer"] = True
        elif c in ("k", "v"):
            f["keycol" if c == "k" else "valcol"] = cur.after_spaces()
        elif c == "S":
            cur.pos += 1
            f["spacesub"] = cur.char()
        else:
            out.errors.append(f"Illegal option {c} map {name}")

    scan_flags(cur, flag)
    if cur.char() != "":
        f["file"] = cur.word()
        cur.skip_word()
    cur.skip_spaces()
    if cur.rest():
        f["rebuild"] = cur.rest()
    if "file" not in f and not file_optional:
        out.errors.append(f"No file name for {mclass} map {name}")
        out.ok = False
    return out


def parse_host(name: str, mclass: str, text: str) -> Parsed:
    """host_map_init: -a -T -m -t -S -D -d -r; other flags are ignored, no file."""
    out = Parsed()
    f = out.fields
    cur = Cursor(text)
    simple = {"m": "matchonly", "t": "nodefer", "D": "defer"}

    def flag(c: str) -> None:
        if c in simple:
            f[simple[c]] = True
        elif c in ("a", "T"):
            cur.pos += 1
            f["app" if c == "a" else "tapp"] = cur.word()
        elif c == "S":
            cur.pos += 1
            f["spacesub"] = cur.char()
        elif c == "d":
            cur.pos += 1
            cur.skip_spaces()
            f["timeout"] = seconds(cur.up_to_blank())
        elif c == "r":
            f["retry"] = atoi(cur.after_spaces())

    scan_flags(cur, flag)
    return out


def parse_dequote(name: str, mclass: str, text: str) -> Parsed:
    """dequote_init (dequote, macro, arith, arpa): keeps quotes; only the first flag counts.

    The original overwrites the separator after the first flag with a NUL and so
    never sees a second flag; configurations rely on what it does, not on what
    it meant.
    """
    out = Parsed({"keepquotes": True})
    f = out.fields
    cur = Cursor(text)
    cur.skip_spaces()
    if cur.char() == "-":
        cur.pos += 1
        c = cur.char()
        if c == "a":
            cur.pos += 1
            f["app"] = cur.word()
        elif c == "D":
            f["defer"] = True
        elif c in ("S", "s"):
            cur.pos += 1
            f["spacesub"] = cur.char()
    return out




@dataclass
class RegexArgs:
    """What regex_map_init reads besides the common options."""

    pattern: str = ""
    negate: bool = False
    basic: bool = False
    substrings: str | None = None   # -s given (possibly empty: all fields)
    delim: str | None = None


def parse_regex(name: str, mclass: str, text: str) -> tuple[Parsed, RegexArgs]:
    """regex_map_init's flags; the pattern is everything after them, spaces included."""
    out = Parsed()
    f = out.fields
    rx = RegexArgs()
    cur = Cursor(text)
    simple = {"f": "nofoldcase", "m": "matchonly", "q": "keepquotes", "D": "defer"}

    def flag(c: str) -> None:
        if c in simple:
            f[simple[c]] = True
        elif c == "n":
            rx.negate = True
        elif c == "b":
            rx.basic = True
        elif c in ("s", "d", "a"):
            cur.pos += 1
            value = cur.word()
            if c == "s":
                rx.substrings = value
            elif c == "d":
                rx.delim = value
            else:
                f["app"] = value
        elif c == "S":
            cur.pos += 1
            f["spacesub"] = cur.char()

    scan_flags(cur, flag)
    rx.pattern = cur.rest()
    return out, rx


NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")


def sequence_names(text: str) -> list[str]:
    """The member names of a sequence map, split the way seq_map_parse splits them.

    A name is a run of letters, digits, '_' and '.'; what separates names is
    skipped up to the next letter or digit, so a separator run eats a leading
    '_' or '.' of the next name, exactly as in sendmail.
    """
    names: list[str] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in SPACES:
            i += 1
        start = i
        while i < n and text[i] in NAME_CHARS:
            i += 1
        name = text[start:i]
        if i < n:
            i += 1
        while i < n and not (text[i].isascii() and text[i].isalnum()):
            i += 1
        if name:
            names.append(name)
    return names


SYSLOG_PRIORITIES = ("EMERG", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG")


def parse_syslog(name: str, mclass: str, text: str) -> tuple[Parsed, str]:
    """syslog_map_parseargs: -D, -S and -L priority; unknown priorities make the map unusable."""
    out = Parsed()
    f = out.fields
    priority: str | None = None
    cur = Cursor(text)
    while cur.char() != "":
        cur.skip_spaces()
        if cur.char() != "-":
            break
        cur.pos += 1
        c = cur.char()
        if c == "D":
            f["defer"] = True
            cur.pos += 1
        elif c == "S":
            cur.pos += 1
            f["spacesub"] = cur.char()
            if cur.char() != "":
                cur.pos += 1
        elif c == "L":
            cur.pos += 1
            cur.skip_spaces()
            if cur.char() == "":
                break
            priority = cur.word()
            cur.skip_word()
        else:
            out.errors.append(f"Illegal option {c} map syslog")
            cur.pos += 1
    level = "INFO"
    if priority is not None:
        level = priority[4:] if priority[:4].upper() == "LOG_" else priority
        level = level.upper()
        if level not in SYSLOG_PRIORITIES:
            out.errors.append(f"syslog_map_parseargs: Unknown priority {priority}")
            out.ok = False
    return out, level


DNS_TYPES = ("A", "AAAA", "AFSDB", "CNAME", "MX", "NS", "PTR", "SRV", "TXT", "TLSA")


@dataclass
class DnsArgs:
    """What dns_map_parseargs reads besides the common options."""

    rtype: str | None = None
    base: str | None = None
    sizelimit: int = 0


def parse_dns(name: str, mclass: str, text: str) -> tuple[Parsed, DnsArgs]:
    """dns_map_parseargs: the common flags plus -R type, -B base domain, -Z limit, -r retry."""
    out = Parsed({"try0null": True, "try1null": True})
    f = out.fields
    dns = DnsArgs()
    cur = Cursor(text)

    def flag(c: str) -> None:
        if common_flag(c, cur, f):
            return
        if c in ("B", "R"):
            cur.pos += 1
            cur.skip_spaces()
            value = cur.up_to_blank()
            if c == "B":
                dns.base = value
            elif value.upper() in DNS_TYPES:
                dns.rtype = value.upper()
            else:
                out.errors.append(f"dns map {name}: wrong type {value}")
        elif c == "r":
            f["retry"] = atoi(cur.after_spaces())
        elif c == "Z":
            dns.sizelimit = atoi(cur.after_spaces())

    scan_flags(cur, flag)
    if dns.rtype is None:
        out.errors.append(f"dns map {name}: missing -R type")
    return out, dns
