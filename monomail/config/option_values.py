"""Scalar option values as sendmail 8.17's setoption reads them (readcf.c, convtime.c, util.c).

Each parser takes the raw text after `Name=` and a `Notes` that collects what sendmail
would print while reading it.  Where sendmail quietly turns junk into 0 (atoi, atol,
atooct) monomail refuses the value instead: a typo in a timeout or a size must not become
"no limit" unnoticed.  Where sendmail itself refuses a value, its own words are used.
"""

from __future__ import annotations

import grp
import pwd
import re
import socket
from typing import Callable, NamedTuple, NoReturn

from .munch import munchstring as munch
from .errors import ConfigError

NOW = -1  # convtime("now"): sendmail's NOW, "return the message at once"
_UNIT_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_C_SPACE = " \t\n\v\f\r"


class TimeUnitError(ValueError):
    """A letter convtime does not know; str() is sendmail's own message for it."""

    def __init__(self, unit: str) -> None:
        super().__init__(f"Invalid time unit `{unit}'")
        self.unit = unit


class Printed(str):
    """A message sendmail writes with a plain fprintf: it leaves the exit status alone."""


class Notes:
    """What reading one value produced besides the value: messages, or a refusal."""

    def __init__(self, where: str = "", option: str = "") -> None:
        self.where = where
        self.option = option
        self.warnings: list[str] = []

    def syserr(self, text: str) -> None:
        """A message sendmail prefixes with "file: line N:" (syserr, usrerr, message)."""
        self.warnings.append(located(self.where, text))

    def say(self, text: str) -> None:
        """A warning sendmail prints as is on stdout, without a location."""
        self.warnings.append(Printed(text))

    def fail(self, text: str) -> NoReturn:
        raise ConfigError(self.where, text)


def located(where: str, text: str) -> str:
    """Prefix like sendmail: cf lines get "file: line N: ", the command line nothing."""
    return f"{where}: {text}" if where else text


class UserSpec(NamedTuple):
    """DefaultUser / RunAsUser: `user[:group]`, names resolved only when used."""

    user: str
    group: str | None


class MinFreeBlocks(NamedTuple):
    """MinFreeBlocks `N[/maxsize]`: the old b option also set MaxMessageSize."""

    blocks: int
    max_message_size: int | None


class QueueTimeout(NamedTuple):
    """QueueTimeout (old T) `return[/warn]`: Timeout.queuereturn and .queuewarn."""

    return_after: int
    warn_after: int | None


class MimeHeaderLimits(NamedTuple):
    """MaxMimeHeaderLength `N[/M]`, as written (sendmail adds 1 to each internally)."""

    header: int
    field: int


class ConnectOnlyTo(NamedTuple):
    """ConnectOnlyTo `[port@]address`: every outgoing connection goes here (tests)."""

    address: str
    port: int | None


def convtime(text: str, default_unit: str,
             report: Callable[[str], None] | None = None) -> int:
    """Seconds in "5d4h", "30m", "now" or a bare number in `default_unit`, as convtime.c.

    Numbers and unit letters alternate; a trailing number takes the default unit, a
    leading "-" negates the whole.  Units are w d h m s, lower case only.  An unknown
    unit raises TimeUnitError, or, given `report`, is reported and read as the default
    unit, which is what sendmail does with an O line.
    """
    if text.lower() == "now":
        return NOW
    sign = -1 if text.startswith("-") else 1
    if sign < 0:
        text = text[1:]
    total, i = 0, 0
    while i < len(text):
        number = 0
        while i < len(text) and "0" <= text[i] <= "9":
            number = number * 10 + ord(text[i]) - ord("0")
            i += 1
        unit = default_unit
        if i < len(text):
            unit, i = text[i], i + 1
            if unit not in _UNIT_SECONDS:
                if report is None:
                    raise TimeUnitError(unit)
                report(str(TimeUnitError(unit)))
                unit = default_unit
        total += number * _UNIT_SECONDS.get(unit, 86400)
    return sign * total


# sendmail converts these twice (to check, then to set), so it complains twice
_CONVERTED_TWICE = ("Timeout.queuereturn", "Timeout.queuewarn")


def duration(raw: str, unit: str, notes: Notes) -> int:
    """A duration as sendmail takes it: a bad unit letter is reported, not fatal."""
    twice = notes.option.startswith(_CONVERTED_TWICE)

    def report(text: str) -> None:
        for _ in range(2 if twice else 1):
            notes.syserr(text)
    return convtime(raw, unit, report)


def atobool(raw: str) -> bool:
    """sendmail's atobool: empty is true, t/T/y/Y is true, anything else false."""
    return raw == "" or raw[0] in "tTyY"


def integer(raw: str, notes: Notes, what: str = "a number") -> int:
    """atoi, but only for text that is a number (empty is 0, as sendmail reads it)."""
    text = raw.strip(_C_SPACE)
    if text == "":
        return 0
    if re.fullmatch(r"[+-]?[0-9]+", text) is None:
        notes.fail(f'expected {what}, got "{raw}"')
    return int(text)


def size(raw: str, notes: Notes) -> int:
    """A byte count: sendmail's atol, which knows no K/M suffixes."""
    return integer(raw, notes, "a size in bytes")


def file_mode(raw: str, notes: Notes) -> int:
    """atooct masked to 0777, as TempFileMode and QueueFileMode are read."""
    text = raw.strip(_C_SPACE)
    if text == "":
        return 0
    if re.fullmatch(r"[0-7]+", text) is None:
        notes.fail(f'expected an octal file mode like 0600, got "{raw}"')
    return int(text, 8) & 0o777


def char(raw: str, notes: Notes) -> str:
    """BlankSub: the first character; none means a blank."""
    return raw[:1] or " "


def string(raw: str, notes: Notes) -> str:
    return raw


def word_list(raw: str, notes: Notes) -> tuple[str, ...]:
    """Names separated by commas and/or white space (AuthMechanisms, InputMailFilters)."""
    return tuple(w for w in re.split(r"[,\s]+", raw) if w)


def delivery_mode(raw: str, notes: Notes) -> str:
    """i(nteractive), b(ackground), q(ueue), d(efer); only the first letter counts."""
    if raw == "":
        return "i"
    if raw[0] in "ibqd":
        return raw[0]
    notes.fail(f"Unknown delivery mode {raw[0]}")


def error_mode(raw: str, notes: Notes) -> str | None:
    """p(rint), q(uiet), m(ail), w(rite), e (berknet); empty leaves the mode alone."""
    if raw == "":
        return None
    if raw[0] in "pqmwe":
        return raw[0]
    notes.fail(f'expected an error mode p, q, m, w or e, got "{raw}"')


def eight_bit_mode(raw: str, notes: Notes) -> str:
    """p(ass), m(ime), s(trict): how undeclared 8-bit input is treated."""
    if raw[:1] in ("p", "m", "s"):
        return raw[0]
    notes.fail(f"Unknown 8-bit mode {raw[:1]}")


def super_safe(raw: str, notes: Notes) -> str:
    """true, false, interactive or postmilter, from the value's first letter."""
    first = raw[:1].lower()
    if first == "i":
        return "interactive"
    if first == "p":
        return "postmilter"
    return "true" if atobool(raw) else "false"


_SORT_ORDERS = {"f": "filename", "h": "host", "m": "modification", "p": "priority",
                "t": "time", "r": "random", "s": "shuffle", "n": "none"}


def queue_sort_order(raw: str, notes: Notes) -> str:
    """Only the first letter is read ("priority", "p" and "pony" are all priority)."""
    order = _SORT_ORDERS.get(raw[:1].lower())
    if order is None:
        notes.fail(f'Invalid queue sort order "{raw}"')
    return order


_NO_RECIPIENT_ACTIONS = ("none", "add-to", "add-apparently-to", "add-bcc",
                         "add-to-undisclosed")


def no_recipient_action(raw: str, notes: Notes) -> str:
    if raw.lower() not in _NO_RECIPIENT_ACTIONS:
        notes.fail(f"Invalid NoRecipientAction: {raw}")
    return raw.lower()


def dont_probe_interfaces(raw: str, notes: Notes) -> bool | str:
    """True (probe none), False (probe all) or "loopback" (skip loopback ones)."""
    return "loopback" if raw.lower() == "loopback" else atobool(raw)


def safe_file_environment(raw: str, notes: Notes) -> str | None:
    """Trailing slashes go; what is left empty leaves the option alone."""
    return raw.rstrip("/") or None


_ALWAYS_QUOTED = "@,;:\\()[]"


def must_quote_chars(raw: str, notes: Notes) -> str:
    """sendmail always adds @,;:\\()[] and drops a value of 40 characters or more."""
    if len(raw) < 40:
        return _ALWAYS_QUOTED + raw
    notes.say("Warning: MustQuoteChars too long, ignored.")
    return _ALWAYS_QUOTED


def munchstring(raw: str, notes: Notes | None = None) -> str:
    """Quotes dropped, backslash escapes \\r \\n \\f \\b read (SmtpGreetingMessage & co)."""
    return munch(raw, "\0")[0]


def charset(raw: str, notes: Notes) -> str:
    """DefaultCharSet: newlines become spaces (denlstring)."""
    return raw.replace("\n", " ")


def _known(name: str, database: str) -> bool:
    """Numbers are taken as they are; names must exist now, as sendmail checks them."""
    if name[:1].isascii() and name[:1].isdigit():
        return True
    try:
        (pwd.getpwnam if database == "user" else grp.getgrnam)(name)
        return True
    except KeyError:
        return False


def _check_account(name: str, database: str, label: str, notes: Notes) -> None:
    if not _known(name, database):
        notes.fail(f"readcf: option {label}: unknown {database} {name}")


def user_spec(raw: str, notes: Notes) -> UserSpec:
    """`user`, `user:group`, `user.group` or `user/group`; numbers or existing names."""
    label = "u" if notes.option == "DefaultUser" else notes.option
    match = re.search(r"[./:]", raw)
    user = raw if match is None else raw[:match.start()]
    group = None if match is None else raw[match.end():] or None
    _check_account(user, "user", label, notes)
    if group is not None:
        _check_account(group, "group", label, notes)
    return UserSpec(user, group)


def user_name(raw: str, notes: Notes) -> str:
    """TrustedUser: a number or an existing user name."""
    _check_account(raw, "user", notes.option, notes)
    return raw


def group_name(raw: str, notes: Notes) -> str:
    """The old g option: a number or an existing group name."""
    _check_account(raw, "group", "g", notes)
    return raw


def min_free_blocks(raw: str, notes: Notes) -> MinFreeBlocks:
    blocks, slash, max_size = raw.partition("/")
    return MinFreeBlocks(integer(blocks, notes, "a number of blocks"),
                         size(max_size, notes) if slash else None)


def queue_timeout(raw: str, notes: Notes) -> QueueTimeout:
    """Return time in days by default, warning time (after /) in hours."""
    returned, slash, warn = raw.partition("/")
    return QueueTimeout(duration(returned, "d", notes),
                        duration(warn, "h", notes) if slash else None)


def mime_header_limits(raw: str, notes: Notes) -> MimeHeaderLimits:
    """N[/M]: M defaults to half of N; 0 means unlimited; small values are warned about."""
    header_text, slash, field_text = raw.partition("/")
    header = integer(header_text, notes)
    field = integer(field_text, notes) if slash and field_text else int(header / 2)
    header, field = max(header, 0), max(field, 0)
    if 0 < header < 128:
        notes.say("Warning: MaxMimeHeaderLength: header length limit set lower than 128")
    if 0 < field < 40:
        notes.say("Warning: MaxMimeHeaderLength: field length limit set lower than 40")
    return MimeHeaderLimits(header, field)


_MAXHDRSLEN = 32 * 1024


def headers_length(raw: str, notes: Notes) -> int:
    limit = integer(raw, notes)
    if 0 < limit < _MAXHDRSLEN // 2:
        notes.say("Warning: MaxHeadersLength: headers length limit set lower than "
                  f"{_MAXHDRSLEN // 2}")
    return limit


def strtoul(text: str) -> int:
    """strtoul(text, NULL, 0) on its leading digits: 0x.. hex, 0.. octal, else decimal."""
    for pattern, base in ((r"0[xX]([0-9a-fA-F]+)", 16), (r"0([0-7]*)", 8),
                          (r"([0-9]+)", 10)):
        match = re.match(r"\s*[+]?" + pattern, text)
        if match:
            return int(match.group(1) or "0", base)
    return 0


def _is_ip_address(text: str) -> bool:
    """What sendmail accepts: inet_pton(AF_INET6) or inet_addr (which refuses 255.255.255.255)."""
    try:
        socket.inet_pton(socket.AF_INET6, text)
        return True
    except OSError:
        pass
    try:
        return socket.inet_aton(text) != b"\xff\xff\xff\xff"
    except OSError:
        return False


def connect_only_to(raw: str, notes: Notes) -> ConnectOnlyTo:
    """`[port@]address` (ConnectOnlyTo, and Monomail.NameServer in the same form)."""
    name = notes.option or "ConnectOnlyTo"
    port, address = 0, raw
    if "@" in raw:
        port_text, address = raw.split("@", 1)
        port = strtoul(port_text)
        if port > 0xFFFF:
            notes.fail(f"readcf: option {name}: invalid port {port_text}")
    if not _is_ip_address(address):
        notes.fail(f"readcf: option {name}: invalid IP address {address}")
    return ConnectOnlyTo(address, port or None)


def _flag_letters(raw: str, allowed: str, notes: Notes) -> frozenset[str]:
    """AuthOptions, TLSSrvOptions: the first letter of each comma/blank separated word."""
    flags: set[str] = set()
    rest = raw
    while rest:
        letter = rest[0]
        if letter in allowed:
            flags.add(letter)
        elif letter not in ", \t":
            shown = letter if " " <= letter <= "~" else "?"
            notes.say(f"Warning: Option: {notes.option} unknown parameter '{shown}'")
        match = re.search(r"[, \t]", rest[1:])
        rest = rest[1 + match.end():] if match else ""
    return frozenset(flags)


def auth_options(raw: str, notes: Notes) -> frozenset[str]:
    return _flag_letters(raw, "Aacdfmpy", notes)


def tls_server_options(raw: str, notes: Notes) -> frozenset[str]:
    return _flag_letters(raw, "VC", notes)


def modifiers(raw: str, notes: Notes | None = None) -> str:
    """Daemon/client modifier flags: every printable non-blank character, once, in order."""
    seen: list[str] = []
    for c in raw:
        if "!" <= c <= "~" and c not in seen:
            seen.append(c)
    return "".join(seen)
