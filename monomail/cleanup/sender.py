"""The envelope sender as sendmail's setsender() establishes it: the parsed address,
`$f` (the form headers and Return-Path use), the full name `$x` and the sender's
domain for mailers with F=C.  Also the command line's full name (-F, NAME) and the
trust check behind `X-Authentication-Warning: ... set sender to ... using -f`."""

from __future__ import annotations

import pwd
from dataclasses import dataclass, field

from monomail.config.macros import expand
from monomail.config.model import Config, Mailer
from monomail.maps.sysmaps import full_name as gecos_full_name
from monomail.rewrite.addrutil import cataddr
from monomail.rewrite.crackaddr import MUST_QUOTE_CHARS
from monomail.rewrite.engine import Rewriter
from monomail.rewrite.env import RewriteEnv
from monomail.rewrite.headers import SenderFacts, denlstring
from monomail.rewrite.parseaddr import RF_SENDERADDR, Address, parseaddr
from monomail.rewrite.prescan import prescan
from monomail.rewrite.tokens import MACROEXPAND, MAXNAME

from .problems import Problem

SPECIAL_MAILERS = ("prog", "*file*", "*include*")


@dataclass
class Sender:
    """sendmail's e_from and the macros setsender defines."""

    paddr: str  # the address as given (q_paddr)
    address: Address  # mailer, host and user after rulesets 3 and 0
    mailer: Mailer
    envelope: str  # $f and $g: the address after rulesets 3, 1 and 4
    full_name: str | None = None  # $x
    home: str | None = None  # $z, from the password entry
    uid: int | None = None
    gid: int | None = None
    fromdomain: list[str] | None = None  # tokens after the last @ (mailers with F=C)
    problems: list[Problem] = field(default_factory=list)

    def facts(self) -> SenderFacts:
        return SenderFacts(self.paddr, self.address.user, self.mailer.flags)


def rfc822_string(text: str) -> bool:
    """sendmail's rfc822_string: balanced quotes and comments, and no character that
    would need quoting outside them."""
    quoted, level, i = False, 0, 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 1
            if i >= len(text):
                return False
        elif level == 0 and c == '"':
            quoted = not quoted
        elif not quoted:
            if c == ")":
                if level == 0:
                    return False
                level -= 1
            elif c == "(":
                level += 1
            elif level == 0 and c in MUST_QUOTE_CHARS:
                return False
        i += 1
    return not quoted and level == 0


def addquotes(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def full_name_argument(text: str) -> str:
    """-F (or $NAME) as main() keeps it: newlines become blanks, and a name with
    specials is quoted so crackaddr keeps it whole."""
    text = denlstring(text, strict=True)
    return text if rfc822_string(text) else addquotes(text)


def sender_argument(text: str) -> str:
    """-f/-r as main() keeps it: empty means the null sender, newlines become blanks."""
    return denlstring(text, strict=True) if text else "<>"


def setsender(config: Config, rw: Rewriter, env: RewriteEnv, given: str | None, *,
              real_user: str, smtp: bool, full_name: str | None = None,
              internal: bool = False) -> Sender:
    """Parse the sender as sendmail does and define $f, $g, $x (and $z).

    `given` is -f (or MAIL FROM's address, or None); `real_user` the login name of
    the submitting user; `full_name` the already cleaned -F value.  An address that
    does not parse, or names the prog/file/include mailer, gives way to the real
    user (command line) or MAILER-DAEMON, with "553 5.1.7 Invalid sender address"
    for the second case."""
    problems: list[Problem] = []
    env.define_macro("x", "")
    realname = given if smtp or internal else None
    realname = realname or real_user
    env.define_macro("addr_type", "e s")
    addr, text = _parse_sender(rw, env, given, realname, problems)
    mailer = config.mailer(addr.mailer)
    assert mailer is not None  # buildaddr only returns mailers the cf defines
    sender = Sender(text, addr, mailer, "", problems=problems)
    if mailer.has("w"):
        _password_entry(sender, env, full_name, internal)
    _envelope_form(sender, rw, env)
    return sender


def _parse_sender(rw: Rewriter, env: RewriteEnv, given: str | None, realname: str,
                  problems: list[Problem]) -> tuple[Address, str]:
    addr = None if given is None else parseaddr(rw, env, given, RF_SENDERADDR, isrcpt=False)
    if addr is not None and not addr.bad and addr.mailer not in SPECIAL_MAILERS:
        return addr, str(given)
    if given is not None and addr is not None and not addr.bad:
        problems.append(Problem("553 5.1.7 Invalid sender address"))
    saved, env.suppress_errors = env.suppress_errors, True
    try:
        if given != realname:
            addr = parseaddr(rw, env, realname, RF_SENDERADDR, isrcpt=False)
            if addr is not None and not addr.bad:
                return addr, realname
        for fallback in (expand(MACROEXPAND + "n", env.macro_value, env.syserr)[:99],
                         "postmaster"):
            addr = parseaddr(rw, env, fallback, 0, isrcpt=False)
            if addr is not None and not addr.bad:
                return addr, fallback
    finally:
        env.suppress_errors = saved
    raise ValueError("553 5.3.0 setsender: can't even parse postmaster!")


def _password_entry(sender: Sender, env: RewriteEnv, full_name: str | None,
                    internal: bool) -> None:
    """Mailers with F=w: home, ids and (unless given) the GECOS full name."""
    user = sender.address.user
    if not internal and full_name == "":
        full_name = None
    entry = None
    if user:
        try:
            entry = pwd.getpwnam(user)
        except (KeyError, ValueError):
            entry = None
    if entry is not None:
        sender.home = "" if entry.pw_dir == "/" else entry.pw_dir or None
        env.define_macro("z", sender.home)
        sender.uid, sender.gid = entry.pw_uid, entry.pw_gid
        gecos = gecos_full_name(entry.pw_gecos, entry.pw_name)
        if full_name is None and not internal and gecos and entry.pw_name == user:
            full_name = gecos
    if full_name is not None and not internal:
        sender.full_name = full_name
        env.define_macro("x", full_name)


def _envelope_form(sender: Sender, rw: Rewriter, env: RewriteEnv) -> None:
    """$f: the address through rulesets 3, 1 and 4; a route address gets angle
    brackets unless the mailer has F=d.  F=C keeps the domain for header addresses."""
    tokens, _ = prescan(sender.paddr, "\0", env.tables.internal, usrerr=env.usrerr)
    if tokens is None:
        raise ValueError(f"cannot prescan from ({sender.paddr})")
    for ruleset in (3, 1, 4):
        rw.rewrite(tokens, ruleset, env)
    env.define_macro("addr_type", None)
    text = cataddr(tokens, env.space_sub, False, env.tables.internal, MAXNAME + 2)
    if text.startswith("@") and not sender.mailer.has("d"):
        text = "<" + text + ">"
    sender.envelope = text
    env.define_macro("f", text)
    if sender.mailer.has("C"):
        env.define_macro("addr_type", "e s")
        for ruleset in (3, 1, 4):
            rw.rewrite(tokens, ruleset, env)
        env.define_macro("addr_type", None)
        ats = [i for i, tok in enumerate(tokens) if tok == "@"]
        if ats:
            sender.fromdomain = tokens[ats[-1]:]


def sender_warning(config: Config, sender: Sender, given: str, real_user: str,
                   flag: str = "f") -> str | None:
    """The X-Authentication-Warning text main() adds for -f/-r from an untrusted user:
    someone outside class t naming a sender other than their own local address."""
    if given == real_user or real_user.lower() in config.classes.get(ord("t"), frozenset()):
        return None
    if sender.mailer.has("l") and sender.address.user == real_user:
        return None
    return f"{real_user} set sender to {given} using -{flag}"

