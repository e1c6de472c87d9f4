"""The stored form of a cleaned-up message (what the queue keeps as opaque octets).

    monomail-message 1
    flags resent,delete-bcc,oldstyle,8bit,mime,dont-mime      (or -)
    body-type 8BITMIME                                        (or -)
    hops 2
    class 0
    timeout normal
    size 1234
    msgid 30
    <30 octets>
    errors-to 12                                              (repeatable)
    <12 octets>
    field 40010 P ? Return-Path 6                             (repeatable, in order)
    < <$g>>
    end 9f3c22a1
    body 5 3610a686
    body
    <5 octets, then nothing>

A `field` line gives the field's flags (hex, rewrite.headers' H_* bits), its `?flags?`
letters and its `?${macro}?` name (`?` for none), its name and the length of its
value, which follows on its own (internal form: defaults keep their macros, user
text keeps its METAQUOTEs).  Free text is always length-prefixed, so no value can
forge a line.  `end` is the CRC-32 of everything before it; `body` gives the body's
length and CRC-32.

`decode` accepts exactly this and raises `StoredMessageError` for anything else: an
unknown or repeated key, a missing `end` or wrong checksum, a flag bit or name it
does not know, a field name sendmail would not accept, a value with a NUL or with a
line break not followed by a blank (which would start a new field on output), a
length past the end of the data, too much data (over 64 MiB of body, 4 MiB of
header, 10,000 fields), or octets after the body."""

from __future__ import annotations

import re
import zlib

from monomail.config.headerinfo import (H_ACHECK, H_BCC, H_BINDLATE, H_CHECK, H_CTE,
                                        H_CTYPE, H_DEFAULT, H_ENCODABLE, H_EOH, H_ERRORSTO,
                                        H_FORCE, H_FROM, H_RCPT, H_RECEIPTTO, H_RESENT,
                                        H_STRIPCOMM, H_TRACE, H_USER, MAX_FIELD_NAME)
from monomail.rewrite.headers import HeaderField

from .message import BODY_TYPES, TIMEOUT_CLASSES, Message

MAGIC = b"monomail-message 1\n"
KNOWN_FLAGS = (H_EOH | H_RCPT | H_DEFAULT | H_RESENT | H_CHECK | H_ACHECK | H_FORCE | H_TRACE
               | H_FROM | H_RECEIPTTO | H_ERRORSTO | H_CTE | H_CTYPE | H_BCC | H_ENCODABLE
               | H_STRIPCOMM | H_BINDLATE | H_USER)
ENVELOPE_FLAGS = ("resent", "delete-bcc", "oldstyle", "8bit", "mime", "dont-mime")
MAX_BODY = 64 << 20
MAX_HEADER = 4 << 20
MAX_FIELDS = 10_000
MAX_NUMBER = 1 << 62
_NUMBER = re.compile(rb"0|[1-9][0-9]{0,18}")
_HEX = re.compile(rb"0|[1-9a-f][0-9a-f]{0,7}")
_NAME = re.compile(rb"[!-9;-~]{1,%d}" % MAX_FIELD_NAME)
_MFLAGS = re.compile(rb"[!-~]{1,128}")
_MACRO = re.compile(rb"[!-~]|[A-Za-z0-9_]{2,25}")
_BAD_BREAK = re.compile(rb"\n(?![ \t])")


class StoredMessageError(ValueError):
    """The stored form is damaged or forged; `offset` is where reading stopped."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"stored message, offset {offset}: {reason}")
        self.offset, self.reason = offset, reason


def encode(message: Message) -> bytes:
    """The stored form; refuses (StoredMessageError) what decode would refuse."""
    out = [MAGIC]
    flags = [name for name, on in zip(ENVELOPE_FLAGS, (
        message.resent, message.delete_bcc, message.oldstyle, message.has_8bit,
        message.is_mime, message.dont_mime)) if on]
    out.append(b"flags %s\n" % (",".join(flags) or "-").encode())
    out.append(b"body-type %s\n" % (message.body_type or "-").encode())
    for key, number in (("hops", message.hop_count), ("class", message.priority_class),
                        ("size", message.size)):
        out.append(b"%s %s\n" % (key.encode(), _signed(number)))
    out.append(b"timeout %s\n" % message.timeout_class.encode())
    if message.msgid is not None:
        out.append(_text(b"msgid", message.msgid))
    for target in message.errors_to:
        out.append(_text(b"errors-to", target))
    for h in message.fields:
        if h.value is not None:
            head = b"field %x %s %s %s" % (h.flags, (h.mflags or "?").encode("latin-1"),
                                           (h.macro or "?").encode("latin-1"),
                                           h.name.encode("latin-1"))
            out.append(_text(head, h.value))
    header = b"".join(out)
    header += b"end %08x\n" % zlib.crc32(header)
    data = header + b"body %d %08x\n" % (len(message.body), zlib.crc32(message.body))
    data += message.body
    decode(data)  # the same checks as reading back, so nothing unreadable is stored
    return data


def _signed(number: int) -> bytes:
    return (b"-%d" % -number) if number < 0 else b"%d" % number


def _text(head: bytes, value: str) -> bytes:
    raw = value.encode("latin-1")
    return b"%s %d\n%s\n" % (head, len(raw), raw)


class _Reader:
    """A cursor over the stored octets that fails with the offset it stopped at."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def fail(self, reason: str) -> StoredMessageError:
        return StoredMessageError(self.pos, reason)

    def line(self) -> bytes:
        end = self.data.find(b"\n", self.pos, self.pos + 1024)
        if end < 0:
            raise self.fail("line missing or over 1024 octets")
        line = self.data[self.pos:end]
        self.pos = end + 1
        return line

    def payload(self, length: int) -> bytes:
        end = self.pos + length
        if end + 1 > len(self.data) or self.data[end:end + 1] != b"\n":
            raise self.fail("value runs past the data or lacks its newline")
        value = self.data[self.pos:end]
        self.pos = end + 1
        return value


def decode(data: bytes) -> Message:
    """Read a stored message back, checking everything (see the module docstring)."""
    r = _Reader(data)
    if not data.startswith(MAGIC):
        raise r.fail("not a stored message (version line)")
    r.pos = len(MAGIC)
    message = Message([], b"")
    seen: set[bytes] = set()
    while True:
        start = r.pos
        key, _, rest = r.line().partition(b" ")
        if key == b"end":
            _check_end(r, data[:start], rest)
            break
        if key not in (b"field", b"errors-to") and key in seen:
            raise r.fail(f"repeated key {key!r}")
        seen.add(key)
        _record(r, message, key, rest)
        if r.pos > MAX_HEADER:
            raise r.fail("header over 4 MiB")
    missing = {b"flags", b"body-type", b"hops", b"class", b"size", b"timeout"} - seen
    if missing:
        raise r.fail(f"missing {b', '.join(sorted(missing)).decode()}")
    message.body = _body(r)
    return message


def _check_end(r: _Reader, before: bytes, rest: bytes) -> None:
    if rest != b"%08x" % zlib.crc32(before):
        raise r.fail("header checksum mismatch (damaged or edited)")


def _body(r: _Reader) -> bytes:
    parts = r.line().split(b" ")
    if len(parts) != 3 or parts[0] != b"body" or not _NUMBER.fullmatch(parts[1]):
        raise r.fail("body line expected")
    length = int(parts[1])
    body = r.data[r.pos:]
    if length > MAX_BODY or len(body) != length:
        raise r.fail(f"body length {len(body)} is not the {length} recorded")
    if parts[2] != b"%08x" % zlib.crc32(body):
        raise r.fail("body checksum mismatch (damaged or edited)")
    return body


def _record(r: _Reader, message: Message, key: bytes, rest: bytes) -> None:  # noqa: C901
    if key == b"flags":
        names = [] if rest == b"-" else rest.decode("latin-1").split(",")
        if any(n not in ENVELOPE_FLAGS for n in names) or len(set(names)) != len(names):
            raise r.fail(f"unknown envelope flag in {rest!r}")
        (message.resent, message.delete_bcc, message.oldstyle, message.has_8bit,
         message.is_mime, message.dont_mime) = (n in names for n in ENVELOPE_FLAGS)
    elif key == b"body-type":
        if rest != b"-" and rest.decode("latin-1") not in BODY_TYPES:
            raise r.fail(f"unknown body type {rest!r}")
        message.body_type = None if rest == b"-" else rest.decode()
    elif key in (b"hops", b"class", b"size"):
        number = _number(r, rest, signed=key == b"class")
        setattr(message, {b"hops": "hop_count", b"class": "priority_class",
                          b"size": "size"}[key], number)
    elif key == b"timeout":
        if rest.decode("latin-1") not in TIMEOUT_CLASSES:
            raise r.fail(f"unknown timeout class {rest!r}")
        message.timeout_class = rest.decode()
    elif key == b"msgid":
        message.msgid = _value(r, rest)
    elif key == b"errors-to":
        message.errors_to.append(_value(r, rest))
    elif key == b"field":
        message.fields.append(_field(r, rest))
        if len(message.fields) > MAX_FIELDS:
            raise r.fail(f"more than {MAX_FIELDS} fields")
    else:
        raise r.fail(f"unknown key {key!r}")


def _number(r: _Reader, text: bytes, signed: bool = False) -> int:
    negative = signed and text.startswith(b"-") and text != b"-0"
    digits = text[1:] if negative else text
    if not _NUMBER.fullmatch(digits) or int(digits) > MAX_NUMBER:
        raise r.fail(f"bad number {text!r}")
    return -int(digits) if negative else int(digits)


def _value(r: _Reader, length: bytes) -> str:
    raw = r.payload(_number(r, length))
    if b"\0" in raw or _BAD_BREAK.search(raw) or raw.endswith(b"\n"):
        raise r.fail("value holds a NUL or a line break that would start a new line")
    return raw.decode("latin-1")


def _field(r: _Reader, rest: bytes) -> HeaderField:
    parts = rest.split(b" ")
    if len(parts) != 5:
        raise r.fail("field line: flags, conditions, macro, name and length expected")
    flags, mflags, macro, name, length = parts
    if not _HEX.fullmatch(flags) or int(flags, 16) & ~KNOWN_FLAGS:
        raise r.fail(f"unknown field flags {flags!r}")
    if mflags != b"?" and (not _MFLAGS.fullmatch(mflags) or b"?" in mflags):
        raise r.fail(f"bad field conditions {mflags!r}")
    if macro != b"?" and not _MACRO.fullmatch(macro):
        raise r.fail(f"bad condition macro {macro!r}")
    if not _NAME.fullmatch(name):
        raise r.fail(f"bad field name {name!r}")
    return HeaderField(name.decode(), _value(r, length), int(flags, 16),
                       "" if mflags == b"?" else mflags.decode(),
                       None if macro == b"?" else macro.decode())
