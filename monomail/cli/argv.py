"""sendmail's command line, read as sendmail 8.17 reads it: argv to an Invocation.

sendmail's own getopt (conf.c) is used there, not glibc's: options end at the first
word that is not an option or at "--", and nothing is permuted.  Before it, obsolete()
rewrites the bare forms `-C` (sendmail.cf), `-q` (-q0), `-Q` (-Q.) and `-d`.  A bad value
is reported on stdout with sendmail's words and makes the exit status EX_USAGE; like
sendmail, parsing goes on, and only address test mode still runs afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from monomail import sysexits as ex
from monomail.cleanup.sender import sender_argument
from monomail.config.option_values import convtime
from monomail.dsn.xtext import is_xtext

OPTSTRING = "A:B:b:C:cD:d:e:F:f:Gh:IiL:M:mN:nO:o:p:Q:q:R:r:sTtUV:vX:"
WITH_ARGUMENT = frozenset(OPTSTRING[i - 1] for i, c in enumerate(OPTSTRING) if c == ":")
FLAGS = frozenset(OPTSTRING.replace(":", ""))
#: -b letters sendmail knows (MD_*), whether or not monomail runs them
KNOWN_MODES = frozenset("dDsimvtpPhHaCc")
#: modes that accept -q (the others say "Can not use -q with -bX")
QUEUE_MODES = frozenset("mdDpPq")
BODY_TYPES = ("7BIT", "8BITMIME")
#: sendmail's names that imply a mode (argv[0])
_LEADING_NUMBER = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)")
NAME_MODES = {"newaliases": "i", "mailq": "p", "smtpd": "d", "hoststat": "h",
              "purgestat": "H"}


@dataclass
class QueueRequest:
    """What -q asks for: an interval (0: one run) and the -qI/-qR/-qS/-qG/-qQ/-qL limits."""

    interval: int = 0
    ids: list[tuple[str, bool]] = field(default_factory=list)          # (pattern, negate)
    recipients: list[tuple[str, bool]] = field(default_factory=list)
    senders: list[tuple[str, bool]] = field(default_factory=list)
    quarantines: list[tuple[str, bool]] = field(default_factory=list)
    group: str | None = None
    foreground: bool = False
    persistent: bool = False
    lost: bool = False
    quarantined: bool = False


@dataclass
class Invocation:
    """Everything the command line asks for."""

    prog: str = "sendmail"
    mode: str = "m"
    cf: str | None = None                 # None: the default cf (sendmail.cf or submit.cf)
    submit_cf: bool = False               # -Ac
    args: list[str] = field(default_factory=list)   # recipients, or -bv/-bt's addresses
    verbose: bool = False
    options: list[str] = field(default_factory=list)  # setoption input: " Name=value" / "Xvalue"
    sender: str | None = None             # -f / -r
    sender_flag: str | None = None        # which of the two was used
    full_name: str | None = None          # -F
    read_recipients: bool = False         # -t
    body_type: str | None = None          # -B
    hop_count: int | None = None          # -h
    no_alias: bool = False                # -n
    notify: tuple[str, ...] | None = None  # -N: ("NEVER",) or a subset of SUCCESS/FAILURE/DELAY
    ret: str | None = None                # -R: FULL or HDRS
    envid: str | None = None              # -V
    protocol: str | None = None           # -p proto[:host] -> $r
    sending_host: str | None = None       # -p ...:host -> $s
    relay_submission: bool = False        # -G
    queue: QueueRequest | None = None     # -q...
    quarantine: str | None = None         # -Q reason ("." removes)
    traffic_log: str | None = None        # -X
    label: str | None = None              # -L
    debug: list[str] = field(default_factory=list)   # -d / -D: accepted, not reproduced
    messages: list[str] = field(default_factory=list)  # stdout lines, in order
    errors: list[str] = field(default_factory=list)    # stderr lines (getopt's complaints)
    exit_status: int = ex.EX_OK

    def usage(self, message: str, status: int = ex.EX_USAGE) -> None:
        """sendmail's usrerr during argument parsing: a stdout line and an exit status."""
        self.messages.append(message)
        self.exit_status = status


class StopParsing(Exception):
    """sendmail gives up at once (getopt's complaints, "Frozen configurations")."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def obsolete(args: list[str]) -> list[str]:
    """sendmail's obsolete(): default values for bare -C, -q, -Q and -d."""
    out = list(args)
    i = 0
    while i < len(out):
        arg = out[i]
        if arg[:1] != "-" or arg[1:2] == "-":
            break
        flag = arg[1:2]
        if (flag in WITH_ARGUMENT and len(arg) == 2 and flag != "d"
                and i + 1 < len(out) and out[i + 1][:1] != "-"):
            i += 2
            continue
        if len(arg) == 2:
            out[i] = {"C": "-Csendmail.cf", "q": "-q0", "Q": "-Q.", "d": "-d0-99.1"}.get(flag, arg)
        i += 1
    return out


def getopt(args: list[str], prog: str, opterr: bool) -> tuple[list[tuple[str, str | None]], int]:
    """One pass of sendmail's getopt (conf.c): the (flag, value) pairs and where the
    remaining words start.

    With opterr (the second pass) a bad flag or a missing value ends the list with
    ("?", complaint).  Without it (the first pass) sendmail's getopt reports nothing and
    goes on oddly: an unknown flag takes a value as if it needed one, and a flag whose
    value is missing gets the value of the flag before it.  Both quirks decide what the
    first pass sees, so they are kept.
    """
    pairs: list[tuple[str, str | None]] = []
    optind, place, optarg = 0, "", None
    while True:
        if not place:
            if optind >= len(args) or args[optind][:1] != "-" or args[optind] == "-":
                return pairs, optind
            place = args[optind][1:]
            if place[:1] == "-":
                return pairs, optind + 1
        flag, place = place[0], place[1:]
        if flag not in FLAGS:
            optind += 0 if place else 1
            if opterr:
                return pairs + [("?", f"{prog}: illegal option -- {flag}")], optind
        elif flag not in WITH_ARGUMENT:
            optarg = None
            optind += 0 if place else 1
            pairs.append((flag, optarg))
            continue
        if place:
            optarg = place
        else:
            optind += 1
            if optind >= len(args):
                if opterr:
                    return pairs + [("?", f"{prog}: option requires an argument -- {flag}")], optind
            else:
                optarg = args[optind]
        place = ""
        optind += 1
        pairs.append((flag, optarg))




def parse_argv(args: list[str], prog: str = "sendmail") -> Invocation:
    """The Invocation for `args` (argv without argv[0]); `prog` is argv[0] as given."""
    inv = Invocation(prog=prog)
    inv.mode = NAME_MODES.get(prog.rsplit("/", 1)[-1], "m")
    args = obsolete(args)
    try:
        first, _ = getopt(args, prog, opterr=False)
        for flag, value in first:          # sendmail's first pass: the mode and its kin
            if flag == "b":
                _set_mode(inv, value)
            elif flag == "L":
                inv.label = "".join(c if " " < c <= "~" and c != "%" else "*"
                                    for c in (value or "")[:32])
            elif flag == "G":
                inv.relay_submission = True
        pairs, rest = getopt(args, prog, opterr=True)
        inv.args = args[rest:]
        for flag, value in pairs:
            if flag == "?":
                inv.errors.append(value or "")
                raise StopParsing(ex.EX_USAGE)
            _apply(inv, flag, value)
    except StopParsing as stop:
        inv.exit_status = stop.status
    return inv


def _set_mode(inv: Invocation, value: str | None) -> None:
    letter = (value or " ")[:1]
    if letter == "z":
        inv.usage("Frozen configurations unsupported")
        raise StopParsing(ex.EX_USAGE)
    if letter not in KNOWN_MODES:
        inv.usage(f"Invalid operation mode {letter}")
        raise StopParsing(ex.EX_USAGE)
    inv.mode = letter


def _apply(inv: Invocation, flag: str, value: str | None) -> None:
    """sendmail's second pass over one flag."""
    arg = value or ""
    handler = _HANDLERS.get(flag)
    if handler is not None:
        handler(inv, arg)
    elif flag in "cimTv":            # compatibility flags: the option of that letter, true
        inv.options.append(f"{flag}T")
        inv.verbose = inv.verbose or flag == "v"
    elif flag in "eM":
        inv.options.append(flag + arg)
    elif flag == "s":
        inv.options.append("fT")
    elif flag in "UI":               # no EAI, no DBM in the reference build: sendmail exits
        raise StopParsing(ex.EX_USAGE)


def _from(inv: Invocation, arg: str) -> None:
    if inv.sender is not None:
        inv.usage('More than one "from" person')
        return
    inv.sender = sender_argument(arg)


def _hop_count(inv: Invocation, arg: str) -> None:
    """strtol's reading; anything after the number is an error."""
    number = _LEADING_NUMBER.match(arg)
    inv.hop_count = int(number.group(1)) if number else 0
    if arg[number.end() if number else 0:]:
        inv.usage(f"Bad hop count ({arg})")


def _notify(inv: Invocation, arg: str) -> None:
    if arg.lower() == "never":
        inv.notify = ("NEVER",)
        return
    wanted = []
    for word in arg.split(","):
        if word.lower() in ("success", "failure", "delay"):
            wanted.append(word.upper())
        else:
            inv.usage("Invalid -N argument")
    inv.notify = tuple(dict.fromkeys(wanted))


def _ret(inv: Invocation, arg: str) -> None:
    if inv.ret is not None:
        inv.usage("Duplicate -R flag")
        return
    inv.ret = arg.upper() if arg.lower() in ("hdrs", "full") else "FULL"
    if arg.lower() not in ("hdrs", "full"):
        inv.usage("Invalid -R value")


def _envid(inv: Invocation, arg: str) -> None:
    if is_xtext(arg, strict=False):
        inv.envid = arg
    else:
        inv.usage("Invalid syntax in -V flag")


def _body(inv: Invocation, arg: str) -> None:
    if arg.upper() in BODY_TYPES:
        inv.body_type = arg.upper()
    else:
        inv.usage(f"Illegal body type {arg}")


def _protocol(inv: Invocation, arg: str) -> None:
    proto, colon, host = arg.partition(":")
    if colon and host:
        inv.sending_host = _clean(host)
    if proto:
        inv.protocol = _clean(proto)


def _quarantine(inv: Invocation, arg: str) -> None:
    if arg == "." or arg.startswith("."):
        inv.usage("Can not use -Q.")
        raise StopParsing(ex.EX_USAGE)
    if inv.mode not in "mq":
        inv.usage(f"Can not use -Q with -b{inv.mode}")
        return
    inv.mode = "q"
    inv.full_name = None
    inv.quarantine = arg


def _queue(inv: Invocation, arg: str) -> None:
    if inv.mode not in QUEUE_MODES:
        inv.usage(f"Can not use -q with -b{inv.mode}")
        return
    if inv.mode == "m":
        inv.mode = "q"
    inv.full_name = None
    req = inv.queue = inv.queue or QueueRequest()
    negate = arg[:1] == "!"
    arg = arg[1:] if negate else arg
    kind, rest = arg[:1], arg[1:]
    limits = {"I": req.ids, "R": req.recipients, "S": req.senders}
    if kind == "G":
        if negate or req.group is not None:
            inv.usage("Can not use -q!G" if negate else "Can not use multiple -qG options")
            return
        req.group = rest
    elif kind in limits:
        limits[kind].append((rest, negate))
    elif kind == "f":
        req.foreground = True
    elif kind == "Q":
        if rest:
            req.quarantines.append((rest, negate))
        req.quarantined = True
    elif kind == "L":
        req.lost = True
    else:
        if kind == "p":
            req.persistent = True
            req.interval = req.interval or 1
            if not rest:
                return
            arg = rest
        _queue_interval(inv, req, arg)


def _queue_interval(inv: Invocation, req: QueueRequest, text: str) -> None:
    req.interval = convtime(text, "m", inv.usage)
    if req.interval < 0:
        inv.usage("Invalid -q value")


def _option(letter: bool) -> Callable[[Invocation, str], None]:
    def apply(inv: Invocation, arg: str) -> None:
        inv.options.append(arg if letter else " " + arg)
    return apply


def _clean(text: str) -> str:
    """cleanstrcpy: only printable characters survive into $r and $s."""
    return "".join(c for c in text if " " <= c <= "~")


def _set(attr: str) -> Callable[[Invocation, str], None]:
    def apply(inv: Invocation, arg: str) -> None:
        setattr(inv, attr, True if attr in ("read_recipients", "no_alias") else arg)
    return apply


def _cf(inv: Invocation, arg: str) -> None:
    inv.cf = arg


def _alt_cf(inv: Invocation, arg: str) -> None:
    inv.submit_cf = arg[:1] == "c"


def _debug(inv: Invocation, arg: str) -> None:
    inv.debug.append(arg)


def _fflag(flag: str) -> Callable[[Invocation, str], None]:
    def apply(inv: Invocation, arg: str) -> None:
        _from(inv, arg)
        inv.sender_flag = inv.sender_flag or flag
    return apply


_HANDLERS: dict[str, Callable[[Invocation, str], None]] = {
    "A": _alt_cf, "B": _body, "C": _cf, "D": _debug, "d": _debug, "F": _set("full_name"),
    "f": _fflag("f"), "r": _fflag("r"), "h": _hop_count, "n": _set("no_alias"),
    "N": _notify, "O": _option(False), "o": _option(True), "p": _protocol,
    "Q": _quarantine, "q": _queue, "R": _ret, "t": _set("read_recipients"),
    "V": _envid, "X": _set("traffic_log"), "b": lambda inv, arg: None,
    "L": lambda inv, arg: None, "G": lambda inv, arg: None,
}
