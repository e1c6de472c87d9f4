"""What a rewrite needs besides the rules: macros, classes, maps and output sinks.

One RewriteEnv per message (or per -bt session).  It layers changes over the
frozen Config, so `.D` and `.C` in test mode or `{client_addr}` in the daemon
never touch the shared configuration.  It is also the MapContext maps ask for
macros, classes and host lookups.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

from monomail import sysexits as ex
from monomail.clib import MAXSHORTSTR, shortenstring
from monomail.config.classes import ClassTable
from monomail.config.model import Config
from monomail.dsn.status import split_reply
from .addrutil import cataddr, lower
from .prescan import TokenTables
from .tokens import printav, xputs

if TYPE_CHECKING:
    from monomail.maps.base import Map
    from monomail.maps.hostlookup import HostLookup

Sink = Callable[[str], None]
MAXLINE = 2048
SMTP_CODES_WITH_ADDRESS = ("050", "250", "252", "450", "550", "553")


def build_tables(config: Config) -> TokenTables:
    """The Config's token tables, built on first use and shared by every RewriteEnv."""
    tables = config.memo.get("tables")
    if tables is None:
        chars = str(config.options.get("OperatorChars") or "")
        if not chars:
            chars = config.macros.get(ord("o"), "") if config.level < 7 else ""
        tables = config.memo["tables"] = TokenTables.build(chars or ".:@[]")
    return tables


class RewriteEnv:
    """Mutable per-use state over an immutable Config."""

    def __init__(self, config: Config, out: Sink, trace: bool = False,
                 hosts: "HostLookup | None" = None) -> None:
        self.config = config
        self.names = config.names.copy()
        self._long_ids: dict[str, int] = {}  # long macro names already looked up
        self.macros: dict[int, str] = dict(config.macros)
        if "prefixes" not in config.memo:
            config.memo["prefixes"] = ClassTable.shared_prefixes(config.classes)
        self.classes = ClassTable.from_config(config.classes, config.class_order,
                                              config.memo["prefixes"])
        self.tables = build_tables(config)
        blank = str(config.options.get("BlankSub") or " ")
        self.space_sub = blank[:1] or " "
        self.out = out
        self.trace: Sink | None = out if trace else None
        self.to: str | None = None  # sendmail's e_to: the address errors are about
        self.suppress_errors = False  # sendmail's SuprErrs: user errors are not shown
        self.last_error: str | None = None  # the last user error, codes included
        self.exit_status = config.exit_status  # sendmail's ExitStat
        self.side_effects = 0  # bumped by output and lookups in maps outside our control
        self.macro_reads: list[tuple[int, str | None]] = []
        self.expiries: list[float] = []  # when replayable lookups in this rewrite go stale
        self.namecanon: dict = {}  # the host map's per-process name cache, as sendmail's
        self.classes_pristine = True  # false once a class differs from the cf's
        self._hosts = hosts

    # --- output, the way sendmail's err.c formats it in test mode
    def macname(self, mid: int) -> str:
        return self.names.name(mid)

    def printav(self, tokens: Sequence[str]) -> str:
        return printav(tokens, self.macname).rstrip("\n")

    def xputs(self, s: str | None) -> str:
        return xputs(s, self.macname)

    def usrerr(self, message: str, to: str | None = None) -> None:
        """A user error: the reply code is dropped, the address named for 5xx/4xx ones."""
        self.side_effects += 1
        self.last_error = message
        if self.suppress_errors:
            return
        self.out(format_error(message, to if to is not None else self.to))

    def syserr(self, message: str) -> None:
        self.side_effects += 1
        self.out(format_error(message if message[:3].isdigit() else "554 " + message, None))
        if self.exit_status == ex.EX_OK:
            self.exit_status = ex.EX_SOFTWARE

    def setstat(self, status: int) -> None:
        """sendmail's setstat: the first hard status sticks, a temporary one may be replaced."""
        if self.exit_status in (ex.EX_OK, ex.EX_TEMPFAIL):
            self.exit_status = status

    def message(self, text: str) -> None:
        self.side_effects += 1
        self.out(text)

    # --- macros and classes
    def macro_value(self, mid: int) -> str | None:
        """A macro read while rewriting: remembered, so cached results can be checked."""
        value = self.macros.get(mid)
        self.macro_reads.append((mid, value))
        return value

    def macros_unchanged(self, reads: tuple[tuple[int, str | None], ...]) -> bool:
        macros = self.macros
        return all(macros.get(mid) == value for mid, value in reads)

    def macro(self, name: str) -> str | None:
        """A macro read by a map: recorded like the rules' own reads."""
        return self.macro_value(self._mid(name))

    def define_macro(self, name: str, value: str | None) -> None:
        mid = self._mid(name)
        if value is None:
            self.macros.pop(mid, None)
        else:
            self.macros[mid] = value

    def _mid(self, name: str) -> int:
        if len(name) == 1:
            return ord(name)
        mid = self._long_ids.get(name)
        if mid is None:
            mid = self._long_ids[name] = self.names.lookup("{" + name.strip("{}") + "}",
                                                           self.syserr)
        return mid

    def in_class(self, mid, word: str, prefix: bool = False) -> bool:  # type: ignore[no-untyped-def]
        """Is `word` in the class (or, with prefix, could a longer phrase be)?"""
        if isinstance(mid, str):
            mid = self._mid(mid)
        if prefix:
            return lower(word) in self.classes.prefixes[mid]
        return self.classes.contains(mid, word)

    def join_phrase(self, tokens: list[str]) -> str:
        """A class phrase as wordinclass sees it (cataddr into a MAXLINE buffer)."""
        return cataddr(tokens, self.space_sub, True, self.tables.internal, MAXLINE)

    # --- maps
    @property
    def hosts(self) -> "HostLookup":
        if self._hosts is None:
            from monomail.maps.hostlookup import HostLookup
            opts = self.config.options
            fallback = opts.get("FallbackMXhost")
            resolver = opts.get("ResolverOptions") or {}
            server = opts.get("Monomail.NameServer")
            self._hosts = HostLookup(
                nameservers=[server.address] if server else None,  # type: ignore[attr-defined]
                port=(server.port or 53) if server else 53,  # type: ignore[attr-defined]
                service_switch_file=str(opts.get("ServiceSwitchFile") or
                                        "/etc/mail/service.switch"),
                hosts_file=str(opts.get("HostsFile") or "/etc/hosts"),
                has_wildcard_mx=bool(resolver.get("HasWildcardMX")),
                work_around_broken_aaaa=bool(resolver.get("WorkAroundBrokenAAAA")),
                dont_expand_cnames=bool(opts.get("DontExpandCnames")),
                try_null_mx_list=bool(opts.get("TryNullMXList")),
                fallback_mx_hosts=[str(fallback)] if fallback else None,
                config_level=self.config.level,
                my_hostname=self.macros.get(ord("j"), ""),
                resolver_flags={k: v for k, v in resolver.items() if k in ("dnsrch", "defnames")})
        return self._hosts

    def map(self, name: str) -> "Map | None":
        from monomail.maps.seqmap import find_map
        return find_map(self.config.maps, name)

    get_map = map

    def lookup_map(self, handle: "Map", key: str, args: list[str]) -> tuple[str | None, int]:
        from monomail.config.errors import ConfigError
        try:
            return handle.lookup(key, args, self)
        except ConfigError as exc:
            self.syserr(str(exc))
            return None, ex.EX_CONFIG


def format_error(message: str, to: str | None) -> str:
    """sendmail's fmtmsg + putoutmsg for the terminal: '[addr... ]text'."""
    code, text = split_reply(message)
    if to and code in SMTP_CODES_WITH_ADDRESS:
        text = f"{shortenstring(to, MAXSHORTSTR)}... {text}"
    return "".join(chr(ord(ch) & 0x7F) for ch in text)


