"""One SMTP connection: connecting, the greeting, EHLO/HELO, STARTTLS, commands, QUIT.

This is sendmail's makeconnection, smtpinit, reply and smtpquit, over aiosmtplib's
SMTPProtocol (its reply parser, command-injection guard and TLS upgrade), extended to
keep several commands in flight.  The SMTP
class above it is not used: its connect() drops the connection on a bad greeting before
a QUIT can be sent, and its mail()/rcpt() re-parse addresses with email.utils, which
loses source routes and may rewrite quoted local parts.

What sendmail prints with -v goes to the Dialogue's listener (">>> MAIL From:<a@b>"
and the reply lines as received); 4xx and 5xx replies also go to the error transcript
that a bounce quotes ("... while talking to host:", ">>> command", "<<< reply").
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import ssl
import time
from dataclasses import dataclass
from typing import AsyncIterator, Callable

from aiosmtplib.errors import SMTPException, SMTPResponseException, SMTPTimeoutError
from aiosmtplib.esmtp import parse_esmtp_extensions
from aiosmtplib.protocol import (COMMAND_INJECTION_REGEX as COMMAND_INJECTION,
                                 MAX_RESPONSE_LENGTH, SMTPProtocol)
from aiosmtplib.response import SMTPResponse

from monomail import sysexits as ex
from monomail.clib import MAXSHORTSTR, shortenstring
from monomail.config.model import Mailer
from monomail.maps.resolver import NO_DATA, NO_RECOVERY, TRY_AGAIN

from .mx import MxResolver
from .program import Identity
from .smtpsettings import ClientSettings
from .smtpwire import Reply

DNS_ERRORS = {TRY_AGAIN: "host name lookup failure", NO_RECOVERY: "non-recoverable error",
              NO_DATA: "no data known"}


@dataclass(frozen=True)
class HostStatus:
    """A host's state after a failure (sendmail's mci_setstat): exit status, DSN status,
    the reply that caused it (q_rstatus) and the errno-style detail giveresponse shows."""

    rcode: int
    status: str | None = None
    reply: str | None = None
    detail: str | None = None
    address: str | None = None


class HostDown(Exception):
    """This host cannot be used now; the delivery tries the next one."""

    def __init__(self, state: HostStatus) -> None:
        super().__init__(state)
        self.state = state


class TlsFailed(HostDown):
    """The TLS handshake failed; the connection is gone (TLSFallbacktoClear may retry)."""


class LinkLost(Exception):
    """The connection broke or went silent mid-dialogue (reply() returning -1)."""

    def __init__(self, detail: str, reply: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.reply = reply


class Dialogue:
    """The listeners of one delivery: -v output and the bounce transcript."""

    def __init__(self, verbose: Callable[[str], None] | None, transcript: list[str],
                 to: str = "") -> None:
        self.verbose = verbose
        self.transcript = transcript
        self.to = to
        self.log: list[str] = []
        self._need_intro = True

    def say(self, text: str) -> None:
        """A protocol line (nmessage): shown as is."""
        if self.verbose is not None:
            self.verbose(text)

    def message(self, text: str, to: str | None = None) -> None:
        """A progress line (message): "to... text"."""
        if self.verbose is not None:
            who = shortenstring(self.to if to is None else to, MAXSHORTSTR)
            self.verbose(f"{who}... {text}" if who else text)

    def error_reply(self, host: str, command: str | None, reply: Reply) -> None:
        """A 4xx/5xx reply enters the transcript, after the command sent last unless
        that is already there (so with PIPELINING the replies to the RCPTs follow the
        DATA sent after them, as in sendmail's transcripts)."""
        if self._need_intro:
            self.transcript.append(f"... while talking to {host}:")
            self._need_intro = False
        if command is not None:
            self.transcript.append(f">>> {command}")
        self.transcript.extend(f"<<< {line}" for line in reply.shown())


class PipeliningProtocol(SMTPProtocol):
    """aiosmtplib's protocol with several commands in flight (RFC 2920 PIPELINING).

    aiosmtplib parses a reply only when data arrives for a command that waits, and drops
    whatever arrives while none waits; with commands pipelined, the replies to later
    ones can arrive together with an earlier one, or before their reader asks.  So every
    byte is kept, and a reader first takes a reply already in the buffer.  (This uses
    SMTPProtocol's reply buffer and waiter, as of aiosmtplib 5.x; test_deliver_smtp
    pipelines against a sink that answers everything at once.)
    """

    def data_received(self, data: bytes) -> None:
        if self._response_waiter is None:
            return
        self._buffer.extend(data)
        if len(self._buffer) > MAX_RESPONSE_LENGTH * 64:
            del self._buffer[:]
            self._fail(SMTPResponseException(-1, "Response too long"))
            return
        self._hand_over()

    async def read_response(self, timeout: float | None = None) -> SMTPResponse:
        self._response_pending = True
        self._hand_over()
        return await super().read_response(timeout=timeout)

    def _hand_over(self) -> None:
        """Give the waiting reader a complete reply from the buffer, if there is one."""
        waiter = self._response_waiter
        if waiter is None or waiter.done() or not self._response_pending:
            return
        try:
            response = self._read_response_from_buffer()
        except SMTPResponseException as error:
            self._fail(error)
            return
        if response is not None:
            waiter.set_result(response)

    async def drain(self, timeout: float | None) -> None:
        """Wait until the transport has taken what was written (the message data)."""
        try:
            await asyncio.wait_for(self._drain_helper(), timeout)
        except asyncio.TimeoutError:
            raise SMTPTimeoutError("Timed out writing the message") from None

    def _fail(self, error: Exception) -> None:
        waiter = self._response_waiter
        if waiter is not None and not waiter.done():
            self._set_response_exception(waiter, error)


class SmtpSession:
    """An open SMTP connection to one host of one mailer (sendmail's MCI)."""

    def __init__(self, protocol: PipeliningProtocol, mailer: Mailer, host: str,
                 address: str | None, settings: ClientSettings, dialogue: Dialogue,
                 process: asyncio.subprocess.Process | None = None) -> None:
        self.protocol = protocol
        self.process = process
        self.lmtp = mailer.has("z")
        self.mailer = mailer
        self.host = host
        self.address = address
        self.settings = settings
        self.dialogue = dialogue
        self.key = (mailer.name, host.lower())
        self.max_deliveries = mailer.maxdeliveries
        self.deliveries = 0
        self.last_use = time.monotonic()
        self.esmtp = False
        self.eight_bit_ok = False
        self.tls = False
        self.extensions: dict[str, str] = {}
        self._unlogged: str | None = None  # the last command, until the transcript has it

    # ---- state ------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.protocol.is_connected

    def offers(self, keyword: str) -> bool:
        return keyword.lower() in self.extensions

    @property
    def max_size(self) -> int:
        """The SIZE the server announced (0: none or no limit)."""
        value = self.extensions.get("size", "")
        return int(value) if value.isdigit() else 0

    @property
    def enhanced_codes(self) -> bool:
        return self.offers("enhancedstatuscodes")

    # ---- talking ----------------------------------------------------------------------

    async def command(self, line: str, timeout: str, phase: str) -> Reply:
        """Send one command and read its reply; LinkLost when the link fails."""
        self.dialogue.say(f">>> {line}")
        self._unlogged = line
        try:
            response = await self.protocol.execute_command(
                line.encode("utf-8"), timeout=self.settings.timeout(timeout))
        except ValueError as error:  # a control character: never put on the wire
            raise LinkLost(f"refusing to send {line!r}: {error}") from None
        except (SMTPException, OSError) as error:
            raise self._lost(error, phase) from None
        return await self._received(Reply.of(response.code, response.message), line)

    async def pipeline(self, lines: list[str], timeouts: list[str], phase: str
                       ) -> AsyncIterator[Reply]:
        """Send several commands at once and yield their replies in order (PIPELINING),
        each read within its own Timeout.  As sendmail's transcript does, errors are
        quoted after the last command sent."""
        for line in lines:
            self.dialogue.say(f">>> {line}")
        data = b"".join(line.encode("utf-8") + b"\r\n" for line in lines)
        if COMMAND_INJECTION.search(data.replace(b"\r\n", b"")):
            raise LinkLost(f"refusing to send {lines!r}: a control character")
        self.write(data, phase)
        self._unlogged = lines[-1]
        for timeout in timeouts:
            try:
                response = await self.protocol.read_response(
                    timeout=self.settings.timeout(timeout))
            except (SMTPException, OSError) as error:
                raise self._lost(error, phase) from None
            yield await self._received(Reply.of(response.code, response.message), lines[-1])

    async def read_reply(self, timeout: str, phase: str) -> Reply:
        """The reply to something sent with `write` (the greeting, the message data)."""
        try:
            response = await self.protocol.read_response(timeout=self.settings.timeout(timeout))
        except (SMTPException, OSError) as error:
            raise self._lost(error, phase) from None
        return await self._received(Reply.of(response.code, response.message), None)

    def write(self, data: bytes, phase: str = "client DATA") -> None:
        try:
            self.protocol.write(data)
        except (SMTPException, OSError) as error:
            raise self._lost(error, phase) from None

    async def send_data(self, data: bytes) -> None:
        """The message data, sent within Timeout.datablock."""
        self.write(data)
        try:
            await self.protocol.drain(self.settings.timeout("datablock"))
        except (SMTPException, OSError) as error:
            raise self._lost(error, "client DATA") from None

    async def _received(self, reply: Reply, command: str | None) -> Reply:
        """Show a reply, keep errors for the transcript; 421 ends the session (QUIT)."""
        for shown in reply.shown():
            self.dialogue.say(shown)
        if reply.kind == 4 or (reply.kind == 5 and not (command or "").startswith("EHLO")):
            self.dialogue.error_reply(self.host, self._unlogged, reply)
            self._unlogged = None
        if reply.code == 421 and command != "QUIT":
            await self.quit()
        return reply

    def _lost(self, error: BaseException, phase: str) -> LinkLost:
        """sendmail's words for a link that failed while waiting for `phase`."""
        self.close()
        if isinstance(error, (SMTPTimeoutError, asyncio.TimeoutError)):
            self.dialogue.log.append(f"timeout waiting for input from {self.host} during {phase}")
            return LinkLost(f"Connection timed out with {self.host}")
        if isinstance(error, SMTPResponseException) and error.code < 0:
            return LinkLost(f"{error.message} from {self.host}")
        return LinkLost("", f"421 4.4.1 Connection reset by {self.host}")

    def close(self) -> None:
        transport = self.protocol.transport
        if transport is not None:
            transport.close()
        if self.process is not None and self.process.returncode is None:
            asyncio.get_running_loop().create_task(self._reap(self.process))
            self.process = None

    async def _reap(self, process: asyncio.subprocess.Process) -> None:
        """endmailer: wait for a mailer program (W=, else a minute), then kill its group."""
        try:
            await asyncio.wait_for(process.wait(), self.mailer.wait or 60)
        except asyncio.TimeoutError:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            await process.wait()

    async def quit(self) -> None:
        """smtpquit: QUIT (errors ignored), close, and for a mailer program wait for it to
        end (endmailer)."""
        if self.is_open:
            try:
                await self.command("QUIT", "quit", "client QUIT")
            except LinkLost:
                pass
        process, self.process = self.process, None
        self.close()
        if process is not None and process.returncode is None:
            await self._reap(process)

    async def retire(self) -> None:
        """A cached connection leaves the cache (mci_uncache)."""
        self.dialogue.message(f"Closing connection to {self.host}", to="")
        await self.quit()

    async def probe(self) -> bool:
        """smtpprobe: RSET on a cached connection before it is used again."""
        try:
            reply = await self.command("RSET", "misc", "client probe")
        except LinkLost:
            return False
        if reply.kind != 2:
            await self.quit()
            return False
        return True

    # ---- opening ----------------------------------------------------------------------

    async def hello(self, greeting: Reply, use_tls: bool = True) -> None:
        """smtpinit after the greeting: EHLO (or HELO), the loop check, STARTTLS."""
        self.esmtp = (self.mailer.has("a") or self.mailer.has("z")
                      or any("ESMTP" in t for t in greeting.lines))
        self.eight_bit_ok = any("8BIT-OK" in t for t in greeting.lines)
        await self._introduce()
        if use_tls and self.settings.tls is not None and self.offers("starttls"):
            await self._starttls()

    async def _introduce(self) -> None:
        while True:
            verb = "EHLO" if self.esmtp and not self.mailer.has("2") else "HELO"
            if self.lmtp:
                verb = "LHLO"
            reply = await self.command(f"{verb} {self.settings.helo_name}",
                                       "lhlo" if self.lmtp else "helo", f"client {verb}")
            if reply.kind == 5 and verb == "EHLO":
                self.esmtp = False
                continue
            if reply.kind == 5:
                await self.abandon(ex.EX_UNAVAILABLE, "5.5.0", reply.line)
            if reply.kind != 2:
                await self.abandon(ex.EX_TEMPFAIL, "4.5.0", reply.line)
            break
        self.extensions = parse_esmtp_extensions(
            "\n".join(reply.lines))[0] if verb != "HELO" else {}
        name = reply.lines[0].split(" ", 1)[0]
        if (not self.mailer.has("k") and not self.lmtp
                and name.lower() == self.settings.my_hostname.lower()):
            self.dialogue.transcript.append(
                f"553 5.3.5 {self.host} config error: mail loops back to me (MX problem?)")
            await self.abandon(ex.EX_CONFIG, "5.3.5", "553 5.3.5 system config error")

    async def _starttls(self) -> None:
        """Opportunistic STARTTLS: a refusal leaves the session in clear text, a failed
        handshake loses the connection (sendmail then tries the next host)."""
        self.dialogue.say(">>> STARTTLS")
        self._unlogged = "STARTTLS dialogue"
        try:
            response = await self.protocol.start_tls(
                self.settings.tls, server_hostname=self._sni(),  # type: ignore[arg-type]
                timeout=self.settings.timeout("starttls"))
        except SMTPResponseException as refusal:
            if refusal.code > 0:
                await self._received(Reply.of(refusal.code, refusal.message), "STARTTLS")
                return
            self.close()
            raise self._tls_failed() from None
        except (SMTPException, OSError, ssl.SSLError):
            self.close()
            raise self._tls_failed() from None
        await self._received(Reply.of(response.code, response.message), "STARTTLS")
        self.tls = True
        await self._introduce()

    def _tls_failed(self) -> TlsFailed:
        return TlsFailed(HostStatus(ex.EX_TEMPFAIL, "4.7.0", "403 4.7.0 server not authenticated.",
                                    address=self.address))

    def _sni(self) -> str | None:
        name = self.host.rstrip(".")
        return None if name.startswith("[") or not name else name

    async def abandon(self, rcode: int, status: str, reply: str) -> None:
        """QUIT and report the host unusable (smtpinit's tempfail2 and unavailable); a
        4xx reply is also what "Deferred: ..." quotes."""
        await self.quit()
        detail = reply if rcode == ex.EX_TEMPFAIL else None
        raise HostDown(HostStatus(rcode, status, reply, detail, self.address))


async def open_session(mailer: Mailer, host: str, port: int | None, settings: ClientSettings,
                       mx: MxResolver, dialogue: Dialogue, first_try: bool = True,
                       use_tls: bool = True) -> SmtpSession:
    """makeconnection + smtpinit: a session ready for MAIL, or HostDown."""
    addresses, herrno = await mx.addresses(host)
    if not addresses:
        if herrno == TRY_AGAIN:
            raise HostDown(HostStatus(ex.EX_TEMPFAIL, "4.4.3",
                                      detail=f"Name server: {host}: {DNS_ERRORS[TRY_AGAIN]}"))
        text = DNS_ERRORS.get(herrno, "host not found")
        raise HostDown(HostStatus(ex.EX_NOHOST, "5.1.2", detail=f"Name server: {host}: {text}"))
    sock, address = await _connect_any(mailer, host, addresses, port or 25, settings, first_try)
    return await start_session(sock, mailer, host, address, settings, dialogue, use_tls)


async def open_socket_session(mailer: Mailer, path: str, settings: ClientSettings,
                              dialogue: Dialogue) -> SmtpSession:
    """makeconnection_ds: `A=FILE /path` of an [IPC] mailer, a socket in the file system
    (an LMTP server's, usually); sendmail calls that host "localhost"."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, path)
    except OSError as error:
        sock.close()
        raise HostDown(HostStatus(ex.EX_TEMPFAIL, "4.4.1", detail=_errno_text(error, path)))
    except BaseException:
        sock.close()
        raise
    return await start_session(sock, mailer, "localhost", None, settings, dialogue)


async def open_program_session(mailer: Mailer, program: "Program", settings: ClientSettings,
                               dialogue: Dialogue) -> SmtpSession:
    """A mailer program without $u in A= speaks SMTP (or with F=z LMTP) on its standard
    input and output, as sendmail's openmailer sets it up for a "clever" mailer."""
    ours, theirs = socket.socketpair()
    ident = program.identity
    extra: dict = {} if ident is None else {"user": ident.uid, "group": ident.gid,
                                            "extra_groups": list(ident.groups)}
    fd = theirs.fileno()
    try:
        process = await asyncio.create_subprocess_exec(
            program.argv[0], *program.argv[1:], executable=mailer.path, stdin=fd,
            stdout=fd, stderr=fd, env=program.env, cwd=program.cwd,
            start_new_session=True, **extra)
    except OSError as error:
        ours.close()
        rcode = ex.EX_OSERR if mailer.has("l") else ex.EX_UNAVAILABLE
        raise HostDown(HostStatus(rcode, detail=f"Cannot exec {mailer.path}: "
                                  f"{os.strerror(error.errno or 0)}")) from None
    finally:
        theirs.close()
    ours.setblocking(False)
    return await start_session(ours, mailer, mailer.name, None, settings, dialogue,
                               process=process)


@dataclass(frozen=True)
class Program:
    """How to start a mailer program: its argv (macros expanded), environment, working
    directory and identity (from the agents' rules in program.py)."""

    argv: list[str]
    env: dict[str, str]
    cwd: str | None = None
    identity: Identity | None = None


async def start_session(sock: socket.socket, mailer: Mailer, host: str, address: str | None,
                        settings: ClientSettings, dialogue: Dialogue, use_tls: bool = True,
                        process: asyncio.subprocess.Process | None = None) -> SmtpSession:
    """smtpinit on a connected socket: the greeting, EHLO/HELO/LHLO, STARTTLS."""
    loop = asyncio.get_running_loop()
    protocol = PipeliningProtocol(loop=loop)
    await loop.create_connection(lambda: protocol, sock=sock)
    session = SmtpSession(protocol, mailer, host, address, settings, dialogue, process)
    try:
        greeting = await session.read_reply("initial", "client greeting")
    except asyncio.CancelledError:
        session.close()
        raise
    except LinkLost as lost:
        raise HostDown(HostStatus(ex.EX_TEMPFAIL, "4.4.2", None,
                                  lost.detail or f"Connection reset by {host}", address)) from None
    try:
        if greeting.kind == 4:
            await session.abandon(ex.EX_TEMPFAIL, "4.5.0", greeting.line)
        if greeting.kind != 2:
            await session.abandon(ex.EX_UNAVAILABLE, "5.5.0", greeting.line)
        await session.hello(greeting, use_tls)
    except LinkLost as lost:
        raise HostDown(HostStatus(ex.EX_TEMPFAIL, "4.4.2", None,
                                  lost.detail or f"Connection reset by {host}", address)) from None
    except BaseException:
        session.close()
        raise
    return session


async def _connect_any(mailer: Mailer, host: str, addresses: list[str], port: int,
                       settings: ClientSettings, first_try: bool) -> tuple[socket.socket, str]:
    """Try each address in turn (with F=Z, once more after DialDelay)."""
    only = settings.connect_only_to
    timeout = settings.timeout("iconnect" if first_try and settings.timeout("iconnect")
                               else "connect")
    detail, tried = "", None
    dialed = False
    for address in addresses:
        target = (only.address if only else address, (only.port if only and only.port else port))
        tried = target[0]
        while True:
            try:
                return await _connect(target, settings, timeout), target[0]
            except OSError as error:
                detail = _errno_text(error, host)
            if dialed or not (settings.dial_delay > 0 and mailer.has("Z")):
                break
            dialed = True
            await asyncio.sleep(settings.dial_delay)
    raise HostDown(HostStatus(ex.EX_TEMPFAIL, "4.4.1", detail=detail, address=tried))


async def _connect(target: tuple[str, int], settings: ClientSettings,
                   timeout: float | None) -> socket.socket:
    family = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        if settings.source_address is not None and family == socket.AF_INET:
            sock.bind(settings.source_address)
        connecting = asyncio.get_running_loop().sock_connect(sock, target)
        await (asyncio.wait_for(connecting, timeout) if timeout else connecting)
    except asyncio.TimeoutError:
        sock.close()
        raise TimeoutError("Connection timed out") from None
    except BaseException:
        sock.close()
        raise
    return sock


def _errno_text(error: OSError, host: str) -> str:
    """sm_errstring for connection errors: the host named as sendmail names it."""
    if isinstance(error, ConnectionRefusedError):
        return f"Connection refused by {host}"
    if isinstance(error, TimeoutError):
        return f"Connection timed out with {host}"
    if isinstance(error, ConnectionResetError):
        return f"Connection reset by {host}"
    return error.strerror or str(error)
