"""SMTP reply lines as sendmail words them (err.c's fmtmsg).

Monitoring scripts and acceptance suites match sendmail's replies, so the rules are
sendmail's: a text may start with its own reply code (else the caller's default);
an enhanced status code in the text is kept, else usrerr() supplies 5.0.0, 4.0.0 or
2.0.0 from the first digit while message() adds none; the address being worked on
("<a@b>... ") is put in front of 050, 250, 252, 450, 550 and 553 replies only; every
character is cut to seven bits.  SoftBounce turns a 5 into a 4 in both codes.
"""

from __future__ import annotations

from monomail.clib import MAXSHORTSTR, shortenstring
from monomail.dsn.status import is_enhanced

CODES_WITH_ADDRESS = ("050", "250", "252", "450", "550", "553")
_USRERR_DEFAULTS = {"5": "5.0.0", "6": "5.0.0", "4": "4.0.0", "8": "4.0.0", "2": "2.0.0"}


def has_code(text: str) -> bool:
    """sendmail's ISSMTPCODE: three ASCII digits."""
    return len(text) >= 3 and all("0" <= ch <= "9" for ch in text[:3])


def is_reply(text: str) -> bool:
    """sendmail's ISSMTPREPLY: a code followed by a blank, a dash or nothing."""
    return has_code(text) and text[3:4] in (" ", "-", "")


def enhanced_prefix(text: str) -> str:
    """The enhanced status code at the start of `text` if a blank follows it, else ""."""
    word, blank, _ = text.partition(" ")
    return word if blank and is_enhanced(word) else ""


_SEVEN_BIT = {code: code & 0x7F for code in range(0x80, 0x100)}


def _seven_bit(text: str) -> str:
    return text if text.isascii() else text.translate(_SEVEN_BIT)


def format_reply(text: str, to: str | None = None, default_code: str = "050",
                 default_enhanced: str | None = None, soft_bounce: bool = False) -> str:
    """One reply line without CRLF: fmtmsg with the given defaults."""
    if to is None and not soft_bounce and not default_enhanced and is_reply(text) \
            and len(text) > 4 and text.isascii():
        return text             # already what fmtmsg would make of it (the usual case)
    code = default_code
    if has_code(text):
        code, text = text[:4], text[4:]
    delimiter = "-" if code[3:4] == "-" else " "
    code = code[:3]
    enhanced = enhanced_prefix(text)
    if enhanced:
        text = text[len(enhanced) + 1:]
    elif default_enhanced:
        enhanced = default_enhanced
    if soft_bounce and code[0] == "5":
        code = "4" + code[1:]
        if enhanced[:1] == "5":
            enhanced = "4" + enhanced[1:]
    shown_to = ""
    if to and code in CODES_WITH_ADDRESS:
        shown_to = shortenstring(to, MAXSHORTSTR) + "... "
    head = f"{code}{delimiter}{enhanced} " if enhanced else f"{code}{delimiter}"
    return head + _seven_bit(shown_to + text)


def usrerr(text: str, to: str | None = None, soft_bounce: bool = False) -> str:
    """A user error: 550 if no code; an enhanced code by class if none given."""
    first = text[0] if has_code(text) else "5"
    return format_reply(text, to, "550", _USRERR_DEFAULTS.get(first), soft_bounce)


def message(text: str, to: str | None = None, soft_bounce: bool = False) -> str:
    """An informational reply (sendmail's message()): no enhanced code is invented."""
    return format_reply(text, to, "050", None, soft_bounce)


def reply_code(line: str) -> int:
    """The numeric code of a formatted reply line."""
    return int(line[:3])
