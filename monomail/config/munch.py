"""sendmail's munchstring: how cf values (D lines, equates, some options) read quotes
and backslash escapes."""

from __future__ import annotations

MAXLINE = 2048


def munchstring(p: str, delim: str) -> tuple[str, int]:
    """sendmail's munchstring: quotes and backslash escapes; (value, index of delim)."""
    out: list[str] = []
    backslash = quoted = False
    i = 0
    while i < len(p) and len(out) < MAXLINE - 1:
        c = p[i]
        if backslash:
            backslash = False
            out.append({"r": "\r", "n": "\n", "f": "\f", "b": "\b"}.get(c, c))
        elif c == "\\":
            backslash = True
        elif c == '"':
            quoted = not quoted
        elif quoted or c != delim:
            out.append(c)
        else:
            break
        i += 1
    return "".join(out), i
