"""RFC 3463 status codes and the sysexits value sendmail derives from each."""

from __future__ import annotations

from monomail import sysexits as ex

_BY_SUBJECT = {
    (1, 0): ex.EX_DATAERR, (1, 1): ex.EX_NOUSER, (1, 6): ex.EX_NOUSER,
    (1, 2): ex.EX_NOHOST, (1, 8): ex.EX_NOHOST, (1, 3): ex.EX_USAGE, (1, 7): ex.EX_USAGE,
    (1, 4): ex.EX_UNAVAILABLE, (1, 5): ex.EX_CONFIG,
    (2, 0): ex.EX_UNAVAILABLE, (2, 1): ex.EX_UNAVAILABLE, (2, 2): ex.EX_UNAVAILABLE,
    (2, 4): ex.EX_UNAVAILABLE, (2, 3): ex.EX_DATAERR,
    (4, 0): ex.EX_IOERR, (4, 1): ex.EX_TEMPFAIL, (4, 3): ex.EX_TEMPFAIL,
    (4, 5): ex.EX_TEMPFAIL, (4, 2): ex.EX_IOERR, (4, 4): ex.EX_PROTOCOL,
    (4, 6): ex.EX_CONFIG, (4, 7): ex.EX_UNAVAILABLE,
}
_BY_CLASS = {0: ex.EX_UNAVAILABLE, 3: ex.EX_OSERR, 5: ex.EX_PROTOCOL,
             6: ex.EX_UNAVAILABLE, 7: ex.EX_DATAERR}


def _leading_int(text: str) -> int:
    digits = text[:len(text) - len(text.lstrip("0123456789"))]
    return int(digits) if digits else 0


def dsn_to_exit(code: str) -> int:
    """sendmail's dsntoexitstat: '5.1.1' -> EX_NOUSER, '4.x.x' -> EX_TEMPFAIL, ..."""
    if code.startswith("2"):
        return ex.EX_OK
    if code.startswith("4"):
        return ex.EX_TEMPFAIL
    if not code.startswith("5"):
        return ex.EX_CONFIG
    rest = code[1:]
    if rest.startswith("."):
        rest = rest[1:]
    subject = _leading_int(rest)
    dot = rest.find(".")
    detail = _leading_int(rest[dot + 1:]) if dot >= 0 else 0
    if (subject, detail) in _BY_SUBJECT:
        return _BY_SUBJECT[(subject, detail)]
    return _BY_CLASS.get(subject, ex.EX_UNAVAILABLE)


def is_enhanced(text: str) -> bool:
    """An RFC 3463 code: class 2, 4 or 5, then two numbers of at most three digits."""
    parts = text.split(".")
    return (len(parts) == 3 and parts[0] in ("2", "4", "5")
            and all(p.isdigit() and 0 < len(p) <= 3 for p in parts[1:]))


def split_reply(message: str) -> tuple[str, str]:
    """("550", "text") from "550 5.1.1 text": the reply code and the text after any
    enhanced code, as sendmail's putoutmsg shows errors outside SMTP ("", message if none)."""
    if not (message[:3].isdigit() and message[3:4] in (" ", "-")):
        return "", message
    text = message[4:]
    word, _, rest = text.partition(" ")
    return message[:3], rest if is_enhanced(word) else text
