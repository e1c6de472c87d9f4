"""What the cf decides about an SMTP session, asked the way srvrsmtp.c asks it.

The check_* rulesets, address parsing (ruleset 3 then 0, as for any address) and the
macros sendmail defines for them at the same moments: {client_*} and {daemon_*} at
connect, $s and $r at MAIL, {mail_*} after the sender parsed, {rcpt_*} after each
recipient parsed, {addr_type} around each check.  A real sendmail.cf's policy
(access map, relay control, DNSBLs) therefore runs unchanged.

Errors the rules raise ($#error, parse errors) go to the session's error sink as
sendmail's usrerr() would print them, with the address being worked on (e_to).
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator, Mapping

from monomail import sysexits as ex
from monomail.arpadate import arpadate
from monomail.config.macros import expand, translate_dollars
from monomail.log.fields import policy_line
from monomail.queue.qfcodec import check_macro
from monomail.rewrite.env import RewriteEnv
from monomail.rewrite.parseaddr import RF_SENDERADDR, Address, parseaddr
from monomail.rewrite.rscheck import RSF_COUNT, RSF_RMCOMM, RSF_UNSTRUCTURED, rscap, rscheck
from monomail.rewrite.tokens import CANONNET
from monomail.smtpd.replies import has_code, usrerr
from monomail.smtpd.settings import Runtime

if TYPE_CHECKING:
    from monomail.maps.hostlookup import HostLookup

log = logging.getLogger("monomail.smtpd")

ErrorSink = Callable[[str, "str | None"], None]   # (reply text, address it is about)
NOT_SENDERS = ("prog", "*file*", "*include*")


class SmtpEnv(RewriteEnv):
    """A RewriteEnv whose user errors become SMTP replies (sendmail's usrerr in SMTP
    mode); suppressed errors are remembered but neither shown nor counted."""

    def __init__(self, runtime: Runtime, sink: ErrorSink,
                 hosts: "HostLookup | None" = None) -> None:
        super().__init__(runtime.config, out=lambda text: None, hosts=hosts)
        self.sink = sink
        self.last_reply = ""      # sendmail's MsgBuf: the last error as a reply line

    def usrerr(self, message: str, to: str | None = None) -> None:
        self.side_effects += 1
        self.last_error = message
        to = to if to is not None else self.to
        self.last_reply = usrerr(message, to)
        if not self.suppress_errors:
            self.sink(message, to)

    def syserr(self, message: str) -> None:
        self.side_effects += 1
        log.error("SYSERR: %s", message)
        self.sink(message if has_code(message) else "554 5.3.0 " + message, None)
        if self.exit_status == ex.EX_OK:
            self.exit_status = ex.EX_SOFTWARE


@dataclass(frozen=True)
class Client:
    """Who is at the other end (sendmail's RealHostName, RealHostAddr and $_)."""

    addr: str                 # as anynet_ntoa prints it: "127.0.0.1", "IPv6:...", "0"
    port: int = 0
    name: str | None = None   # the PTR name, or "[addr]" when there is none
    resolve: str | None = None  # {client_resolve}: OK, FAIL, TEMP or FORGED
    authinfo: str = "localhost"  # $_: "name [addr]", "[addr]", or "user@localhost"
    forged: bool = False

    @classmethod
    def local_user(cls, user: str) -> "Client":
        """The -bs client: a local user on stdin, as sendmail's getauthinfo names it."""
        return cls(addr="0", authinfo=f"{user}@localhost")

    @classmethod
    def network(cls, host: str, port: int, name: str | None, resolve: str,
                forged: bool = False) -> "Client":
        addr = printable_address(host)
        real = name or f"[{addr}]"
        authinfo = real if real.startswith("[") else f"{real} [{addr}]"
        if forged:
            authinfo += " (may be forged)"
        return cls(addr, port, real, "FORGED" if forged else resolve, authinfo, forged)

    @property
    def peer_name(self) -> str:
        """sendmail's peerhostname / CurHostName."""
        return self.name or "localhost"

    @property
    def client_name(self) -> str | None:
        """{client_name}: "[addr]" for a client whose name may be forged."""
        return f"[{self.addr}]" if self.forged else self.name


def printable_address(host: str) -> str:
    """anynet_ntoa: dotted IPv4 (also for v4-mapped IPv6), else "IPv6:" and eight hex
    groups without zero compression (UseCompressedIPv6Addresses off)."""
    address = ipaddress.ip_address(host.split("%")[0])
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        groups = address.exploded.split(":")
        return "IPv6:" + ":".join(format(int(g, 16), "x") for g in groups)
    return str(address)


@dataclass(frozen=True)
class Daemon:
    """The listener a session came in on (one DaemonPortOptions entry)."""

    name: str = "MTA"
    flags: str = ""           # {daemon_flags}: the Modifier letters, blank separated
    family: str = "inet"
    addr: str = "0.0.0.0"     # {daemon_addr}: the address the listener was told to use
    port: int = 25
    modifiers: str = ""
    if_addr: str | None = None     # the address the client connected to, unless loopback
    if_family: str | None = None   # its address family number (2 inet, 10 inet6)
    if_name: str | None = None     # its name, or "[addr]"

    @classmethod
    def stdin(cls) -> "Daemon":
        """-bs: no listener; sendmail's {daemon_flags} for submissions on stdin."""
        return cls(name="", flags="c u", family="", addr="", port=0)


class MacroView(Mapping[str, str]):
    """The session's macros by name ("_", "{client_addr}"), read live: hooks see the
    values of the moment they look."""

    def __init__(self, env: RewriteEnv) -> None:
        self._env = env

    def _name(self, mid: int) -> str:
        return chr(mid) if 0x20 < mid <= 0x7F else "{" + self._env.macname(mid) + "}"

    def __getitem__(self, name: str) -> str:
        if len(name) == 1:
            mid = ord(name)
        else:
            mid = self._env.names.id_of(name.strip("{}"), self._env.syserr)
        return self._env.macros[mid]

    def __iter__(self) -> Iterator[str]:
        return (self._name(mid) for mid in list(self._env.macros))

    def __len__(self) -> int:
        return len(self._env.macros)

    def snapshot(self) -> dict[str, str]:
        """The values as they are now, for a hook that runs later."""
        return {self._name(mid): value for mid, value in self._env.macros.items()}


class Policy:
    """The cf's view of one session: one rewriting environment and its macros."""

    def __init__(self, runtime: Runtime, client: Client, daemon: Daemon,
                 sink: ErrorSink, hosts: "HostLookup | None" = None,
                 syslog: Callable[[int, str], None] = lambda threshold, text: None) -> None:
        self.runtime = runtime
        self.rw = runtime.rewriter
        self.env = SmtpEnv(runtime, sink, hosts)
        self.client = client
        self.daemon = daemon
        self.syslog = syslog
        self._ids: dict[str, int] = {}
        self.discard = False      # a ruleset chose $#discard (sendmail's EF_DISCARD)
        self._connection_macros()

    # --- macros
    def macro_id(self, name: str) -> int:
        """The id of "x" or "name" (without braces); ids of long names are looked up
        once per session, not parsed on every use (this is on the per-message path)."""
        mid = self._ids.get(name)
        if mid is None:
            mid = ord(name) if len(name) == 1 else self.env.names.id_of(name, self.env.syserr)
            self._ids[name] = mid
        return mid

    def define(self, name: str, value: str | None) -> None:
        if value is None:
            self.env.macros.pop(self.macro_id(name), None)
        else:
            self.env.macros[self.macro_id(name)] = value

    def macro(self, name: str) -> str | None:
        return self.env.macros.get(self.macro_id(name))

    def macro_view(self) -> "MacroView":
        return MacroView(self.env)

    def expand(self, text: str) -> str:
        """A cf string with its macros expanded (the greeting, help texts)."""
        return expand(text, self.env.macros.get, self.env.syserr)

    def expand_dollars(self, text: str) -> str:
        """Text from a file that writes macros with "$" (the help file)."""
        internal = translate_dollars(text, self.env.names, self.runtime.config.level,
                                     self.env.syserr)
        return self.expand(internal)

    def _connection_macros(self) -> None:
        c, d = self.client, self.daemon
        self.define("b", arpadate())
        self.define("_", c.authinfo)
        self.define("client_addr", c.addr)
        self.define("client_port", str(c.port))
        self.define("client_name", c.client_name)
        self.define("client_ptr", c.name)
        self.define("client_resolve", c.resolve)
        self.define("daemon_flags", d.flags)
        if d.name:
            self.define("daemon_name", d.name)
            self.define("daemon_family", d.family)
            self.define("daemon_addr", d.addr)
            self.define("daemon_port", str(d.port))
            self.define("if_name", d.if_name)
            self.define("if_addr", d.if_addr)
            self.define("if_family", d.if_family)

    def persistent_macros(self) -> tuple[tuple[str, str], ...]:
        """The macros a queued message keeps: class {persistentMacros} and the client
        details later checks read, as far as the queue file can hold them ($_ cannot:
        hooks find it in SessionInfo.macros)."""
        pairs = []
        for name in ("r", "s", "_", "{if_addr}", "{daemon_flags}", "{daemon_name}",
                     "{client_addr}", "{client_name}", "{client_port}", "{client_resolve}"):
            value = self.macro(name.strip("{}"))
            if not value:
                continue
            try:
                check_macro(name, value)
            except ValueError:
                continue
            pairs.append((name, value))
        return tuple(pairs)

    # --- rulesets
    def check(self, ruleset: str, p1: str, p2: str | None = None,
              flags: int = RSF_RMCOMM | RSF_COUNT) -> bool:
        """rscheck: False when the ruleset refused (its reply already went out)."""
        verdict = rscheck(self.rw, self.env, ruleset, p1, p2, flags)
        if verdict.discard:
            self.discard = True
        refused = verdict.status != ex.EX_OK
        if refused or verdict.discard:
            outcome = "discard" if verdict.discard else f"reject={self.env.last_reply}"
            self.syslog(3, policy_line(ruleset, p1, outcome, p2, self.macro("_")))
        return not refused

    def check_relay(self) -> bool:
        """At connect (daemon mode only), with the client's name and address."""
        return self.check("check_relay", self.client.client_name or "localhost",
                          self.client.addr)

    def srv_features(self) -> list[str] | None:
        """The letters srv_features returns after $#, or None if it says nothing."""
        tokens = rscap(self.rw, self.env, "srv_features", self.client.authinfo, "")
        if not tokens or tokens[0][:1] != CANONNET:
            return None
        return tokens[1:]

    def greet_pause(self) -> int:
        """Milliseconds to wait for a client that talks before the greeting."""
        tokens = rscap(self.rw, self.env, "greet_pause", self.client.peer_name,
                       self.client.addr)
        if not tokens or tokens[0][:1] != CANONNET or len(tokens) < 2:
            return 0
        digits = tokens[1][:len(tokens[1]) - len(tokens[1].lstrip("0123456789"))]
        return int(digits) if digits else 0

    # --- addresses
    def parse_sender(self, path: str) -> Address | None:
        """setsender: the sender must parse, and not to a program, file or include."""
        self.define("addr_type", "e s")
        try:
            address = parseaddr(self.rw, self.env, path, RF_SENDERADDR, isrcpt=False)
        finally:
            self.define("addr_type", None)
        if address is None or address.bad:
            return None
        if address.mailer in NOT_SENDERS:
            self.env.usrerr("553 5.1.7 Invalid sender address")
            return None
        return address

    def parse_recipient(self, path: str) -> Address | None:
        self.define("addr_type", "e r")
        try:
            address = parseaddr(self.rw, self.env, path, 0, isrcpt=True)
        finally:
            self.define("addr_type", None)
        return address

    def triple_macros(self, prefix: str, address: Address | None) -> None:
        """{mail_*} or {rcpt_*}: the mailer triple of the address just parsed."""
        if address is None:
            for part in ("mailer", "host", "addr"):
                self.define(f"{prefix}_{part}", None)
            return
        self.define(f"{prefix}_mailer", address.mailer)
        self.define(f"{prefix}_host", address.host or "localhost")
        self.define(f"{prefix}_addr", address.user)

    def check_address(self, ruleset: str, path: str, addr_type: str) -> bool:
        """check_mail / check_rcpt with {addr_type} set around it."""
        self.define("addr_type", addr_type)
        try:
            return self.check(ruleset, path)
        finally:
            self.define("addr_type", None)

    def check_unstructured(self, ruleset: str, p1: str, p2: str | None = None,
                           strip_comments: bool = False) -> bool:
        """check_data, check_eoh, check_eom, check_other: counts and command lines,
        not addresses, so the rules' own complaints are not shown."""
        flags = RSF_UNSTRUCTURED | (RSF_COUNT if ruleset != "check_other" else 0)
        return self.check(ruleset, p1, p2, flags | (RSF_RMCOMM if strip_comments else 0))

    def new_command(self) -> None:
        """Forget what the last command's rewrites read (only the cache uses it)."""
        self.env.macro_reads.clear()
        self.env.expiries.clear()
        self.env.to = None
