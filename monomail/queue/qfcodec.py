"""The control file (qf) of a queued message: values, encoding, strict decoding.

Pure code, no I/O: the store reads and writes the bytes.  A control file read back from
disk is untrusted input (a crash may truncate it, a local user or a bug may corrupt it),
so decoding accepts exactly one format and raises QueueFileError naming the line for
anything else; nothing in a file is evaluated.  The format is described in docs/queue.md.
"""

from __future__ import annotations

import enum
import re
import zlib
from dataclasses import dataclass
from typing import Callable

from monomail.dsn import xtext

FORMAT_VERSION = "2"
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_LINE_BYTES = 2048
MAX_RECIPIENTS = 10000
MAX_MACROS = 64
MAX_ADDRESS = 512           # RFC 5321 allows 256 octets for a path; leave room for SMTPUTF8
MAX_ENVID = 100             # RFC 3461 section 4.4
MAX_ORCPT = 500             # RFC 3461 section 4.2
MAX_MACRO_VALUE = 1024
MAX_REASON = 1024          # the last delivery status text (sendmail's qf M line)
MAX_NUMBER = 2 ** 63 - 1

BODY_TYPES = ("7BIT", "8BITMIME", "BINARYMIME")
RET_VALUES = ("FULL", "HDRS")
NOTIFY_VALUES = ("SUCCESS", "FAILURE", "DELAY")
ORIGINS = ("report", "postmaster-report")   # what a queued delivery report is (sendmail's qf flag r)
CONTROLLER_FLAGS = ("alias", "primary", "xtext")
NONE = "-"                  # the written form of an absent optional value

QID_RE = re.compile(r"[0-9A-Za-x]{8}[0-9]{6}\Z")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_XTEXT_RE = re.compile(r"[\x21-\x7e]+\Z")
_MACRO_NAME_RE = re.compile(r"(?:[A-Za-z]|\{[A-Za-z0-9_]{1,32}\})\Z")
_STATUS_RE = re.compile(r"[245]\.[0-9]{1,3}\.[0-9]{1,3}\Z")
_NUMBER_RE = re.compile(r"(?:0|[1-9][0-9]{0,18})\Z")
_LOGIN_RE = re.compile(r"[^\s<>:,]{1,256}\Z")


class QueueFileError(ValueError):
    """A control file (or a value about to be written to one) breaks the format.

    `line` is the 1-based line number in the file (0: the file as a whole), so the
    quarantine log line can say where the damage is."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


class RecipientState(str, enum.Enum):
    """Where delivery to one recipient stands; only PENDING and DEFERRED are retried."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    DEFERRED = "deferred"


@dataclass(frozen=True, slots=True)
class Controller:
    """The controlling address of a recipient that alias, .forward or :include: expansion
    found (sendmail's ctladdr, its qf C line): the address it came from, the uid and gid
    its deliveries run as, the login name for their groups (None for an alias, which runs
    as DefaultUser), whether it came from an alias file (a set-user-ID file may then
    choose its own writer), and whether the recipient stands for one the sender gave
    (sendmail's QPRIMARY: a single result of expanding it)."""

    address: str
    uid: int
    gid: int
    user: str | None = None
    alias: bool = False
    primary: bool = False


@dataclass(frozen=True, slots=True)
class Recipient:
    """One envelope recipient with its own DSN request and delivery outcome.

    `ctladdr` is set for a recipient found by expansion: a retry processes it again with
    that controlling address rather than expanding the original list twice."""

    address: str
    state: RecipientState = RecipientState.PENDING
    notify: tuple[str, ...] = ()      # () = NOTIFY not given; ("NEVER",) or a subset of NOTIFY_VALUES
    orcpt: str | None = None          # "rfc822;user@example.com" as received (xtext)
    status: str | None = None         # last DSN status code, e.g. "4.4.1"
    ctladdr: Controller | None = None

    @property
    def primary(self) -> bool:
        """Given by the sender, rather than found by expanding what the sender gave."""
        return self.ctladdr is None or self.ctladdr.primary


@dataclass(frozen=True, slots=True)
class Envelope:
    """What a submission hands the queue: the SMTP envelope and what delivery needs later.

    `header_size` says how many bytes at the start of the data are the stored header block:
    mailq's Size column counts only the rest, as sendmail's df file holds only the body."""

    sender: str                       # "" is the null sender <>
    recipients: tuple[Recipient, ...]
    envid: str | None = None
    ret: str | None = None
    body_type: str | None = None      # MAIL FROM BODY= or -B; None when not given (7-bit)
    priority: int = 0
    macros: tuple[tuple[str, str], ...] = ()   # e.g. (("{client_addr}", "127.0.0.1"),)
    header_size: int = 0
    origin: str | None = None         # None: a message; else one of ORIGINS


@dataclass(frozen=True, slots=True)
class ControlFile:
    """The whole control file: the envelope plus the queue's own bookkeeping.

    `reason` is the text of the last delivery problem (sendmail's qf M line), which mailq
    shows in parentheses under a deferred message; `warned` when the delay warning was
    sent (0: not yet; sendmail's qf flag w)."""

    qid: str
    envelope: Envelope
    created: int
    next_try: int
    attempts: int = 0
    size: int = 0                     # length of the data, checked when loading
    reason: str | None = None
    warned: int = 0


# ---------------------------------------------------------------- value checks
# Each check raises ValueError(reason); encode and decode add the line number.

def check_text(value: str, limit: int, what: str) -> str:
    """Bounded, printable text: a control character could forge a line on re-encoding."""
    try:
        encoded = value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} is not valid Unicode") from None
    if len(encoded) > limit:
        raise ValueError(f"{what} longer than {limit} bytes")
    if _CONTROL_RE.search(value):
        raise ValueError(f"control character in {what}")
    return value


def check_qid(value: str) -> str:
    """Queue ids become file names: only sendmail's id alphabet, so no path tricks."""
    if not QID_RE.match(value):
        raise ValueError(f"bad queue id {value!r}")
    return value


def check_address(value: str, what: str) -> str:
    """Addresses are kept between angle brackets; brackets inside would be ambiguous."""
    check_text(value, MAX_ADDRESS, what)
    if "<" in value or ">" in value:
        raise ValueError(f"angle bracket inside {what}")
    return value


def check_xtext(value: str, limit: int, what: str) -> str:
    """ENVID and ORCPT arrive as xtext: printable ASCII without spaces."""
    if len(value) > limit:
        raise ValueError(f"{what} longer than {limit} bytes")
    if not _XTEXT_RE.match(value):
        raise ValueError(f"{what} is not xtext")
    return value


def check_notify(values: tuple[str, ...]) -> tuple[str, ...]:
    """RFC 3461: NEVER alone, or a set of SUCCESS, FAILURE, DELAY without repeats."""
    if values == ("NEVER",):
        return values
    if len(set(values)) != len(values) or not set(values) <= set(NOTIFY_VALUES):
        raise ValueError(f"bad NOTIFY {','.join(values)!r}")
    return values


def check_choice(value: str, choices: tuple[str, ...], what: str) -> str:
    if value not in choices:
        raise ValueError(f"bad {what} {value!r}")
    return value


def check_number(value: int, what: str) -> int:
    if not 0 <= value <= MAX_NUMBER:
        raise ValueError(f"{what} out of range")
    return value


def check_recipient(rcpt: Recipient) -> Recipient:
    if rcpt.ctladdr is None:
        check_address(rcpt.address, "recipient")
    else:   # an expansion's program or file may hold "<" or ">" (written as xtext)
        check_text(rcpt.address, MAX_ADDRESS, "recipient")
    if not rcpt.address:
        raise ValueError("empty recipient")
    RecipientState(rcpt.state)
    check_notify(rcpt.notify)
    if rcpt.orcpt is not None:
        check_xtext(rcpt.orcpt, MAX_ORCPT, "ORCPT")
        if ";" not in rcpt.orcpt:
            raise ValueError("ORCPT without address type")
    if rcpt.status is not None and not _STATUS_RE.match(rcpt.status):
        raise ValueError(f"bad status {rcpt.status!r}")
    if rcpt.ctladdr is not None:
        check_controller(rcpt.ctladdr)
    return rcpt


def check_controller(ctl: Controller) -> Controller:
    check_address(ctl.address, "controlling address")
    if not ctl.address:
        raise ValueError("empty controlling address")
    check_number(ctl.uid, "controlling uid")
    check_number(ctl.gid, "controlling gid")
    if ctl.user is not None and (ctl.user == NONE or not _LOGIN_RE.match(ctl.user)):
        raise ValueError(f"bad controlling user {ctl.user!r}")
    return ctl


def check_reason(value: str) -> str:
    if not value:
        raise ValueError("empty reason")
    return check_text(value, MAX_REASON, "reason")


def check_macro(name: str, value: str) -> None:
    if not _MACRO_NAME_RE.match(name):
        raise ValueError(f"bad macro name {name!r}")
    check_text(value, MAX_MACRO_VALUE, f"macro {name}")


# ---------------------------------------------------------------- encoding

def _opt(value: str | None) -> str:
    return NONE if value is None else value


def _recipient_line(rcpt: Recipient) -> str:
    check_recipient(rcpt)
    notify = ",".join(rcpt.notify) or NONE
    state = RecipientState(rcpt.state).value
    ctl = rcpt.ctladdr
    address = rcpt.address
    escaped = ctl is not None and ("<" in address or ">" in address)
    if escaped:
        address = xtext.encode(address, also="<>")
    line = f"rcpt {state} {notify} {_opt(rcpt.orcpt)} {_opt(rcpt.status)} <{address}>"
    if ctl is not None:
        flags = [f for f, on in zip(CONTROLLER_FLAGS, (ctl.alias, ctl.primary, escaped)) if on]
        line += (f" via {ctl.uid} {ctl.gid} {_opt(ctl.user)} {','.join(flags) or NONE}"
                 f" <{ctl.address}>")
    return line


def _header_lines(cf: ControlFile) -> list[str]:
    env = cf.envelope
    check_qid(cf.qid)
    check_address(env.sender, "sender")
    if env.envid is not None:
        check_xtext(env.envid, MAX_ENVID, "ENVID")
    if env.ret is not None:
        check_choice(env.ret, RET_VALUES, "RET")
    if env.body_type is not None:
        check_choice(env.body_type, BODY_TYPES, "body type")
    for value, what in ((cf.created, "created"), (cf.next_try, "next-try"),
                        (cf.attempts, "attempts"), (cf.size, "size"), (env.priority, "priority"),
                        (env.header_size, "header-size")):
        check_number(value, what)
    lines = [f"version {FORMAT_VERSION}", f"qid {cf.qid}", f"created {cf.created}",
             f"next-try {cf.next_try}", f"attempts {cf.attempts}", f"priority {env.priority}",
             f"size {cf.size}", f"header-size {env.header_size}", f"body {_opt(env.body_type)}",
             f"sender <{env.sender}>", f"envid {_opt(env.envid)}", f"ret {_opt(env.ret)}"]
    if cf.reason is not None:
        lines.append(f"reason {check_reason(cf.reason)}")
    if env.origin is not None:
        lines.append(f"origin {check_choice(env.origin, ORIGINS, 'origin')}")
    if cf.warned:
        lines.append(f"warned {check_number(cf.warned, 'warned')}")
    return lines


def encode(cf: ControlFile) -> bytes:
    """Control file bytes for `cf`; refuses values that decode() would refuse."""
    env = cf.envelope
    if not env.recipients or len(env.recipients) > MAX_RECIPIENTS:
        raise QueueFileError(0, f"need 1 to {MAX_RECIPIENTS} recipients")
    if len(env.macros) > MAX_MACROS:
        raise QueueFileError(0, f"more than {MAX_MACROS} macros")
    if env.header_size > cf.size:
        raise QueueFileError(0, "header-size larger than size")
    try:
        lines = _header_lines(cf)
        for name, value in env.macros:
            check_macro(name, value)
            lines.append(f"macro {name} {value}")
        lines.extend(_recipient_line(r) for r in env.recipients)
    except ValueError as exc:
        raise QueueFileError(0, str(exc)) from None
    body = ("\n".join(lines) + "\n").encode("utf-8")
    out = body + b"end %08x\n" % zlib.crc32(body)
    if len(out) > MAX_FILE_BYTES:
        raise QueueFileError(0, f"control file larger than {MAX_FILE_BYTES} bytes")
    return out


# ---------------------------------------------------------------- decoding

def _parse_number(text: str, what: str) -> int:
    if not _NUMBER_RE.match(text):
        raise ValueError(f"{what} is not a number")
    return check_number(int(text), what)


def _parse_optional(text: str) -> str | None:
    return None if text == NONE else text


def _parse_bracketed(text: str, what: str) -> str:
    if len(text) < 2 or text[0] != "<" or text[-1] != ">":
        raise ValueError(f"{what} not in angle brackets")
    return check_address(text[1:-1], what)


def _parse_envid(text: str) -> str | None:
    value = _parse_optional(text)
    return None if value is None else check_xtext(value, MAX_ENVID, "ENVID")


def _parse_ret(text: str) -> str | None:
    value = _parse_optional(text)
    return None if value is None else check_choice(value, RET_VALUES, "RET")


def _parse_recipient(text: str) -> Recipient:
    parts = text.split(" ", 4)
    if len(parts) != 5:
        raise ValueError("recipient line needs 5 fields")
    state, notify, orcpt, status, address = parts
    address, _, via = address.partition("> via ")
    address += ">" if via else ""
    ctladdr, escaped = _parse_controller(via) if via else (None, False)
    try:
        rstate = RecipientState(state)
    except ValueError:
        raise ValueError(f"bad recipient state {state!r}") from None
    address = _parse_bracketed(address, "recipient")
    if escaped:
        address = _parse_xtext_address(address)
    rcpt = Recipient(address=address, state=rstate,
                     notify=() if notify == NONE else tuple(notify.split(",")),
                     orcpt=_parse_optional(orcpt), status=_parse_optional(status),
                     ctladdr=ctladdr)
    return check_recipient(rcpt)


def _parse_xtext_address(text: str) -> str:
    try:
        return xtext.decode_text(text)
    except xtext.XtextError:
        raise ValueError("recipient flagged xtext is not xtext") from None


def _parse_controller(text: str) -> tuple[Controller, bool]:
    """`UID GID LOGIN FLAGS <address>` after a recipient's `via`; and whether the
    recipient's address is written as xtext."""
    parts = text.split(" ", 4)
    if len(parts) != 5:
        raise ValueError("controlling address needs 5 fields")
    uid, gid, user, flags, address = parts
    words = () if flags == NONE else tuple(flags.split(","))
    if not set(words) <= set(CONTROLLER_FLAGS) or len(set(words)) != len(words):
        raise ValueError(f"bad controlling address flags {flags!r}")
    ctl = Controller(_parse_bracketed(address, "controlling address"),
                     _parse_number(uid, "controlling uid"), _parse_number(gid, "controlling gid"),
                     _parse_optional(user), "alias" in words, "primary" in words)
    return ctl, "xtext" in words


def _parse_macro(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(" ")
    if not sep:
        raise ValueError("macro line needs a name and a value")
    check_macro(name, value)
    return name, value


_HEADERS: dict[str, Callable[[str], object]] = {
    "qid": check_qid,
    "created": lambda t: _parse_number(t, "created"),
    "next-try": lambda t: _parse_number(t, "next-try"),
    "attempts": lambda t: _parse_number(t, "attempts"),
    "priority": lambda t: _parse_number(t, "priority"),
    "size": lambda t: _parse_number(t, "size"),
    "header-size": lambda t: _parse_number(t, "header-size"),
    "body": lambda t: None if t == NONE else check_choice(t, BODY_TYPES, "body type"),
    "sender": lambda t: _parse_bracketed(t, "sender"),
    "envid": _parse_envid,
    "ret": _parse_ret,
}
_OPTIONAL: dict[str, Callable[[str], object]] = {
    "reason": check_reason,
    "origin": lambda t: check_choice(t, ORIGINS, "origin"),
    "warned": lambda t: _parse_number(t, "warned"),
}


def _split_lines(raw: bytes) -> list[str]:
    """Bytes to text lines, refusing oversize input, bad UTF-8 and a missing final newline."""
    if len(raw) > MAX_FILE_BYTES:
        raise QueueFileError(0, f"larger than {MAX_FILE_BYTES} bytes")
    if not raw:
        raise QueueFileError(0, "empty file")
    chunks = raw.split(b"\n")
    if chunks[-1]:
        raise QueueFileError(len(chunks), "truncated: no newline at end")
    lines = []
    for number, chunk in enumerate(chunks[:-1], 1):
        if len(chunk) > MAX_LINE_BYTES:
            raise QueueFileError(number, f"longer than {MAX_LINE_BYTES} bytes")
        try:
            lines.append(chunk.decode("utf-8"))
        except UnicodeDecodeError:
            raise QueueFileError(number, "not UTF-8") from None
    return lines


def _check_frame(raw: bytes, lines: list[str]) -> None:
    """Version first, `end CRC` last and matching: catches truncation and stray edits."""
    if lines[0] != f"version {FORMAT_VERSION}":
        raise QueueFileError(1, "not a monomail control file of version " + FORMAT_VERSION)
    last = lines[-1]
    if len(lines) < 2 or not last.startswith("end "):
        raise QueueFileError(len(lines), "truncated: no end line")
    body = raw[: len(raw) - len(last) - 1]
    if last != "end %08x" % zlib.crc32(body):
        raise QueueFileError(len(lines), "checksum mismatch")


def _decode_fields(lines: list[str]) -> tuple[dict[str, object], list[Recipient], list[tuple[str, str]]]:
    headers: dict[str, object] = {}
    recipients: list[Recipient] = []
    macros: list[tuple[str, str]] = []
    for number, line in enumerate(lines[1:-1], 2):
        key, sep, value = line.partition(" ")
        try:
            if _CONTROL_RE.search(line):
                raise ValueError("control character")
            if not sep:
                raise ValueError(f"no value for {key!r}")
            if key == "rcpt":
                if len(recipients) >= MAX_RECIPIENTS:
                    raise ValueError(f"more than {MAX_RECIPIENTS} recipients")
                recipients.append(_parse_recipient(value))
            elif key == "macro":
                if len(macros) >= MAX_MACROS:
                    raise ValueError(f"more than {MAX_MACROS} macros")
                macros.append(_parse_macro(value))
            elif key in _HEADERS or key in _OPTIONAL:
                if key in headers:
                    raise ValueError(f"repeated key {key!r}")
                headers[key] = (_HEADERS.get(key) or _OPTIONAL[key])(value)
            else:
                raise ValueError(f"unknown key {key!r}")
        except ValueError as exc:
            raise QueueFileError(number, str(exc)) from None
    return headers, recipients, macros


def decode(raw: bytes) -> ControlFile:
    """Parse and validate control file bytes; QueueFileError names the offending line."""
    lines = _split_lines(raw)
    _check_frame(raw, lines)
    headers, recipients, macros = _decode_fields(lines)
    missing = [k for k in _HEADERS if k not in headers]
    if missing:
        raise QueueFileError(len(lines), f"missing {', '.join(missing)}")
    if not recipients:
        raise QueueFileError(len(lines), "no recipients")
    if headers["header-size"] > headers["size"]:  # type: ignore[operator]
        raise QueueFileError(len(lines), "header-size larger than size")
    env = Envelope(sender=headers["sender"], recipients=tuple(recipients),  # type: ignore[arg-type]
                   envid=headers["envid"], ret=headers["ret"],  # type: ignore[arg-type]
                   body_type=headers["body"], priority=headers["priority"],  # type: ignore[arg-type]
                   macros=tuple(macros), header_size=headers["header-size"],  # type: ignore[arg-type]
                   origin=headers.get("origin"))  # type: ignore[arg-type]
    return ControlFile(qid=headers["qid"], envelope=env,  # type: ignore[arg-type]
                       created=headers["created"], next_try=headers["next-try"],  # type: ignore[arg-type]
                       attempts=headers["attempts"], size=headers["size"],  # type: ignore[arg-type]
                       reason=headers.get("reason"), warned=headers.get("warned", 0))  # type: ignore[arg-type]
