"""Dates as sendmail writes them ($b, Date: headers): RFC 5322 with sendmail's quirks
(no zero-padded day, "GMT" for UTC, "+hhmm" elsewhere: sendmail built for Linux has
TZ_TYPE TZ_NONE, so it never adds the zone's name)."""

from __future__ import annotations

import time


def arpadate(when: float | None = None) -> str:
    t = time.time() if when is None else when
    lt = time.localtime(t)
    text = time.strftime("%a, ", lt) + str(lt.tm_mday) + time.strftime(" %b %Y %H:%M:%S", lt)
    return text + _zone(lt)


def arpadate_from_ctime(ud: str, now: float | None = None) -> str:
    """sendmail's arpadate(ud) for a ctime() string ("Wed Nov 25 04:00:00 2026"), as
    a Unix From line gives it: fields moved into RFC 5322 order, and the zone of
    *now* appended (sendmail does not work out the zone of that date)."""
    day = ud[8:10].lstrip(" ")
    text = f"{ud[0:3]}, {day} {ud[4:7]} {ud[20:24]} {ud[11:19]}"
    return text + _zone(time.localtime(time.time() if now is None else now))


def _zone(lt: time.struct_time) -> str:
    off = (lt.tm_gmtoff or 0) // 60
    if off == 0:
        return " GMT"
    sign = "-" if off < 0 else "+"
    off = min(abs(off), 23 * 60 + 59)
    return f" {sign}{off // 60:02d}{off % 60:02d}"
