"""Dates as sendmail writes them ($b, Date: headers): RFC 5322 with sendmail's quirks
(no zero-padded day, "GMT" for UTC, "+hhmm" elsewhere: sendmail built for Linux has
TZ_TYPE TZ_NONE, so it never adds the zone's name)."""

from __future__ import annotations

import time


def arpadate(when: float | None = None) -> str:
    t = time.time() if when is None else when
    lt = time.localtime(t)
    text = time.strftime("%a, ", lt) + str(lt.tm_mday) + time.strftime(" %b %Y %H:%M:%S", lt)
    off = (lt.tm_gmtoff or 0) // 60
    if off == 0:
        return text + " GMT"
    sign = "-" if off < 0 else "+"
    off = min(abs(off), 23 * 60 + 59)
    return f"{text} {sign}{off // 60:02d}{off % 60:02d}"
