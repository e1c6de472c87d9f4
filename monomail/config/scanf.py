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
                pat, i = _scanset(fmt, i)
                parts.append(f"({pat})" if not suppress else pat)
                group += not suppress
            else:
                pat = {"d": r"[-+]?\d+", "s": r"\S+", "c": "."}.get(conv, r"\S+")
                lead = r"\s*" if conv != "c" else ""
                parts.append(lead + (f"({pat})" if not suppress else pat))
                group += not suppress
        i += 1
    return re.compile("".join(parts)), group


def _scanset(fmt: str, i: int) -> tuple[str, int]:
    """%[...] at fmt[i] == '[': (regex, index of its closing bracket).  Like glibc, an
    unterminated set runs to the end of the format ("%[^" matches everything)."""
    negate = fmt[i + 1:i + 2] == "^"
    start = i + 1 + negate
    end = fmt.find("]", start + 1 if fmt[start:start + 1] == "]" else start)
    if end < 0:
        end = len(fmt)
    members = fmt[start:end]
    if not members:
        return (r"[\s\S]+" if negate else r"(?!)"), end
    body = "".join("\\" + c if c in "\\^[]" else c for c in members)
    return ("[^" if negate else "[") + body + "]+", end


def scan_first(line: str, fmt: str) -> str | None:
    """What sscanf(line, fmt, buf) stores in buf, or None when it matches nothing
    (a malformed format, like sscanf's, converts nothing)."""
    try:
        pattern, groups = _compile(fmt)
    except (ValueError, re.error):
        return None
    match = pattern.match(line.rstrip("\n"))
    if match is None or groups == 0:
        return None
    return match.group(1)
