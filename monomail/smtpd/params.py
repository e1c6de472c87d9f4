"""The arguments of MAIL FROM and RCPT TO: the path, then ESMTP parameters.

aiosmtpd answers 555 to nearly every parameter, so monomail reads them itself.  This
module is pure (no sockets, no event loop) so the SMTP server and the command line
(-N, -R, -V) share one reading, and every odd input is a fast unit test.

It reads the way sendmail's srvrsmtp.c does, because clients and acceptance suites
were written against sendmail's answers: "FROM" / "TO" may have spaces around the
colon; the path ends at the first blank outside angle brackets, quotes and comments
(so "<a@b>SIZE=1" is all path, as in sendmail); a keyword is a run of letters, digits
and "-"; a value runs to a blank, a control character or "="; the character that ends
a keyword or value is swallowed.  Parameters are checked in order and the first
refusal is the answer, with sendmail's reply code, enhanced status code and text.

The caller keeps sendmail's order: split the command (split_mail / split_rcpt), check
the address with the rulesets, then read the parameters, then apply MaxMessageSize
(check_size) after check_mail.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable, NoReturn, TypeVar

from monomail.clib import MAXSHORTSTR, shortenstring
from monomail.dsn import xtext
from monomail.queue.qfcodec import MAX_ENVID, MAX_ORCPT, NOTIFY_VALUES
from monomail.rewrite.prescan import TokenTables, prescan

MAXSMTPARGS = 20        # sendmail's limit on the path plus parameters of one command
LONG_MAX = 2 ** 63 - 1  # sendmail reads SIZE with strtol into a long
_SPACES = " \t\n\v\f\r"

# Where a path ends depends only on quotes, comments, backslashes and angle brackets,
# never on OperatorChars, so one fixed table serves every configuration.
_PATH_TABLE = TokenTables.build(".:%@!^/[]+").external


@dataclass(frozen=True)
class Refusal:
    """One SMTP error reply: `str()` gives the line sendmail sends."""

    code: int
    status: str
    text: str

    def __str__(self) -> str:
        return f"{self.code} {self.status} {self.text}"


class _Refused(Exception):
    """Raised inside the parsers; the public functions return its refusal instead."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


def _refuse(code: int, status: str, text: str) -> NoReturn:
    """Checks deep in a handler stop the whole command, as sendmail's usrerr does."""
    raise _Refused(Refusal(code, status, text))


@dataclass(frozen=True)
class Features:
    """What this server offers; sendmail's answers change with it.

    dsn: DSN in the EHLO list (off with PrivacyOptions noreceipts): else 504 for
    ENVID, RET, NOTIFY, ORCPT.  auth: built with SASL, so AUTH= is read (and later
    checked with trust_auth) even before authentication.  deliver_by_min:
    DeliverByMin; None stands for sendmail's negative value, which turns BY= off.
    smtputf8: None as in sendmail built without EAI (the keyword is unknown), False
    when known but not offered (504), True when offered.  reflect: False for
    PrivacyOptions noreflection, which hides the client's words in replies.
    max_envid / max_orcpt: the queue file's limits on the xtext as received
    (RFC 3461 4.4 and 4.2); sendmail has none, but a value the queue cannot hold
    must be refused now, not after 250.
    """

    dsn: bool = True
    auth: bool = True
    deliver_by_min: int | None = 0
    smtputf8: bool | None = None
    reflect: bool = True
    max_envid: int = MAX_ENVID
    max_orcpt: int = MAX_ORCPT


def _show(features: Features, text: str) -> str:
    return text if features.reflect else "(suppressed)"


# --- the command word and the path -------------------------------------------------

@dataclass(frozen=True)
class PathArgument:
    """The path of MAIL or RCPT as written, and the parameter text after it."""

    address: str                       # e.g. "<a@b>", "<>", "a@b"; for parseaddr
    parameters: str                    # what follows the blank that ended the path
    tokens: tuple[str, ...] | None     # prescan's tokens; None if nothing but blanks

    @property
    def null(self) -> bool:
        """The null path "<>" (also "< >"): the bounce sender of RFC 5321."""
        return self.tokens == ("<", ">")


def _after_keyword(arg: str, word: str) -> str:
    """sendmail's skipword: `word` (any case), optional blanks, ":", optional blanks,
    then something; else the 501 that names what stood before the colon."""
    rest = arg.lstrip(_SPACES)
    end = 0
    while end < len(rest) and rest[end] != ":" and rest[end] not in _SPACES:
        end += 1
    found = rest[:end]
    after = rest[end:].lstrip(_SPACES)
    if after.startswith(":"):
        after = after[1:].lstrip(_SPACES)
        if after and found.lower() == word:
            return after
    shown = shortenstring(found, MAXSHORTSTR)
    _refuse(501, "5.5.2", f'Syntax error in parameters scanning "{shown}"')


def _split_path(text: str) -> PathArgument:
    tokens, end = prescan(text, " ", _PATH_TABLE)
    return PathArgument(text[:end], text[end + 1:], None if tokens is None else tuple(tokens))


def split_mail(arg: str, features: Features = Features()) -> PathArgument | Refusal:
    """Read `arg`, the text after the MAIL verb ("FROM:<a@b> SIZE=10")."""
    try:
        return _split_path(_after_keyword(arg, "from"))
    except _Refused as exc:
        return _hide(exc.refusal, features)


MISSING_RECIPIENT = Refusal(501, "5.0.0", "Missing recipient")


def split_rcpt(arg: str, features: Features = Features()) -> PathArgument | Refusal:
    """Read `arg`, the text after the RCPT verb ("TO:<a@b> NOTIFY=NEVER").  A path of
    nothing but blanks and comments is MISSING_RECIPIENT, as sendmail says it."""
    try:
        path = _split_path(_after_keyword(arg, "to"))
    except _Refused as exc:
        return _hide(exc.refusal, features)
    return MISSING_RECIPIENT if path.tokens is None else path


def _hide(refusal: Refusal, features: Features) -> Refusal:
    """noreflection also hides the words quoted in the skipword error."""
    if features.reflect:
        return refusal
    return replace(refusal, text='Syntax error in parameters scanning "(suppressed)"')


# --- the parameter list ------------------------------------------------------------

def _is_keyword_char(ch: str) -> bool:
    return (ch.isascii() and ch.isalnum()) or ch == "-"


def _ends_value(ch: str) -> bool:
    return ch in " =" or ch < " " or ch == "\x7f"


def _run(text: str, start: int, keep: Callable[[str], bool]) -> int:
    end = start
    while end < len(text) and keep(text[end]):
        end += 1
    return end


def split_parameters(text: str) -> list[tuple[str, str | None]]:
    """(keyword, value) pairs in order; value None when there was no "=".

    Never fails: like sendmail, an unexpected character ends the keyword or value and
    is dropped, and what follows is read as the next keyword ("SIZE=1=2" gives
    ("SIZE", "1") then ("2", None); "X@Y" gives ("X", None) then ("Y", None))."""
    pairs: list[tuple[str, str | None]] = []
    pos = 0
    while True:
        pos = _run(text, pos, lambda ch: ch in _SPACES)
        if pos >= len(text):
            return pairs
        end = _run(text, pos, _is_keyword_char)
        keyword, value = text[pos:end], None
        if end < len(text) and text[end] == "=":
            start = end + 1
            end = _run(text, start, lambda ch: not _ends_value(ch))
            value = text[start:end]
        pairs.append((keyword, value))
        pos = end + 1


T = TypeVar("T")
Handler = Callable[[T, str | None, Features], T]


def _apply(text: str, start: T, handlers: dict[str, Handler[T]], features: Features) -> T:
    """Fold the parameters into `start`, stopping at the first refusal."""
    state = start
    count = 1                                  # sendmail counts the path as one
    for keyword, value in split_parameters(text):
        handler = handlers.get(keyword.lower())
        if handler is None:
            _refuse(555, "5.5.4", f"{_show(features, keyword)} parameter unrecognized")
        state = handler(state, value, features)
        count += 1
        if count >= MAXSMTPARGS - 1:
            _refuse(501, "5.5.4", "Too many parameters")
    return state


def _need_value(keyword: str, value: str | None) -> str:
    if value is None:
        _refuse(501, "5.5.2", f"{keyword} requires a value")
    return value


def _need_dsn(keyword: str, features: Features) -> None:
    if not features.dsn:
        _refuse(504, "5.7.0", f"Sorry, {keyword} not supported, we do not allow DSN")


def _no_repeat(keyword: str, previous: object) -> None:
    if previous is not None:
        _refuse(501, "5.5.0", f"Duplicate {keyword} parameter")


def decoded(value: str) -> str:
    """An xtext value already accepted, decoded for people and reports; octets that
    are not UTF-8 survive as surrogates so that nothing is lost on the way."""
    return xtext.decode(value, strict=False).decode("utf-8", "surrogateescape")


# --- MAIL FROM ---------------------------------------------------------------------

@dataclass(frozen=True)
class DeliverBy:
    """RFC 2852 BY=seconds;mode[T]: deliver within `seconds`, else notify or return."""

    seconds: int
    mode: str          # "N" notify, "R" return
    trace: bool


@dataclass(frozen=True)
class MailParams:
    """The parameters of one MAIL command.  Values are as received: xtext stays
    encoded (the queue and the next hop want it so); the *_text properties decode."""

    size: int | None = None        # SIZE=, compare with check_size
    body: str | None = None        # "7BIT" or "8BITMIME"
    smtputf8: bool = False
    ret: str | None = None         # "FULL" or "HDRS"
    envid: str | None = None       # xtext
    auth: str | None = None        # xtext, or "<>"; trust it only after trust_auth
    by: DeliverBy | None = None

    @property
    def envid_text(self) -> str | None:
        return None if self.envid is None else decoded(self.envid)


def leading_long(text: str) -> int:
    """strtol(text, NULL, 10) on a 64-bit long: leading sign and digits, 0 if none,
    clamped to the long range (where sendmail sees ERANGE)."""
    body = text.lstrip(_SPACES)
    sign = -1 if body[:1] == "-" else 1
    if body[:1] in "+-":
        body = body[1:]
    digits = body[:_run(body, 0, lambda ch: ch in "0123456789")]
    number = sign * int(digits) if digits else 0
    return max(-LONG_MAX - 1, min(LONG_MAX, number))


def _mail_size(params: MailParams, value: str | None, features: Features) -> MailParams:
    size = leading_long(_need_value("SIZE", value))
    if size == LONG_MAX:
        _refuse(552, "5.2.3", "Message size exceeds maximum value")
    if size < 0:
        _refuse(552, "5.2.3", "Message size invalid")
    return replace(params, size=size)


def _mail_body(params: MailParams, value: str | None, features: Features) -> MailParams:
    body = _need_value("BODY", value).upper()
    if body not in ("7BIT", "8BITMIME"):
        _refuse(501, "5.5.4", f"Unknown BODY type {_show(features, value or '')}")
    return replace(params, body=body)


def _check_xtext(keyword: str, value: str, limit: int | None = None) -> None:
    """sendmail's xtextok (lower-case hex allowed), plus the queue's length limit."""
    if not xtext.is_xtext(value, strict=False) or (limit is not None and len(value) > limit):
        _refuse(501, "5.5.4", f"Syntax error in {keyword} parameter value")


def _mail_envid(params: MailParams, value: str | None, features: Features) -> MailParams:
    _need_dsn("ENVID", features)
    envid = _need_value("ENVID", value)
    _check_xtext("ENVID", envid, features.max_envid)
    _no_repeat("ENVID", params.envid)
    return replace(params, envid=envid)


class BadValue(ValueError):
    """A DSN value outside its grammar; `word` is the part to name in the reply."""

    def __init__(self, word: str) -> None:
        super().__init__(word)
        self.word = word


def ret_value(value: str) -> str:
    """RET / -R: "FULL" or "HDRS" in any case, returned in upper case."""
    if value.upper() not in ("FULL", "HDRS"):
        raise BadValue(value)
    return value.upper()


def _mail_ret(params: MailParams, value: str | None, features: Features) -> MailParams:
    _need_dsn("RET", features)
    ret = _need_value("RET", value)
    _no_repeat("RET", params.ret)
    try:
        return replace(params, ret=ret_value(ret))
    except BadValue:
        _refuse(501, "5.5.2", f'Bad argument "{_show(features, ret)}" to RET')


def _mail_auth(params: MailParams, value: str | None, features: Features) -> MailParams:
    if value is None:
        _refuse(501, "5.5.2", "AUTH= requires a value")
    _no_repeat("AUTH", params.auth)
    _check_xtext("AUTH", value)
    return replace(params, auth=value)


def _by_mode(seconds: int, mode: str, features: Features) -> str:
    """The deliver-by mode letter, upper-cased; sendmail checks R against DeliverByMin."""
    minimum = features.deliver_by_min or 0
    if mode.upper() == "N":
        return "N"
    if mode.upper() != "R":
        _refuse(501, "5.5.2", f"illegal by-mode '{_printable(mode)}'")
    if seconds <= 0:
        _refuse(501, "5.5.4", "mode R requires BY time > 0")
    if minimum > 0 and seconds < minimum:
        _refuse(555, "5.5.2", f"time {seconds} less than {minimum}")
    return "R"


def _printable(ch: str) -> str:
    """sendmail names a bad mode or trace letter as itself if printable, else "?"."""
    return ch if ch and " " <= ch <= "~" else "?"


def _by_parts(value: str) -> tuple[int, str]:
    """BY=seconds;rest: the number as strtol reads it, and the text strtol stops at."""
    start = _run(value, 0, lambda ch: ch in _SPACES)
    if value[start:start + 1] in ("+", "-"):
        start += 1
    end = _run(value, start, lambda ch: ch in "0123456789")
    return leading_long(value), value[end:] if end > start else value


def _mail_by(params: MailParams, value: str | None, features: Features) -> MailParams:
    text = _need_value("BY=", value)
    seconds, rest = _by_parts(text)
    if abs(seconds) > 999999999:
        _refuse(501, "5.5.2", f"BY={_show(features, text)} out of range")
    if not rest.startswith(";"):
        _refuse(501, "5.5.2", "BY= missing ';'")
    rest = rest[1:].lstrip(_SPACES)
    mode = _by_mode(seconds, rest[:1], features)
    trace = rest[1:].lstrip(_SPACES)[:1]
    if trace not in ("", "t", "T"):
        _refuse(501, "5.5.2", f"illegal by-trace '{_printable(trace)}'")
    return replace(params, by=DeliverBy(seconds, mode, trace != ""))


def _mail_smtputf8(params: MailParams, value: str | None, features: Features) -> MailParams:
    if not features.smtputf8:
        _refuse(504, "5.7.0", "Sorry, SMTPUTF8 not supported")
    return replace(params, smtputf8=True)


@lru_cache(maxsize=16)
def _mail_handlers(features: Features) -> dict[str, Handler[MailParams]]:
    handlers: dict[str, Handler[MailParams]] = {
        "size": _mail_size, "body": _mail_body, "envid": _mail_envid, "ret": _mail_ret}
    if features.auth:
        handlers["auth"] = _mail_auth
    if features.deliver_by_min is not None:
        handlers["by"] = _mail_by
    if features.smtputf8 is not None:
        handlers["smtputf8"] = _mail_smtputf8
    return handlers


def parse_mail_parameters(text: str, features: Features = Features()) -> MailParams | Refusal:
    """PathArgument.parameters of a MAIL command, read as sendmail's mail_esmtp_args."""
    try:
        return _apply(text, MailParams(), _mail_handlers(features), features)
    except _Refused as exc:
        return exc.refusal


def check_size(params: MailParams, max_message_size: int) -> Refusal | None:
    """MaxMessageSize against SIZE=, asked after check_mail as sendmail does."""
    if max_message_size > 0 and params.size is not None and params.size > max_message_size:
        return Refusal(552, "5.2.3",
                       f"Message size exceeds fixed maximum message size ({max_message_size})")
    return None


# --- RCPT TO -----------------------------------------------------------------------

@dataclass(frozen=True)
class Orcpt:
    """ORCPT=addr-type;xtext (RFC 3461 4.2), kept as received."""

    addr_type: str      # "rfc822", "utf-8", "x400", ...
    xtext: str

    def __str__(self) -> str:
        return f"{self.addr_type};{self.xtext}"

    @property
    def address(self) -> str:
        """The original recipient, decoded."""
        return decoded(self.xtext)


@dataclass(frozen=True)
class RcptParams:
    """The parameters of one RCPT command."""

    notify: tuple[str, ...] = ()   # () = not given; ("NEVER",) or the queue file's order
    orcpt: Orcpt | None = None


def notify_value(value: str) -> tuple[str, ...]:
    """NOTIFY / -N: "NEVER" alone, or a comma list of SUCCESS, FAILURE, DELAY (any
    case).  sendmail keeps these as flags, so a repeat is harmless and collapses;
    the result is in NOTIFY_VALUES order, as the queue file keeps it."""
    if value.upper() == "NEVER":
        return ("NEVER",)
    words = value.split(",")
    for word in words:
        if word.upper() not in NOTIFY_VALUES:
            raise BadValue(word)
    wanted = {word.upper() for word in words}
    return tuple(name for name in NOTIFY_VALUES if name in wanted)


def _rcpt_notify(params: RcptParams, value: str | None, features: Features) -> RcptParams:
    _need_dsn("NOTIFY", features)
    try:
        return replace(params, notify=notify_value(_need_value("NOTIFY", value)))
    except BadValue as exc:
        _refuse(501, "5.5.4", f'Bad argument "{_show(features, exc.word)}"  to NOTIFY')


def is_atom(text: str) -> bool:
    """sendmail's isatom, the test for ORCPT's addr-type: printable ASCII, no specials."""
    return bool(text) and all("!" <= ch <= "~" and ch not in '()<>@,;:\\.[]"' for ch in text)


def orcpt_value(value: str, limit: int = MAX_ORCPT) -> Orcpt:
    """ORCPT's value: an atom, ";", xtext (lower-case hex allowed, as sendmail does)."""
    addr_type, semicolon, encoded = value.partition(";")
    if not semicolon or not is_atom(addr_type) or len(value) > limit:
        raise BadValue(value)
    if not xtext.is_xtext(encoded, strict=False):
        raise BadValue(value)
    return Orcpt(addr_type, encoded)


def _rcpt_orcpt(params: RcptParams, value: str | None, features: Features) -> RcptParams:
    _need_dsn("ORCPT", features)
    text = _need_value("ORCPT", value)
    _no_repeat("ORCPT", params.orcpt)
    try:
        return replace(params, orcpt=orcpt_value(text, features.max_orcpt))
    except BadValue:
        _refuse(501, "5.5.4", "Syntax error in ORCPT parameter value")


_RCPT_HANDLERS: dict[str, Handler[RcptParams]] = {"notify": _rcpt_notify, "orcpt": _rcpt_orcpt}


def parse_rcpt_parameters(text: str, features: Features = Features()) -> RcptParams | Refusal:
    """PathArgument.parameters of a RCPT command, read as sendmail's rcpt_esmtp_args."""
    try:
        return _apply(text, RcptParams(), _RCPT_HANDLERS, features)
    except _Refused as exc:
        return exc.refusal
