"""Q lines: queue groups (`Qname, P=path, F=flags, I=interval, N=nice, R=runners,
J=jobs, r=recipients, S=sortorder`), checked as sendmail's makequeue checks them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .cfparser import ParseState

SORT_ORDERS = {"h": "host", "p": "priority", "t": "time", "f": "filename",
               "m": "modification", "r": "random", "s": "shuffle", "n": "none"}


@dataclass(frozen=True)
class QueueGroup:
    name: str
    path: str | None = None
    flags: str = ""
    interval: int | None = None  # seconds between runs
    nice: int = 0
    runners: int = 0
    jobs: int = 0
    max_recipients: int = 0
    sort: str | None = None


def line_queue(state: "ParseState", line: str) -> None:
    from .cfparser import munchstring
    from .mailers import _atoi
    end = 0
    while end < len(line) and line[end] != "," and not line[end].isspace():
        end += 1
    name = line[:end]
    if not name:
        state.syserr("name required for queue")
        return
    fields: dict = {"name": name}
    p = line[end + 1:] if end < len(line) else ""
    while p:
        p = p.lstrip(", \t\n")
        if not p:
            break
        code = p[0]
        eq = next((i for i, c in enumerate(p) if c in "=,"), len(p))
        if eq >= len(p) or p[eq] != "=":
            state.syserr(f"queue {name}: `=' expected")
            return
        body = p[eq + 1:].lstrip(" \t\n")
        value, stop = munchstring(body, ",")
        p = body[stop:]
        _equate(state, fields, code, value, _atoi)
    state.queues.append(QueueGroup(**fields))


def _equate(state: "ParseState", fields: dict, code: str, value: str, atoi) -> None:  # type: ignore[no-untyped-def]
    from .options import convtime
    name = fields["name"]
    if code == "P":
        if not value:
            state.syserr(f"queue {name}: empty path name")
        else:
            fields["path"] = value
    elif code == "F":
        fields["flags"] = value
    elif code == "I":
        fields["interval"] = convtime(value, "m")
    elif code in "NRJr":
        key = {"N": "nice", "R": "runners", "J": "jobs", "r": "max_recipients"}[code]
        fields[key] = atoi(value)
    elif code == "S":
        order = SORT_ORDERS.get(value[:1].lower())
        if order is None:
            state.syserr(f'Invalid queue sort order "{value}"')
        else:
            fields["sort"] = order
    else:
        state.syserr(f"Q{name}: unknown queue equate {code}=")
