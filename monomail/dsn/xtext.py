"""RFC 3461 xtext: how DSN parameters (ENVID, ORCPT, AUTH) carry arbitrary octets.

xtext keeps a value inside one ESMTP parameter: no spaces, no "=", nothing outside
printable US-ASCII.  Any octet may be written as "+" and two hex digits; octets
outside 33..126, "+" and "=" must be.  RFC 3461 asks for upper-case hex digits,
but sendmail's own check (xtextok) takes lower case too, so decoding is strict by
default and lenient on request (the SMTP server uses lenient to answer as sendmail).
"""

from __future__ import annotations

_HEX_UPPER = "0123456789ABCDEF"
_HEX_ANY = "0123456789ABCDEFabcdef"


class XtextError(ValueError):
    """Text that is not xtext; `position` is the index of the offending character."""

    def __init__(self, text: str, position: int, reason: str) -> None:
        super().__init__(f"bad xtext at offset {position} of {text!r}: {reason}")
        self.text = text
        self.position = position
        self.reason = reason


def _must_encode(octet: int, also: bytes) -> bool:
    return octet < 33 or octet > 126 or octet in b"+=" or octet in also


def encode(value: str | bytes, also: str = "") -> str:
    """xtext for `value` (a str is taken as UTF-8).  `also` names further characters
    to encode, as sendmail encodes "\\" and "(" in what it passes on."""
    data = value.encode("utf-8") if isinstance(value, str) else value
    extra = also.encode("ascii")
    return "".join(f"+{octet:02X}" if _must_encode(octet, extra) else chr(octet)
                   for octet in data)


def _check_hexchar(text: str, index: int, strict: bool) -> None:
    digits = text[index + 1:index + 3]
    allowed = _HEX_UPPER if strict else _HEX_ANY
    if len(digits) < 2:
        raise XtextError(text, index, '"+" needs two hex digits after it')
    if any(ch not in allowed for ch in digits):
        kind = "upper-case hex digits" if strict else "hex digits"
        raise XtextError(text, index, f'"+" must be followed by two {kind}, not {digits!r}')


def _scan(text: str, strict: bool) -> bytearray:
    """Decode `text`, raising XtextError at the first character xtext forbids."""
    out = bytearray()
    index = 0
    while index < len(text):
        ch = text[index]
        if ch == "+":
            _check_hexchar(text, index, strict)
            out.append(int(text[index + 1:index + 3], 16))
            index += 3
            continue
        code = ord(ch)
        if code < 33 or code > 126 or ch == "=":
            raise XtextError(text, index, f"character {ch!r} must be written as +XX")
        out.append(code)
        index += 1
    return out


def decode(text: str, strict: bool = True) -> bytes:
    """The octets `text` stands for.  strict=False also takes lower-case hex digits."""
    return bytes(_scan(text, strict))


def decode_text(text: str, strict: bool = True) -> str:
    """decode() read as UTF-8, for values that are addresses or identifiers."""
    data = decode(text, strict)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise XtextError(text, 0, f"decoded octet {exc.start} is not UTF-8") from None


def is_xtext(text: str, strict: bool = True) -> bool:
    """True if `text` decodes; strict=False is sendmail's xtextok."""
    try:
        _scan(text, strict)
    except XtextError:
        return False
    return True
