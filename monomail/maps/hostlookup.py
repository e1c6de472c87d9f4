"""Host names as sendmail resolves them: the service switch, the hosts file, DNS and MX lists.

`HostLookup.canon` is sendmail's getcanonname (behind `$[ $]`, the host map and
`-bt /canon`): the sources listed for `hosts` in the service switch file (on Linux,
without such a file: dns, then files) are tried in order; the hosts file gives the
first name with a dot on the matching line; DNS walks the search list with A and
MX queries and follows CNAMEs.  An unqualified answer gets $m appended.
`HostLookup.getmxrr` (from mxlist) is sendmail's getmxrr (`-bt /mx`, bestmx maps).
"""

from __future__ import annotations

import ipaddress
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

import dns.rdatatype
import dns.reversename

from monomail.sysexits import EX_CONFIG, EX_NOHOST, EX_OK, EX_TEMPFAIL, EX_UNAVAILABLE

from .base import MAXNAME, lower_ascii
from .hostsfile import (extract_canonname, hosts_file_addresses, hosts_file_name, hosts_lines,
                        read_service_switch, shorten_hostname, system_host_sources)
from .mxlist import NULLMX, SM_DEFAULT_TTL, MxAnswer, MxLookup
from .resolver import (HOST_NOT_FOUND, h_errno, MAXDNSRCH, NO_RECOVERY, TRY_AGAIN, Reply, ResolverConfig,
                       StubResolver, rdata_name)

__all__ = ["CanonAnswer", "HostLookup", "MxAnswer", "NULLMX", "extract_canonname",
           "read_service_switch", "shorten_hostname", "system_host_sources"]

MAXCNAMEDEPTH = 10
DEFAULT_SWITCH = {"hosts": ["dns", "files"], "aliases": ["files"]}

A, AAAA, MX, CNAME, PTR = (int(dns.rdatatype.A), int(dns.rdatatype.AAAA),
                           int(dns.rdatatype.MX), int(dns.rdatatype.CNAME),
                           int(dns.rdatatype.PTR))


@dataclass
class CanonAnswer:
    """getcanonname's result: `name` is the buffer as sendmail leaves it, found or not."""

    name: str
    found: bool
    status: int          # EX_OK, EX_TEMPFAIL (some source failed temporarily), EX_NOHOST...
    ttl: int = SM_DEFAULT_TTL
    secure: bool = False
    herrno: int = 0      # what sendmail's host map switches on after a failure


class HostLookup(MxLookup):
    """Host-name services for one configuration (service switch file, hosts file, resolver)."""

    def __init__(self, service_switch_file: str = "/etc/mail/service.switch",
                 hosts_file: str = "/etc/hosts", nameservers: list[str] | None = None,
                 port: int = 53, *, timeout: float | None = None, attempts: int | None = None,
                 search: list[str] | None = None, resolv_conf: str = "/etc/resolv.conf",
                 has_wildcard_mx: bool = False, dont_expand_cnames: bool = False,
                 work_around_broken_aaaa: bool = False, inet6: bool = False,
                 config_level: int = 10, switch_cache_age: float = 10.0,
                 try_null_mx_list: bool = False, fallback_mx_hosts: list[str] | None = None,
                 mx_seed: int | None = None, my_hostname: str = "",
                 nsswitch_file: str = "/etc/nsswitch.conf",
                 system_hosts_file: str = "/etc/hosts",
                 resolver_flags: dict[str, bool] | None = None) -> None:
        self.service_switch_file = service_switch_file
        self.hosts_file = hosts_file
        self._nameservers = nameservers
        self._port = port
        self._timeout = timeout
        self._attempts = attempts
        self._search = search
        self._resolv_conf = resolv_conf
        self._resolver_flags = dict(resolver_flags or {})  # ResolverOptions: dnsrch, defnames
        self._resolver: StubResolver | None = None
        self.has_wildcard_mx = has_wildcard_mx
        self.dont_expand_cnames = dont_expand_cnames
        self.work_around_broken_aaaa = work_around_broken_aaaa
        self.inet6 = inet6
        self.config_level = config_level
        self.switch_cache_age = switch_cache_age
        self.try_null_mx_list = try_null_mx_list
        self.my_hostname = my_hostname
        self.nsswitch_file = nsswitch_file
        self.system_hosts_file = system_hosts_file
        self.fallback_mx_hosts = list(fallback_mx_hosts or [])
        self.mx_seed = mx_seed if mx_seed is not None else (int(time.time()) & 0xFFFF or 1)
        self._switch: dict[str, list[str]] | None = None
        self._switch_read = 0.0
        self._canon_cache: dict[str, tuple[float, CanonAnswer]] = {}

    # ---- configuration -----------------------------------------------------------------

    @property
    def resolver(self) -> StubResolver:
        """resolv.conf, overridden by the constructor's nameservers/port/timeout/search."""
        if self._resolver is None:
            if self._nameservers is None:
                conf = ResolverConfig.from_resolv_conf(self._resolv_conf)
            else:
                conf = ResolverConfig(nameservers=list(self._nameservers))
                conf.search = []
            conf.port = self._port
            if self._timeout is not None:
                conf.timeout = self._timeout
            if self._attempts is not None:
                conf.attempts = self._attempts
            if self._search is not None:
                conf.search = list(self._search)[:MAXDNSRCH]
            for flag in ("dnsrch", "defnames"):
                if flag in self._resolver_flags:
                    setattr(conf, flag, self._resolver_flags[flag])
            self._resolver = StubResolver(conf)
        return self._resolver

    def services(self, service: str) -> list[str] | None:
        """switch_map_find: the sources listed for a service, None when there are none.

        The file is sendmail's own format ("hosts files dns"; '#' comments, no colon);
        without an entry, hosts falls back to dns then files and aliases to files.
        """
        now = time.monotonic()
        if self._switch is None or now - self._switch_read > self.switch_cache_age:
            self._switch = read_service_switch(self.service_switch_file)
            self._switch_read = now
        found = self._switch.get(lower_ascii(service))
        if found:
            return list(found)
        default = DEFAULT_SWITCH.get(service)
        return list(default) if default is not None else None

    @property
    def use_name_server(self) -> bool:
        """sendmail's UseNameServer: DNS is among the hosts sources."""
        return "dns" in (self.services("hosts") or [])

    # ---- getcanonname ------------------------------------------------------------------

    def canon(self, name: str, domain: str | None = None,
              report: Callable[[str], None] | None = None) -> tuple[str | None, int]:
        """(canonical name, EX_OK), or (None, EX_TEMPFAIL / EX_NOHOST); domain is $m.

        report receives what sendmail tells the user on the way ("DNS failure: CNAME
        loop for ..."); `-bt /canon` prints getcanonname(name).name, found or not.
        """
        answer = self.getcanonname(name, domain, report=report)
        if answer.found:
            return answer.name, EX_OK
        return None, EX_TEMPFAIL if answer.herrno == TRY_AGAIN else EX_NOHOST

    def getcanonname(self, name: str, domain: str | None = None, trymx: bool | None = None,
                     use_search: bool = True, report: Callable[[str], None] | None = None
                     ) -> CanonAnswer:
        """sendmail's getcanonname over the switch's hosts sources.

        use_search False is the resolver without RES_DNSRCH/RES_DEFNAMES (bestmx maps).
        """
        if trymx is None:
            trymx = not self.has_wildcard_mx
        host = name
        found = False
        status = EX_UNAVAILABLE
        got_tempfail = False
        secure = True
        ttl = SM_DEFAULT_TTL
        for source in self.services("hosts") or []:
            if source == "files":
                found, status, host = self.text_canonname(host, domain)
            elif source == "dns":
                r = self.dns_canonname(host, trymx, use_search, report)
                found, status, host, secure = r.found, r.status, r.name, r.secure
                if r.found:
                    ttl = r.ttl
            else:
                found, status = False, EX_UNAVAILABLE
            if found and (domain is not None or "." in host):
                break
            if status == EX_TEMPFAIL:
                got_tempfail = True
        if found:
            dot = host.find(".")
            if dot < 0 or dot == len(host) - 1:
                if domain is None or len(host) + len(domain) + 1 >= MAXNAME:
                    return CanonAnswer(host, False, EX_NOHOST, ttl, herrno=HOST_NOT_FOUND)
                host = host + domain if host.endswith(".") else f"{host}.{domain}"
            return CanonAnswer(host, True, EX_OK, ttl, secure)
        herrno = TRY_AGAIN if got_tempfail else HOST_NOT_FOUND
        return CanonAnswer(host, False, status, ttl, herrno=herrno)

    def text_canonname(self, name: str, domain: str | None) -> tuple[bool, int, str]:
        """text_getcanonname: the first hosts-file line naming the host (short or full)."""
        if len(name) > MAXNAME:
            return False, EX_UNAVAILABLE, name
        short, removed = shorten_hostname(name, domain)
        full = f"{short}.{removed}" if removed is not None else None
        lines = hosts_lines(self.hosts_file)
        if lines is None:
            return False, EX_UNAVAILABLE, name
        for line in lines:
            canonical = extract_canonname(short, full, line, domain)
            if canonical is not None:
                return True, EX_OK, canonical
        return False, EX_NOHOST, name

    def dns_canonname(self, host: str, trymx: bool, use_search: bool = True,
                      report: Callable[[str], None] | None = None) -> CanonAnswer:
        """dns_getcanonname: search-list walk with A (AAAA) then MX queries, CNAMEs followed."""
        res = self.resolver
        status = EX_OK
        herrno = 0
        secure = True
        ttl = 0
        loopcnt = 0
        initial = AAAA if self.inet6 else A
        while True:  # cnameloop
            dots = host.count(".")
            searchlist: list[str] = []
            if dots > 0:
                searchlist.append("")
            if not host.endswith(".") and res.config.dnsrch and use_search:
                searchlist.extend(res.config.search[:MAXDNSRCH])
            elif dots == 0 and res.config.defnames and use_search:
                searchlist.append(res.default_domain)
            elif host.endswith("."):
                host = host[:-1]
            mxmatch: str | None = None
            qtype = initial
            gotmx = False
            index = 0
            restart = False
            while index < len(searchlist):
                dp = searchlist[index]
                if qtype == initial:
                    gotmx = False
                reply = res.querydomain(host, dp, qtype)
                if not reply.ok:
                    herrno = reply.herrno
                    if reply.refused or reply.herrno == TRY_AGAIN:
                        herrno = TRY_AGAIN
                        if dp == "":
                            if status == EX_OK:
                                status = EX_TEMPFAIL
                        else:
                            status = EX_TEMPFAIL
                            if reply.refused or not self.work_around_broken_aaaa:
                                return CanonAnswer(host, False, status, herrno=herrno)
                    if herrno != HOST_NOT_FOUND:
                        if qtype == AAAA:
                            qtype = A
                            continue
                        if qtype == A and not gotmx and (trymx or dp == ""):
                            qtype = MX
                            continue
                    index += 1
                    qtype = initial
                    continue
                if not reply.authentic:
                    secure = False
                amatch = False
                for rtype, rttl, rdata in reply.records():
                    ttl = rttl
                    if rtype == MX:
                        gotmx = True
                        if dp != "" and self.has_wildcard_mx:
                            if trymx and mxmatch is None:
                                mxmatch = dp
                            continue
                        amatch = True
                    elif rtype in (A, AAAA):
                        amatch = True
                    elif rtype == CNAME:
                        if self.dont_expand_cnames:
                            amatch = True
                            break
                        loopcnt += 1
                        if loopcnt > MAXCNAMEDEPTH + 1:
                            if report is not None:
                                report(f"DNS failure: CNAME loop for {host}")
                            return CanonAnswer(host, False, EX_CONFIG, herrno=NO_RECOVERY)
                        host = rdata_name(rdata, "target")
                        restart = True
                        break
                if restart:
                    break
                if amatch:
                    mxmatch = dp
                    break
                if qtype == AAAA:
                    qtype = A
                elif qtype == A and not gotmx and (trymx or dp == ""):
                    qtype = MX
                else:
                    qtype = initial
                    index += 1
            if restart:
                continue
            if mxmatch is None:
                if status == EX_OK:
                    status = EX_NOHOST
                return CanonAnswer(host, False, status, herrno=herrno or HOST_NOT_FOUND)
            name = f"{host}.{mxmatch}" if mxmatch else host
            return CanonAnswer(name, True, EX_OK, ttl if ttl > 0 else SM_DEFAULT_TTL, secure)

    # ---- the host map's cache ----------------------------------------------------------

    def cached_canon(self, name: str) -> CanonAnswer | None:
        """The host map's cached answer for name (exact spelling), if still fresh."""
        hit = self._canon_cache.get(name)
        if hit is not None and hit[0] >= time.monotonic():
            return hit[1]
        return None

    def cached_until(self, name: str) -> float | None:
        """When the cached answer for name expires (time.monotonic()), if one is cached."""
        hit = self._canon_cache.get(name)
        return hit[0] if hit is not None and hit[0] >= time.monotonic() else None

    def canon_cached(self, name: str, domain: str | None,
                     report: Callable[[str], None] | None = None) -> CanonAnswer:
        """getcanonname with the host map's name cache (answers live for their TTL, at most 1h).

        Temporary failures are not kept, so a name server that comes back is used at once.
        """
        hit = self.cached_canon(name)
        if hit is not None:
            return hit
        now = time.monotonic()
        answer = self.getcanonname(name, domain, report=report)
        if answer.herrno != TRY_AGAIN:
            life = min(answer.ttl, SM_DEFAULT_TTL) if answer.found else SM_DEFAULT_TTL
            self._canon_cache[name] = (now + life, answer)
        return answer

    def address_name(self, literal: str) -> tuple[str | None, int]:
        """The name of an address ("1.2.3.4" or "IPv6:..."), and an h_errno-style code.

        sendmail asks the C library's gethostbyaddr here, which follows the system's
        nsswitch.conf and /etc/hosts rather than sendmail's own switch and HostsFile.
        """
        text = literal[5:] if literal[:5].lower() == "ipv6:" else literal
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            return None, h_errno()
        herrno = HOST_NOT_FOUND
        for source, return_on_notfound in system_host_sources(self.nsswitch_file):
            if source == "files":
                name = hosts_file_name(self.system_hosts_file, address)
                if name is not None:
                    return name, 0
                herrno = HOST_NOT_FOUND
            elif source == "dns":
                reverse = dns.reversename.from_address(str(address)).to_text(omit_final_dot=True)
                reply = self.resolver.query(reverse, PTR)
                for rtype, _ttl, rdata in reply.records():
                    if rtype == PTR:
                        return rdata_name(rdata, "target"), 0
                herrno = TRY_AGAIN if reply.refused else reply.herrno or HOST_NOT_FOUND
            else:
                continue
            if return_on_notfound and herrno == HOST_NOT_FOUND:
                break
        return None, herrno

    def host_addresses(self, name: str) -> tuple[list[str], int]:
        """The addresses to connect to for a host name, and an h_errno-style code.

        sendmail's makeconnection asks the C library (getipnodebyname), so this follows
        the system's nsswitch.conf: the system hosts file, then DNS (AAAA first when
        inet6 is set, then A); a name with a final dot is absolute.
        """
        herrno = HOST_NOT_FOUND
        for source, return_on_notfound in system_host_sources(self.nsswitch_file):
            if source == "files":
                found = hosts_file_addresses(self.system_hosts_file, name)
                if found:
                    return found, 0
                herrno = HOST_NOT_FOUND
            elif source == "dns":
                found, herrno = self._dns_addresses(name)
                if found:
                    return found, 0
            else:
                continue
            if return_on_notfound and herrno == HOST_NOT_FOUND:
                break
        return [], herrno

    def _dns_addresses(self, name: str) -> tuple[list[str], int]:
        herrno = HOST_NOT_FOUND
        for rdtype in ((AAAA, A) if self.inet6 else (A,)):
            reply = self.resolver.search(name, rdtype)
            found = [rdata.to_text() for rtype, _ttl, rdata in reply.records() if rtype == rdtype]
            if found:
                return found, 0
            herrno = TRY_AGAIN if reply.refused else reply.herrno or HOST_NOT_FOUND
            if herrno == TRY_AGAIN:
                break
        return [], herrno

    # ---- getmxrr -----------------------------------------------------------------------

    # ---- records for the dns map -------------------------------------------------------

    @contextmanager
    def limits(self, timeout: int = 0, retry: int = 0) -> Iterator[None]:
        """A map's -d (retransmission time) and -r (retries) for the lookups inside."""
        conf = self.resolver.config
        saved = conf.timeout, conf.attempts
        if timeout > 0:
            conf.timeout = float(timeout)
        if retry > 0:
            conf.attempts = retry
        try:
            yield
        finally:
            conf.timeout, conf.attempts = saved

    def records(self, name: str, rdtype: int) -> Reply:
        """res_search for any record type (the dns map)."""
        return self.resolver.search(name, rdtype)
