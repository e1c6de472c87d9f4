"""Queue ids in sendmail's form: time-sortable, unique per process.

YMDhms in base 60 (year from 1900 modulo 60), a two-character sequence within the
second, then the process id: e.g. 6AP3HY1D031232.  Admins grep logs for these."""

from __future__ import annotations

import os
import time

BASE60 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"
_state = {"second": -1, "seq": 0}


def queue_id(now: float | None = None, pid: int | None = None) -> str:
    t = time.time() if now is None else now
    tm = time.localtime(t)
    second = int(t)
    if second != _state["second"]:
        _state["second"], _state["seq"] = second, 0
    seq = _state["seq"] % (60 * 60)
    _state["seq"] += 1
    stamp = [tm.tm_year - 1900, tm.tm_mon - 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec]
    head = "".join(BASE60[v % 60] for v in stamp)
    return f"{head}{BASE60[seq // 60]}{BASE60[seq % 60]}{(pid or os.getpid()) % 1000000:06d}"
