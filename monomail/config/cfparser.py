"""Read a sendmail.cf (version 10 syntax) into a Config.

Line by line as sendmail's readcf does it: folding, `$` translation and comments,
then one handler per line type.  Problems are collected with "file: line N:" in
front, exactly as sendmail words them; `-bt` prints them and goes on as sendmail
does, every other mode refuses a cf that has any.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from monomail.rewrite.prescan import TokenTables, prescan
from monomail.rewrite.tokens import CALLSUBR, MACROEXPAND, MATCHCLASS, MAXATOM
from . import mailers, rulelines
from .classes import ClassTable
from .errors import ConfigError, where as fmt_where
from monomail.dsn.status import split_reply
from .headerinfo import SPACES, split_header
from .identity import Identity, local_identity
from .macros import MacroNames, expand, initial_macros, translate_dollars
from .mapspec import MapSpec
from .model import Config, Header, Mailer, frozen_map
from .options import Options
from .fileclass import line_fileclass
from .munch import munchstring
from .queuegroups import QueueGroup, line_queue

if TYPE_CHECKING:
    from monomail.maps.base import Map

MAXLINE = 2048
MAX_CONFIG_LEVEL = 10
MAXRWSETS = 200


@dataclass
class ParseState:
    """Everything readcf accumulates; frozen into a Config at the end."""

    path: str
    names: MacroNames = field(default_factory=MacroNames)
    macros: dict[int, str] = field(default_factory=initial_macros)
    classes: ClassTable = field(default_factory=ClassTable)
    level: int = 0
    vendor: str = "Berkeley"
    lineno: int = 0
    ruleset: int = -1
    rules: dict[int, list] = field(default_factory=dict)
    ruleset_names: dict[int, str] = field(default_factory=dict)
    ruleset_numbers: dict[str, int] = field(default_factory=dict)
    next_named: int = MAXRWSETS
    mailers: dict[str, Mailer] = field(default_factory=dict)
    maps: dict[str, "Map"] = field(default_factory=dict)
    options: Options = field(default_factory=Options)
    exit_status: int = 0
    headers: list[Header] = field(default_factory=list)
    header_checks: dict[str, tuple[str, bool]] = field(default_factory=dict)
    priorities: dict[str, int] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    queues: list[QueueGroup] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    fatal: int = 0  # sendmail's finis() while reading: stop, exit with this status
    output: list[str] = field(default_factory=list)
    tables: TokenTables | None = None

    def where(self) -> str:
        return fmt_where(self.path, self.lineno)

    def syserr(self, message: str, oserr: bool = False) -> None:
        """Report a cf error; like sendmail, the first one decides the exit status
        (EX_OSERR when a system call failed, else EX_SOFTWARE)."""
        message = "".join(chr(ord(c) & 0x7F) for c in split_reply(message)[1])
        text = f"{self.where()}: {message}" if self.lineno else message
        self.errors.append(text)
        self.output.append(text)
        if self.exit_status == 0:
            self.exit_status = 71 if oserr else 70

    def say(self, text: str) -> None:
        """A line sendmail prints on stdout while reading (warnings in test mode)."""
        self.output.append(text)

    def macro(self, mid: int) -> str | None:
        return self.macros.get(mid)

    def expand(self, s: str) -> str:
        return expand(s, self.macro, self.syserr)

    def token_tables(self) -> TokenTables:
        if self.tables is None:
            self.tables = TokenTables.build(operator_chars(self))
        return self.tables


def operator_chars(state: ParseState) -> str:
    """OperatorChars, or $o on old configs, or sendmail's default."""
    chars = state.options.get("OperatorChars")
    if chars:
        return state.expand(str(chars))
    if state.level < 7 and ord("o") in state.macros:
        return state.expand(state.macros[ord("o")])
    return ".:@[]"


def read_lines(text: str):
    """Yield (last physical line number, folded line) like sendmail's fgetfolded."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    buf: list[str] = []
    lineno = 0
    for i, line in enumerate(lines, 1):
        if buf and line[:1] in (" ", "\t"):
            buf.append(line)
            lineno = i
            continue
        if buf:
            yield lineno, "\n".join(buf)
        buf, lineno = [line], i
    if buf:
        yield lineno, "\n".join(buf)


def parse_cf(path: str, text: str | None = None, identity: Identity | None = None,
             command_line: tuple[str, ...] = (), op_mode: str = "t") -> Config:
    """Parse the cf at `path` (or `text`); never raises for content, only collects errors.

    `command_line` holds -O/-o settings (" Name=value" or "Xvalue"), applied first and
    kept, as sendmail keeps them, over what the cf says.  `op_mode` is the -b letter: rules
    may say ${opMode}, which sendmail expands while reading."""
    if text is None:
        with open(path, "rb") as f:
            text = f.read().decode("latin-1")
    state = ParseState(path=path)
    set_identity(state, identity or local_identity())
    set_start_macros(state, op_mode)
    from .optionlines import record_option
    for setting in command_line:
        record_option(state, setting, sticky=True)
    mailers.predefine(state)
    for lineno, line in read_lines(text):
        state.lineno = lineno
        if line.startswith("#"):
            continue
        line = translate_dollars(line, state.names, state.level, state.syserr)
        handle_line(state, line)
        if state.fatal:
            return freeze(state)
    state.lineno = 0
    default_maps(state)
    if "local" not in state.mailers:
        state.syserr("No local mailer defined")
    mailers.finish(state)
    if state.level < MAX_CONFIG_LEVEL:
        from monomail import __version__
        state.say(f"Warning: .cf file is out of date: monomail {__version__} supports "
                  f"version {MAX_CONFIG_LEVEL}, .cf file is version {state.level}")
    my_name = state.expand(MACROEXPAND + "j") or "localhost"
    if "." not in my_name:
        state.say(f"WARNING: local host name ({my_name}) is not qualified; "
                  "see cf/README: WHO AM I?")
    state.classes.add(ord("w"), my_name)
    add_builtin_classes(state)
    return freeze(state)


def set_identity(state: ParseState, me: Identity) -> None:
    """The macros and classes sendmail defines from the host name before the cf."""
    from monomail import __version__
    state.macros[ord("v")] = state.macros[ord("Z")] = __version__
    state.macros[ord("w")] = state.macros[ord("j")] = me.canonical
    state.classes.add(ord("w"), me.canonical)
    if me.domain:
        state.macros[ord("m")] = me.domain
    state.macros[ord("k")] = me.nodename
    state.classes.add(ord("k"), me.nodename)
    state.classes.add(ord("w"), me.nodename)
    for name in me.aliases + me.addresses:
        state.classes.add(ord("w"), name)


def set_start_macros(state: ParseState, op_mode: str) -> None:
    """$b (the date) and ${opMode}: sendmail defines both before it reads the cf."""
    from monomail.arpadate import arpadate
    state.macros[ord("b")] = arpadate()
    state.macros[state.names.lookup("{opMode}", state.syserr)] = op_mode


BUILTIN_CLASSES = (
    ("n", "multipart/signed"), ("s", "rfc822"),
    ("e", "7bit"), ("e", "8bit"), ("e", "binary"),
    ("{checkMIMEFieldHeaders}", "content-disposition"),
    ("{checkMIMEFieldHeaders}", "content-type"),
    ("{checkMIMETextHeaders}", "content-description"),
    ("{checkMIMEHeaders}", "content-disposition"), ("{checkMIMEHeaders}", "content-id"),
    ("{checkMIMEHeaders}", "content-transfer-encoding"),
    ("{checkMIMEHeaders}", "content-type"), ("{checkMIMEHeaders}", "mime-version"),
    ("{persistentMacros}", "r"), ("{persistentMacros}", "s"), ("{persistentMacros}", "_"),
    ("{persistentMacros}", "{if_addr}"), ("{persistentMacros}", "{daemon_flags}"),
)


def add_builtin_classes(state: ParseState) -> None:
    """Classes sendmail fills after reading the cf (MIME handling, persistent macros)."""
    for cls, word in BUILTIN_CLASSES:
        state.classes.add(state.names.lookup(cls, state.syserr), word)


def handle_line(state: ParseState, line: str) -> None:
    if not line:
        return
    kind, rest = line[0], line[1:]
    handler = LINE_HANDLERS.get(kind)
    if handler is None:
        state.syserr(f'unknown configuration line "{line}"')
        return
    handler(state, rest)


def line_rule(state: ParseState, rest: str) -> None:
    rulelines.add_rule(state, rest)


def line_ruleset(state: ParseState, rest: str) -> None:
    number = strtorwset(state, state.expand(rest), enter=True)[0]
    if number < 0:
        return
    state.ruleset = number
    if state.rules.get(number):
        state.say(f"WARNING: Ruleset {rest} has multiple definitions")


def strtorwset(state: ParseState, text: str, enter: bool) -> tuple[int, str]:
    """sendmail's strtorwset: (ruleset number or -1, text after the name)."""
    p = text.lstrip(" \t\n")
    if not p or not p[0].isascii():
        state.syserr(f'invalid ruleset name: "{p[:20]}"')
        return -1, p
    if p[0].isdigit():
        digits = len(p) - len(p.lstrip("0123456789"))
        number = int(p[:digits])
        if number >= MAXRWSETS // 2:
            state.syserr(f"bad ruleset {number} ({MAXRWSETS // 2} max)")
            return -1, p[digits:]
        return number, p[digits:]
    end = 0
    while end < len(p) and p[end].isascii() and (p[end].isalnum() or p[end] == "_"):
        end += 1
    name = p[:end]
    shown = cut_after_name(p, end)
    if not name or not name[0].isalpha():
        state.syserr(f'invalid ruleset name: "{p[:20]}"')
        return -1, p
    rest = p[end:].lstrip(" \t\n")
    known = state.ruleset_numbers.get(name)
    if known is None and not enter:
        return -1, rest
    number = -1
    if enter and rest.startswith("="):
        value = rest[1:].lstrip(" \t\n")
        digits = len(value) - len(value.lstrip("0123456789"))
        if not digits:
            state.syserr(f'bad ruleset definition "{shown}" (number required after `=\')')
        else:
            number = int(value[:digits])
            rest = value[digits:]
            if number >= MAXRWSETS // 2:
                state.syserr(f'bad ruleset number {number} in "{shown}" ({MAXRWSETS // 2} max)')
                number = -1
    elif known is not None:
        number = known
    else:
        state.next_named -= 1
        number = state.next_named
        if number < MAXRWSETS // 2:
            state.syserr(f"{shown}: too many named rulesets ({MAXRWSETS // 2} max)")
            number = -1
    if known is not None and number >= 0 and number != known:
        state.syserr(f"{shown}: ruleset changed value (old {known}, new {number})")
        number = known
    elif number >= 0:
        state.ruleset_numbers[name] = number
    if enter and number >= 0:
        state.ruleset_names[number] = name
    return number, rest


def cut_after_name(text: str, end: int) -> str:
    """How a ruleset reference looks in sendmail's messages: strtorwset writes NULs over
    the blanks after the name, so the text stops there (else it runs to the end)."""
    return text[:end] if end < len(text) and text[end] in " \t\n\r\x0b\x0c" else text


def line_define(state: ParseState, rest: str) -> None:
    mid, end = state.names.parse(rest, 0, state.syserr)
    if mid == 0:
        return
    state.macros[mid] = munchstring(rest[end:], "\0")[0]


def line_class(state: ParseState, rest: str) -> None:
    mid, end = state.names.parse(rest, 0, state.syserr)
    if mid == 0:
        return
    for word in state.expand(rest[end:]).split():
        add_class_word(state, mid, word)


def line_trusted(state: ParseState, rest: str) -> None:
    for word in rest.split():
        add_class_word(state, ord("t"), word)


def add_class_word(state: ParseState, mid: int, word: str) -> None:
    """sendmail's setclass: `$=X` as a word copies class X."""
    if word[0] == MATCHCLASS:
        src = state.names.lookup(word[1:], state.syserr)
        if src:
            state.classes.copy(src, mid)
        return
    state.classes.add(mid, word)


def line_option(state: ParseState, rest: str) -> None:
    from .optionlines import record_option
    record_option(state, rest)


def line_precedence(state: ParseState, rest: str) -> None:
    name, eq, value = rest.partition("=")
    if not eq:
        state.syserr(f'unknown configuration line "P{rest}"')
        return
    digits = value.strip()
    sign = -1 if digits.startswith("-") else 1
    num = digits.lstrip("+-")
    num = num[:len(num) - len(num.lstrip("0123456789"))]
    state.priorities[name] = sign * int(num or 0)


def line_version(state: ParseState, rest: str) -> None:
    p = rest.lstrip(" \t")
    digits = len(p) - len(p.lstrip("0123456789"))
    if not digits:
        state.syserr(f'invalid argument to V line: "{rest[:20]}"')
        return
    state.level = int(p[:digits])
    if state.level >= 6:
        state.options = state.options.with_value("ColonOkInAddr", False)
    if state.level >= 5:
        w = state.macros.get(ord("w"))
        if w and "." in w:
            state.macros[ord("w")] = w.split(".", 1)[0]
    tail = p[digits:]
    if tail.startswith("/"):
        vendor = tail[1:]
        vendor = vendor[:len(vendor) - len(vendor.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))]
        if vendor.lower() not in ("berkeley", "sendmail", "sun", "hp", "ibm", "sgi", "digital", "debian"):
            state.syserr(f'invalid V line vendor code: "{vendor}"')
        else:
            state.vendor = vendor


def line_map(state: ParseState, rest: str) -> None:
    """sendmail builds a map as it reads its K line: errors show up in cf order."""
    from monomail.maps.registry import MapConfigError, build_map
    text = state.expand(rest).lstrip(" \t")
    parts = text.split(None, 2)
    if len(parts) < 2:
        state.syserr(f"readcf: config K line, map {parts[0]}: no map class" if parts
                     else "readcf: config K line: no map name")
        return
    spec = MapSpec(parts[0], parts[1], parts[2] if len(parts) > 2 else "", state.where())
    try:
        state.maps[spec.name] = build_map(spec, known=state.maps, blank_sub=blank_sub(state))
    except MapConfigError as exc:
        for message in exc.messages:
            state.syserr(message)
        if exc.map is not None:
            state.maps[spec.name] = exc.map
    except ConfigError as exc:
        state.syserr(exc.message)


def blank_sub(state: ParseState) -> str:
    return str(state.options.get("BlankSub") or " ")[:1]


def default_maps(state: ParseState) -> None:
    """The maps sendmail defines itself when the cf has not (host, aliases)."""
    from monomail.aliases.aliasmaps import SEQUENCE_NAME, alias_file_maps
    from monomail.maps.registry import build_map, default_specs
    from monomail.maps.seqmap import find_map
    alias_files = state.options.get("AliasFile") or ()
    if alias_files and find_map(state.maps, SEQUENCE_NAME) is None:
        maps, errors = alias_file_maps(alias_files, state.where(), blank_sub(state))
        for message in errors:
            state.syserr(message)
        state.maps.update(maps)
    for spec in default_specs(state.level, ("files",)):
        if find_map(state.maps, spec.name) is None:
            state.maps[spec.name] = build_map(spec, known=state.maps, blank_sub=blank_sub(state))


def line_header(state: ParseState, rest: str) -> None:
    """H lines: default headers, or `Hname: $>ruleset` header checks."""
    flags, cond = "", None
    line = rest
    if rest.startswith("?"):
        end = rest.find("?", 1)
        inner = rest[1:end] if end > 0 else ""
        if end < 0 or (inner.startswith(MACROEXPAND) and len(inner) != 2):
            state.syserr(f'553 5.3.0 header syntax error, line "{line}"')
            return
        if inner.startswith(MACROEXPAND):
            cond = state.names.name(ord(inner[1]))
        else:
            flags = inner
        rest = rest[end + 1:]
    parts = split_header(rest)
    if parts is None:
        state.syserr(f'553 5.3.0 header syntax error, line "{line}"')
        return
    name, value = parts
    check = state.expand(value).lstrip(SPACES)
    if check.startswith(CALLSUBR):
        strip = not check[1:].startswith("+")
        target = check[1:].lstrip("+")
        number, _ = strtorwset(state, target, enter=True)
        if number > 0:
            state.header_checks[name.lower()] = (_name_of(target), strip)
        return
    state.headers.append(Header(name, value, flags, cond, state.where()))


def _name_of(text: str) -> str:
    end = 0
    while end < len(text) and text[end].isascii() and (text[end].isalnum() or text[end] == "_"):
        end += 1
    return text[:end]


def line_environment(state: ParseState, rest: str) -> None:
    name, eq, value = rest.partition("=")
    state.environment[name] = value if eq else os.environ.get(name, "")


def line_milter(state: ParseState, rest: str) -> None:
    state.warnings.append(f"{state.where()}: mail filters (X lines) are not supported by "
                          "monomail; ignored")


LINE_HANDLERS = {
    "R": line_rule, "S": line_ruleset, "D": line_define, "C": line_class,
    "T": line_trusted, "F": line_fileclass, "M": mailers.line_mailer, "O": line_option,
    "P": line_precedence, "V": line_version, "K": line_map, "H": line_header,
    "E": line_environment, "Q": line_queue, "X": line_milter, "#": lambda s, r: None,
}


def freeze(state: ParseState) -> Config:
    top = max(state.rules, default=-1)
    rules = tuple(tuple(state.rules[i]) if state.rules.get(i) else None
                  for i in range(max(top + 1, MAXRWSETS)))
    return Config(
        path=state.path, level=state.level, vendor=state.vendor, names=state.names,
        macros=frozen_map(state.macros), classes=frozen_map(state.classes.frozen()),
        class_order=frozen_map(state.classes.order()), rules=rules,
        ruleset_names=frozen_map(state.ruleset_names),
        ruleset_numbers=frozen_map(state.ruleset_numbers),
        mailers=tuple(sorted(state.mailers.values(), key=lambda m: m.index)),
        maps=frozen_map(state.maps), options=state.options,
        headers=tuple(state.headers), header_checks=frozen_map(state.header_checks),
        priorities=frozen_map(state.priorities),
        environment=frozen_map(state.environment), queues=tuple(state.queues),
        errors=tuple(state.errors), warnings=tuple(state.warnings), output=tuple(state.output),
        refusals=tuple(state.refusals), fatal=state.fatal,
        exit_status=state.exit_status,
    )


def tokenize_cf_text(state: ParseState, text: str) -> list[str] | None:
    """prescan as readcf uses it for R lines: no comments at level 9+, errors ignored."""
    tables = state.token_tables()
    table = tables.nocomment if state.level >= 9 else tables.internal
    tokens, _ = prescan(text, "\t", table, ignore=True, bufsize=MAXLINE + MAXATOM)
    return tokens
