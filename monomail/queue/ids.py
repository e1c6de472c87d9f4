"""Queue ids in sendmail's form: time-sortable, unique per process.

YMDhms of UTC in base 60 (year from 1900 modulo 60), a two-character sequence within the
second, then the process id: e.g. 6AP3HY1D031232.  Admins grep logs for these.

sendmail sleeps until the next second once a process has used the 3600 sequence numbers of
one; a queue taking thousands of messages a second cannot, so the ids run ahead of the clock
instead (the next second's numbers are used early) and fall back in step when it catches up.
"""

from __future__ import annotations

import os
import threading
import time

BASE60 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"
PER_SECOND = 60 * 60
_state = {"second": -1, "seq": 0}
_lock = threading.Lock()


def _next_stamp(second: int) -> tuple[int, int]:
    """(second, sequence) for the next id: never repeats, never goes back in time."""
    with _lock:
        if second > _state["second"]:
            _state["second"], _state["seq"] = second, 0
        elif _state["seq"] >= PER_SECOND:
            _state["second"] += 1
            _state["seq"] = 0
        seq = _state["seq"]
        _state["seq"] += 1
        return _state["second"], seq


def queue_id(now: float | None = None, pid: int | None = None) -> str:
    second, seq = _next_stamp(int(time.time() if now is None else now))
    tm = time.gmtime(second)
    stamp = [tm.tm_year - 1900, tm.tm_mon - 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec]
    head = "".join(BASE60[v % 60] for v in stamp)
    return f"{head}{BASE60[seq // 60]}{BASE60[seq % 60]}{(pid or os.getpid()) % 1000000:06d}"
