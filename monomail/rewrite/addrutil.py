"""Small string helpers sendmail applies to token lists: cataddr and stripquotes."""

from __future__ import annotations

from .prescan import ATM
from .tokens import METAQUOTE

MAXNAME_BUF = 1024


def cataddr(tokens: list[str], spacesub: str, external: bool, int_table: tuple[int, ...],
            size: int = MAXNAME_BUF) -> str:
    """Join tokens back into a string; `spacesub` goes between two adjacent atoms."""
    out: list[str] = []
    left = size - 2
    prev_atom = False
    for tok in tokens:
        if left <= 0:
            break
        is_atom = bool(tok) and int_table[ord(tok[0]) & 0xFF] == ATM
        if prev_atom and is_atom and spacesub:
            out.append(spacesub)
            left -= 1
            if left <= 0:
                break
        if external and METAQUOTE in tok:
            tok = _unquote_meta(tok)
        out.append(tok[:left])
        left -= len(tok)
        prev_atom = is_atom
    return "".join(out)


def _unquote_meta(tok: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(tok):
        if tok[i] == METAQUOTE and i + 1 < len(tok):
            i += 1
        out.append(tok[i])
        i += 1
    return "".join(out)


def stripquotes(s: str) -> str:
    """Remove unescaped double quotes and the backslashes of escapes."""
    if '"' not in s and "\\" not in s:
        return s
    out: list[str] = []
    i = 0
    while i < len(s):
        c = s[i]
        i += 1
        if c == "\\":
            if i >= len(s):
                break
            c = s[i]
            i += 1
        elif c == '"':
            continue
        out.append(c)
    return "".join(out)
