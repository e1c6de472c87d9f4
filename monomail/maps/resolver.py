"""A stub resolver with the C library's outcomes, built on dnspython.

sendmail's host-name logic (getcanonname, getmxrr) is written against res_query,
res_querydomain and res_search and branches on h_errno: HOST_NOT_FOUND, NO_DATA,
TRY_AGAIN, NO_RECOVERY.  This module sends the queries with dnspython and reports
results in those terms, with glibc's search-list rules, so the logic above it can be
the same as sendmail's.  Timeouts are short and explicit, lookups synchronous.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Iterator

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

HOST_NOT_FOUND = 1
TRY_AGAIN = 2
NO_RECOVERY = 3
NO_DATA = 4

MAXDNSRCH = 6


@dataclass
class Reply:
    """One query's outcome: the answer (NOERROR with records) or an h_errno-style code."""

    message: dns.message.Message | None = None
    herrno: int = 0
    refused: bool = False     # no server could be reached at all (glibc's ECONNREFUSED)
    servfail: bool = False    # the servers answered SERVFAIL/REFUSED/NOTIMP

    @property
    def ok(self) -> bool:
        return self.message is not None

    def records(self) -> Iterator[tuple[int, int, object]]:
        """(type, ttl, rdata) of the answer section in wire order."""
        if self.message is None:
            return
        for rrset in self.message.answer:
            for rdata in rrset:
                yield rrset.rdtype, rrset.ttl, rdata

    @property
    def authentic(self) -> bool:
        return self.message is not None and bool(self.message.flags & dns.flags.AD)


def host_domain() -> str:
    """glibc's default domain: the host name after its first dot."""
    name = socket.gethostname()
    return name.split(".", 1)[1] if "." in name else ""


@dataclass
class ResolverConfig:
    """What res_init would read from resolv.conf, or what a test sets."""

    nameservers: list[str] = field(default_factory=lambda: ["127.0.0.1"])
    port: int = 53
    timeout: float = 5.0
    attempts: int = 2
    search: list[str] = field(default_factory=list)
    ndots: int = 1
    dnsrch: bool = True       # RES_DNSRCH: walk the search list
    defnames: bool = True     # RES_DEFNAMES: qualify single labels
    notldquery: bool = False  # RES_NOTLDQUERY: never ask for a single label as it is

    @classmethod
    def from_resolv_conf(cls, path: str = "/etc/resolv.conf") -> "ResolverConfig":
        """Parse resolv.conf as glibc does (nameserver, domain, search, options)."""
        conf = cls(nameservers=[])
        domain: str | None = None
        search: list[str] | None = None
        try:
            with open(path, encoding="latin-1") as f:
                lines = f.read().splitlines()
        except OSError:
            lines = []
        for line in lines:
            words = line.split()
            if not words or words[0][:1] in ("#", ";"):
                continue
            key, args = words[0], words[1:]
            if key == "nameserver" and args and len(conf.nameservers) < 3:
                conf.nameservers.append(args[0])
            elif key == "domain" and args:
                domain, search = args[0], None
            elif key == "search" and args:
                search, domain = args[:MAXDNSRCH], None
            elif key == "options":
                conf._options(args)
        if not conf.nameservers:
            conf.nameservers = ["127.0.0.1"]
        if search is None:
            domain = domain if domain is not None else host_domain()
            search = [domain] if domain else []
        conf.search = [d.rstrip(".") if d != "." else d for d in search]
        return conf

    def _options(self, args: list[str]) -> None:
        for opt in args:
            name, _, value = opt.partition(":")
            if name in ("timeout", "attempts", "ndots") and value.isdigit():
                number = int(value)
                if name == "timeout":
                    self.timeout = float(max(1, min(number, 30)))
                elif name == "attempts":
                    self.attempts = max(1, min(number, 5))
                else:
                    self.ndots = min(number, 15)


_h_errno = [0]


def h_errno() -> int:
    """The resolver's last failure code, as C's global h_errno keeps it: sendmail reads it
    even after calls that did not touch the resolver (a host map key like `[junk]`)."""
    return _h_errno[0]


def note_herrno(code: int) -> None:
    """Record a failure the way the C library sets h_errno (successes leave it alone)."""
    if code:
        _h_errno[0] = code


class StubResolver:
    """res_query / res_querydomain / res_search over dnspython."""

    def __init__(self, config: ResolverConfig) -> None:
        self.config = config

    @property
    def default_domain(self) -> str:
        return self.config.search[0] if self.config.search else ""

    def query(self, name: str, rdtype: int) -> Reply:
        """res_query: the name exactly as given (a final dot is optional)."""
        try:
            qname = dns.name.from_text(name.encode("latin-1", "replace"), dns.name.root)
            request = dns.message.make_query(qname, dns.rdatatype.RdataType.make(rdtype))
        except (dns.exception.DNSException, ValueError):
            note_herrno(NO_RECOVERY)
            return Reply(herrno=NO_RECOVERY)
        reply = self._send(request)
        note_herrno(reply.herrno)
        return reply

    def querydomain(self, name: str, domain: str | None, rdtype: int) -> Reply:
        """res_querydomain: name.domain, or the name alone when there is no domain."""
        if domain is None or domain == "":
            return self.query(name.rstrip(".") if domain is None else name + ".", rdtype)
        return self.query(f"{name}.{domain}", rdtype)

    def search(self, name: str, rdtype: int, use_search: bool = True) -> Reply:
        """res_search with glibc's rules for ndots, trailing dots and the search list."""
        conf = self.config
        dnsrch = conf.dnsrch and use_search
        defnames = conf.defnames and use_search
        dots = name.count(".")
        trailing = name.endswith(".")
        saved: Reply | None = None
        tried_as_is = False
        if dots >= conf.ndots or trailing:
            reply = self.querydomain(name, None, rdtype)
            if reply.ok or trailing:
                return reply
            saved, tried_as_is = reply, True
        got_nodata = got_servfail = False
        searched = root_on_list = False
        last: Reply | None = None
        if (dots == 0 and defnames) or (dots and not trailing and dnsrch):
            for domain in conf.search[:MAXDNSRCH]:
                searched = True
                domain = domain[1:] if domain.startswith(".") else domain
                root_on_list = root_on_list or domain == ""
                last = self.querydomain(name, domain, rdtype)
                if last.ok:
                    return last
                if last.refused:
                    return Reply(herrno=TRY_AGAIN, refused=True)
                if last.herrno == NO_DATA:
                    got_nodata = True
                elif last.herrno == TRY_AGAIN and last.servfail:
                    got_servfail = True
                elif last.herrno != HOST_NOT_FOUND:
                    break
                if not dnsrch:
                    break
        if (dots or not searched or not conf.notldquery) and not (tried_as_is or root_on_list):
            last = self.querydomain(name, None, rdtype)
            if last.ok:
                return last
        if saved is not None:
            return saved
        if got_nodata:
            return Reply(herrno=NO_DATA)
        if got_servfail:
            return Reply(herrno=TRY_AGAIN, servfail=True)
        return last if last is not None else Reply(herrno=HOST_NOT_FOUND)

    def _send(self, request: dns.message.Message) -> Reply:
        """Ask each server in turn, `attempts` rounds, UDP then TCP when truncated."""
        conf = self.config
        reached = False
        servfail: dns.message.Message | None = None
        for _ in range(max(1, conf.attempts)):
            for server in conf.nameservers:
                try:
                    response = self._exchange(request, server)
                except dns.exception.Timeout:
                    reached = True
                    continue
                except (OSError, dns.exception.DNSException, ValueError):
                    continue
                reached = True
                rcode = response.rcode()
                if rcode in (dns.rcode.SERVFAIL, dns.rcode.NOTIMP, dns.rcode.REFUSED):
                    servfail = response
                    continue
                return self._classify(response)
        if servfail is not None:
            return Reply(herrno=TRY_AGAIN, servfail=True)
        return Reply(herrno=TRY_AGAIN, refused=not reached)

    def _exchange(self, request: dns.message.Message, server: str) -> dns.message.Message:
        """One UDP exchange (TCP if truncated) on a connected socket, as the C resolver does,
        so that a port with no server is refused at once instead of timing out."""
        conf = self.config
        family = socket.AF_INET6 if ":" in server else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((server, conf.port))
            sock.setblocking(False)  # dnspython waits with select() on sockets it is given
            response, _tcp = dns.query.udp_with_fallback(
                request, server, timeout=conf.timeout, port=conf.port, udp_sock=sock,
                ignore_unexpected=True, one_rr_per_rrset=True)
        return response

    @staticmethod
    def _classify(response: dns.message.Message) -> Reply:
        """res_query's verdict on an answer: records, NO_DATA, NXDOMAIN or NO_RECOVERY."""
        rcode = response.rcode()
        count = sum(len(rrset) for rrset in response.answer)
        if rcode == dns.rcode.NOERROR and count:
            return Reply(message=response)
        if rcode == dns.rcode.NXDOMAIN:
            return Reply(herrno=HOST_NOT_FOUND)
        if rcode == dns.rcode.NOERROR:
            return Reply(herrno=NO_DATA)
        return Reply(herrno=NO_RECOVERY)


def rdata_name(rdata: object, attr: str) -> str:
    """A domain name from an rdata field as dn_expand prints it (no final dot, root is "")."""
    name = getattr(rdata, attr)
    return name.to_text(omit_final_dot=True) if name != dns.name.root else ""


TYPE_NUMBERS = {name: int(dns.rdatatype.from_text(name))
                for name in ("A", "AAAA", "MX", "CNAME", "NS", "PTR", "TXT", "SRV", "AFSDB",
                             "TLSA")}
