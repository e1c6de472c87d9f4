"""The SMTP listeners: sockets from DaemonPortOptions, one Session per connection.

An asyncio.Protocol (run it on uvloop) reads in bulk and hands everything to the
session's driver; the protocol core never blocks the loop except for the cf's own
rulesets.  Naming the client (PTR lookup, then the forward check that decides
"may be forged") runs in a worker thread before the greeting, as sendmail's
getauthinfo runs before smtp().

aiosmtpd is not used: it reads DATA a line at a time, answers 555 to RCPT
parameters and has no PIPELINING, and a bare aiosmtpd sink was measured about six
times slower than a minimal asyncio protocol (see bench/RESULTS.md).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import socket
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, cast

from monomail.log.writer import MailLog
from monomail.smtpd.driver import SessionDriver
from monomail.smtpd.hooks import Hooks
from monomail.smtpd.policy import Client, Daemon, printable_address
from monomail.smtpd.session import Session
from monomail.smtpd.settings import Runtime

log = logging.getLogger("monomail.smtpd")

DEFAULT_BACKLOG = 128      # sendmail's ListenQueueSize default on Linux (Listen=)
NAME_CACHE_SECONDS = 30.0  # how long a client's name is reused for its next connections
NAME_CACHE_SIZE = 4096
BUSY_REPLY = b"421 4.3.2 Too many open connections, try again later\r\n"
Resolver = Callable[[str], tuple[str | None, str, bool]]   # host -> (name, resolve, forged)


@dataclass(frozen=True)
class Listener:
    """One DaemonPortOptions setting, with sendmail's defaults filled in."""

    name: str = "MTA"
    family: str = "inet"
    addr: str | None = None        # None: every address of the family
    port: int | str = 25
    modifiers: str = ""
    backlog: int = DEFAULT_BACKLOG

    @classmethod
    def from_options(cls, settings: Mapping[str, object]) -> "Listener":
        family = str(settings.get("Family") or "inet")
        port = settings.get("Port", 25)
        backlog = settings.get("Listen")
        return cls(name=str(settings.get("Name") or "MTA"), family=family,
                   addr=str(settings["Addr"]) if settings.get("Addr") else None,
                   port=port if isinstance(port, int) else str(port),
                   modifiers=str(settings.get("Modifier") or ""),
                   backlog=backlog if isinstance(backlog, int) and backlog > 0
                   else DEFAULT_BACKLOG)

    @property
    def optional(self) -> bool:
        """Modifier O: a socket that cannot be opened is skipped, not fatal."""
        return "O" in self.modifiers

    def daemon(self, local: tuple[str, int] | str, local_name: str | None) -> Daemon:
        """This listener as the session of a connection to `local` sees it."""
        flags = " ".join(c + c if c.isupper() else c for c in self.modifiers)
        wildcard = "::" if self.family == "inet6" else "0.0.0.0"
        if_addr = if_family = None
        if isinstance(local, tuple):
            address = ipaddress.ip_address(local[0].split("%")[0])
            if not address.is_loopback:
                if_addr = printable_address(local[0])
                if_family = "10" if address.version == 6 else "2"
            if local_name is None:
                local_name = f"[{printable_address(local[0])}]"
        port = local[1] if isinstance(local, tuple) else 0
        listen = self.addr or wildcard
        try:
            listen = printable_address(listen)
        except ValueError:
            pass                # a socket path, or a host name given as Addr=
        return Daemon(self.name, flags, self.family, listen, port, self.modifiers,
                      if_addr, if_family, local_name)

    def numeric_port(self) -> int:
        if isinstance(self.port, int):
            return self.port
        return socket.getservbyname(self.port, "tcp")


def listeners_from_config(options: Mapping[str, object]) -> list[Listener]:
    """The cf's DaemonPortOptions; none at all means sendmail's one MTA on port 25."""
    settings = cast(Iterable[Mapping[str, object]], options.get("DaemonPortOptions") or ())
    return [Listener.from_options(s) for s in settings] or [Listener()]


def system_resolver(host: str) -> tuple[str | None, str, bool]:
    """The client's name as sendmail finds it: the C library's reverse lookup, then a
    forward lookup of that name that must give the address back ("may be forged")."""
    try:
        name = socket.gethostbyaddr(host)[0]
    except socket.herror as exc:
        return None, "TEMP" if exc.errno == 2 else "FAIL", False   # 2: TRY_AGAIN
    except OSError:
        return None, "FAIL", False
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, None)}
    except OSError:
        return name, "OK", True
    return name, "OK", host not in addresses


class SmtpServer:
    """Every listener of one daemon; sessions read the Runtime current when they start,
    so a reload (set_runtime) changes new sessions only.  `max_sessions` (default:
    MaxDaemonChildren) caps concurrent sessions: sendmail leaves connections over the
    cap waiting in the listen queue, one process cannot, so they get 421 at once."""

    def __init__(self, runtime: Runtime, hooks: Hooks, *, maillog: MailLog | None = None,
                 resolver: Resolver = system_resolver, max_sessions: int = 0) -> None:
        self.runtime = runtime
        self.hooks = hooks
        self.maillog = maillog
        self.resolver = resolver
        self.max_sessions = max_sessions
        self.sessions: set[SmtpProtocol] = set()
        self.servers: list[asyncio.Server] = []
        self._names: dict[str, tuple[float, tuple[str | None, str, bool]]] = {}

    def cached_name(self, host: str) -> tuple[str | None, str, bool] | None:
        """A client name resolved in the last NAME_CACHE_SECONDS: busy senders reconnect
        from the same address, and a thread hop per connection costs more than all the
        rest of the greeting."""
        cached = self._names.get(host)
        if cached is not None and cached[0] > asyncio.get_running_loop().time():
            return cached[1]
        return None

    async def client_name(self, host: str) -> tuple[str | None, str, bool]:
        """The resolver's answer, looked up in a worker thread (it may ask the DNS)."""
        loop = asyncio.get_running_loop()
        answer = await loop.run_in_executor(None, self.resolver, host)
        if answer[1] != "TEMP":
            if len(self._names) >= NAME_CACHE_SIZE:
                self._names.clear()
            self._names[host] = (loop.time() + NAME_CACHE_SECONDS, answer)
        return answer

    def set_runtime(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def listen(self, listeners: list[Listener]) -> list[tuple[str, int]]:
        """Open every listener; returns the (address, port) pairs bound."""
        loop = asyncio.get_running_loop()
        bound: list[tuple[str, int]] = []
        for listener in listeners:
            try:
                server = await self._open(loop, listener)
            except OSError as exc:
                if not listener.optional:
                    raise
                log.warning("daemon %s: optional socket not opened: %s", listener.name, exc)
                continue
            self.servers.append(server)
            for sock in server.sockets:
                name = sock.getsockname()
                bound.append((str(name[0]), int(name[1])) if isinstance(name, tuple)
                             else (str(name), 0))
        return bound

    async def _open(self, loop: asyncio.AbstractEventLoop,
                    listener: Listener) -> asyncio.Server:
        def factory() -> SmtpProtocol:
            return SmtpProtocol(self, listener)
        if listener.family == "local":
            path = listener.addr or ""
            if os.path.exists(path):
                os.unlink(path)
            return await loop.create_unix_server(factory, path, backlog=listener.backlog)
        family = socket.AF_INET6 if listener.family == "inet6" else socket.AF_INET
        host = listener.addr or ("::" if family == socket.AF_INET6 else "0.0.0.0")
        return await loop.create_server(factory, host, listener.numeric_port(),
                                        family=family, backlog=listener.backlog,
                                        reuse_address=True)

    def close(self) -> None:
        """Stop accepting; sessions in progress go on."""
        for server in self.servers:
            server.close()

    async def wait_closed(self) -> None:
        for server in self.servers:
            await server.wait_closed()


class SmtpProtocol(asyncio.Protocol):
    """One connection: who it is, then its session."""

    def __init__(self, server: SmtpServer, listener: Listener) -> None:
        self.server = server
        self.listener = listener
        self.transport: asyncio.Transport | None = None
        self.driver: SessionDriver | None = None
        self._early: list[bytes] = []
        self._eof = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)   # uvloop's is no subclass
        server = self.server
        limit = server.max_sessions or server.runtime.settings.max_children
        if limit and len(server.sessions) >= limit:
            self.transport.write(BUSY_REPLY)
            self.transport.close()
            return
        server.sessions.add(self)
        peer = self.transport.get_extra_info("peername")
        if not isinstance(peer, tuple):
            self._begin(Client(addr="[UNIX: localhost]", name="localhost", resolve="OK",
                               authinfo="localhost"),
                        self.listener.daemon(str(self.transport.get_extra_info("sockname")),
                                             "localhost"))
            return
        local = self.transport.get_extra_info("sockname")
        known, here = server.cached_name(peer[0]), server.cached_name(local[0])
        if known is not None and here is not None:
            self._begin(Client.network(peer[0], peer[1], *known),
                        self.listener.daemon(local, here[0]))
        else:
            asyncio.ensure_future(self._resolve_and_begin(peer, local))

    async def _resolve_and_begin(self, peer: tuple[str, int], local: tuple[str, int]) -> None:
        name, resolve, forged = await self.server.client_name(peer[0])
        here = await self.server.client_name(local[0])
        assert self.transport is not None
        if self.transport.is_closing():
            self.server.sessions.discard(self)
            return
        self._begin(Client.network(peer[0], peer[1], name, resolve, forged),
                    self.listener.daemon(local, here[0]))

    def _begin(self, client: Client, daemon: Daemon) -> None:
        assert self.transport is not None
        session = Session(self.server.runtime, client, daemon, self.server.hooks,
                          maillog=self.server.maillog)
        self.driver = SessionDriver(session, self.transport.write, self.transport.close,
                                    pause_reading=self.transport.pause_reading,
                                    resume_reading=self.transport.resume_reading)
        self.driver.start()
        for data in self._early:
            self.driver.data_received(data)
        self._early.clear()
        if self._eof:
            self.driver.eof_received()

    def data_received(self, data: bytes) -> None:
        if self.driver is None:
            self._early.append(data)
        else:
            self.driver.data_received(data)

    def eof_received(self) -> bool | None:
        if self.driver is None:
            self._eof = True
        else:
            self.driver.eof_received()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.sessions.discard(self)
        if self.driver is not None:
            self.driver.connection_lost()
