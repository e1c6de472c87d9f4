"""The SMTP client against capture sinks and a DNS server on loopback.

Hosts are 127.0.0.x addresses in a test zone served by tests/dnsserver.py; the mailers'
`A=TCP $h PORT` point at the port the sinks share.  Timeouts that tests wait for are
set to a fraction of a second through the Timeout options; nothing sleeps.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import AsyncIterator, Iterator

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
Dj mail.example.com
Dm example.com
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
async def kit(tmp_path: Path, dns: DNSServer, port: int) -> AsyncIterator[Kit]:
    made = Kit(tmp_path, dns, port)
    yield made
    await made.client.close()


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
