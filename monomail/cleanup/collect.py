"""sendmail's collect(): raw message bytes to header fields and a body.

sendmail reads a character at a time through two state machines (lines and dots;
header and body).  Their effect is reproduced here on whole buffers, which is what
keeps a 1 MB message cheap:

- CR LF becomes LF; a CR alone stays; a CR at the very end of the input is lost.
- A line holding only a dot ends the input unless IgnoreDots (`-i`) is in effect on
  the command line (SMTP always ends there).  SMTP drops the first dot of every line
  that starts with one; the command line drops it only from `..`.  A dot (or dot CR)
  that is the last thing before end of input is lost.
- The first line may be a Unix `From ` line (taken away and handed back), unless
  SaveFromLine is set.  Header fields follow, with continuation lines; the first line
  that is not a field ends the header.  A blank separator line is dropped; any other
  first body line is kept.  A field the caller says ends the header (sendmail's H_EOH:
  `Message:`, `Text:`, over-long names) starts the body without its newline, as in
  sendmail.  A field still open at end of input (no newline) is lost, as in sendmail.
- NULs are dropped from header lines and kept in the body.
- More than MaxHeadersLength octets of header (counting the first body line, which
  sendmail reads before it knows) stops header reading and discards the rest.
- In SMTP a CR or LF that is not part of a CR LF pair, before the end of the data,
  is refused as the sendmail 8.17 oracle (Debian's, with the SMTP smuggling fix)
  refuses it: `421 4.5.0 Bare linefeed (LF) not allowed`, or carriage return (CR).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from monomail.config.model import Config

_SMTP_DOT = re.compile(rb"^\.", re.MULTILINE)
_BARE = re.compile(rb"\r(?!\n)|(?<!\r)\n")
_CLI_DOTS = re.compile(rb"^\.\.", re.MULTILINE)
_STRIP_8BIT = bytes(range(128)) * 2
_SPACE = b" \t\n\r\x0b\x0c"
DEFAULT_MAX_HEADERS_LENGTH = 32 * 1024


@dataclass(frozen=True)
class CollectOptions:
    """How to read: SMTP or command line, and the options collect() obeys."""

    smtp: bool = False
    ignore_dots: bool = False  # IgnoreDots / -i / -oi; never in SMTP
    save_from: bool = False  # SaveFromLine
    seven_bit_input: bool = False  # SevenBitInput
    max_headers_length: int = DEFAULT_MAX_HEADERS_LENGTH  # 0: no limit
    max_message_size: int = 0  # 0: no limit
    bare_line_ends_ok: bool = False  # SMTP: accept a CR or LF alone (smuggling risk)
    decoded: bool = False  # SMTP data the server already read: dots undone, no final dot,
    #                        bare line ends dealt with by its srv_features

    @property
    def dots(self) -> bool:
        """Whether leading dots are transparency to undo and a lone dot ends the input."""
        return (self.smtp or not self.ignore_dots) and not self.decoded

    @classmethod
    def from_config(cls, config: Config, smtp: bool, ignore_dots: bool | None = None,
                    decoded: bool = False) -> "CollectOptions":
        """The cf's options; `ignore_dots` is the command line's -i when given."""
        opts = config.options
        dots = bool(opts.get("IgnoreDots")) if ignore_dots is None else ignore_dots
        return cls(smtp=smtp, ignore_dots=dots and not smtp, decoded=decoded,
                   save_from=bool(opts.get("SaveFromLine")),
                   seven_bit_input=bool(opts.get("SevenBitInput")),
                   max_headers_length=int_option(config, "MaxHeadersLength"),
                   max_message_size=int_option(config, "MaxMessageSize"))


def int_option(config: Config, name: str) -> int:
    """A numeric option of the cf (0 when unset)."""
    value = config.options.get(name)
    return value if isinstance(value, int) else 0


@dataclass
class Collected:
    """What collect() read."""

    body: bytes
    unix_from: str | None  # the leading `From ` line, if one was taken away
    size: int  # octets read after line-end and dot processing (sendmail's e_msgsize)
    header_count: int  # fields the header held (for check_eoh)
    header_length: int  # octets read while in the header (for check_eoh)
    has_8bit: bool
    header_8bit: bool  # 8-bit data before the body (what sendmail has seen at eatheader)
    has_nul: bool
    terminated: bool  # a lone dot ended the input
    headers_too_large: bool
    too_big: bool  # over MaxMessageSize
    bare: str | None = None  # SMTP: "CR" or "LF" alone was seen; nothing else is read


HeaderSink = Callable[[str], bool]  # takes a field's text; True when it ends the header


def end_of_input(data: bytes, dots_end: bool) -> tuple[bytes, bool]:
    """The part of (line-end normalised) input that is read, and whether a dot ended it."""
    if dots_end:
        if data.startswith(b".\n"):
            return b"", True
        cut = data.find(b"\n.\n")
        if cut >= 0:
            return data[:cut + 1], True
    if data.endswith(b"\r"):
        data = data[:-1]
    last = data.rfind(b"\n") + 1
    if data[last:] == b".":
        data = data[:last]
    return data, False


def collect(data: bytes, opts: CollectOptions, on_header: HeaderSink) -> Collected:
    """Read one message; each header field is handed to `on_header` as it is found."""
    if opts.smtp and not opts.bare_line_ends_ok and not opts.decoded:
        bare = bare_line_end(data)
        if bare is not None:
            return Collected(b"", None, 0, 0, 0, False, False, False, False, False, False,
                             bare=bare)
    if opts.seven_bit_input:
        data = data.translate(_STRIP_8BIT)
    text, terminated = end_of_input(data.replace(b"\r\n", b"\n"), opts.dots)
    reader = _HeaderReader(text, opts, on_header)
    first_body_line = reader.run()
    rest = text[reader.pos:]
    if not opts.dots:
        pass
    elif opts.smtp:
        rest = _SMTP_DOT.sub(b"", rest) if b"\n." in rest or rest[:1] == b"." else rest
    elif b"\n.." in rest or rest[:2] == b"..":
        rest = _CLI_DOTS.sub(b".", rest)
    body = b"" if reader.too_large else first_body_line + rest
    size = reader.size + len(rest)
    limit = opts.max_message_size
    return Collected(
        body=body, unix_from=reader.unix_from, size=size,
        header_count=reader.count, header_length=reader.length,
        has_8bit=not text.isascii(), header_8bit=reader.eight_bit,
        has_nul=b"\0" in text, terminated=terminated,
        headers_too_large=reader.too_large, too_big=limit > 0 and size > limit)


def bare_line_end(data: bytes) -> str | None:
    """"CR" or "LF" when one stands alone before the CR LF . CR LF that ends SMTP data."""
    found = _BARE.search(data)
    if found is None:
        return None
    end = 0 if data.startswith(b".\r\n") else data.find(b"\r\n.\r\n")
    if 0 <= end < found.start():
        return None
    return "CR" if found.group() == b"\r" else "LF"


def isheader(line: bytes) -> bool:
    """sendmail's isheader: a name of octets 0x21-0x7f up to ':', blanks allowed before
    the colon; names starting with `--` are refused so MIME boundaries stay body."""
    if line.startswith(b"--"):
        return False
    end = 0
    while end < len(line) and 0x20 < line[end] < 0x80 and line[end] != 0x3A:
        end += 1
    if end == 0:
        return False
    while end < len(line) and line[end] in _SPACE:
        end += 1
    return end < len(line) and line[end] == 0x3A


class _HeaderReader:
    """The header half of collect's message state machine, line by line."""

    def __init__(self, text: bytes, opts: CollectOptions, on_header: HeaderSink) -> None:
        self.text, self.opts, self.on_header = text, opts, on_header
        self.pos = 0  # where unread input starts
        self.size = 0  # octets read so far (NULs included)
        self.length = 0  # header octets (NULs excluded), sendmail's hdrslen
        self.count = 0
        self.unix_from: str | None = None
        self.too_large = False
        self.eight_bit = False

    def next_line(self) -> bytes | None:
        """The next line (with its newline), dots already handled; None at the end."""
        text, pos = self.text, self.pos
        if pos >= len(text):
            return None
        end = text.find(b"\n", pos)
        end = len(text) if end < 0 else end + 1
        line = text[pos:end]
        self.pos = end
        if line[:1] == b"." and self.opts.dots and (self.opts.smtp or line[:2] == b".."):
            line = line[1:]
        self.size += len(line)
        return line

    def run(self) -> bytes:
        """Read fields until the header ends; returns the first body line (or b"")."""
        buf = b""
        ufrom = not self.opts.save_from
        while True:
            line = self.next_line()
            if line is None:
                return b""
            self.eight_bit = self.eight_bit or not line.isascii()
            line = line.replace(b"\0", b"")
            self.length += len(line)
            limit = self.opts.max_headers_length
            if limit > 0 and self.length > limit:
                self.too_large = True
                self.eight_bit = not self.text.isascii()
                self.size += len(self.text) - self.pos
                self.pos = len(self.text)
                return b""
            if not line.endswith(b"\n"):
                return b""  # sendmail looks at a header line only once it has ended
            buf += line
            if ufrom:
                ufrom = False
                if buf.startswith(b"From "):
                    self.unix_from = buf.rstrip(b"\n").decode("latin-1")
                    buf = b""
                    continue
            if not isheader(buf):
                return b"" if buf == b"\n" else buf
            if self.text[self.pos:self.pos + 1] in (b" ", b"\t"):
                continue
            buf = _trim_line_end(buf)
            if self.on_header(buf.decode("latin-1")):
                return buf
            self.count += 1
            buf = b""


def _trim_line_end(buf: bytes) -> bytes:
    if buf.endswith(b"\r\n"):
        return buf[:-2]
    return buf[:-1] if buf.endswith(b"\n") else buf
