"""The `Name, X=value, Y=value` form shared by M (mailer) and Q (queue group) lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .cfparser import ParseState


def split_equates(state: "ParseState", line: str, what: str
                  ) -> tuple[str, list[tuple[str, str]]] | None:
    """(name, [(letter, value), ...]) as makemailer/makequeue read them; None after
    reporting the error sendmail gives (`what` is "mailer" or "queue")."""
    from .munch import munchstring
    end = 0
    while end < len(line) and line[end] != "," and not line[end].isspace():
        end += 1
    name = line[:end]
    if not name:
        state.syserr(f"name required for {what}")
        return None
    equates: list[tuple[str, str]] = []
    p = line[end + 1:] if end < len(line) else ""
    while p:
        p = p.lstrip(", \t\n")
        if not p:
            break
        eq = next((i for i, c in enumerate(p) if c in "=,"), len(p))
        if eq >= len(p) or p[eq] != "=":
            state.syserr(f"{what} {name}: `=' expected")
            return None
        body = p[eq + 1:].lstrip(" \t\n")
        value, stop = munchstring(body, ",")
        equates.append((p[0], value))
        p = body[stop:]
    return name, equates
