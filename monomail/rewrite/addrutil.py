"""Small string helpers sendmail applies to token lists: cataddr and stripquotes."""

from __future__ import annotations

from .prescan import ATM
from .tokens import METAQUOTE

MAXNAME_BUF = 1024


def cataddr(tokens: list[str], spacesub: str, external: bool, int_table: tuple[int, ...],
            size: int = MAXNAME_BUF) -> str:
    """Join tokens back into a string; `spacesub` goes between two adjacent atoms.

    `size` is the C buffer size sendmail uses at that call: at most size-3 octets
    come back, so over-long addresses are cut exactly where sendmail cuts them."""
    quick = _cataddr_quick(tokens, spacesub, int_table)
    if len(quick) <= size - 3 and not (external and METAQUOTE in quick):
        return quick
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
        room = left - 1
        out.append(tok[:max(room, 0)])
        left -= len(tok)
        if left <= 0:
            break
        prev_atom = is_atom
    return "".join(out)


def _cataddr_quick(tokens: list[str], spacesub: str, int_table: tuple[int, ...]) -> str:
    """cataddr when nothing needs cutting or unquoting (the usual case)."""
    if not spacesub:
        return "".join(tokens)
    out: list[str] = []
    prev_atom = False
    for tok in tokens:
        is_atom = int_table[ord(tok[0]) & 0xFF] == ATM if tok else False
        if prev_atom and is_atom:
            out.append(spacesub)
        out.append(tok)
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


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def lower(s: str) -> str:
    """Lower case the C library's way: ASCII letters only (8-bit octets stay as they are)."""
    return s.lower() if s.isascii() else s.translate(_ASCII_LOWER)


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
