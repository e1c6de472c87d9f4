"""Q lines: queue groups (`Qname, P=path, F=flags, I=interval, N=nice, R=runners,
J=jobs, r=recipients, S=sortorder`), checked as sendmail's makequeue checks them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from monomail.clib import atoi

from .equates import split_equates

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
    parsed = split_equates(state, line, "queue")
    if parsed is None:
        return
    name, equates = parsed
    fields: dict = {"name": name}
    for code, value in equates:
        _equate(state, fields, code, value)
    state.queues.append(QueueGroup(**fields))


def _equate(state: "ParseState", fields: dict, code: str, value: str) -> None:
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
