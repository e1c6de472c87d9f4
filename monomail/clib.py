"""What the C library (and sendmail's libsmutil) does to text, where sendmail's answers depend on it."""

from __future__ import annotations

SPACES = " \t\n\v\f\r"  # isspace() in the C locale
LONG_MIN = -(1 << 63)
LONG_MAX = (1 << 63) - 1
MAXSHORTSTR = 203  # sendmail conf.h: the longest shortened string


def strtol(text: str, base: int = 10) -> int:
    """C strtol: blanks, a sign, digits of the base (0: 0x.. hex, 0.. octal), clamped to long."""
    s = text.lstrip(SPACES)
    sign = 1
    if s[:1] in ("+", "-"):
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    if base == 0:
        base = 10
        if s[:2].lower() == "0x" and s[2:3] and s[2:3] in "0123456789abcdefABCDEF":
            base, s = 16, s[2:]
        elif s[:1] == "0":
            base = 8
    digits = "0123456789abcdef"[:base]
    value = 0
    for ch in s:
        d = digits.find(ch.lower())
        if d < 0:
            break
        value = value * base + d
    return max(LONG_MIN, min(LONG_MAX, sign * value))


def atoi(text: str) -> int:
    """C's atoi (strtol in base 10)."""
    return strtol(text, 10)


def shortenstring(s: str, m: int) -> str:
    """libsmutil's shortenstring: a string of m or more characters keeps both ends around '...'."""
    if len(s) < m:
        return s
    m = min(m, MAXSHORTSTR)
    if m < 5:
        return s[:m]
    if m < 10:
        return s[:m - 3] + "..."
    half = (m - 3) // 2
    return s[:half] + "..." + s[len(s) - half:]
