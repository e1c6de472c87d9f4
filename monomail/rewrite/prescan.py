"""sendmail's address tokenizer ("prescan"), state machine for state machine.

Token boundaries decide which rules match, so this follows sendmail's character
classes, state table and error recovery exactly: unbalanced quotes, comments and
angle brackets are reported with sendmail's words and patched up the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from .tokens import MAXATOM, MAXNAME

OPR, ATM, QST, SPC, ONE, ILL = range(6)
M_BIT, B_BIT = 0o20, 0o40
TYPE_MASK = 0o17
DELIMCHARS = "()<>,;\r\n"

_B, _MB, _M = B_BIT, M_BIT | B_BIT, M_BIT
STATE_TABLE = (
    (OPR | _B, ATM | _B, QST | _B, SPC | _MB, ONE | _B, ILL | _MB),   # OPR
    (OPR | _B, ATM, QST | _B, SPC | _MB, ONE | _B, ILL | _MB),       # ATM
    (QST, QST, OPR, QST, QST, QST),                                  # QST
    (OPR, ATM, QST, SPC | _M, ONE, ILL | _MB),                       # SPC
    (OPR, OPR, OPR, OPR, OPR, ILL | _MB),                            # ONE
    (OPR | _B, ATM | _B, QST | _B, SPC | _MB, ONE | _B, ILL | _M),    # ILL
)


def _base_table(spaces: str, quote: bool, paren_space: bool, high: dict[int, int]) -> list[int]:
    table = [ATM] * 256
    for ch in spaces:
        table[ord(ch)] = SPC
    if quote:
        table[ord('"')] = QST
    if paren_space:
        table[ord("(")] = table[ord(")")] = SPC
    for code, kind in high.items():
        table[code] = kind
    return table


def _internal_high() -> dict[int, int]:
    high = {code: OPR for code in range(0x80, 0xA0)}
    for code in (0x82, 0x93, 0x94, 0x95):
        high[code] = ONE
    high[0xFF] = ONE
    return high


@dataclass(frozen=True)
class TokenTables:
    """The three token tables of sendmail, with OperatorChars folded in."""

    external: tuple[int, ...]   # addresses from outside (ExtTokenTab)
    internal: tuple[int, ...]   # strings from the cf and maps (IntTokenTab)
    nocomment: tuple[int, ...]  # cf lines and -bt input at ConfigLevel >= 9 (TokTypeNoC)

    @classmethod
    def build(cls, operator_chars: str) -> "TokenTables":
        ext = _base_table("\t\n\x0b\x0c\r ", True, True, {})
        internal = _base_table("\t\n\x0b\x0c\r ", True, True, _internal_high())
        nocomment = _base_table("\t\n\x0b\x0c\r ", True, False, _internal_high())
        nocomment[ord("(")] = nocomment[ord(")")] = OPR
        for ch in operator_chars + DELIMCHARS:
            code = ord(ch) & 0xFF
            for table in (ext, internal, nocomment):
                if table[code] == ATM:
                    table[code] = OPR
        return cls(tuple(ext), tuple(internal), tuple(nocomment))


ErrorSink = Callable[[str, str], None]  # (message with SMTP code, address being scanned)


def _ignore_errors(message: str, address: str) -> None:
    return None


PSBUFSIZE = MAXNAME + MAXATOM


def prescan(addr: str, delim: str, table: tuple[int, ...], ignore: bool = False,
            usrerr: ErrorSink = _ignore_errors,
            bufsize: int = PSBUFSIZE) -> tuple[list[str] | None, int]:
    """Tokenize `addr` up to `delim` ('\\0' for none).

    Returns (tokens, end) where `end` is the index of the delimiter that stopped the
    scan (len(addr) at the end of input); tokens is None when sendmail returns NULL
    (too long, too many tokens, or nothing but white space).
    """
    if delim == "\0" and len(addr) <= MAXNAME:
        fast = _simple_scan(addr, table)
        if fast is not None:
            return fast or None, len(addr)
    scanner = _Scanner(addr, delim, table, ignore, usrerr, bufsize)
    tokens = scanner.run()
    return tokens, scanner.end


_SIMPLE: dict[int, tuple[tuple[int, ...], "re.Pattern[str]", "re.Pattern[str]"]] = {}


def _simple_patterns(table: tuple[int, ...]) -> tuple["re.Pattern[str]", "re.Pattern[str]"]:
    """For printable input without quotes, escapes or comments the state machine
    reduces to: atoms are runs of ATM characters, each OPR character is a token."""
    cached = _SIMPLE.get(id(table))
    if cached is not None and cached[0] is table:
        return cached[1], cached[2]
    safe = [chr(c) for c in range(0x20, 0x7F) if table[c] in (ATM, OPR, SPC)
            and chr(c) not in '"\\' and not (chr(c) in "()" and table[c] == SPC)]
    ops = "".join(re.escape(c) for c in safe if table[ord(c)] == OPR)
    gaps = "".join(re.escape(c) for c in safe + ["\t"] if table[ord(c)] == SPC)
    check = re.compile("[" + "".join(re.escape(c) for c in safe) + "\t]*")
    token = re.compile(f"[^{ops}{gaps}]+|[{ops}]")
    _SIMPLE[id(table)] = (table, check, token)
    return check, token


def _simple_scan(addr: str, table: tuple[int, ...]) -> list[str] | None:
    """Tokens of a simple address, or None when the full state machine is needed
    (unbalanced angle brackets included, since those are reported and repaired)."""
    check, token = _simple_patterns(table)
    if check.fullmatch(addr) is None:
        return None
    if "<" in addr or ">" in addr:
        depth = 0
        for c in addr:
            if c == "<":
                depth += 1
            elif c == ">":
                depth -= 1
                if depth < 0:
                    return None
        if depth:
            return None
    return token.findall(addr)


class _Scanner:
    """One prescan call: the loop is long because sendmail's is; state lives here."""

    def __init__(self, addr: str, delim: str, table: tuple[int, ...], ignore: bool,
                 usrerr: ErrorSink, bufsize: int) -> None:
        self.addr, self.delim, self.table = addr, delim, table
        self.limit = bufsize - 5
        self.ignore, self.usrerr = ignore, usrerr
        self.end = 0

    def error(self, message: str) -> None:
        self.usrerr(message, self.addr)

    def run(self) -> list[str] | None:  # noqa: C901 - mirrors sendmail's state machine
        addr, delim, table, ignore = self.addr, self.delim, self.table, self.ignore
        n = len(addr)
        p = 0
        tokens: list[str] = []
        state = ATM
        c: str | None = None
        bslash = False
        route_syntax = False
        cmnt = angle = 0
        used = 0
        while True:
            tok: list[str] = []
            while True:
                if c is not None and not bslash:
                    if used >= self.limit:
                        return self._toolong(p)
                    used += 1
                    tok.append(c)
                c = addr[p] if p < n else "\0"
                p += 1
                if c == "\0":
                    if ignore:
                        break
                    if state == QST:
                        self.error("553 Unbalanced '\"'")
                        c = '"'
                    elif cmnt > 0:
                        self.error("553 Unbalanced '('")
                        c = ")"
                    elif angle > 0:
                        c = ">"
                        self.error("553 Unbalanced '<'")
                    else:
                        break
                    p -= 1
                elif c == delim and cmnt <= 0 and state != QST:
                    if angle <= 0:
                        break
                    if delim == "," and not route_syntax and not ignore:
                        self.error("553 Unbalanced '<'")
                        c = ">"
                        p -= 1
                if bslash:
                    bslash = False
                    if cmnt > 0:
                        c = None
                        continue
                    if c != "!" or state == QST:
                        if used >= self.limit:
                            return self._toolong(p)
                        used += 1
                        tok.append("\\")
                        continue
                if c == "\\":
                    bslash = True
                elif state == QST:
                    pass
                elif c == "(" and table[0x28] == SPC:
                    cmnt += 1
                    c = None
                elif c == ")" and table[0x28] == SPC:
                    if cmnt <= 0:
                        if not ignore:
                            self.error("553 Unbalanced ')'")
                            c = None
                    else:
                        cmnt -= 1
                elif cmnt > 0:
                    c = None
                elif c == "<":
                    angle += 1
                    rest = addr[p:].lstrip(" \t\n\r\x0b\x0c")
                    if rest.startswith("@"):
                        route_syntax = True
                elif c == ">":
                    if angle <= 0:
                        if not ignore:
                            self.error("553 Unbalanced '>'")
                            c = None
                    else:
                        angle -= 1
                    route_syntax = False
                elif delim == " " and c in " \t\n\r\x0b\x0c":
                    c = " "
                if c is None:
                    continue
                if c == delim and angle <= 0 and state != QST:
                    break
                newstate = STATE_TABLE[state][table[ord(c) & 0xFF]]
                state = newstate & TYPE_MASK
                if state == ILL:
                    shown = c if " " <= c <= "~" else "0x%02x" % (ord(c) & 0xFF)
                    self.error(f"553 Illegal character {shown}")
                if newstate & M_BIT:
                    c = None
                if newstate & B_BIT:
                    break
            if tok:
                if used >= self.limit:
                    return self._toolong(p)
                used += 1
                if len(tokens) >= MAXATOM:
                    self.error("553 5.1.0 prescan: too many tokens")
                    return self._null(p)
                if len(tok) > MAXNAME:
                    self.error("553 5.1.0 prescan: token too long")
                    return self._null(p)
                tokens.append("".join(tok))
            if c == "\0" or (c == delim and angle <= 0):
                break
        self.end = p - 1 if p > 0 else 0
        return tokens or None

    def _null(self, p: int) -> None:
        self.end = p - 1 if p > 0 else 0
        return None

    def _toolong(self, p: int) -> None:
        self.error("553 5.1.1 Address too long")
        return self._null(p)
