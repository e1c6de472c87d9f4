"""The SMTP client's pure parts: the DATA section, replies and their meaning, signatures,
and the connection cache's bookkeeping (with a clock the test turns)."""

from __future__ import annotations

import asyncio
import random

import pytest
from hypothesis import given, strategies as st

from monomail import sysexits as ex
from monomail.deliver.connections import ConnectionCache
from monomail.deliver.mx import literal_address, order_hosts, split_hosts
from monomail.deliver.router import Envelope, Recipient
from monomail.deliver.smtpsession import PipeliningProtocol
from monomail.deliver.smtpwire import (Reply, data_section, data_verdict, mail_command,
                                       mail_verdict, rcpt_parameters, rcpt_verdict, stat_text)


def unstuff(section: bytes) -> bytes:
    assert section.endswith(b".\r\n")
    body = section[:-3]
    return b"\r\n".join(line[1:] if line.startswith(b".") else line
                        for line in body.split(b"\r\n"))


@given(st.binary(max_size=300))
def test_any_message_crosses_as_crlf_lines_with_one_end_of_data(message: bytes) -> None:
    section = data_section(message)
    lines = section.split(b"\r\n")
    assert lines[-2:] == [b".", b""]
    assert all(b"\r" not in line and b"\n" not in line for line in lines)
    assert all(line != b"." for line in lines[:-2])
    normalized = message.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
    if normalized and not normalized.endswith(b"\r\n"):
        normalized += b"\r\n"
    assert unstuff(section) == normalized


def test_long_lines_are_broken_as_sendmail_breaks_them() -> None:
    section = data_section(b"a" * 25 + b"\n.short\n", linelimit=10)
    assert section == b"aaaaaaaaa!\r\n aaaaaaaa!\r\n aaaaaaaa\r\n..short\r\n.\r\n"
    assert all(len(line) <= 10 for line in section.split(b"\r\n"))
    assert data_section(b"a" * 10 + b"\n", linelimit=10) == b"a" * 10 + b"\r\n.\r\n"


def test_from_lines_are_escaped_for_f_e() -> None:
    assert data_section(b"From me\nFrom: x\n", escape_from=True) == b">From me\r\nFrom: x\r\n.\r\n"


def test_replies() -> None:
    reply = Reply.of(250, "mail.example Hello\nSIZE 100\nDSN")
    assert reply.shown() == ["250-mail.example Hello", "250-SIZE 100", "250 DSN"]
    assert reply.line == "250 mail.example Hello"
    accepted = Reply.of(250, "2.0.0 Ok: queued as X")
    assert accepted.enhanced() == "2.0.0"
    assert accepted.text_after_codes(True) == "Ok: queued as X"
    assert accepted.text_after_codes(False) == "2.0.0 Ok: queued as X"


@pytest.mark.parametrize("code, text, enhanced_ok, mail, rcpt, data", [
    (250, "ok", True, (ex.EX_OK, "2.0.0"), (ex.EX_OK, "2.0.0"), (ex.EX_OK, "2.0.0")),
    (451, "4.7.1 later", True, (ex.EX_TEMPFAIL, "4.7.1"), (ex.EX_TEMPFAIL, "4.7.1"),
     (ex.EX_TEMPFAIL, "4.7.1")),
    (451, "4.7.1 later", False, (ex.EX_TEMPFAIL, "4.3.0"), (ex.EX_TEMPFAIL, "4.3.0"),
     (ex.EX_TEMPFAIL, "4.3.0")),
    (550, "nope", False, (ex.EX_UNAVAILABLE, "5.0.0"), (ex.EX_NOUSER, "5.1.1"),
     (ex.EX_UNAVAILABLE, "5.2.0")),
    (553, "bad", False, (ex.EX_DATAERR, "5.1.3"), (ex.EX_NOUSER, "5.1.3"),
     (ex.EX_UNAVAILABLE, "5.1.0")),
    (552, "big", False, (ex.EX_UNAVAILABLE, "5.3.4"), (ex.EX_UNAVAILABLE, "5.2.2"),
     (ex.EX_UNAVAILABLE, "5.2.2")),
    (501, "syntax", False, (ex.EX_DATAERR, "5.5.2"), (ex.EX_UNAVAILABLE, "5.5.4"),
     (ex.EX_UNAVAILABLE, "5.5.4")),
    (354, "go", False, (ex.EX_PROTOCOL, "5.5.1"), (ex.EX_PROTOCOL, "5.5.1"),
     (ex.EX_PROTOCOL, "5.0.0")),
])
def test_what_replies_mean(code: int, text: str, enhanced_ok: bool, mail: tuple, rcpt: tuple,
                           data: tuple) -> None:
    reply = Reply.of(code, text)
    assert mail_verdict(reply, enhanced_ok) == mail
    assert rcpt_verdict(reply, enhanced_ok) == rcpt
    assert data_verdict(reply, enhanced_ok) == data


def test_stat_texts() -> None:
    assert stat_text(ex.EX_OK, "Ok") == "Sent (Ok)"
    assert stat_text(ex.EX_TEMPFAIL) == "Deferred"
    assert stat_text(ex.EX_NOHOST, "Name server: x: host not found") == \
        "Host unknown (Name server: x: host not found)"
    assert stat_text(ex.EX_NOUSER) == "User unknown"


def test_commands_and_parameters() -> None:
    assert mail_command("<a@b>", ["SIZE=10"]) == "MAIL From:<a@b> SIZE=10"
    assert mail_command("", []) == "MAIL From:<>"
    r = Recipient("a", "esmtp", "h", "a@h", notify=frozenset({"DELAY", "SUCCESS"}),
                  orcpt="rfc822;a@h")
    assert rcpt_parameters(r, local_mailer=False) == ["NOTIFY=SUCCESS,DELAY", "ORCPT=rfc822;a@h"]
    assert rcpt_parameters(r, local_mailer=True) == ["ORCPT=rfc822;a@h"]
    never = Recipient("a", "esmtp", "h", "a@h", notify=frozenset({"NEVER"}))
    assert rcpt_parameters(never, False) == ["NOTIFY=NEVER"]
    alias = Recipient("a", "esmtp", "h", "a@h", notify=frozenset({"SUCCESS"}), primary=False)
    assert rcpt_parameters(alias, False) == []
    assert Envelope("x").size == 0


def test_signatures_split_and_order() -> None:
    assert split_hosts("a.:b.,c.:[IPv6:1::2]:d.") == [
        ("a.", ":"), ("b.", ","), ("c.", ":"), ("[IPv6:1::2]", ":"), ("d.", "")]
    rng = random.Random(7)
    orders = {tuple(order_hosts("a.:b.,c.,d.:e.", rng=rng)) for _ in range(40)}
    assert all(o[0] == "a." and o[-1] == "e." and set(o[1:4]) == {"b.", "c.", "d."} for o in orders)
    assert len(orders) > 1
    assert order_hosts("a.:b.,c.", preferred=lambda h: h == "c.")[:2] == ["a.", "c."]
    assert literal_address("[IPv6:::1]") == "::1"
    assert literal_address("[127.0.0.1]") == "127.0.0.1"
    assert literal_address("[mx.example]") is None


class FakeSession:
    """What the cache sees of a connection."""

    def __init__(self, host: str, max_deliveries: int = 0) -> None:
        self.key = ("esmtp", host)
        self.last_use = 0.0
        self.deliveries = 0
        self.max_deliveries = max_deliveries
        self.open = True
        self.retired = 0

    @property
    def is_open(self) -> bool:
        return self.open

    async def retire(self) -> None:
        self.retired += 1
        self.open = False


async def test_the_cache_keeps_at_most_size_connections_lru_first_out() -> None:
    now = [100.0]
    cache = ConnectionCache(2, 60, clock=lambda: now[0])
    a, b, c = FakeSession("a."), FakeSession("b."), FakeSession("c.")
    assert cache.put(a) and cache.put(b)
    now[0] += 1
    assert cache.take("esmtp", "a.") is a
    assert cache.put(a)
    assert cache.put(c)
    await cache.close_all()
    assert (a.retired, b.retired, c.retired) == (1, 1, 1)
    assert b.retired and cache.take("esmtp", "b.") is None


async def test_the_cache_forgets_idle_used_up_and_closed_connections() -> None:
    now = [0.0]
    cache = ConnectionCache(5, 60, clock=lambda: now[0])
    idle, worn, dead = FakeSession("a."), FakeSession("b.", max_deliveries=3), FakeSession("c.")
    worn.deliveries = 2
    assert cache.put(idle)
    assert not cache.put(worn)
    dead.open = False
    assert not cache.put(dead)
    now[0] = 60
    assert cache.take("esmtp", "a.") is None
    await cache.close_all()
    assert idle.retired == 1
    assert not ConnectionCache(0, 60).put(FakeSession("x."))


class FakeTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closing = False

    def write(self, data: bytes) -> None:  # type: ignore[override]
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default: object = None) -> object:
        return default


async def test_pipelined_replies_are_read_however_they_arrive() -> None:
    protocol = PipeliningProtocol(loop=asyncio.get_running_loop())
    protocol.connection_made(FakeTransport())
    protocol.data_received(b"220 ready\r\n")
    assert (await protocol.read_response(1)).code == 220
    protocol.data_received(b"250 2.1.5 a\r\n550 5.1.1 b\r\n250-c\r\n25")
    protocol.data_received(b"0 d\r\n354")
    replies = [await protocol.read_response(1) for _ in range(3)]
    assert [(r.code, r.message) for r in replies] == [(250, "2.1.5 a"), (550, "5.1.1 b"),
                                                      (250, "c\nd")]
    protocol.data_received(b" go ahead\r\n")
    assert (await protocol.read_response(1)).message == "go ahead"
    with pytest.raises(asyncio.TimeoutError):
        await protocol.read_response(0.01)
