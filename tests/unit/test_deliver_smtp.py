"""The SMTP client against capture sinks and a DNS server on loopback.

Hosts are 127.0.0.x addresses in a test zone served by tests/dnsserver.py; the mailers'
`A=TCP $h PORT` point at the port the sinks share.  Timeouts that tests wait for are
set to a fraction of a second through the Timeout options; nothing sleeps.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import AsyncIterator, Callable, Iterator

import pytest

from dnsserver import DNSServer
from sinks import ScriptedSink, Script, library_sink, loopback_port, tls_server_context

from monomail import sysexits as ex
from monomail.config.cfparser import parse_cf
from monomail.config.model import Config
from monomail.deliver.connections import ConnectionCache
from monomail.deliver.mx import MxResolver
from monomail.deliver.result import DeliveryReport
from monomail.deliver.router import Batch, Envelope, Recipient
from monomail.deliver.smtpclient import SmtpClient
from monomail.deliver.smtpsettings import ClientSettings
from monomail.maps.hostlookup import HostLookup

MX, MX2, DEAD = "127.0.0.2", "127.0.0.3", "127.0.0.4"
ZONE: dict[str, list[str] | str] = {
    "example.org": ["MX 10 mx.example.org."],
    "mx.example.org": [f"A {MX}"],
    "two.example": ["MX 10 dead.example.org.", "MX 20 mx2.example.org."],
    "dead.example.org": [f"A {DEAD}"],
    "mx2.example.org": [f"A {MX2}"],
    "nomx.example": [f"A {MX}"],
    "nullmx.example": ["MX 0 ."],
    "fail.example": "SERVFAIL",
    "hostfail.example": ["MX 10 mx.fail.example."],
    "mx.fail.example": "SERVFAIL",
    "sameas.example": ["MX 10 mx.example.org."],
}
MESSAGE = b"Subject: test\n\nline one\n.a line starting with a dot\n"


def cf_text(port: int, options: str = "") -> str:
    return f"""V10/Berkeley
Djmail.example.com
Dmexample.com
Cw mail.example.com localhost
O Timeout.initial=5s
O Timeout.rcpt=5s
{options}
S0
S1
S2
S4
Mlocal, P=/bin/cat, F=lsm, A=cat
Mesmtp, P=[IPC], F=mDFMuXa, E=\\r\\n, L=990, A=TCP $h {port}
Msmtp, P=[IPC], F=mDFMuX, E=\\r\\n, L=990, A=TCP $h {port}
Mplain, P=[IPC], F=mDFMuX7, E=\\r\\n, L=990, A=TCP $h {port}
Mnomx, P=[IPC], F=mDFMuXa0, E=\\r\\n, L=990, A=TCP $h {port}
"""


@pytest.fixture(scope="module")
def dns() -> Iterator[DNSServer]:
    with DNSServer(ZONE) as server:
        yield server


@pytest.fixture
def port() -> int:
    return loopback_port(MX, MX2, DEAD)


class Kit:
    """A configuration, a resolver pointed at the test zone and a client built from them."""

    def __init__(self, tmp_path: Path, dns: DNSServer, port: int, options: str = "",
                 fallback_mx: str | None = None, tls: bool = False) -> None:
        cf = tmp_path / "test.cf"
        cf.write_text(cf_text(port, options))
        self.config: Config = parse_cf(str(cf))
        assert not self.config.errors, self.config.errors
        (tmp_path / "switch").write_text("hosts dns\n")
        (tmp_path / "nsswitch.conf").write_text("hosts: dns\n")
        (tmp_path / "hosts").write_text("")
        self.hosts = HostLookup(str(tmp_path / "switch"), str(tmp_path / "hosts"),
                                nameservers=["127.0.0.1"], port=dns.port, timeout=1, attempts=1,
                                search=[], nsswitch_file=str(tmp_path / "nsswitch.conf"),
                                system_hosts_file=str(tmp_path / "hosts"),
                                fallback_mx_hosts=[fallback_mx] if fallback_mx else None)
        self.settings = ClientSettings.from_config(self.config, tls=tls)
        self.mx = MxResolver(self.hosts, self.settings.is_local, "example.com")
        opts = self.config.options
        self.cache = ConnectionCache(int(opts["ConnectionCacheSize"]),  # type: ignore[arg-type]
                                     float(opts["ConnectionCacheTimeout"]))  # type: ignore[arg-type]
        self.client = SmtpClient(self.settings, self.mx, self.cache)
        self.lines: list[str] = []

    def batch(self, host: str, users: list[str], mailer: str = "esmtp",
              sender: str = "sender@example.com", **dsn: object) -> Batch:
        m = self.config.mailer(mailer)
        assert m is not None
        batch = Batch(m, host, host, sender)
        for user in reversed(users):
            batch.add(Recipient(user, mailer, host, user, **dsn), user)  # type: ignore[arg-type]
        return batch

    async def send(self, batch: Batch, message: bytes = MESSAGE, **envelope: object
                   ) -> DeliveryReport:
        env = Envelope(batch.sender, size=len(message), **envelope)  # type: ignore[arg-type]
        return await self.client.deliver(batch, env, message, self.lines.append)


@pytest.fixture
async def make_kit(tmp_path: Path, dns: DNSServer, port: int
                   ) -> AsyncIterator[Callable[..., Kit]]:
    """Kits with options of their own (each in its own folder), closed at the end."""
    kits: list[Kit] = []

    def make(**kw: object) -> Kit:
        folder = tmp_path / f"kit{len(kits)}"
        folder.mkdir()
        kits.append(Kit(folder, dns, port, **kw))  # type: ignore[arg-type]
        return kits[-1]

    yield make
    for made in kits:
        await made.client.close()


@pytest.fixture
def kit(make_kit: Callable[..., Kit]) -> Kit:
    return make_kit()


def states(report: DeliveryReport) -> dict[str, tuple[str, str, str]]:
    """paddr -> (state, status, stat text) of each recipient's latest verdict."""
    out = {}
    for outcome in report.outcomes:
        for r in outcome.recipients:
            out[r.paddr] = (outcome.result.state, outcome.result.status, outcome.result.text)
    return out


async def test_one_transaction_for_all_recipients_of_a_host(kit: Kit, port: int) -> None:
    async with ScriptedSink(host=MX, port=port) as sink:
        report = await kit.send(kit.batch("example.org", ["a@example.org", "b@example.org",
                                                          "c@example.org"]))
    assert len(sink.transactions) == 1
    tx = sink.transactions[0]
    assert tx.mail_from == "sender@example.com"
    assert tx.mail_params == [f"SIZE={len(MESSAGE)}"]
    assert tx.rcpt_addresses == ["a@example.org", "b@example.org", "c@example.org"]
    assert tx.data == MESSAGE.replace(b"\n", b"\r\n")
    assert len(report.outcomes) == 1
    result = report.outcomes[0].result
    assert (result.rcode, result.status, result.text) == (ex.EX_OK, "2.0.0", "Sent (Ok: queued as 1)")
    assert (result.relay_host, result.relay_addr) == ("mx.example.org.", MX)


async def test_mixed_recipient_verdicts_and_the_bounce_transcript(kit: Kit, port: int) -> None:
    script = Script(rcpt_replies={"bad": "550 5.1.1 <>... User unknown",
                                  "later": "451 4.3.0 try later"})
    async with ScriptedSink(script, host=MX, port=port) as sink:
        report = await kit.send(kit.batch("example.org", ["good@example.org", "bad@example.org",
                                                          "later@example.org"]))
    assert sink.transactions[0].accepted == ["good@example.org"]
    assert states(report) == {
        "good@example.org": ("sent", "2.0.0", "Sent (Ok: queued as 1)"),
        "bad@example.org": ("failed", "5.1.1", "User unknown"),
        "later@example.org": ("deferred", "4.3.0", "Deferred: 451 4.3.0 try later"),
    }
    bad = report.result_of(report.outcomes[0].recipients[0])
    assert bad is not None and bad.reply == "550 5.1.1 <bad@example.org>... User unknown"
    assert bad.remote_mta == "mx.example.org."
    assert report.transcript == [  # pipelined: the replies follow the DATA sent last
        "... while talking to mx.example.org.:",
        ">>> DATA",
        "<<< 550 5.1.1 <bad@example.org>... User unknown",
        "550 5.1.1 bad@example.org... User unknown",
        "<<< 451 4.3.0 try later",
        "later@example.org... Deferred: 451 4.3.0 try later",
    ]
    assert [c.split()[0] for c in sink.commands] == [b"EHLO", b"MAIL", b"RCPT", b"RCPT", b"RCPT",
                                                    b"DATA"]
    async with ScriptedSink(Script(extensions=(), rcpt_replies=script.rcpt_replies),
                            host=MX2, port=port):
        one_by_one = await kit.send(kit.batch(f"[{MX2}]", ["bad@example.org", "later@example.org"]))
    assert one_by_one.transcript == [
        f"... while talking to [{MX2}]:",
        ">>> RCPT To:<bad@example.org>",
        "<<< 550 5.1.1 <bad@example.org>... User unknown",
        "550 5.1.1 bad@example.org... User unknown",
        ">>> RCPT To:<later@example.org>",
        "<<< 451 4.3.0 try later",
        "later@example.org... Deferred: 451 4.3.0 try later",
    ]


async def test_verbose_lines_are_sendmails(kit: Kit, port: int) -> None:
    async with ScriptedSink(Script(extensions=("SIZE 1000",)), host=MX, port=port):
        await kit.send(kit.batch("example.org", ["a@example.org", "b@example.org"]))
    assert kit.lines == [
        f"a@example.org,b@example.org... Connecting to mx.example.org. port {port} via esmtp...",
        "220 sink.example.net ESMTP scripted sink",
        ">>> EHLO mail.example.com",
        "250-sink.example.net",
        "250 SIZE 1000",
        f">>> MAIL From:<sender@example.com> SIZE={len(MESSAGE)}",
        "250 2.1.0 Ok",
        ">>> RCPT To:<a@example.org>",
        "250 2.1.5 Ok",
        ">>> RCPT To:<b@example.org>",
        "250 2.1.5 Ok",
        ">>> DATA",
        "354 End data with <CR><LF>.<CR><LF>",
        ">>> .",
        "250 2.0.0 Ok: queued as 1",
        "a@example.org,b@example.org... Sent (2.0.0 Ok: queued as 1)",
    ]


async def test_dsn_parameters_go_to_a_peer_that_offers_dsn(kit: Kit, port: int) -> None:
    batch = kit.batch("example.org", ["a@example.org"], notify=frozenset({"SUCCESS", "DELAY"}),
                      orcpt="rfc822;A@example.org")
    async with ScriptedSink(host=MX, port=port) as sink:
        report = await kit.send(batch, envid="QQ123", ret="HDRS")
    tx = sink.transactions[0]
    assert tx.mail_params == [f"SIZE={len(MESSAGE)}", "ENVID=QQ123", "RET=HDRS"]
    assert tx.rcpts == [("a@example.org", ["NOTIFY=SUCCESS,DELAY", "ORCPT=rfc822;A@example.org"])]
    assert report.outcomes[0].relayed == ()


async def test_no_dsn_parameters_without_dsn_and_success_notices_say_relayed(
        kit: Kit, port: int) -> None:
    server, _handler, _ = await library_sink(MX2, port)
    wanted = Recipient("a@example.org", "esmtp", f"[{MX2}]", "a@example.org",
                       notify=frozenset({"SUCCESS"}), orcpt="rfc822;a@example.org")
    quiet = Recipient("b@example.org", "esmtp", f"[{MX2}]", "b@example.org",
                      notify=frozenset({"FAILURE"}))
    m = kit.config.mailer("esmtp")
    assert m is not None
    batch = Batch(m, f"[{MX2}]", f"[{MX2}]", "sender@example.com")
    batch.add(quiet, quiet.user)
    batch.add(wanted, wanted.user)
    async with server:
        report = await kit.send(batch, envid="X", ret="FULL")
    assert states(report) == {"a@example.org": ("sent", "2.0.0", "Sent (OK)"),
                              "b@example.org": ("sent", "2.0.0", "Sent (OK)")}
    assert report.outcomes[0].relayed == (wanted,)
    assert report.transcript == ["a@example.org... relayed; expect no further notifications"]
    assert not any("NOTIFY" in line or "ENVID" in line for line in kit.lines)


async def test_line_ends_are_crlf_and_dots_doubled_so_nothing_smuggles(kit: Kit, port: int) -> None:
    message = (b"Subject: s\r\n\r\n.starts with a dot\nbare lf\rbare cr\r\n"
               b"smuggle\n.\nMAIL FROM:<evil@example.net>\r\n.\r\nend")
    async with ScriptedSink(host=MX, port=port) as sink:
        report = await kit.send(kit.batch("example.org", ["a@example.org"]), message)
    assert states(report)["a@example.org"][0] == "sent"
    assert len(sink.transactions) == 1
    assert [c.split()[0] for c in sink.commands] == [b"EHLO", b"MAIL", b"RCPT", b"DATA"]
    raw = sink.transactions[0].raw_data
    assert raw is not None
    assert b"\r" not in raw.replace(b"\r\n", b"") and b"\n" not in raw.replace(b"\r\n", b"")
    assert raw.split(b"\r\n") == [b"Subject: s", b"", b"..starts with a dot", b"bare lf",
                                  b"bare cr", b"smuggle", b"..", b"MAIL FROM:<evil@example.net>",
                                  b"..", b"end", b""]


async def test_null_mx_fails_at_once_with_5_1_10(kit: Kit, dns: DNSServer) -> None:
    report = await kit.send(kit.batch("nullmx.example", ["a@nullmx.example"]))
    result = report.outcomes[0].result
    assert (result.state, result.status, result.text) == ("failed", "5.1.10", "Service unavailable")
    assert (result.relay_host, result.relay_addr) == ("nullmx.example", None)
    assert not any(line.startswith(">>>") for line in kit.lines)


async def test_unknown_domain_is_host_unknown(kit: Kit) -> None:
    report = await kit.send(kit.batch("nx.example", ["a@nx.example"]))
    result = report.outcomes[0].result
    assert (result.rcode, result.status, result.text) == (
        ex.EX_NOHOST, "5.1.2", "Host unknown (Name server: nx.example: host not found)")


async def test_name_server_failures_defer(kit: Kit) -> None:
    report = await kit.send(kit.batch("fail.example", ["a@fail.example"]))
    assert states(report)["a@fail.example"] == (
        "deferred", "4.2.0", "Deferred: Name server: fail.example: host name lookup failure")
    assert report.outcomes[0].result.log_status == "4.0.0"  # sendmail logs dsn=4.0.0
    report = await kit.send(kit.batch("hostfail.example", ["b@hostfail.example"]))
    result = report.outcomes[0].result
    assert (result.state, result.status, result.text) == (
        "deferred", "4.4.3", "Deferred: Name server: mx.fail.example.: host name lookup failure")
    assert result.relay_host == "mx.fail.example."


async def test_next_mx_when_the_first_refuses_connections(kit: Kit, port: int) -> None:
    async with ScriptedSink(host=MX2, port=port) as sink:
        report = await kit.send(kit.batch("two.example", ["a@two.example"]))
    assert len(sink.delivered) == 1
    assert kit.lines[0] == f"a@two.example... Connecting to dead.example.org. port {port} via esmtp..."
    assert f"a@two.example... Connecting to mx2.example.org. port {port} via esmtp..." in kit.lines
    result = report.outcomes[0].result
    assert (result.state, result.relay_host, result.relay_addr) == ("sent", "mx2.example.org.", MX2)


async def test_all_hosts_refusing_defers_with_the_last_error(kit: Kit, port: int) -> None:
    report = await kit.send(kit.batch("example.org", ["a@example.org"]))
    result = report.outcomes[0].result
    assert (result.state, result.status, result.text, result.relay_addr) == (
        "deferred", "4.4.1", "Deferred: Connection refused by mx.example.org.", MX)


async def test_a_domain_without_mx_gets_mail_at_its_address(kit: Kit, port: int, dns: DNSServer
                                                            ) -> None:
    async with ScriptedSink(host=MX, port=port) as sink:
        report = await kit.send(kit.batch("nomx.example", ["a@nomx.example"]))
    assert len(sink.delivered) == 1
    assert report.outcomes[0].result.relay_host == "nomx.example."


async def test_bracketed_hosts_skip_mx_lookups(kit: Kit, port: int, dns: DNSServer) -> None:
    async with ScriptedSink(host=MX, port=port) as sink:
        before = len(dns.queries)
        literal = await kit.send(kit.batch(f"[{MX}]", ["a@x.example"]))
        named = await kit.send(kit.batch("[mx.example.org]", ["b@x.example"]))
    assert [t.rcpt_addresses for t in sink.delivered] == [["a@x.example"], ["b@x.example"]]
    assert literal.outcomes[0].result.relay_host == f"[{MX}]"
    assert named.outcomes[0].result.relay_addr == MX
    assert ("mx.example.org", "MX") not in dns.queries[before:]
    assert ("mx.example.org", "A") in dns.queries[before:]


async def test_f0_mailers_skip_mx_lookups(kit: Kit, port: int, dns: DNSServer) -> None:
    async with ScriptedSink(host=MX, port=port) as sink:
        before = len(dns.queries)
        await kit.send(kit.batch("mx.example.org", ["a@x.example"], mailer="nomx"))
    assert len(sink.delivered) == 1
    assert [q for q in dns.queries[before:] if q[1] == "MX"] == []


async def test_helo_when_ehlo_is_refused_and_then_no_extensions(make_kit: Callable[..., Kit], port: int) -> None:
    kit = make_kit()
    async with ScriptedSink(Script(esmtp=False), host=MX, port=port) as sink:
        report = await kit.send(kit.batch("example.org", ["a@example.org"],
                                          notify=frozenset({"SUCCESS"})), envid="E1")
        await kit.client.close()
    assert [c.split()[0] for c in sink.commands] == [b"EHLO", b"HELO", b"MAIL", b"RCPT", b"DATA",
                                                    b"QUIT"]
    assert sink.transactions[0].mail_params == [] and sink.transactions[0].rcpts[0][1] == []
    assert states(report)["a@example.org"] == ("sent", "2.0.0", "Sent (2.0.0 Ok: queued as 1)")


async def test_plain_smtp_mailer_says_helo_unless_the_greeting_says_esmtp(
        kit: Kit, port: int) -> None:
    async with ScriptedSink(Script(greeting="220 {name} ready"), host=MX, port=port) as sink:
        await kit.send(kit.batch("example.org", ["a@example.org"], mailer="smtp"))
    async with ScriptedSink(host=MX2, port=port) as esmtp_sink:
        await kit.send(kit.batch(f"[{MX2}]", ["b@example.org"], mailer="smtp"))
    assert sink.commands[0].startswith(b"HELO ")
    assert esmtp_sink.commands[0].startswith(b"EHLO ")


async def test_starttls_when_offered(make_kit: Callable[..., Kit], port: int) -> None:
    kit = make_kit(tls=True)
    script = Script(tls=tls_server_context())
    async with ScriptedSink(script, host=MX, port=port) as sink:
        report = await kit.send(kit.batch("example.org", ["a@example.org"]))
        await kit.client.close()
    assert sink.tls_sessions == 1
    assert [c.split()[0] for c in sink.commands[:3]] == [b"EHLO", b"STARTTLS", b"EHLO"]
    assert sink.delivered[0].data == MESSAGE.replace(b"\n", b"\r\n")
    assert states(report)["a@example.org"][0] == "sent"


async def test_size_above_the_servers_limit_is_refused_for_good(kit: Kit, port: int) -> None:
    async with ScriptedSink(Script(extensions=("SIZE 20", "ENHANCEDSTATUSCODES")),
                            host=MX, port=port):
        report = await kit.send(kit.batch("example.org", ["a@example.org"]))
    result = report.outcomes[0].result
    assert (result.state, result.status, result.text, result.reply) == (
        "failed", "5.3.4", "Service unavailable", "552 5.3.4 Message size exceeds fixed limit")


@pytest.mark.parametrize("greeting, expected", [
    ("554 5.3.2 go away", ("failed", "5.5.0", "Service unavailable", "554 5.3.2 go away")),
    ("421 4.3.2 busy", ("deferred", "4.5.0", "Deferred: 421 4.3.2 busy", "421 4.3.2 busy")),
])
async def test_refusing_greetings(kit: Kit, port: int, greeting: str,
                                  expected: tuple[str, ...]) -> None:
    async with ScriptedSink(Script(greeting=greeting), host=MX, port=port) as sink:
        report = await kit.send(kit.batch("example.org", ["a@example.org"]))
    result = report.outcomes[0].result
    assert (result.state, result.status, result.text, result.reply) == expected
    assert sink.commands == [b"QUIT\r\n"]


@pytest.mark.parametrize("phase, expected", [
    ("CONNECT", ("deferred", "4.4.2", "Deferred: Connection reset by mx.example.org.", None)),
    ("RCPT", ("deferred", "4.4.2", "Deferred", "421 4.4.1 Connection reset by mx.example.org.")),
    (".", ("deferred", "4.4.2", "Deferred", None)),
])
async def test_dropped_connections_defer(kit: Kit, port: int, phase: str,
                                         expected: tuple[str, ...]) -> None:
    async with ScriptedSink(Script(drop_at=phase), host=MX, port=port):
        report = await kit.send(kit.batch("example.org", ["a@example.org"]))
    result = report.result_of(report.outcomes[-1].recipients[0])
    assert result is not None
    assert (result.state, result.status, result.text, result.reply) == expected


async def test_a_silent_server_times_out_after_timeout_rcpt(make_kit: Callable[..., Kit], port: int) -> None:
    kit = make_kit(options="O Timeout.rcpt=1s")
    async with ScriptedSink(Script(stall_at="RCPT"), host=MX, port=port):
        report = await asyncio.wait_for(kit.send(kit.batch("example.org", ["a@example.org"])), 10)
    result = report.outcomes[0].result
    assert (result.state, result.status, result.text) == (
        "deferred", "4.4.2", "Deferred: Connection timed out with mx.example.org.")
    assert report.log == ["timeout waiting for input from mx.example.org. during client RCPT"]


async def test_consecutive_deliveries_reuse_the_connection_with_rset(kit: Kit, port: int) -> None:
    async with ScriptedSink(host=MX, port=port) as sink:
        await kit.send(kit.batch("example.org", ["a@example.org"]))
        report = await kit.send(kit.batch("sameas.example", ["b@sameas.example"]))
        await kit.client.close()
    assert sink.connections == 1
    assert [c.split()[0] for c in sink.commands] == [
        b"EHLO", b"MAIL", b"RCPT", b"DATA", b"RSET", b"MAIL", b"RCPT", b"DATA", b"QUIT"]
    assert "b@sameas.example... Using cached ESMTP connection to mx.example.org. via esmtp..." \
        in kit.lines
    assert "Closing connection to mx.example.org." in kit.lines
    assert states(report)["b@sameas.example"][0] == "sent"


async def test_no_cache_means_quit_after_each_delivery(make_kit: Callable[..., Kit], port: int) -> None:
    kit = make_kit(options="O ConnectionCacheSize=0")
    async with ScriptedSink(host=MX, port=port) as sink:
        await kit.send(kit.batch("example.org", ["a@example.org"]))
        await kit.send(kit.batch("example.org", ["b@example.org"]))
    assert sink.connections == 2
    assert [c.split()[0] for c in sink.commands].count(b"QUIT") == 2


async def test_a_closed_cached_connection_is_replaced(kit: Kit, port: int) -> None:
    async with ScriptedSink(host=MX, port=port) as first:
        await kit.send(kit.batch("example.org", ["a@example.org"]))
    async with ScriptedSink(host=MX, port=port) as second:
        report = await kit.send(kit.batch("example.org", ["b@example.org"]))
    assert len(first.delivered) == len(second.delivered) == 1
    assert states(report)["b@example.org"][0] == "sent"


async def test_recipients_over_the_servers_limit_go_in_further_transactions(
        kit: Kit, port: int) -> None:
    users = [f"u{i}@example.org" for i in range(50)]
    async with ScriptedSink(Script(max_rcpts=20), host=MX, port=port) as sink:
        report = await kit.send(kit.batch("example.org", users))
    assert [len(t.accepted) for t in sink.delivered] == [20, 20, 10]
    assert sink.connections == 1
    assert sorted(a for t in sink.delivered for a in t.accepted) == sorted(users)
    assert {s[0] for s in states(report).values()} == {"sent"}
    assert len(report.outcomes) == 3


async def test_8bit_to_a_peer_without_8bitmime(make_kit: Callable[..., Kit], port: int) -> None:
    body = "Subject: caf\u00e9\n\ncaf\u00e9\n".encode()
    passing = make_kit()
    strict = make_kit(options="O EightBitMode=s")
    no8 = Script(extensions=("SIZE 100000",))
    async with ScriptedSink(no8, host=MX, port=port) as sink:
        sent = await passing.send(passing.batch("example.org", ["a@example.org"]), body,
                                  has_8bit=True)
        refused = await strict.send(strict.batch("example.org", ["b@example.org"]), body,
                                    has_8bit=True)
    assert sink.delivered[0].data == body.replace(b"\n", b"\r\n")
    assert states(sent)["a@example.org"][0] == "sent"
    result = refused.outcomes[0].result
    assert (result.state, result.status, result.message) == (
        "failed", "5.6.3", "554 5.6.3 mx.example.org. does not support 8BITMIME")


async def test_8bitmime_body_parameter(make_kit: Callable[..., Kit], port: int) -> None:
    kit = make_kit(options="O EightBitMode=m")
    async with ScriptedSink(host=MX, port=port) as sink:
        await kit.send(kit.batch("example.org", ["a@example.org"]), b"x: \xe9\n\n\xe9\n",
                       has_8bit=True)
        await kit.send(kit.batch("example.org", ["b@example.org"]), body_type="7BIT")
    assert sink.transactions[0].mail_params[1:] == ["BODY=8BITMIME"]
    assert sink.transactions[1].mail_params[1:] == ["BODY=7BIT"]


async def test_7bit_mailers_refuse_8bit_data(kit: Kit, port: int) -> None:
    async with ScriptedSink(host=MX, port=port) as sink:
        report = await kit.send(kit.batch("example.org", ["a@example.org"], mailer="plain"),
                                b"x: \xe9\n\n", has_8bit=True, is_mime=True)
    assert sink.transactions == []
    assert states(report)["a@example.org"][:2] == ("failed", "5.6.3")


async def test_smtputf8_addresses_need_the_option_and_the_peer(make_kit: Callable[..., Kit], port: int) -> None:
    off = make_kit()
    on = make_kit(options="O SmtpUTF8=True")
    utf8 = Script(extensions=("SMTPUTF8", "8BITMIME"))
    async with ScriptedSink(utf8, host=MX, port=port) as sink:
        refused = await off.send(off.batch("example.org", ["j\u00f6rg@example.org"]))
        sent = await on.send(on.batch("example.org", ["j\u00f6rg@example.org"]))
    assert refused.outcomes[0].result.message == "504 5.6.7 SMTPUTF8 required but not enabled"
    assert states(sent)["j\u00f6rg@example.org"][0] == "sent"
    assert sink.transactions[0].mail_params[-1] == "SMTPUTF8"
    assert sink.transactions[0].rcpt_addresses == ["j\u00f6rg@example.org"]
    async with ScriptedSink(host=MX, port=port):
        unoffered = await on.send(on.batch("example.org", ["\u00e5@example.org"]))
    assert unoffered.outcomes[0].result.message == "504 5.6.7 SMTPUTF8 required but not offered"


async def test_fallback_mx_host_after_the_mx_list(make_kit: Callable[..., Kit], port: int) -> None:
    kit = make_kit(fallback_mx="mx2.example.org")
    async with ScriptedSink(host=MX2, port=port) as sink:
        report = await kit.send(kit.batch("example.org", ["a@example.org"]))
    assert len(sink.delivered) == 1
    assert report.outcomes[0].result.relay_host == "mx2.example.org"


async def test_fallback_smart_host_after_a_failing_host(make_kit: Callable[..., Kit], port: int) -> None:
    kit = make_kit(options=f"O FallbackSmartHost=[{MX2}]")
    async with ScriptedSink(host=MX2, port=port) as sink:
        report = await kit.send(kit.batch("nx.example", ["a@nx.example"]))
    assert len(sink.delivered) == 1
    assert report.outcomes[0].result.relay_host == f"[{MX2}]"


async def test_talking_to_ourselves_is_a_configuration_error(kit: Kit, port: int) -> None:
    async with ScriptedSink(Script(name="mail.example.com"), host=MX, port=port):
        report = await kit.send(kit.batch("example.org", ["a@example.org"]))
    result = report.outcomes[0].result
    assert (result.rcode, result.status, result.reply) == (
        ex.EX_CONFIG, "5.3.5", "553 5.3.5 system config error")
    assert ("553 5.3.5 mx.example.org. config error: mail loops back to me (MX problem?)"
            in report.transcript)


async def test_bounces_have_a_null_sender(kit: Kit, port: int) -> None:
    async with ScriptedSink(host=MX, port=port) as sink:
        await kit.send(kit.batch("example.org", ["a@example.org"], sender="MAILER-DAEMON"),
                       null_sender=True)
    assert sink.transactions[0].mail_from == ""


async def test_a_client_from_the_options_alone_asks_the_name_server_option(
        tmp_path: Path, dns: DNSServer, port: int) -> None:
    cf = tmp_path / "ns.cf"
    cf.write_text(cf_text(port, f"O Monomail.NameServer={dns.port}@127.0.0.1\n"
                                f"O ServiceSwitchFile={tmp_path}/switch\nO HostsFile=/dev/null"))
    (tmp_path / "switch").write_text("hosts dns\n")
    config = parse_cf(str(cf))
    client = SmtpClient.from_config(config)
    m = config.mailer("esmtp")
    assert m is not None
    batch = Batch(m, "example.org", "example.org", "sender@example.com")
    batch.add(Recipient("a@example.org", "esmtp", "example.org", "a@example.org"), "a@example.org")
    async with ScriptedSink(host=MX, port=port) as sink:
        report = await client.deliver(batch, Envelope("sender@example.com"), MESSAGE)
        await client.close()
    assert len(sink.delivered) == 1
    assert report.outcomes[0].result.relay_host == "mx.example.org."


async def test_after_timeout_aconnect_only_fallback_hosts_are_tried(
        make_kit: Callable[..., Kit], port: int) -> None:
    kit = make_kit(options="O Timeout.aconnect=30s", fallback_mx="nomx.example")
    ticks = iter([0.0])  # the attempt starts at 0; the first refusal comes at 100 s
    kit.client.clock = lambda: next(ticks, 100.0)
    async with ScriptedSink(host=MX2, port=port) as backup, \
            ScriptedSink(host=MX, port=port) as fallback:
        report = await kit.send(kit.batch("two.example", ["a@two.example"]))
    assert backup.connections == 0 and len(fallback.delivered) == 1
    assert [line for line in kit.lines if "Connecting" in line] == [
        f"a@two.example... Connecting to dead.example.org. port {port} via esmtp...",
        f"a@two.example... Connecting to nomx.example port {port} via esmtp..."]
    assert report.outcomes[0].result.state == "sent"
