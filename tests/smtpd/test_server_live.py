"""The asyncio server on 127.0.0.0/8 with real clients (smtplib, raw sockets): relay
control by client address, pipelining order, smuggling variants, over-long commands,
timeouts, and the queue holding a message exactly when 250 was said."""

from __future__ import annotations

import asyncio
import shutil
import smtplib
import socket
from pathlib import Path
from typing import AsyncIterator, Callable

import pytest

from monomail.config import mc
from monomail.config.cfparser import parse_cf
from monomail.queue.qfcodec import Envelope
from monomail.queue.store import QueueStore
from monomail.smtpd.hooks import Hooks, RecipientAnswer, RecipientCheck, SessionInfo
from monomail.smtpd.server import Listener, SmtpServer, listeners_from_config
from monomail.smtpd.settings import Runtime

HERE = Path(__file__).resolve().parent
ETC = HERE.parents[0] / "compat" / "etc"
NAMES = {"127.0.0.1": ("localhost", "OK", False), "127.0.0.2": ("outside.example.net", "OK", False)}
IO_TIMEOUT = 10.0


def fixed_names(host: str) -> tuple[str | None, str, bool]:
    """Client names without the machine's resolver: 127.0.0.3 has none."""
    return NAMES.get(host, (None, "FAIL", False))


def build_cf(root: Path, *options: str) -> Runtime:
    settings = root / "etc"
    if not settings.exists():
        shutil.copytree(ETC, settings, ignore=shutil.ignore_patterns("maps", "README.md"))
    text, _ = mc.build(HERE / "mc" / "live.mc", [f"MAIL_SETTINGS_DIR={settings}/"])
    cf = root / "live.cf"
    cf.write_text(text)
    return Runtime.from_config(parse_cf(str(cf), command_line=tuple(options), op_mode="d"))


class Fixture:
    def __init__(self, server: SmtpServer, port: int, store: QueueStore) -> None:
        self.server, self.port, self.store = server, port, store

    def client(self, source: str = "127.0.0.1") -> smtplib.SMTP:
        smtp = smtplib.SMTP(timeout=IO_TIMEOUT, source_address=(source, 0))
        smtp.connect("127.0.0.1", self.port)
        return smtp

    def raw(self, source: str = "127.0.0.1") -> "Raw":
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=IO_TIMEOUT,
                                        source_address=(source, 0))
        raw = Raw(sock)
        assert raw.reply()[0].startswith("220 ")
        return raw


class Raw:
    """A hand-driven client: exact bytes out, reply lines in."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def line(self) -> str | None:
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("latin-1")

    def reply(self) -> list[str]:
        lines = []
        while (line := self.line()) is not None:
            lines.append(line)
            if line[3:4] != "-":
                break
        return lines

    def closed(self) -> bool:
        """The server closed the connection (after what was already read)."""
        return self.line() is None

    def close(self) -> None:
        self.sock.close()


async def start(root: Path, hooks: Callable[[QueueStore], Hooks] | None = None,
                *options: str) -> Fixture:
    runtime = build_cf(root, *options)
    queue = root / "queue"
    queue.mkdir(exist_ok=True)
    store = QueueStore(queue, min_free_blocks=0)
    server = SmtpServer(runtime, hooks(store) if hooks else Hooks.for_store(store),
                        resolver=fixed_names)
    bound = await server.listen([Listener(addr="127.0.0.1", port=0)])
    return Fixture(server, bound[0][1], store)


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Fixture]:
    fixture = await start(tmp_path)
    yield fixture
    fixture.server.close()
    await fixture.server.wait_closed()


async def in_thread(fn: Callable[[], object]) -> object:
    return await asyncio.to_thread(fn)


async def test_smtplib_delivers_into_the_queue(live: Fixture) -> None:
    def send() -> tuple[int, bytes]:
        with live.client() as smtp:
            smtp.ehlo("client.example.org")
            smtp.mail("root@mail.example.com")
            smtp.rcpt("root@mail.example.com")
            return smtp.data(b"Subject: live\r\n\r\nHello.\r\n.dotted\r\n")
    code, text = await in_thread(send)  # type: ignore[misc]
    assert code == 250 and text.endswith(b" Message accepted for delivery")
    qid = text.split()[1].decode()
    control = live.store.load(qid)
    assert control.envelope.sender == "root@mail.example.com"
    assert [r.address for r in control.envelope.recipients] == ["root@mail.example.com"]
    assert live.store.read_data(qid) == b"Subject: live\r\n\r\nHello.\r\n.dotted\r\n"


async def test_relaying_depends_on_the_client(live: Fixture) -> None:
    def rcpt(source: str) -> tuple[int, bytes]:
        with live.client(source) as smtp:
            smtp.ehlo("client.example.org")
            smtp.mail("someone@mx.example.org")
            return smtp.rcpt("friend@elsewhere.example")
    assert (await in_thread(lambda: rcpt("127.0.0.1")))[0] == 250  # type: ignore[index]
    code, text = await in_thread(lambda: rcpt("127.0.0.2"))  # type: ignore[misc]
    assert (code, text) == (550, b"5.7.1 <friend@elsewhere.example>... Relaying denied")
    code, text = await in_thread(lambda: rcpt("127.0.0.3"))  # type: ignore[misc]
    assert (code, text) == (550, b"5.7.1 <friend@elsewhere.example>... Relaying denied. "
                                 b"IP name lookup failed [127.0.0.3]")


async def test_pipelined_commands_are_answered_in_order(live: Fixture) -> None:
    def talk() -> list[list[str]]:
        raw = live.raw()
        raw.send(b"EHLO client.example.org\r\n")
        assert "250 HELP" in raw.reply()
        raw.send(b"MAIL FROM:<a@mx.example.org>\r\nRCPT TO:<root@mail.example.com>\r\n"
                 b"RCPT TO:<x@elsewhere.example> NOTIFY=BOGUS\r\nRCPT TO:<postmaster>\r\n"
                 b"DATA\r\n")
        replies = [raw.reply() for _ in range(5)]
        raw.send(b"Subject: p\r\n\r\nx\r\n.\r\nRSET\r\nQUIT\r\n")
        replies += [raw.reply() for _ in range(3)]
        raw.close()
        return replies
    replies = await in_thread(talk)
    codes = [r[0][:3] for r in replies]  # type: ignore[attr-defined, index]
    assert codes == ["250", "250", "501", "250", "354", "250", "250", "221"]
    assert len(live.store.list()) == 1


SMUGGLING = [b"\n.\n", b"\r.\r", b"\r\n.\n", b"\n.\r\n", b"\r.\r\n"]


@pytest.mark.parametrize("variant", SMUGGLING, ids=repr)
async def test_smuggling_never_splits_a_message(live: Fixture, variant: bytes) -> None:
    def talk() -> tuple[list[str], bool]:
        raw = live.raw()
        for command in (b"EHLO c.example.org", b"MAIL FROM:<a@mx.example.org>",
                        b"RCPT TO:<root@mail.example.com>", b"DATA"):
            raw.send(command + b"\r\n")
            raw.reply()
        raw.send(b"Subject: s\r\n\r\nbody" + variant + b"MAIL FROM:<evil@mx.example.org>\r\n"
                 b"RCPT TO:<root@mail.example.com>\r\nDATA\r\nSubject: smuggled\r\n\r\n.\r\n")
        reply = raw.reply()
        closed = raw.closed()
        raw.close()
        return reply, closed
    reply, closed = await in_thread(talk)  # type: ignore[misc]
    assert reply[0].startswith("421 4.5.0 Bare ") and closed
    assert live.store.list() == []
    await test_smtplib_delivers_into_the_queue(live)      # the server still serves


async def test_ten_thousand_octet_command_ends_the_session(live: Fixture) -> None:
    def talk() -> tuple[list[str], bool]:
        raw = live.raw()
        raw.send(b"NOOP " + b"x" * 10000 + b"\r\n")
        reply = raw.reply()
        closed = raw.closed()
        raw.close()
        return reply, closed
    reply, closed = await in_thread(talk)  # type: ignore[misc]
    assert reply == ["421 4.7.0 mail.example.com Command too long, possible attack "
                     "localhost [127.0.0.1]"] and closed


async def test_nul_and_binary_garbage_get_answers_not_crashes(live: Fixture) -> None:
    def talk() -> list[list[str]]:
        raw = live.raw()
        raw.send(b"NOOP\0junk\r\n")
        first = raw.reply()
        raw.send(bytes(range(1, 10)) + bytes(range(0x80, 0x100)) + b"\r\n")
        second = raw.reply()
        raw.send(b"QUIT\r\n")
        third = raw.reply()
        raw.close()
        return [first, second, third]
    first, second, third = await in_thread(talk)  # type: ignore[misc]
    assert first == ["250 2.0.0 OK"]
    assert second[0].startswith("500 5.5.1 Command unrecognized: ")
    assert third[0].startswith("221 ")


async def test_message_is_queued_exactly_when_250_is_said(tmp_path: Path) -> None:
    release = asyncio.Event()
    submitted: list[str] = []

    def slow_hooks(store: QueueStore) -> Hooks:
        async def accept(info: SessionInfo, envelope: Envelope, data: bytes) -> str:
            await release.wait()
            qid = await store.submit_async(envelope, data)
            submitted.append(qid)
            return qid
        return Hooks(accept)

    fixture = await start(tmp_path, slow_hooks)
    raw = await asyncio.to_thread(fixture.raw)
    for command in (b"HELO c.example.org", b"MAIL FROM:<a@mx.example.org>",
                    b"RCPT TO:<root@mail.example.com>", b"DATA"):
        raw.send(command + b"\r\n")
        await asyncio.to_thread(raw.reply)
    raw.send(b"Subject: wait\r\n\r\n.\r\n")
    reply = asyncio.ensure_future(asyncio.to_thread(raw.reply))
    done, _ = await asyncio.wait({reply}, timeout=0.5)
    assert not done and fixture.store.list() == []        # no 250 before the queue has it
    release.set()
    lines = await reply
    assert lines[0].endswith("Message accepted for delivery")
    assert fixture.store.list() == submitted == [lines[0].split()[2]]
    raw.close()
    fixture.server.close()


async def test_silent_client_is_dropped_after_timeout_command(tmp_path: Path) -> None:
    fixture = await start(tmp_path, None, " Timeout.command=1s")
    raw = await asyncio.to_thread(fixture.raw)
    assert await asyncio.wait_for(asyncio.to_thread(raw.closed), timeout=IO_TIMEOUT)
    raw.close()
    fixture.server.close()


async def test_sessions_over_max_daemon_children_get_421(tmp_path: Path) -> None:
    fixture = await start(tmp_path, None, " MaxDaemonChildren=1")
    first = await asyncio.to_thread(fixture.raw)

    def second() -> list[str]:
        sock = socket.create_connection(("127.0.0.1", fixture.port), timeout=IO_TIMEOUT)
        raw = Raw(sock)
        reply = raw.reply()
        raw.close()
        return reply
    assert await asyncio.to_thread(second) == [
        "421 4.3.2 Too many open connections, try again later"]
    first.send(b"QUIT\r\n")
    assert (await asyncio.to_thread(first.reply))[0].startswith("221 ")
    first.close()
    fixture.server.close()


async def test_connection_macros_reach_the_rules_and_hooks(tmp_path: Path) -> None:
    seen: list[dict[str, str]] = []

    def spy(store: QueueStore) -> Hooks:
        def recipient(info: SessionInfo, check: RecipientCheck) -> RecipientAnswer:
            seen.append(dict(info.macros))
            return RecipientAnswer()
        return Hooks.for_store(store, recipient=recipient)

    fixture = await start(tmp_path, spy)

    def talk() -> None:
        with fixture.client("127.0.0.2") as smtp:
            smtp.ehlo("client.example.org")
            smtp.mail("a@mx.example.org")
            smtp.rcpt("root@mail.example.com")
    await in_thread(talk)
    macros = seen[0]
    assert macros["{client_addr}"] == "127.0.0.2"
    assert macros["{client_name}"] == macros["{client_ptr}"] == "outside.example.net"
    assert macros["{client_resolve}"] == "OK"
    assert macros["_"] == "outside.example.net [127.0.0.2]"
    assert macros["{daemon_name}"] == "MTA" and macros["{daemon_addr}"] == "127.0.0.1"
    assert macros["{daemon_port}"] == str(fixture.port)
    assert "{if_addr}" not in macros                    # loopback, as sendmail leaves it
    assert macros["s"] == "client.example.org" and macros["r"] == "ESMTP"
    assert macros["{rcpt_mailer}"] == "local" and macros["{rcpt_addr}"] == "root"
    assert macros["{mail_addr}"] == "a@mx.example.org"
    fixture.server.close()


async def test_listeners_come_from_daemon_port_options(tmp_path: Path) -> None:
    runtime = build_cf(tmp_path, " DaemonPortOptions=Name=MTA, Addr=127.0.0.1, Port=0",
                       " DaemonPortOptions=Name=MSA, Family=inet6, Addr=::1, Port=0, M=EO",
                       " DaemonPortOptions=Name=X, Family=inet, Addr=192.0.2.1, Port=0, M=O")
    listeners = listeners_from_config(runtime.config.options)
    assert [(l.name, l.family, l.addr, l.modifiers) for l in listeners] == [
        ("MTA", "inet", "127.0.0.1", ""), ("MSA", "inet6", "::1", "EO"),
        ("X", "inet", "192.0.2.1", "O")]
    server = SmtpServer(runtime, Hooks(never_accept), resolver=fixed_names)
    bound = await server.listen(listeners)       # 192.0.2.1 is not ours: optional, skipped
    assert [host for host, _ in bound][0] == "127.0.0.1" and len(bound) in (1, 2)
    server.close()
    await server.wait_closed()


async def never_accept(info: SessionInfo, envelope: Envelope, data: bytes) -> str:
    raise AssertionError("no message in this test")


async def test_a_hundred_concurrent_sessions_all_get_their_message_queued(live: Fixture) -> None:
    async def one(i: int) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", live.port)
        replies = []
        await reader.readline()
        for line in (b"HELO c.example.org", b"MAIL FROM:<a@mx.example.org>",
                     b"RCPT TO:<root@mail.example.com>", b"DATA"):
            writer.write(line + b"\r\n")
            replies.append(await reader.readline())
        writer.write(b"Subject: %d\r\n\r\nbody\r\n.\r\nQUIT\r\n" % i)
        replies.append(await reader.readline())
        replies.append(await reader.readline())
        writer.close()
        return replies[-2]
    answers = await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(100))), 60)
    assert all(a.endswith(b"Message accepted for delivery\r\n") for a in answers)
    assert len(live.store.list()) == 100
