"""`regex` maps: a key matches a POSIX pattern; -s returns chosen substrings, -n inverts.

`K name regex [-n] [-f] [-b] [-s[fields]] [-d delim] [-a text] [-m] [-q] [-S c] [-D] pattern`.
Without -s a match returns "" (plus -a), which rules use as a yes/no test.  With -s
the matched groups (all of them, or the comma-separated field numbers; a first $@
argument overrides them) are joined with the -d delimiter ($| by default), and an
answer that prescan would choke on (unbalanced <> () or quotes) is refused.
"""

from __future__ import annotations

from typing import Sequence

from monomail.rewrite.tokens import CONDELSE
from monomail.sysexits import EX_CONFIG, EX_OK

from .base import MAXNAME, Map, MapContext, MapOptions
from monomail.clib import atoi

from .parseargs import RegexArgs
from .posixre import CompiledPosix, compile_posix

MAX_MATCH = 32


class FieldError(ValueError):
    """A -s field list regcomp's substring count cannot satisfy (sendmail's parse_fields)."""


def parse_fields(text: str, substrings: int) -> list[int]:
    """Comma-separated group numbers, each below `substrings`, at most MAX_MATCH of them."""
    fields: list[int] = []
    for piece in text.split(","):
        if len(fields) >= MAX_MATCH:
            raise FieldError(f"too many fields, {MAX_MATCH} max")
        value = atoi(piece)
        if value < 0 or value >= substrings:
            raise FieldError(f"field ({value}) out of range, only {substrings} substrings "
                             "in pattern")
        fields.append(value)
    return fields


def balanced_copy(pieces: list[tuple[bool, str]]) -> str | None:
    """Join the answer, refusing what would unbalance prescan (angles, parens, quotes, spaces).

    `pieces` are (is_delimiter, text); delimiters are copied without being counted, as
    in sendmail.  The answer is cut at MAXNAME-1 octets.
    """
    out: list[str] = []
    room = MAXNAME - 1
    angles = comments = spaces = 0
    quoted = escaped = False
    for is_delim, text in pieces:
        for ch in text:
            if room <= 0:
                break
            room -= 1
            out.append(ch)
            if is_delim:
                continue
            if escaped:
                escaped = False
            elif quoted and ch not in ('"', "\\"):
                pass
            elif ch == "\\":
                escaped = True
            elif ch == "(":
                comments += 1
            elif ch == ")":
                comments -= 1
            elif ch == "<":
                angles += 1
            elif ch == ">":
                angles -= 1
            elif ch == " ":
                spaces += 1
            elif ch == '"':
                quoted = not quoted
    if angles or comments or quoted or escaped or spaces:
        return None
    return "".join(out)


class RegexMap(Map):
    """A compiled pattern plus sendmail's -s/-d/-n behaviour."""

    def __init__(self, options: MapOptions, rx: RegexArgs, compiled: CompiledPosix | None,
                 fields: list[int] | None, valid: bool = True) -> None:
        super().__init__(options, valid and compiled is not None)
        self.negate = rx.negate
        self.delim = CONDELSE if rx.delim is None else rx.delim
        self.compiled = compiled
        self.fields = fields   # None: no -s, only yes/no

    def regex_answer(self, value: str, args: Sequence[str]) -> str:
        """regex_map_rewrite: under -m the key (args[0]) itself."""
        if self.options.matchonly:
            return self.rewrite(args[0], None)
        return self.rewrite(value, args)

    def _lookup(self, key: str, args: Sequence[str], ctx: MapContext) -> tuple[str | None, int]:
        assert self.compiled is not None
        match = self.compiled.regex.search(key)
        if self.negate:
            return (self.regex_answer("", args), EX_OK) if match is None else (None, EX_OK)
        if match is None:
            return None, EX_OK
        if self.fields is None:
            return self.regex_answer("", args), EX_OK
        fields = self.fields
        if len(args) > 1:
            try:
                fields = parse_fields(args[1], self.compiled.nsub + 1)
            except FieldError:
                return None, EX_CONFIG
            # sendmail's parser cut the argument at the first comma, and %1 sees that
            args = [args[0], args[1].split(",", 1)[0], *args[2:]]
        pieces: list[tuple[bool, str]] = []
        for i, number in enumerate(fields):
            if i:
                pieces.append((True, self.delim))
            start, end = match.span(number)
            if start >= 0:
                pieces.append((False, key[start:end]))
        text = balanced_copy(pieces)
        if text is None:
            return None, EX_OK
        return self.regex_answer(text, args), EX_OK


def build_regex(options: MapOptions, rx: RegexArgs) -> tuple[RegexMap, list[str]]:
    """regex_map_init after the flags: compile, check -s fields; errors make the map invalid."""
    from .posixre import PosixRegexError
    errors: list[str] = []
    compiled: CompiledPosix | None = None
    fields: list[int] | None = None
    try:
        compiled = compile_posix(rx.pattern, extended=not rx.basic,
                                 icase=not options.nofoldcase)
    except PosixRegexError as exc:
        errors.append(f"pattern-compile-error: {exc}")
    if compiled is not None and rx.substrings is not None:
        substrings = compiled.nsub + 1
        if substrings >= MAX_MATCH:
            errors.append(f"too many substrings, {MAX_MATCH} max")
            compiled = None
        elif rx.substrings:
            try:
                fields = parse_fields(rx.substrings, substrings)
            except FieldError as exc:
                errors.append(str(exc))
                compiled = None
        else:
            fields = list(range(substrings))
    return RegexMap(options, rx, compiled, fields), errors
