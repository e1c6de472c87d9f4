"""The map classes the base rulesets need: host (for `$[ $]`) and dequote."""

from __future__ import annotations

from monomail import sysexits as ex
from .base import Map, MapContext


class HostMap(Map):
    """Canonical host names; a DNS timeout prints sendmail's message and defers."""

    def find(self, key: str, ctx: MapContext) -> tuple[str | None, int]:
        name, status = ctx.hosts.canon(key, ctx.macro("m"))  # type: ignore[attr-defined]
        if status == ex.EX_TEMPFAIL:
            ctx.message(f"{key[:33]}: Name server timeout")
        if name is None:
            return None, status
        return name, ex.EX_OK


class DequoteMap(Map):
    """Remove the quoting from one quoted token; anything odd is "not found"."""

    keeps_quotes = True

    def find(self, key: str, ctx: MapContext) -> tuple[str | None, int]:
        out: list[str] = []
        angles = comments = quotes = spaces = 0
        quoted = escaped = False
        for c in key:
            if escaped:
                escaped = False
                out.append(c)
                continue
            if c == " " and self.spacesub:
                c = self.spacesub
            if c == "\\":
                escaped = True
            elif c == "(":
                comments += 1
            elif c == ")":
                comments -= 1
                if comments < 0:
                    return None, ex.EX_OK
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
                    return None, ex.EX_OK
            out.append(c)
        if angles or comments or escaped or quoted or quotes <= 0 or spaces:
            return None, ex.EX_OK
        return "".join(out), ex.EX_OK
