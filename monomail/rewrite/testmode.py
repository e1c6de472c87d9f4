"""`monomail -bt`: sendmail's address test mode, command for command, byte for byte."""

from __future__ import annotations

import os
import sys
from typing import Callable, TextIO

from monomail import sysexits as ex
from monomail.config.cfparser import cut_after_name
from monomail.config.model import Config
from .crackaddr import crackaddr
from .engine import Rewriter
from .env import RewriteEnv
from .parseaddr import RF_HEADERADDR, RF_SENDERADDR, invalidaddr, parseaddr
from .prescan import prescan
from .headers import HeaderList
from .remotename import remotename
from monomail.maps.mxlist import NULLMX

SPACES = " \t\n\r\x0b\x0c"
MAXLINE = 2048  # sendmail reads test input with fgets into a buffer this size


class AddressTestSession:
    """One -bt session: state that test commands change (.D, .C, /tryflags)."""

    def __init__(self, config: Config, out: Callable[[str], None]) -> None:
        self.config = config
        self.write = out
        self.env = RewriteEnv(config, self._line, trace=True)
        self.rw = Rewriter(config)
        self.tryflags = 0
        define_session_macros(self.env)
        self.headers = HeaderList(config, self.env, self.rw)

    def _line(self, text: str) -> None:
        self.write(text + "\n")

    def run(self, stdin: TextIO, verbose: bool = False) -> int:
        self.write("ADDRESS TEST MODE (ruleset 3 NOT automatically invoked)\n")
        self.write("Enter <ruleset> <address>\n")
        while True:
            if not verbose:
                self.write("> ")
            raw = stdin.readline(MAXLINE - 1)
            if not raw:
                return self.env.exit_status
            line = raw.split("\n", 1)[0].split("\0", 1)[0]
            if verbose:
                self.write(f"> {line}\n")
            if self.command(line) is False:
                return self.env.exit_status

    def command(self, line: str) -> bool:
        """Process one input line; False after /quit."""
        line = line.lstrip(" ")
        if not line or line[0] == "#":
            return True
        handler = {".": self.dot, "=": self.dump, "-": self.debug, "$": self.show,
                   "/": self.slash, "?": self.help}.get(line[0], self.rulesets)
        return handler(line) is not False

    def help(self, line: str) -> None:
        for text in help_lines(self.config, self.env, "-bt"):
            self.write(text + "\n")

    def dot(self, line: str) -> None:
        kind = line[1:2]
        names = self.env.names
        if kind == "D":
            mid, end = names.parse(line, 2, self.env.syserr)
            if mid:
                from monomail.config.macros import translate_dollars
                value = translate_dollars(line[end:], names, self.config.level, self.env.syserr)
                self.env.macros[mid] = value
        elif kind == "C":
            if len(line) == 2:
                return
            mid, end = names.parse(line, 2, self.env.syserr)
            if mid:
                from monomail.config.macros import expand, translate_dollars
                text = translate_dollars(line[end:], names, self.config.level, self.env.syserr)
                for word in expand(text, self.env.macro_value, self.env.syserr).split():
                    self.env.classes.add(mid, word)
                self.env.classes_pristine = False
        elif kind == "":
            self.write("Usage: .[DC]macro value(s)\n")
        else:
            self.write(f'Unknown "." command {line}\n')

    def dump(self, line: str) -> None:
        kind = line[1:2]
        if kind == "S":
            self.dump_ruleset(line[2:])
        elif kind == "M":
            for m in self.config.mailers:
                self.write(self.format_mailer(m))
        elif kind == "":
            self.write("Usage: =Sruleset or =M\n")
        else:
            self.write(f'Unknown "=" command {line}\n')

    def dump_ruleset(self, name: str) -> None:
        number = self.rw.find_ruleset(name, self.env.syserr)
        if number < 0:
            self.write(f"Undefined ruleset {_as_cut_by_strtorwset(name)}\n")
            return
        for rule in self.config.rules[number] or ():
            lhs = "".join(self.env.xputs(t) + " " for t in rule.lhs)
            rhs = "".join(self.env.xputs(t) + " " for t in rule.rhs)
            self.write(f"R{lhs}\t\t{rhs}\n")

    def format_mailer(self, m) -> str:  # type: ignore[no-untyped-def]
        def rs(n: int) -> str:
            return self.config.ruleset_names.get(n) or str(n)
        flags = "".join(sorted(m.flags))
        text = (f"mailer {m.index} ({m.name}): P={m.path} S={rs(m.sender_env)}/"
                f"{rs(m.sender_hdr)} R={rs(m.recipient_env)}/{rs(m.recipient_hdr)} "
                f"M={m.maxsize} U={m.uid}:{m.gid} F={flags} L={m.linelimit} "
                f"E={self.env.xputs(m.eol)}")
        if m.charset is not None:
            text += f" C={m.charset}"
        types = [t if t is not None else "<undefined>" for t in (m.mtatype, m.addrtype,
                                                                 m.diagtype)]
        text += f" T={'/'.join(types)} r={m.maxrcpt}"
        text += " A=" + " ".join(self.env.xputs(a) for a in m.argv)
        return text + "\n"

    def debug(self, line: str) -> None:
        if line[1:2] == "d":
            return
        if line[1:2] == "":
            self.write("Usage: -d{debug arguments}\n")
        else:
            self.write(f'Unknown "-" command {line}\n')

    def show(self, line: str) -> None:
        names = self.env.names
        if line[1:2] == "=":
            mid = names.lookup(line[2:], self.env.syserr)
            if mid:
                for word in self.env.classes.listing(mid):
                    self.write(word + "\n")
            return
        mid = names.lookup(line[1:], self.env.syserr)
        if not mid:
            return
        value = self.env.macro_value(mid)
        self.write("Undefined\n" if value is None else self.env.xputs(value) + "\n")

    def slash(self, line: str) -> bool:
        line = line.rstrip(SPACES)
        cmd, arg = _split_word(line)
        if len(cmd) == 1:
            self.write("Usage: /[canon|map|mx|parse|try|tryflags]\n")
            return True
        name = cmd[1:].lower()
        if name == "quit":
            return False
        handler = SLASH_COMMANDS.get(name)
        if handler is None:
            self.write(f'Unknown "/" command {cmd}\n')
            return True
        handler(self, arg)
        return True

    def rulesets(self, line: str) -> None:
        p = line.lstrip(SPACES)
        names, rest = _split_word(p, keep_rest=True)
        if rest is None:
            self.write("No address!\n")
            return
        if invalidaddr(self.env, rest, True):
            return
        pos = 0
        while True:
            tokens, end = prescan(rest[pos:], ",", self._scan_table(), usrerr=self.env.usrerr)
            if tokens is not None:
                self._run_rulesets(names, tokens)
            pos += end
            if pos >= len(rest):
                break
            pos += 1

    def _scan_table(self) -> tuple[int, ...]:
        tables = self.env.tables
        return tables.nocomment if self.config.level >= 9 else tables.external

    def _run_rulesets(self, names: str, tokens: list[str]) -> None:
        p = names
        while p:
            number = self.rw.find_ruleset(p, self.env.syserr)
            if number < 0:
                self.write(f"Undefined ruleset {p}\n")
                return
            status = self.rw.rewrite(tokens, number, self.env)
            if status != ex.EX_OK:
                self.write(f"== Ruleset {p} ({number}) status {status}\n")
            comma = p.find(",")
            p = p[comma + 1:] if comma >= 0 else ""


def define_session_macros(env: RewriteEnv) -> None:
    """What sendmail defines after reading the cf: a queue id, who runs it, and the
    address type /tryflags changes (the date and ${opMode} come before the cf)."""
    import pwd
    from monomail.queue.ids import queue_id
    try:
        user = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        user = str(os.getuid())
    env.define_macro("i", queue_id())
    env.define_macro("_", f"{user}@localhost")
    env.define_macro("addr_type", "e r")


def _as_cut_by_strtorwset(text: str) -> str:
    """The name as sendmail's "Undefined ruleset" message shows it (see cut_after_name)."""
    start = len(text) - len(text.lstrip(SPACES))
    end = start
    while end < len(text) and text[end].isascii() and (text[end].isalnum() or text[end] == "_"):
        end += 1
    if end > start and text[start].isalpha():
        return text[:start] + cut_after_name(text[start:], end - start)
    return text


def help_lines(config: Config, env: RewriteEnv, topic: str) -> list[str]:
    """The HelpFile entries for `topic`, as sendmail's help() shows them (codes dropped)."""
    from monomail import __version__
    from monomail.config.macros import expand, translate_dollars
    from monomail.smtpd.helpfile import find_help
    path = config.options.get("HelpFile")

    def expanded(text: str) -> str:
        return expand(translate_dollars(text, env.names, config.level, env.syserr),
                      env.macro_value, env.syserr)

    entries = find_help(str(path) if path else None, topic, expanded)
    if entries is None:
        return [f"monomail {__version__} -- HELP not implemented"]
    out = list(entries.texts)
    out.append("End of HELP info" if out else f'HELP topic "{topic[:10]}" unknown')
    return out


def _split_word(line: str, keep_rest: bool = False) -> tuple[str, str | None]:
    """The first word and what follows the white space after it."""
    end = 0
    while end < len(line) and line[end] not in SPACES:
        end += 1
    if end >= len(line):
        return line, (None if keep_rest else "")
    rest = line[end:]
    if keep_rest:
        return line[:end], rest[1:]
    return line[:end], rest.lstrip(SPACES)


def cmd_parse(s: AddressTestSession, arg: str) -> None:
    if not arg:
        s.write("Usage: /parse address\n")
        return
    cracked = crackaddr(arg, bool(s.config.options.get("ColonOkInAddr")))
    s.write("Cracked address = " + s.env.xputs(cracked) + "\n")
    s.write(f"Parsing {_kind(s.tryflags)} address\n")
    a = parseaddr(s.rw, s.env, arg, s.tryflags)
    s.env.to = None
    if a is None:
        s.write("Cannot parse\n")
    elif a.host:
        s.write(f"mailer {a.mailer}, host {a.host}, user {a.user}\n")
    else:
        s.write(f"mailer {a.mailer}, user {a.user}\n")


def _kind(flags: int) -> str:
    return (("header" if flags & RF_HEADERADDR else "envelope") + " " +
            ("sender" if flags & RF_SENDERADDR else "recipient"))


def cmd_tryflags(s: AddressTestSession, arg: str) -> None:
    if not arg:
        s.write("Usage: /tryflags [Hh|Ee][Ss|Rr]\n")
        return
    for ch in arg:
        if ch in "Hh":
            s.tryflags |= RF_HEADERADDR
        elif ch in "Ee":
            s.tryflags &= ~RF_HEADERADDR
        elif ch in "Ss":
            s.tryflags |= RF_SENDERADDR
        elif ch in "Rr":
            s.tryflags &= ~RF_SENDERADDR
    value = ("h" if s.tryflags & RF_HEADERADDR else "e") + " " + \
        ("s" if s.tryflags & RF_SENDERADDR else "r")
    s.env.define_macro("addr_type", value)


def cmd_try(s: AddressTestSession, arg: str) -> None:
    mailer_name, addr = _split_word(arg)
    if not addr:
        s.write("Usage: /try mailer address\n")
        return
    mailer = s.config.mailer(mailer_name)
    if mailer is None:
        s.write(f"Unknown mailer {mailer_name}\n")
        return
    s.write(f"Trying {_kind(s.tryflags)} address {addr} for mailer {mailer_name}\n")
    result, rcode = remotename(s.rw, s.env, addr, mailer, s.tryflags)
    s.write(f"Rcode = {rcode}, addr = {'<NULL>' if result is None else result}\n")
    s.env.to = None


def cmd_map(s: AddressTestSession, arg: str) -> None:
    if not arg:
        s.write("Usage: /map mapname key\n")
        return
    cut = next((i for i, ch in enumerate(arg) if ch in SPACES), -1)
    if cut < 0:
        s.write("No key specified\n")
        return
    name, key = arg[:cut], arg[cut + 1:]
    handle = s.env.map(name)
    if handle is None:
        s.write(f'Map named "{name}" not found\n')
        return
    if not handle.open(s.env):
        s.write(f'Map named "{name}" not open\n')
        return
    s.write(f"map_lookup: {name} ({key}) ")
    value, status = handle.lookup_raw(key, [key], s.env)
    if value is None:
        s.write(f"no match ({status})\n")
    else:
        s.write(f"returns {value} ({status})\n")


def cmd_canon(s: AddressTestSession, arg: str) -> None:
    if not arg:
        s.write("Usage: /canon address\n")
        return
    answer = s.env.hosts.getcanonname(arg, s.env.macro("m"), report=s.env.message)
    s.write(f"getcanonname({arg}) returns {answer.name}\n")


def cmd_mx(s: AddressTestSession, arg: str) -> None:
    if not arg:
        s.write("Usage: /mx address\n")
        return
    answer = s.env.hosts.getmxrr(arg, s.env.macro("m"), tryfallback=True)
    if answer.count == NULLMX:
        s.write(f"getmxrr({arg}) returns null MX (See RFC7505)\n")
    else:
        s.write(f"getmxrr({arg}) returns {answer.count} value(s):\n")
    for host in answer.hosts[:max(answer.count, 0)]:
        s.write(f"\t{host}\n")


def cmd_expand(s: AddressTestSession, arg: str) -> None:
    if not arg:
        s.write("Usage: /expand string\n")
        return
    from monomail.config.macros import expand
    s.write(s.env.xputs(expand(arg, s.env.macro_value, s.env.syserr)))


def cmd_gethostbyname(s: AddressTestSession, arg: str) -> None:
    """sendmail resolves the name and prints nothing (its answer shows only in debug)."""
    import socket
    try:
        socket.gethostbyname_ex(arg.split()[0]) if arg else None
    except OSError:
        pass


def cmd_header(s: AddressTestSession, arg: str) -> None:
    flags = s.headers.chomp(arg)
    s.write(f"ul = {'0x%08x' % flags if flags else '00000000'}\n")


SLASH_COMMANDS: dict[str, Callable[[AddressTestSession, str], None]] = {
    "parse": cmd_parse, "tryflags": cmd_tryflags, "try": cmd_try, "map": cmd_map,
    "canon": cmd_canon, "mx": cmd_mx, "expand": cmd_expand,
    "gethostbyname": cmd_gethostbyname, "header": cmd_header,
}


def run_test_mode(config: Config, stdin: TextIO | None = None, verbose: bool = False) -> int:
    """Entry point for `-bt`: cf messages, then the interactive loop on stdin."""
    out = sys.stdout
    for text in config.output:
        out.write(text + "\n")
    if config.fatal:
        return config.fatal
    session = AddressTestSession(config, out.write)
    try:
        return session.run(stdin or sys.stdin, verbose)
    finally:
        out.flush()
