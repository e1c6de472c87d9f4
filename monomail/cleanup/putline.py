"""sendmail's putxline: one logical line onto a mailer's input, with the mailer's line
end, its L= limit (over-long lines are split with `!` and continued after a blank),
`>From ` for F=E, 7-bit stripping and METAQUOTE removal.  Hidden dots (F=X) are the
SMTP transport's job: it doubles every leading dot of what this produces."""

from __future__ import annotations

from dataclasses import dataclass, field

from monomail.config.model import Mailer
from monomail.rewrite.tokens import METAQUOTE

PXLF_MAPFROM = 0x0001  # map From_ to >From_ (mailers with F=E)
PXLF_STRIP8BIT = 0x0002
PXLF_HEADER = 0x0004  # a bare newline in a header is continued with a blank
PXLF_NOADDEOL = 0x0008  # no line end unless the text has one
PXLF_STRIPMQUOTE = 0x0010
_SEVEN_BIT = bytes(range(128)) * 2


@dataclass
class MailerOutput:
    """Text going to one mailer (sendmail's MCI output side)."""

    mailer: Mailer
    seven_bit: bool = False  # MCIF_7BIT: every octet loses its high bit
    long_line: bool = False  # MCIF_INLONGLINE: the last piece had no line end
    parts: list[str] = field(default_factory=list)

    def data(self) -> bytes:
        return "".join(self.parts).encode("latin-1")

    def putline(self, text: str) -> None:
        self.putxline(text, PXLF_MAPFROM)

    def putxline(self, text: str, flags: int) -> None:
        m, out = self.mailer, self.parts
        strip8 = self.seven_bit or bool(flags & PXLF_STRIP8BIT)
        limit, eol = m.linelimit, m.eol
        escape_from = bool(flags & PXLF_MAPFROM) and m.has("E")
        pos, end, slop = 0, len(text), 0
        while True:
            nl = text.find("\n", pos)
            noeol = nl < 0
            stop = end if noeol else nl
            while limit > 0 and stop - pos + slop > limit:
                cut = pos + limit - slop - 1
                if escape_from and slop == 0 and text.startswith("From ", pos):
                    out.append(">")
                out.append(_clean(text[pos:cut], flags, strip8))
                out.append("!" + eol + " ")
                pos, slop = cut, 1
            if (escape_from and slop == 0 and not self.long_line
                    and text.startswith("From ", pos)):
                out.append(">")
            out.append(_clean(text[pos:stop], flags, strip8))
            pos = stop
            if not flags & PXLF_NOADDEOL or not noeol:
                self.long_line = False
                out.append(eol)
            else:
                self.long_line = True
            if pos < end and text[pos] == "\n":
                pos += 1
                if pos < end and text[pos] not in " \t" and flags & PXLF_HEADER:
                    out.append(" ")
            if pos >= end:
                return


def _clean(piece: str, flags: int, strip8: bool) -> str:
    """PUTX: drop unquoted METAQUOTEs (when asked) and the high bits (when asked)."""
    if flags & PXLF_STRIPMQUOTE and METAQUOTE in piece:
        kept: list[str] = []
        quoted = False
        for ch in piece:
            if ch == METAQUOTE and not quoted:
                quoted = True
                continue
            quoted = False
            kept.append(ch)
        piece = "".join(kept)
    if strip8 and not piece.isascii():
        piece = piece.encode("latin-1").translate(_SEVEN_BIT).decode("latin-1")
    return piece
