"""Bytes to SMTP command lines and message data, with no sockets involved.

Commands are read as sendmail reads them: a line ends at LF, a CR before it is
dropped, and a line longer than MAXLINE octets (terminator included) is an attack
that closes the session, as sendmail built with SASL says it.

Message data is where SMTP smuggling happens (CVE-2023-51765 and friends), so the
reader is strict: only CR LF . CR LF ends the data.  A bare LF, a bare CR, "<LF>.<LF>",
"<CR>.<CR>" and "<CR><LF>.<LF>" never end it and never split it into two messages.
What happens to a bare LF or CR is the mode of sendmail 8.18's srv_features letters
(g/G and u/U): REJECT (8.18's default: the session is dropped with 421 at once),
NORMALIZE (g2/u2: replaced by a blank) or ACCEPT (kept as it is).  Data is buffered
in bulk and searched with bytes methods, never handled a character at a time.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

MAXLINE = 2048          # sendmail's limit on a command line, CR LF included
END_OF_DATA = b"\r\n.\r\n"
_BARE_LF = re.compile(rb"(?<!\r)\n")
_BARE_CR = re.compile(rb"\r(?!\n)")


class Bare(enum.Enum):
    """What to do with a bare LF or CR inside message data."""

    REJECT = "reject"
    NORMALIZE = "normalize"
    ACCEPT = "accept"


class LineTooLong(Exception):
    """A command line longer than MAXLINE: sendmail closes the session (421)."""


def take_line(buffer: bytearray, limit: int = MAXLINE) -> str | None:
    """Remove one command line from `buffer` and return it without its terminator
    (latin-1, so every octet survives); None if no complete line is there yet."""
    end = buffer.find(b"\n")
    if end < 0:
        if len(buffer) > limit:
            raise LineTooLong(len(buffer))
        return None
    if end + 1 > limit:
        raise LineTooLong(end + 1)
    stop = end - 1 if end > 0 and buffer[end - 1] == 0x0D else end
    line = bytes(buffer[:stop]).decode("latin-1")
    del buffer[:end + 1]
    return line


@dataclass
class DataResult:
    """A complete message as received between 354 and the final dot."""

    data: bytes              # dot-unstuffing undone, CR LF line ends, final dot removed
    size: int                # sendmail's e_msgsize: CR LF counts as one octet
    too_big: bool            # over MaxMessageSize: the text was not kept
    has_nul: bool
    has_8bit: bool
    normalized: int          # bare LF/CR replaced by blanks (NORMALIZE)


class BareLineEnd(Exception):
    """A bare LF or CR in REJECT mode; `reply` is sendmail 8.18's 421 text."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


BARE_LF_REPLY = "421 4.5.0 Bare linefeed (LF) not allowed"
BARE_CR_REPLY = "421 4.5.0 Bare carriage return (CR) not allowed"


class DataReader:
    """Collects message data from successive chunks until CR LF . CR LF.

    `feed` returns the bytes that came after the end of the data (pipelined
    commands), or None while the data goes on.  With a size limit the text beyond
    it is dropped as it arrives (only the end marker is still looked for), so an
    oversized message costs no memory; sendmail answers 552 after the final dot."""

    def __init__(self, max_size: int = 0, bare_lf: Bare = Bare.REJECT,
                 bare_cr: Bare = Bare.REJECT) -> None:
        self.max_size = max_size
        self.bare_lf = bare_lf
        self.bare_cr = bare_cr
        self._buf = bytearray(b"\r\n")   # as if the DATA line's CR LF came before it
        self._checked = 2                # bytes of _buf already checked for bare CR/LF
        self._dropped = 0                # bytes dropped for size (counted, not kept)
        self._dropped_lines = 0
        self._nul = False
        self._8bit = False
        self.result: DataResult | None = None

    def feed(self, chunk: bytes) -> bytes | None:
        start = max(0, len(self._buf) - 4)
        self._buf += chunk
        end = self._buf.find(END_OF_DATA, start)
        stop = len(self._buf) if end < 0 else end + 2
        self._check(stop)
        if end < 0:
            self._trim()
            return None
        rest = bytes(self._buf[end + 5:])
        del self._buf[end + 2:]
        self.result = self._finish()
        return rest

    def _check(self, stop: int) -> None:
        """Look for bare CR/LF in the bytes not yet checked; a CR at the very end may
        still be followed by its LF, so it waits for the next chunk."""
        if stop > self._checked and self._buf[stop - 1] == 0x0D and stop == len(self._buf):
            stop -= 1
        if stop <= self._checked:
            return
        region = bytes(self._buf[self._checked - 1:stop])   # one byte back for "\r\n"
        if self.bare_lf is Bare.REJECT and _BARE_LF.search(region, 1):
            raise BareLineEnd(BARE_LF_REPLY)
        if self.bare_cr is Bare.REJECT and _BARE_CR.search(region):
            raise BareLineEnd(BARE_CR_REPLY)
        self._checked = stop

    def _trim(self) -> None:
        """Over the size limit: keep only a tail long enough to find the end marker."""
        if not self.max_size or len(self._buf) - 2 <= self.max_size + 4:
            return
        self._note_flags(self._buf)
        keep = len(self._buf) - 4
        dropped = self._buf[2:keep]
        self._dropped += len(dropped)
        self._dropped_lines += dropped.count(b"\r\n")
        self._checked = max(2, self._checked - (keep - 2))
        del self._buf[2:keep]
        self._buf[0:2] = b"\0\0"   # no longer the start of a line: ".\r\n" here is no end

    def _note_flags(self, data: bytes | bytearray) -> None:
        self._nul = self._nul or b"\0" in data
        self._8bit = self._8bit or not data.isascii()

    def _finish(self) -> DataResult:
        raw = bytes(self._buf)
        normalized = 0
        if self.bare_lf is Bare.NORMALIZE:
            raw, count = _BARE_LF.subn(b" ", raw)
            normalized += count
        if self.bare_cr is Bare.NORMALIZE:
            raw, count = _BARE_CR.subn(b" ", raw)
            normalized += count
        data = raw.replace(b"\r\n.", b"\r\n")[2:]
        self._note_flags(data)
        crlf = data.count(b"\r\n") + self._dropped_lines
        size = len(data) + self._dropped - crlf
        too_big = bool(self.max_size) and (self._dropped > 0 or size > self.max_size)
        return DataResult(b"" if too_big else data, size, too_big, self._nul, self._8bit,
                          normalized)


def is_header_line(line: bytes) -> bool:
    """sendmail's isheader: a name of printable non-blank octets, blanks, a colon."""
    if line.startswith(b"--"):
        return False
    end = 0
    while end < len(line) and line[end] > 0x20 and line[end] != 0x3A:
        end += 1
    if end == 0:
        return False
    rest = line[end:].lstrip(b" \t\n\v\f\r")
    return rest.startswith(b":")


def header_stats(data: bytes) -> tuple[int, int]:
    """(number of header fields, octets of the header) as collect() counts them for
    check_eoh and MaxHeadersLength: lines with LF ends, NULs not counted, up to and
    including the line that ends the header (the blank line or the first non-header)."""
    count = length = 0
    pos = 0
    first = True
    while pos < len(data):
        nl = data.find(b"\n", pos)
        end = len(data) if nl < 0 else nl + 1
        line = data[pos:end]
        text = line[:-2] + b"\n" if line.endswith(b"\r\n") else line
        length += len(text) - text.count(b"\0")
        pos = end
        if first and line.startswith(b"From "):
            first = False
            continue
        first = False
        if line[:1] in (b" ", b"\t") and count:
            continue
        if not is_header_line(text):
            break
        count += 1
    return count, length
