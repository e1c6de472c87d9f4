"""What recipient processing says, formatted as sendmail's err.c formats it.

Each line is a full reply ("550 5.1.1 bob... User unknown") for the SMTP server,
and its text after the codes is what `-bv` prints.  Like sendmail's fmtmsg, the
text starts with "FILE: line N: " while an :include: or .forward file is being
read, then "ADDRESS... " for codes 050, 250, 252, 450, 550 and 553.  Notices (050)
are shown only when verbose; user errors count towards sendmail's Errors and, with
quick_abort (an SMTP command), stop processing at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from monomail.clib import MAXSHORTSTR, shortenstring
from monomail.dsn.status import is_enhanced

CODES_WITH_ADDRESS = ("050", "250", "252", "450", "550", "553")
FILENAME_WIDTH = 83


class QuickAbort(Exception):
    """A user error ended an SMTP command (sendmail's QuickAbort): `reply` says why."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


@dataclass(frozen=True)
class Notice:
    """One line: the full reply and the part after the codes (what a terminal shows)."""

    reply: str
    text: str

    @property
    def code(self) -> str:
        return self.reply[:3]


def _smtp_code(text: str) -> bool:
    return len(text) >= 4 and text[:3].isdigit() and text[3] in " -"


def fmtmsg(fmt: str, to: str | None, num: str, enhsc: str | None,
           filename: str | None = None, lineno: int = 0) -> Notice:
    """sendmail's fmtmsg: a reply code (the text's own, else num), an enhanced code
    (the text's own, else enhsc), the file/line and address prefixes, the text."""
    if _smtp_code(fmt):
        num, fmt = fmt[:3], fmt[4:]
    head = num[:3] + ("-" if num[3:4] == "-" else " ")
    word = fmt.split(" ", 1)[0]
    if " " in fmt and is_enhanced(word):
        head += word + " "
        fmt = fmt[len(word) + 1:]
    elif enhsc and is_enhanced(enhsc):
        head += enhsc + " "
    text = ""
    if filename is not None:
        text += f"{shortenstring(filename, FILENAME_WIDTH)}: line {lineno}: "
    if to and num[:3] in CODES_WITH_ADDRESS:
        text += _ascii7(shortenstring(to, MAXSHORTSTR)) + "... "
    text += _ascii7(fmt)
    return Notice(head + text, text)


def _ascii7(text: str) -> str:
    return text if text.isascii() else "".join(chr(ord(c) & 0x7F) for c in text)


def default_enhanced(reply: str) -> str | None:
    """The enhanced code usrerr adds to a reply that has none (by its first digit)."""
    return {"5": "5.0.0", "6": "5.0.0", "4": "4.0.0", "8": "4.0.0", "2": "2.0.0"}.get(reply[:1])


@dataclass
class Notices:
    """The running transcript of one expansion, and sendmail's error bookkeeping.

    sink: where shown lines go (the terminal for -bv), None to only record.
    to: sendmail's e_to, the address the current messages are about.
    """

    sink: Callable[[str], None] | None = None
    verbose: int = 0
    quick_abort: bool = False
    suppress: bool = False          # sendmail's SuprErrs
    errors: int = 0                 # sendmail's Errors
    to: str | None = None
    filename: str | None = None
    lineno: int = 0
    last_error: str | None = None   # sendmail's e_message (the text after the codes)
    said: list[Notice] = field(default_factory=list)

    def _format(self, fmt: str, num: str, enhsc: str | None, to: str | None) -> Notice:
        return fmtmsg(fmt, to, num, enhsc, self.filename, self.lineno)

    def _show(self, notice: Notice) -> None:
        self.said.append(notice)
        if notice.reply[:1] == "0" and not self.verbose:
            return
        if self.sink is not None:
            self.sink(notice.text)

    def message(self, text: str) -> None:
        """message(): a 050 notice about the current address, shown when verbose."""
        self._show(self._format(text, "050", None, self.to))

    def usrerr(self, fmt: str, enhsc: str | None = None, to: str | None = None) -> None:
        """usrerr()/usrerrenh(): a user error, counted, shown unless errors are suppressed."""
        notice = self._format(fmt, "550", enhsc or default_enhanced(fmt),
                              self.to if to is None else to)
        if self.suppress:
            return
        if notice.reply[:1] in "4568":
            self.last_error = notice.text
        self._show(notice)
        self.errors += 1
        if self.quick_abort:
            raise QuickAbort(notice.reply)

    def syserr(self, text: str) -> None:
        """syserr(): a configuration or system error, always shown and counted."""
        notice = self._format(text, "554", "5.0.0", None)
        self.last_error = notice.text
        self._show(notice)
        self.errors += 1

    def line(self, text: str) -> None:
        """Text already formatted elsewhere (the rewrite engine's own messages)."""
        self._show(Notice(text, text))
