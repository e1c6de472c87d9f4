"""Capture SMTP servers on loopback for delivery tests.

`ScriptedSink` is a small asyncio server whose every answer a test can choose: which
EHLO keywords it offers (DSN, PIPELINING, SIZE, STARTTLS... or no ESMTP at all), which
replies recipients get, where it hangs up or stops answering.  It records each
transaction (MAIL and RCPT with their parameters, the message as received) and the raw
bytes of every command and of every DATA section, so tests can check what was on the
wire.  aiosmtpd cannot play most of these parts (it refuses NOTIFY/ORCPT and never offers
DSN or PIPELINING), so it serves only as `library_sink`, the ordinary peer.
"""

from __future__ import annotations

import asyncio
import datetime
import ssl
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.smtp import SMTP as AiosmtpdSMTP
from aiosmtpd.handlers import Sink as AiosmtpdSink

DEFAULT_EXTENSIONS = ("PIPELINING", "SIZE 10240000", "8BITMIME", "DSN", "ENHANCEDSTATUSCODES")


@dataclass
class Transaction:
    """One MAIL ... DATA exchange as the sink saw it."""

    mail_from: str
    mail_params: list[str]
    rcpts: list[tuple[str, list[str]]] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    raw_data: bytes | None = None   # the DATA section as sent, dot-stuffed, without ".\r\n"
    data: bytes | None = None       # the message after un-stuffing

    @property
    def rcpt_addresses(self) -> list[str]:
        return [address for address, _ in self.rcpts]


@dataclass
class Script:
    """What a ScriptedSink answers.

    rcpt_replies maps a recipient's local part (or a prefix ending in '*') to a reply;
    max_rcpts makes RCPT beyond that count 452 4.5.3; drop_at and stall_at name the
    command ("CONNECT" for the greeting, "EHLO", "MAIL", "RCPT", "DATA", "." for the
    end of data, "RSET") at which the sink hangs up or stops answering.  With lmtp the
    sink wants LHLO and answers the data once per accepted recipient, data_replies
    choosing the reply by local part as rcpt_replies does.
    """

    name: str = "sink.example.net"
    greeting: str = "220 {name} ESMTP scripted sink"
    esmtp: bool = True
    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS
    helo_reply: str = "250 {name}"
    mail_reply: str = "250 2.1.0 Ok"
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    max_rcpts: int | None = None
    data_reply: str = "354 End data with <CR><LF>.<CR><LF>"
    final_reply: str = "250 2.0.0 Ok: queued as {n}"
    drop_at: str | None = None
    stall_at: str | None = None
    tls: ssl.SSLContext | None = None
    lmtp: bool = False
    data_replies: dict[str, str] = field(default_factory=dict)


class ScriptedSink:
    """An SMTP server on 127.0.0.x following a Script; use `async with`."""

    def __init__(self, script: Script | None = None, host: str = "127.0.0.1",
                 port: int = 0, path: str | None = None) -> None:
        """On host:port, or on a socket in the file system at `path`."""
        self.script = script or Script()
        self.host = host
        self.port = port
        self.path = path
        self.transactions: list[Transaction] = []
        self.commands: list[bytes] = []
        self.connections = 0
        self.tls_sessions = 0
        self._server: asyncio.base_events.Server | None = None
        self._stalled = asyncio.Event()
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task] = set()

    async def __aenter__(self) -> "ScriptedSink":
        if self.path is not None:
            self._server = await asyncio.start_unix_server(self._session, self.path,
                                                           limit=1 << 26)
            return self
        self._server = await asyncio.start_server(self._session, self.host, self.port,
                                                  limit=1 << 26)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop listening and hang up on every client still connected (a server that
        goes away, as far as cached connections can tell)."""
        assert self._server is not None
        self._server.close()
        self._stalled.set()
        for writer in list(self._writers):
            writer.transport.abort()
        await self._server.wait_closed()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def delivered(self) -> list[Transaction]:
        """Transactions that ended with the message accepted."""
        return [t for t in self.transactions if t.data is not None]

    def _fmt(self, reply: str) -> bytes:
        text = reply.format(name=self.script.name, n=len(self.transactions))
        return text.encode() + b"\r\n"

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            if await self._interrupt("CONNECT", writer):
                return
            writer.write(self._fmt(self.script.greeting))
            await self._dialogue(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _interrupt(self, phase: str, writer: asyncio.StreamWriter) -> bool:
        """Hang up (True) or stop answering until the client goes away."""
        if self.script.drop_at == phase:
            writer.transport.abort()
            return True
        if self.script.stall_at == phase:
            await self._stalled.wait()
            return True
        return False

    async def _dialogue(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        current: Transaction | None = None
        while True:
            line = await reader.readline()
            if not line:
                return
            self.commands.append(line)
            text = line.rstrip(b"\r\n").decode("utf-8", "surrogateescape")
            verb, _, arg = text.partition(" ")
            verb = verb.upper()
            verb = "EHLO" if verb == "LHLO" and self.script.lmtp else verb
            if verb in ("EHLO", "HELO") and self.script.lmtp and not text.upper().startswith("LHLO"):
                writer.write(b"500 5.5.1 LMTP wants LHLO\r\n")
                await writer.drain()
                continue
            phase = verb if verb in ("EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET") else ""
            if phase and await self._interrupt("EHLO" if phase == "HELO" else phase, writer):
                return
            if verb == "EHLO":
                current = None
                writer.write(self._ehlo() if self.script.esmtp else b"500 5.5.1 Command unrecognized\r\n")
            elif verb == "HELO":
                current = None
                writer.write(self._fmt(self.script.helo_reply))
            elif verb == "STARTTLS" and self.script.tls is not None:
                writer.write(b"220 2.0.0 Ready to start TLS\r\n")
                await writer.drain()
                await writer.start_tls(self.script.tls)
                self.tls_sessions += 1
                current = None
            elif verb == "MAIL":
                current = self._mail(arg, writer)
            elif verb == "RCPT":
                self._rcpt(current, arg, writer)
            elif verb == "DATA":
                if not await self._data(current, reader, writer):
                    return
                current = None
            elif verb == "RSET":
                current = None
                writer.write(b"250 2.0.0 Ok\r\n")
            elif verb == "NOOP":
                writer.write(b"250 2.0.0 Ok\r\n")
            elif verb == "QUIT":
                writer.write(b"221 2.0.0 Bye\r\n")
                await writer.drain()
                return
            else:
                writer.write(b"502 5.5.2 Command not implemented\r\n")
            await writer.drain()

    def _ehlo(self) -> bytes:
        keywords = list(self.script.extensions)
        if self.script.tls is not None and "STARTTLS" not in keywords:
            keywords.append("STARTTLS")
        lines = [self.script.name, *keywords]
        out = [f"250{'-' if i < len(lines) - 1 else ' '}{text}" for i, text in enumerate(lines)]
        return ("\r\n".join(out) + "\r\n").encode()

    def _mail(self, arg: str, writer: asyncio.StreamWriter) -> Transaction | None:
        address, params = _path(arg, "FROM:")
        reply = self.script.mail_reply
        limit = next((int(e.split()[1]) for e in self.script.extensions
                      if e.startswith("SIZE ")), 0)
        size = next((int(p[5:]) for p in params if p.upper().startswith("SIZE=")), 0)
        if limit and size > limit:
            reply = "552 5.3.4 Message size exceeds fixed limit"
        writer.write(self._fmt(reply))
        if not reply.startswith("2"):
            return None
        transaction = Transaction(address, params)
        self.transactions.append(transaction)
        return transaction

    def _rcpt(self, current: Transaction | None, arg: str, writer: asyncio.StreamWriter) -> None:
        if current is None:
            writer.write(b"503 5.5.1 Error: need MAIL command\r\n")
            return
        address, params = _path(arg, "TO:")
        current.rcpts.append((address, params))
        reply = self._rcpt_reply(address)
        if self.script.max_rcpts is not None and len(current.accepted) >= self.script.max_rcpts:
            reply = "452 4.5.3 Error: too many recipients"
        if reply.startswith("2"):
            current.accepted.append(address)
        writer.write(self._fmt(reply))

    def _rcpt_reply(self, address: str) -> str:
        reply = _by_local_part(self.script.rcpt_replies, address)
        return reply.replace("<>", f"<{address}>") if reply else "250 2.1.5 Ok"

    async def serve_stdio(self) -> None:
        """Talk on standard input and output (a socket shared by both), as a mailer
        program that speaks SMTP or LMTP does."""
        import os
        import socket
        reader, writer = await asyncio.open_connection(sock=socket.socket(fileno=os.dup(0)))
        await self._session(reader, writer)

    async def _data(self, current: Transaction | None, reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter) -> bool:
        if current is None or not current.accepted:
            writer.write(b"554 5.5.1 Error: no valid recipients\r\n")
            return True
        writer.write(self._fmt(self.script.data_reply))
        if not self.script.data_reply.startswith("3"):
            return True
        await writer.drain()
        raw = b""
        while not (raw == b".\r\n" or raw.endswith(b"\r\n.\r\n")):
            raw += await reader.readuntil(b".\r\n")
        current.raw_data = raw[:-3]
        if await self._interrupt(".", writer):
            return False
        lines = current.raw_data.split(b"\r\n")
        current.data = b"\r\n".join(line[1:] if line.startswith(b".") else line
                                    for line in lines)
        if not self.script.lmtp:
            writer.write(self._fmt(self.script.final_reply))
            return True
        for address in current.accepted:
            reply = _by_local_part(self.script.data_replies, address) or self.script.final_reply
            writer.write(self._fmt(reply.replace("<>", f"<{address}>")))
        return True


def _by_local_part(replies: dict[str, str], address: str) -> str | None:
    local = address.split("@", 1)[0]
    for pattern, reply in replies.items():
        if local == pattern or (pattern.endswith("*") and local.startswith(pattern[:-1])):
            return reply
    return None


def _path(arg: str, keyword: str) -> tuple[str, list[str]]:
    """The <address> and the parameters of a MAIL or RCPT argument."""
    rest = arg[len(keyword):] if arg.upper().startswith(keyword) else arg
    rest = rest.strip()
    end = rest.find(">")
    address = rest[1:end] if rest.startswith("<") and end > 0 else rest.split(" ", 1)[0]
    params = rest[end + 1:].split() if end > 0 else rest.split()[1:]
    return address, params


async def library_sink(host: str = "127.0.0.1", port: int = 0
                       ) -> tuple[asyncio.base_events.Server, AiosmtpdSink, int]:
    """aiosmtpd as an ordinary peer (no DSN, no PIPELINING) in the running loop."""
    handler = AiosmtpdSink()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: AiosmtpdSMTP(handler, hostname="library.example.net"),
                                      host, port)
    return server, handler, server.sockets[0].getsockname()[1]


def tls_server_context(common_name: str = "sink.example.net") -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate (cryptography)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), False)
            .sign(key, hashes.SHA256()))
    folder = Path(tempfile.mkdtemp(prefix="sink-tls-"))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


def loopback_port(*hosts: str) -> int:
    """A TCP port free on every one of the given 127.0.0.x addresses (a mailer's port is
    the same for all its hosts, so each test host listens on the same number)."""
    import socket
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind((hosts[0], 0))
            port = probe.getsockname()[1]
        free = True
        for host in hosts:
            with socket.socket() as other:
                try:
                    other.bind((host, port))
                except OSError:
                    free = False
                    break
        if free:
            return port
    raise RuntimeError(f"no port free on all of {hosts}")


if __name__ == "__main__":
    # A mailer program for tests: `sinks.py RECORD [lmtp]` speaks SMTP (or LMTP) on its
    # standard input and output and writes the transactions it took to RECORD as JSON.
    import json
    import sys

    async def _main() -> None:
        sink = ScriptedSink(Script(lmtp=sys.argv[2:] == ["lmtp"],
                                   data_replies={"later": "452 4.2.2 <> mailbox full"}))
        await sink.serve_stdio()
        with open(sys.argv[1], "w") as record:
            json.dump([[t.mail_from, t.accepted, (t.data or b"").decode()]
                       for t in sink.transactions], record)

    asyncio.run(_main())
