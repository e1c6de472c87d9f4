"""Maps that compute instead of reading a file: dequote, macro, arith, arpa, null, syslog.

All but null and syslog are set up by sendmail's dequote_init, so they keep quotes in
the key and take at most one flag.  arith and macro answers do not go through
map_rewrite (no -a, no %n), as in sendmail.
"""

from __future__ import annotations

import logging
import random
import socket
from typing import Callable, Sequence

from monomail.sysexits import EX_CONFIG, EX_DATAERR, EX_OK

from monomail.config.macros import MacroNames

from .base import SM_NOTFOUND, Map, MapContext, MapOptions
from monomail.clib import LONG_MIN, strtol



class DequoteMap(Map):
    """`dequote`: remove the quoting of one quoted word; refuse what prescan could not take."""

    pure = True  # a function of the key alone: rewrite results using it can be cached

    def _lookup(self, key: str, args: Sequence[str], ctx: MapContext) -> tuple[str | None, int]:
        out: list[str] = []
        angles = comments = quotes = spaces = 0
        quoted = escaped = False
        sub = self.spacesub
        for c in key:
            if c == "\0":
                break
            if escaped:
                escaped = False
                out.append(c)
                continue
            if c == " " and sub:
                c = sub
            if c == "\\":
                escaped = True
            elif c == "(":
                comments += 1
            elif c == ")":
                comments -= 1
                if comments < 0:
                    return None, EX_OK
            elif c in " \t":
                spaces += 1
            if comments > 0:
                out.append(c)
                continue
            if c == '"':
                quoted = not quoted
                quotes += 1
                continue
            if c == "<":
                angles += 1
            elif c == ">":
                angles -= 1
                if angles < 0:
                    return None, EX_OK
            out.append(c)
        if angles or comments or escaped or quoted or quotes <= 0 or spaces:
            return None, EX_OK
        return self.rewrite("".join(out), None), EX_OK


def macro_name(key: str, report: Callable[[str], None]) -> str | None:
    """sendmail's macid() on a key: "x", "{x}" or "{long_name}"; None when unusable."""
    if key and key[0] != "{":
        return key[0]
    names = MacroNames()
    mid = names.lookup(key, report)
    return names.name(mid) if mid else None


class MacroMap(Map):
    """`macro`: `$(storage {name} $@ value $)` sets a macro (no value: clears it); answers ""."""

    def _lookup(self, key: str, args: Sequence[str], ctx: MapContext) -> tuple[str | None, int]:
        name = macro_name(key, ctx.message)
        if name is None:
            return None, EX_CONFIG
        ctx.define_macro(name, args[1] if len(args) > 1 else None)
        return "", EX_OK


def wrap_long(value: int) -> int:
    """Two's-complement wrap to a 64-bit long, as the C arithmetic overflows."""
    return ((value - LONG_MIN) % (1 << 64)) + LONG_MIN


def c_divmod(a: int, b: int) -> tuple[int, int]:
    """C's / and %: the quotient truncates toward zero."""
    q = abs(a) // abs(b)
    if (a < 0) != (b < 0):
        q = -q
    return wrap_long(q), a - b * q


class ArithMap(Map):
    """`arith`: the key is the operator (+ - * / % | & l = r), the two $@ arguments the operands."""

    pure = True  # a function of the key alone: rewrite results using it can be cached

    def _lookup(self, key: str, args: Sequence[str], ctx: MapContext) -> tuple[str | None, int]:
        operands = [strtol(a, 0) for a in args[1:3]]
        if len(operands) < 2:
            return None, EX_CONFIG
        a, b = operands
        op = key[:1]
        if op in ("l", "="):
            result = (a < b) if op == "l" else (a == b)
            return ("TRUE" if result else "FALSE"), EX_OK
        if op in ("/", "%"):
            if b == 0:
                return None, EX_OK
            q, r = c_divmod(a, b)
            return str(q if op == "/" else r), EX_OK
        simple = {"|": a | b, "&": a & b, "+": a + b, "-": a - b, "*": a * b}
        if op in simple:
            return str(wrap_long(simple[op])), EX_OK
        if op == "r":
            span = wrap_long(b - a + 1)
            if span <= 0:
                return None, EX_OK
            return str(wrap_long(random.randrange(1 << 31) % span + a)), EX_OK
        return None, EX_CONFIG


class ArpaMap(Map):
    """`arpa`: an IP address as the reversed name used under in-addr.arpa / ip6.arpa."""

    def _lookup(self, key: str, args: Sequence[str], ctx: MapContext) -> tuple[str | None, int]:
        result: str | None = None
        if key[:5].lower() == "ipv6:":
            try:
                packed = socket.inet_pton(socket.AF_INET6, key[5:])
            except (OSError, ValueError):
                packed = None
            if packed is not None:
                nibbles = []
                for octet in reversed(packed):
                    nibbles.append(f"{octet & 0xF:x}.{octet >> 4:x}")
                result = ".".join(nibbles)
        else:
            try:
                packed = socket.inet_pton(socket.AF_INET, key)
            except (OSError, ValueError):
                packed = None
            if packed is not None:
                result = ".".join(str(octet) for octet in reversed(packed))
        if result is None:
            return None, EX_DATAERR
        return self.answer(key, result, args), EX_OK


class NullMap(Map):
    """`null`: never finds anything (sendmail uses it for aliases.files placeholders)."""

    optional_file = True

    def _lookup(self, key: str, args: Sequence[str], ctx: MapContext) -> tuple[str | None, int]:
        return None, SM_NOTFOUND


SYSLOG_LEVELS = {
    "EMERG": logging.CRITICAL, "ALERT": logging.CRITICAL, "CRIT": logging.CRITICAL,
    "ERR": logging.ERROR, "WARNING": logging.WARNING, "NOTICE": logging.INFO,
    "INFO": logging.INFO, "DEBUG": logging.DEBUG,
}
syslog_logger = logging.getLogger("monomail.maps.syslog")


class SyslogMap(Map):
    """`syslog`: log the (rewritten) key at the -L priority and answer ""."""

    def __init__(self, options: MapOptions, priority: str, valid: bool = True) -> None:
        super().__init__(options, valid)
        self.priority = priority

    def _lookup(self, key: str, args: Sequence[str], ctx: MapContext) -> tuple[str | None, int]:
        text = self.rewrite(key, args)
        queue_id = ctx.macro("i") or "NOQUEUE"
        syslog_logger.log(SYSLOG_LEVELS[self.priority], "%s: %s", queue_id, text)
        return "", EX_OK
