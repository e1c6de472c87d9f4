"""sendmail's crackaddr: turn a header address into a template with `$g` for the address.

Used for `-bt /parse` ("Cracked address = ...") and later for rewriting header
addresses while keeping their comments and display names.
"""

from __future__ import annotations

from .tokens import MACROEXPAND

MUST_QUOTE_CHARS = "@,;:\\()[].'"
SPACES = " \t\n\r\x0b\x0c"
BUFEND = 256  # sendmail's static buffer holds MAXNAME + 1 octets
PUNT = "<" + MACROEXPAND + "g>"


class _Punt(Exception):
    """The template outgrew sendmail's buffer: sendmail then answers <$g>."""


class _Cracker:
    """The output buffer with sendmail's room accounting (buflim moves as closing
    quotes, parens and angles are promised, and sendmail punts when it runs out)."""

    def __init__(self, addr: str) -> None:
        self.addr = addr
        self.buf: list[str] = []
        self.head = 0          # index in buf where the address part starts
        self.putg = False
        self.buflim = BUFEND

    def room(self) -> bool:
        return len(self.buf) < self.buflim <= BUFEND

    def append(self, c: str) -> None:
        if not self.room():
            raise _Punt
        self.buf.append(c)

    def put_g(self) -> None:
        if not self.putg:
            if self.buf and self.buf[-1] == ")":
                self.append(" ")
            self.append(MACROEXPAND)
            self.append("g")
            self.putg = True


def crackaddr(addr: str, colon_ok: bool = False) -> str:
    """Return the template for `addr` (internal form: `\\x81g` stands for $g)."""
    try:
        return _crack(addr, colon_ok)
    except _Punt:
        return PUNT


def _crack(addr: str, colon_ok: bool) -> str:  # noqa: C901 - mirrors sendmail
    cr = _Cracker(addr)
    i = 0
    while i < len(addr) and addr[i] in SPACES:
        cr.append(addr[i])
        i += 1
    cr.head = len(cr.buf)
    start = addrhead = i
    p = i
    copylev = anglelev = cmtlev = realcmtlev = bracklev = 0
    qmode = realqmode = addangle = quoteit = gotangle = gotcolon = False
    while p < len(addr):
        c = addr[p]
        p += 1
        if copylev > 0:
            cr.append(c)
        if c == "\\":
            if cmtlev <= 0 and not qmode:
                quoteit = True
            if p >= len(addr):
                cr.put_g() if copylev <= 0 else None
                continue
            c = addr[p]
            p += 1
            if copylev > 0:
                cr.append(c)
            if copylev <= 0:
                cr.put_g()
            continue
        if c == '"' and cmtlev <= 0:
            qmode = not qmode
            if copylev > 0 and cr.room():
                cr.buflim += -1 if realqmode else 1
                realqmode = not realqmode
            continue
        if qmode:
            if copylev <= 0:
                cr.put_g()
            continue
        if c == "(":
            cmtlev += 1
            if cr.room():
                cr.buflim -= 1
                realcmtlev += 1
                if copylev <= 0:
                    if len(cr.buf) != cr.head:
                        cr.append(" ")
                    cr.append(c)
                copylev += 1
        if cmtlev > 0:
            if c == ")":
                cmtlev -= 1
                copylev -= 1
                if cr.room():
                    realcmtlev -= 1
                    cr.buflim += 1
            continue
        elif c == ")":
            if copylev > 0 and cr.room() and len(cr.buf) > cr.head:
                cr.buf.pop()
        if c == "[":
            bracklev += 1
        elif c == "]":
            bracklev -= 1
        if c == ":" and anglelev <= 0 and bracklev <= 0 and not gotcolon and not colon_ok:
            if p < len(addr) and addr[p] in ":.":
                if cmtlev <= 0 and not qmode:
                    quoteit = True
                if copylev > 0:
                    cr.append(c)
                    cr.append(addr[p])
                p += 1
                if copylev <= 0:
                    cr.put_g()
                continue
            gotcolon = True
            del cr.buf[cr.head:]
            p = _copy_phrase(cr, addr, addrhead, p, start, quoteit, ":")
            while p < len(addr) and addr[p] in SPACES:
                cr.append(addr[p])
                p += 1
            copylev = 0
            cr.putg = quoteit = False
            cr.head = len(cr.buf)
            addrhead = p
            continue
        if c == ";" and copylev <= 0 and not colon_ok:
            cr.append(c)
        if c in MUST_QUOTE_CHARS and cmtlev <= 0 and not qmode:
            quoteit = True
        if c == "<":
            if gotangle:
                quoteit = True
            gotangle = True
            anglelev = 1
            if cr.room():
                if not addangle:
                    cr.buflim -= 1
                addangle = True
            del cr.buf[cr.head:]
            p = _copy_phrase(cr, addr, addrhead, p, start, quoteit, "<", whole_buf=True)
            copylev = 0
            cr.putg = quoteit = False
            continue
        if c == ">":
            if anglelev > 0:
                anglelev -= 1
                if cr.room():
                    if addangle:
                        cr.buflim += 1
                    addangle = False
            elif cr.room():
                if copylev > 0 and len(cr.buf) > cr.head:
                    cr.buf.pop()
                quoteit = True
                continue
            if copylev <= 0:
                cr.append(c)
            copylev += 1
            continue
        if copylev <= 0:
            cr.put_g()
    tail = ('"' if realqmode else "") + ")" * max(realcmtlev, 0) + (">" if addangle else "")
    for ch in tail:
        if len(cr.buf) < BUFEND:
            cr.buf.append(ch)
    if len(cr.buf) >= BUFEND:
        raise _Punt
    return "".join(cr.buf)


def _copy_phrase(cr: _Cracker, addr: str, addrhead: int, p: int, start: int,
                 quoteit: bool, stop: str, whole_buf: bool = False) -> int:
    """Copy the phrase before ':' or '<' into the template, quoting it if needed."""
    if quoteit:
        cr.append('"')
        p -= 1
        while p > start:
            p -= 1
            if not addr[p].isspace():
                break
        p += 1
    for q in range(addrhead, p):
        c = addr[q]
        if quoteit and c == '"':
            cr.append("\\")
        cr.append(c)
    if quoteit:
        first = 1 if whole_buf else cr.head + 1
        if len(cr.buf) == first:
            cr.buf.pop()
        else:
            cr.append('"')
        while p < len(addr) and addr[p] != stop:
            cr.append(addr[p])
            p += 1
        if p < len(addr):
            cr.append(addr[p])
            p += 1
    return p
