"""The part of scanf that F lines use (`F{x} /file %[^#]`): the first conversion."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=64)
def _compile(fmt: str) -> tuple[re.Pattern[str], int]:
    parts: list[str] = []
    group = 0
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c.isspace():
            parts.append(r"\s*")
        elif c != "%":
            parts.append(re.escape(c))
        else:
            i += 1
            suppress = i < len(fmt) and fmt[i] == "*"
            i += suppress
            while i < len(fmt) and fmt[i].isdigit():
                i += 1
            conv = fmt[i] if i < len(fmt) else "s"
            if conv == "%":
                parts.append("%")
            elif conv == "[":
                end = fmt.index("]", i + 2 if fmt[i + 1:i + 2] in ("^", "]") else i + 1)
                body = fmt[i + 1:end].replace("\\", "\\\\")
                pat = "[" + body + "]+"
                i = end
                parts.append(f"({pat})" if not suppress else pat)
                group += not suppress
            else:
                pat = {"d": r"[-+]?\d+", "s": r"\S+", "c": "."}.get(conv, r"\S+")
                lead = r"\s*" if conv != "c" else ""
                parts.append(lead + (f"({pat})" if not suppress else pat))
                group += not suppress
        i += 1
    return re.compile("".join(parts)), group


def scan_first(line: str, fmt: str) -> str | None:
    """What sscanf(line, fmt, buf) stores in buf, or None when it matches nothing."""
    pattern, groups = _compile(fmt)
    match = pattern.match(line.rstrip("\n"))
    if match is None or groups == 0:
        return None
    return match.group(1)
