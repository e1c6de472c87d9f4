"""Host lookups (service switch, hosts file, DNS, MX lists) and the host, bestmx and dns maps.

DNS answers come from a small dnspython server on 127.0.0.1 at a random port, started by
the tests; its zone is below.  The expected results were checked against sendmail 8.17
(`-bt` /canon, /mx and /map) pointed at the same zone.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Iterator

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from monomail.maps.base import SM_NOTFOUND
from monomail.maps.hostlookup import (NULLMX, HostLookup, extract_canonname,
                                      read_service_switch, shorten_hostname, system_host_sources)
from monomail.maps.resolver import (HOST_NOT_FOUND, NO_DATA, TRY_AGAIN, note_herrno, ResolverConfig,
                                    StubResolver)
from monomail.sysexits import EX_NOHOST, EX_NOTFOUND, EX_OK, EX_TEMPFAIL
from test_maps import Ctx, make

ZONE: dict[str, list[str] | str] = {
    "example.com": ["MX 10 mail.example.com.", "A 10.0.0.2"],
    "mail.example.com": ["A 10.0.0.1"],
    "www.example.com": ["CNAME web.example.com."],
    "web.example.com": ["A 10.0.0.3"],
    "only-mx.example.com": ["MX 5 mail.example.com."],
    "example.org": ["MX 20 mx2.example.org.", "MX 10 mx1.example.org.",
                    "MX 10 MX1.example.org.", "MX 30 mail.example.com."],
    "mx1.example.org": ["A 10.1.0.1"],
    "mx2.example.org": ["A 10.1.0.2"],
    "txt.example.org": ['TXT "v=spf1 -all" "second"'],
    "v6.example.org": ["AAAA 2001:db8::1"],
    "nullmx.example.org": ["MX 0 ."],
    "broken.example.org": "SERVFAIL",
    "silent.example.org": "DROP",
    "loop1.example.org": ["CNAME loop2.example.org."],
    "loop2.example.org": ["CNAME loop1.example.org."],
    "noa.example.org": ['TXT "x"'],
    "4.3.2.1.in-addr.arpa": ["PTR ptr.example.org."],
    "self.example.net": ["MX 10 mail.example.com.", "MX 20 other.example.net."],
    "other.example.net": ["A 10.2.0.1"],
}


class FakeDNS:
    """An authoritative server for ZONE: NXDOMAIN for unknown names, CNAMEs chased in-zone."""

    def __init__(self, zone: dict[str, list[str] | str]) -> None:
        self.zone = zone
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.queries: list[tuple[str, str]] = []
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def records(self, name: str, rdtype: str) -> list[str]:
        entry = self.zone.get(name)
        return [r for r in entry if r.split()[0] == rdtype] if isinstance(entry, list) else []

    def answer(self, query: dns.message.Message) -> dns.message.Message | None:
        qname = query.question[0].name.to_text(omit_final_dot=True).lower()
        qtype = dns.rdatatype.to_text(query.question[0].rdtype)
        self.queries.append((qname, qtype))
        entry = self.zone.get(qname)
        if entry == "DROP":
            return None
        response = dns.message.make_response(query)
        if entry == "SERVFAIL":
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        if entry is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response
        name = qname
        for _ in range(8):
            alias = self.records(name, "CNAME")
            if alias and qtype != "CNAME":
                target = alias[0].split()[1]
                response.answer.append(dns.rrset.from_text(name + ".", 300, "IN", "CNAME",
                                                           target))
                name = target.rstrip(".").lower()
                continue
            for record in self.records(name, qtype):
                rtype, data = record.split(None, 1)
                response.answer.append(dns.rrset.from_text(name + ".", 300, "IN", rtype, data))
            break
        return response

    def serve(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            response = self.answer(dns.message.from_wire(data))
            if response is not None:
                self.sock.sendto(response.to_wire(), peer)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeDNS]:
    fake = FakeDNS(ZONE)
    fake.thread.start()
    yield fake
    fake.sock.close()


def closed_port() -> int:
    """A loopback UDP port nobody listens on (queries there are refused at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lookup(tmp_path: Path, port: int, switch: str = "hosts dns files\n", hosts: str = "",
           timeout: float = 1.0, **kw: object) -> HostLookup:
    (tmp_path / "switch").write_text(switch)
    (tmp_path / "hosts").write_text(hosts)
    return HostLookup(str(tmp_path / "switch"), str(tmp_path / "hosts"),
                      nameservers=["127.0.0.1"], port=port, timeout=timeout, attempts=1,
                      search=["example.com"], **kw)  # type: ignore[arg-type]


HOSTS = "127.0.0.1 localhost\n10.9.9.9 filehost.example.net filehost\n" \
        "10.1.1.2 bar baz.example.org\n#10.1.1.3 hidden\n10.1.1.4 qux # comment\n"


# ---- the service switch ----------------------------------------------------------------


def test_service_switch_file(tmp_path: Path) -> None:
    (tmp_path / "sw").write_text("hosts\tfiles  dns \n# x y\nAliases files nis\nbadline\n"
                                 "hosts: dns\nhosts files\n")
    table = read_service_switch(str(tmp_path / "sw"))
    assert table == {"hosts": ["files"], "aliases": ["files", "nis"], "hosts:": ["dns"]}
    h = HostLookup(str(tmp_path / "sw"), "/nonexistent")
    assert h.services("ALIASES") == ["files", "nis"]
    assert h.services("passwd") is None
    assert not h.use_name_server


def test_default_switch_without_a_file() -> None:
    h = HostLookup("/nonexistent/switch", "/nonexistent/hosts")
    assert (h.services("hosts"), h.services("aliases"), h.use_name_server) == (
        ["dns", "files"], ["files"], True)


def test_system_host_sources(tmp_path: Path) -> None:
    (tmp_path / "ns").write_text("passwd: files\nhosts: files mdns4 [NOTFOUND=return] dns\n")
    assert system_host_sources(str(tmp_path / "ns")) == [
        ("files", False), ("mdns4", True), ("dns", False)]
    assert system_host_sources(str(tmp_path / "none")) == [("dns", False), ("files", False)]


# ---- the hosts file --------------------------------------------------------------------


def test_shorten_hostname() -> None:
    assert shorten_hostname("foo.example.com", "example.com") == ("foo", "example.com")
    assert shorten_hostname("foo.example", "example.com") == ("foo", "example")
    assert shorten_hostname("foo.example.com.", "example.com") == ("foo", "example.com")
    assert shorten_hostname("foo.other.org.", "example.com") == ("foo.other.org", None)
    assert shorten_hostname("foo", None) == ("foo", None)


def test_extract_canonname() -> None:
    assert extract_canonname("foo", None, "1.2.3.4 foo foo.example.com", None) == \
        "foo.example.com"
    assert extract_canonname("bar", None, "1.2.3.4 bar", "example.com") == "bar.example.com"
    assert extract_canonname("bar", None, "1.2.3.4 bar", None) == "bar"
    assert extract_canonname("x", "x.example.com", "1 x.example.com", None) == "x.example.com"
    assert extract_canonname("nope", None, "1.2.3.4 bar", None) is None


@pytest.mark.parametrize("name,expected", [
    ("filehost", "filehost.example.net"), ("FILEHOST", "filehost.example.net"),
    ("bar", "baz.example.org"), ("qux", "qux.example.com"), ("hidden", "hidden"),
    ("filehost.example.com", "filehost.example.net"), ("localhost.", "localhost.example.com"),
])
def test_canon_from_the_hosts_file(tmp_path: Path, name: str, expected: str) -> None:
    h = lookup(tmp_path, closed_port(), switch="hosts files\n", hosts=HOSTS)
    answer = h.getcanonname(name, "example.com")
    assert answer.name == expected
    assert answer.found == (expected != name)


def test_unqualified_answer_needs_m(tmp_path: Path) -> None:
    h = lookup(tmp_path, closed_port(), switch="hosts files\n", hosts="1.2.3.4 solo\n")
    assert h.canon("solo", "example.com") == ("solo.example.com", EX_OK)
    assert h.canon("solo", None) == (None, EX_NOHOST)
    assert h.canon("missing", None) == (None, EX_NOHOST)


# ---- the resolver ----------------------------------------------------------------------


def test_resolv_conf(tmp_path: Path) -> None:
    (tmp_path / "r").write_text("# c\nnameserver 10.0.0.1\nnameserver 10.0.0.2\ndomain x.org\n"
                                "search a.org b.org.\noptions timeout:2 attempts:3 ndots:2\n")
    conf = ResolverConfig.from_resolv_conf(str(tmp_path / "r"))
    assert (conf.nameservers, conf.search, conf.timeout, conf.attempts, conf.ndots) == (
        ["10.0.0.1", "10.0.0.2"], ["a.org", "b.org"], 2.0, 3, 2)
    (tmp_path / "r").write_text("search a.org\ndomain x.org\n")
    conf = ResolverConfig.from_resolv_conf(str(tmp_path / "r"))
    assert (conf.nameservers, conf.search) == (["127.0.0.1"], ["x.org"])


def test_search_rules(server: FakeDNS) -> None:
    res = StubResolver(ResolverConfig(["127.0.0.1"], server.port, 1.0, 1, ["example.com"]))
    server.queries.clear()
    assert res.search("mail", 15).herrno == NO_DATA
    assert server.queries == [("mail.example.com", "MX"), ("mail", "MX")]
    server.queries.clear()
    assert res.search("example.org", 15).ok
    assert server.queries == [("example.org", "MX")]
    server.queries.clear()
    assert res.search("nothere.org.", 15).herrno == HOST_NOT_FOUND
    assert server.queries == [("nothere.org", "MX")]
    assert res.search("broken.example.org", 1).herrno == TRY_AGAIN
    assert not res.search("mail", 15, use_search=False).ok


def test_unreachable_server_is_a_temporary_failure() -> None:
    res = StubResolver(ResolverConfig(["127.0.0.1"], closed_port(), 1.0, 1, []))
    reply = res.query("example.com", 1)
    assert (reply.ok, reply.herrno, reply.refused) == (False, TRY_AGAIN, True)


# ---- getcanonname over DNS -------------------------------------------------------------


@pytest.mark.parametrize("name,expected,found", [
    ("mail", "mail.example.com", True),
    ("mail.example.com", "mail.example.com", True),
    ("www", "web.example.com", True),
    ("www.example.com", "web.example.com", True),
    ("only-mx", "only-mx.example.com", True),
    ("example.org", "example.org", True),
    ("mx1.example.org.", "mx1.example.org", True),
    ("nothere", "nothere", False),
    ("nothere.example.org", "nothere.example.org", False),
    ("broken.example.org", "broken.example.org", False),
    ("noa.example.org", "noa.example.org", False),
    ("filehost", "filehost.example.net", True),
])
def test_canon_over_dns(server: FakeDNS, tmp_path: Path, name: str, expected: str,
                        found: bool) -> None:
    h = lookup(tmp_path, server.port, hosts=HOSTS)
    answer = h.getcanonname(name, "example.com")
    assert (answer.name, answer.found) == (expected, found)


def test_canon_statuses(server: FakeDNS, tmp_path: Path) -> None:
    h = lookup(tmp_path, server.port, switch="hosts dns\n")
    assert h.canon("mail", "example.com") == ("mail.example.com", EX_OK)
    assert h.canon("nothere.example.org", "example.com") == (None, EX_NOHOST)
    assert h.canon("broken.example.org", "example.com") == (None, EX_TEMPFAIL)


def test_cname_loop_is_reported(server: FakeDNS, tmp_path: Path) -> None:
    h = lookup(tmp_path, server.port)
    said: list[str] = []
    assert h.canon("loop1.example.org", "example.com", said.append) == (None, EX_NOHOST)
    assert said == ["DNS failure: CNAME loop for loop2.example.org"]


def test_silent_server_times_out_as_tempfail(server: FakeDNS, tmp_path: Path) -> None:
    h = lookup(tmp_path, server.port, switch="hosts dns\n", timeout=0.05)
    assert h.canon("silent.example.org", "example.com") == (None, EX_TEMPFAIL)


def test_no_server_falls_back_to_the_hosts_file(tmp_path: Path) -> None:
    h = lookup(tmp_path, closed_port(), hosts=HOSTS)
    assert h.canon("filehost", "example.com") == ("filehost.example.net", EX_OK)
    answer = h.getcanonname("bar.example.org.", "example.com")
    assert (answer.name, answer.found, answer.status) == ("bar.example.org", False, EX_NOHOST)


# ---- getmxrr ---------------------------------------------------------------------------


@pytest.mark.parametrize("name,count,hosts", [
    ("example.com", 1, ["mail.example.com."]),
    ("example.org", 3, ["mx1.example.org.", "mx2.example.org.", "mail.example.com."]),
    ("mail.example.com", 1, ["mail.example.com."]),
    ("mail", 1, ["mail.example.com."]),
    ("www.example.com", 0, []),
    ("nullmx.example.org", NULLMX, []),
    ("nothere.example.org", 0, []),
    ("broken.example.org", -1, []),
    ("[10.0.0.1]", 1, ["[10.0.0.1]"]),
    ("[mail.example.com]", 1, ["mail.example.com."]),
    ("", 0, []),
])
def test_getmxrr(server: FakeDNS, tmp_path: Path, name: str, count: int,
                 hosts: list[str]) -> None:
    h = lookup(tmp_path, server.port)
    answer = h.getmxrr(name, "example.com", tryfallback=True)
    assert (answer.count, answer.hosts[:max(count, 0)]) == (count, hosts)


def test_mx_api(server: FakeDNS, tmp_path: Path) -> None:
    h = lookup(tmp_path, server.port)
    assert h.getmxrr("example.com", tryfallback=True).hosts == ["mail.example.com."]
    assert h.getmxrr("broken.example.org", tryfallback=True).count == -1


def test_mx_drops_local_hosts_and_what_follows(server: FakeDNS, tmp_path: Path) -> None:
    h = lookup(tmp_path, server.port)
    local = {"mail.example.com"}.__contains__
    said: list[str] = []
    answer = h.getmxrr("self.example.net", droplocalhost=True, is_local=local,
                       report=said.append)
    assert (answer.count, answer.hosts) == (-1, [])
    assert said == ["MX list for self.example.net points back to "]
    answer = h.getmxrr("example.org", droplocalhost=True, is_local=local)
    assert answer.hosts == ["mx1.example.org.", "mx2.example.org."]


def test_fallback_mx_hosts(server: FakeDNS, tmp_path: Path) -> None:
    h = lookup(tmp_path, server.port, fallback_mx_hosts=["relay.example.net"])
    answer = h.getmxrr("example.com", tryfallback=True)
    assert (answer.hosts, answer.prefs) == (["mail.example.com.", "relay.example.net"], [10, 11])
    assert h.getmxrr("broken.example.org", tryfallback=True).hosts == ["relay.example.net"]
    assert h.getmxrr("example.com").hosts == ["mail.example.com."]


def test_equal_preferences_are_ordered_by_the_per_process_hash(tmp_path: Path) -> None:
    zone = {"tie.example": ["MX 10 a.example.", "MX 10 b.example.", "MX 10 c.example."]}
    fake = FakeDNS(zone)  # type: ignore[arg-type]
    fake.thread.start()
    try:
        orders = set()
        for seed in range(1, 40):
            h = lookup(tmp_path, fake.port, mx_seed=seed)
            hosts = h.getmxrr("tie.example").hosts
            assert sorted(hosts) == ["a.example.", "b.example.", "c.example."]
            assert h.getmxrr("tie.example").hosts == hosts
            orders.add(tuple(hosts))
        assert len(orders) > 1
    finally:
        fake.sock.close()


def test_no_name_server_means_no_mx_lookup(tmp_path: Path) -> None:
    h = lookup(tmp_path, closed_port(), switch="hosts files\n")
    assert h.getmxrr("example.com").count == 0


# ---- the host map ----------------------------------------------------------------------


def test_host_map(server: FakeDNS, tmp_path: Path) -> None:
    ctx = Ctx(hosts=lookup(tmp_path, server.port, hosts=HOSTS))
    host = make("host host -a. -D")
    assert host.lookup("www", ["www"], ctx) == ("web.example.com.", EX_OK)
    assert host.lookup("filehost", ["filehost"], ctx) == ("filehost.example.net.", EX_OK)
    assert host.lookup_raw("nothere", ["nothere"], ctx) == (None, EX_NOHOST)
    assert make("m host -m -a!").lookup_raw("www", ["www"], ctx) == ("www!", EX_OK)
    assert host.lookup_raw("[10.1", ["x"], ctx) == (None, EX_OK)
    assert ctx.messages == []


def test_host_map_timeout_message_and_T(tmp_path: Path) -> None:
    ctx = Ctx(hosts=lookup(tmp_path, closed_port()))
    host = make("host host -a.")
    name = "a-very-long-host-name.example.org"
    assert host.lookup(name, [name], ctx) == (None, EX_TEMPFAIL)
    assert ctx.messages == ["a-very-long-hos...ame.example.org: Name server timeout"]
    assert make("t host -T<TEMP>").lookup("x.org", ["x.org"], ctx) == ("x.org<TEMP>", EX_TEMPFAIL)
    assert make("n host -t").lookup("x.org", ["x.org"], ctx) == (None, EX_NOTFOUND)


def test_host_map_defers_and_caches(server: FakeDNS, tmp_path: Path) -> None:
    ctx = Ctx(hosts=lookup(tmp_path, server.port), delivery_mode="d")
    host = make("host host -a. -D")
    assert host.lookup("mail", ["mail"], ctx) == (None, EX_TEMPFAIL)
    ctx.delivery_mode = "b"  # type: ignore[attr-defined]
    server.queries.clear()
    assert host.lookup("mail", ["mail"], ctx) == ("mail.example.com.", EX_OK)
    assert host.lookup("mail", ["mail"], ctx) == ("mail.example.com.", EX_OK)
    assert server.queries == [("mail.example.com", "A")]
    assert host.lookup_raw("mail", ["mail"], Ctx(hosts=ctx.hosts, delivery_mode="d"))[0] == \
        "mail.example.com."


def test_host_map_addresses(server: FakeDNS, tmp_path: Path) -> None:
    (tmp_path / "nsswitch").write_text("hosts: files dns\n")
    (tmp_path / "etchosts").write_text("10.0.0.1 mail.example.com mail\n")
    hosts = lookup(tmp_path, server.port, nsswitch_file=str(tmp_path / "nsswitch"),
                   system_hosts_file=str(tmp_path / "etchosts"))
    ctx = Ctx(hosts=hosts)
    host = make("host host -a.")
    assert host.lookup("[10.0.0.1]", ["x"], ctx) == ("mail.example.com.", EX_OK)
    assert host.lookup("[1.2.3.4]", ["x"], ctx) == ("ptr.example.org.", EX_OK)
    assert host.lookup_raw("[10.9.9.9]", ["x"], ctx) == (None, EX_NOHOST)
    # no lookup happens for [bogus]: like sendmail, the status is the resolver's last one
    assert host.lookup_raw("[bogus]", ["x"], ctx) == (None, EX_NOHOST)
    note_herrno(TRY_AGAIN)
    assert host.lookup_raw("[bogus2]", ["x"], ctx) == (None, EX_TEMPFAIL)


# ---- bestmx and dns maps ---------------------------------------------------------------


def test_bestmx_map(server: FakeDNS, tmp_path: Path) -> None:
    ctx = Ctx(hosts=lookup(tmp_path, server.port))
    assert make("bm bestmx").lookup_raw("example.org", ["x"], ctx) == ("mx1.example.org.", EX_OK)
    assert make("bm bestmx -z,").lookup_raw("example.org", ["x"], ctx) == (
        "mx1.example.org.,mx2.example.org.,mail.example.com.", EX_OK)
    assert make("bm bestmx -m").lookup_raw("example.org", ["x"], ctx) == ("example.org", EX_OK)
    assert make("bm bestmx").lookup_raw("mail", ["mail"], ctx) == (None, EX_NOHOST)
    assert make("bm bestmx").lookup("broken.example.org", ["x"], ctx) == (None, EX_TEMPFAIL)


def test_dns_map(server: FakeDNS, tmp_path: Path) -> None:
    ctx = Ctx(hosts=lookup(tmp_path, server.port))
    assert make("d dns -RA").lookup_raw("mail", ["mail"], ctx) == ("10.0.0.1", EX_OK)
    assert make("d dns -RA").lookup_raw("nothere.example.org", ["x"], ctx) == (
        None, SM_NOTFOUND)
    assert make("d dns -RMX -z,").lookup_raw("example.org", ["x"], ctx) == (
        "mx2.example.org,mx1.example.org,mx1.example.org,mail.example.com", EX_OK)
    assert make("d dns -RMX -z, -Z2").lookup_raw("example.org", ["x"], ctx) == (
        "mx2.example.org,mx1.example.org,mx1.example.org", EX_OK)
    assert make("d dns -RTXT").lookup_raw("txt.example.org", ["x"], ctx) == ("v=spf1 -all", EX_OK)
    assert make("d dns -RAAAA").lookup_raw("v6.example.org", ["x"], ctx) == ("2001:db8::1", EX_OK)
    assert make("d dns -RA -Bexample.com -a!").lookup_raw("www", ["x"], ctx) == (
        "10.0.0.3!", EX_OK)
    assert make("d dns -RA").lookup("broken.example.org", ["x"], ctx) == (None, EX_TEMPFAIL)
    with pytest.raises(Exception, match="missing -R type"):
        make("d dns -a.")
