"""Host names as sendmail resolves them: the service switch, the hosts file, DNS and MX lists.

`HostLookup.canon` is sendmail's getcanonname (behind `$[ $]`, the host map and
`-bt /canon`): the sources listed for `hosts` in the service switch file (on Linux,
without such a file: dns, then files) are tried in order; the hosts file gives the
first name with a dot on the matching line; DNS walks the search list with A and
MX queries and follows CNAMEs.  An unqualified answer gets $m appended.
`HostLookup.getmxrr` is sendmail's getmxrr (`-bt /mx`, bestmx maps, delivery).
"""

from __future__ import annotations

import ipaddress
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

import dns.rdatatype
import dns.reversename

from monomail.sysexits import (EX_CONFIG, EX_NOHOST, EX_OK, EX_OSERR, EX_SOFTWARE, EX_TEMPFAIL,
                               EX_UNAVAILABLE)

from .base import MAXLINE, MAXNAME, equal_ignore_case, lower_ascii
from .resolver import (HOST_NOT_FOUND, MAXDNSRCH, NO_DATA, NO_RECOVERY, TRY_AGAIN, Reply,
                       ResolverConfig, StubResolver, rdata_name)
from .textmap import fgets_lines, get_column

MAXMAPSTACK = 12
MAXCNAMEDEPTH = 10
MAXMXHOSTS = 100
SM_DEFAULT_TTL = 3600
NULLMX = -2
DEFAULT_SWITCH = {"hosts": ["dns", "files"], "aliases": ["files"]}

A, AAAA, MX, CNAME = (int(dns.rdatatype.A), int(dns.rdatatype.AAAA), int(dns.rdatatype.MX),
                      int(dns.rdatatype.CNAME))


@dataclass
class CanonAnswer:
    """getcanonname's result: `name` is the buffer as sendmail leaves it, found or not."""

    name: str
    found: bool
    status: int          # EX_OK, EX_TEMPFAIL (some source failed temporarily), EX_NOHOST...
    ttl: int = SM_DEFAULT_TTL
    secure: bool = False
    herrno: int = 0      # what sendmail's host map switches on after a failure


@dataclass
class MxAnswer:
    """getmxrr's result: count is -1 on failure and NULLMX (-2) for RFC 7505 "MX 0 ."."""

    count: int
    hosts: list[str] = field(default_factory=list)
    prefs: list[int] = field(default_factory=list)
    rcode: int = EX_OK
    ttl: int = SM_DEFAULT_TTL


def shorten_hostname(host: str, mydomain: str | None) -> tuple[str, str | None]:
    """Strip a final dot and, if the rest is in our domain $m, the domain part.

    Returns the short name and the domain part that was removed (None if none), so
    the hosts file can be matched against both forms.
    """
    canon = host.endswith(".")
    if canon:
        host = host[:-1]
    dot = host.find(".")
    if dot < 0:
        return host, None
    tail = host[dot + 1:]
    mydom = mydomain or ""
    if canon:
        same = equal_ignore_case(tail, mydom)
    else:
        same = lower_ascii(mydom[:len(tail)]) == lower_ascii(tail) and \
            mydom[len(tail):len(tail) + 1] in (".", "")
    if same:
        return host[:dot], tail
    return host, None


class HostLookup:
    """Host-name services for one configuration (service switch file, hosts file, resolver)."""

    def __init__(self, service_switch_file: str = "/etc/mail/service.switch",
                 hosts_file: str = "/etc/hosts", nameservers: list[str] | None = None,
                 port: int = 53, *, timeout: float | None = None, attempts: int | None = None,
                 search: list[str] | None = None, resolv_conf: str = "/etc/resolv.conf",
                 has_wildcard_mx: bool = False, dont_expand_cnames: bool = False,
                 work_around_broken_aaaa: bool = False, inet6: bool = False,
                 config_level: int = 10, switch_cache_age: float = 10.0,
                 try_null_mx_list: bool = False, fallback_mx_hosts: list[str] | None = None,
                 mx_seed: int | None = None, my_hostname: str = "") -> None:
        self.service_switch_file = service_switch_file
        self.hosts_file = hosts_file
        self._nameservers = nameservers
        self._port = port
        self._timeout = timeout
        self._attempts = attempts
        self._search = search
        self._resolv_conf = resolv_conf
        self._resolver: StubResolver | None = None
        self.has_wildcard_mx = has_wildcard_mx
        self.dont_expand_cnames = dont_expand_cnames
        self.work_around_broken_aaaa = work_around_broken_aaaa
        self.inet6 = inet6
        self.config_level = config_level
        self.switch_cache_age = switch_cache_age
        self.try_null_mx_list = try_null_mx_list
        self.my_hostname = my_hostname
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

    def canon(self, name: str, domain: str | None = None) -> tuple[str | None, int]:
        """(canonical name, EX_OK), or (None, EX_TEMPFAIL / EX_NOHOST); domain is $m."""
        answer = self.getcanonname(name, domain)
        if answer.found:
            return answer.name, EX_OK
        return None, EX_TEMPFAIL if answer.herrno == TRY_AGAIN else EX_NOHOST

    def getcanonname(self, name: str, domain: str | None = None, trymx: bool | None = None,
                     use_search: bool = True) -> CanonAnswer:
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
                r = self.dns_canonname(host, trymx, use_search)
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
        try:
            with open(self.hosts_file, "rb") as f:
                data = f.read().decode("latin-1")
        except OSError:
            return False, EX_UNAVAILABLE, name
        for piece in fgets_lines(data):
            line = piece
            for stop in ("#", "\n"):
                cut = line.find(stop)
                if cut >= 0:
                    line = line[:cut]
            if line == "":
                continue
            canonical = extract_canonname(short, full, line, domain)
            if canonical is not None:
                return True, EX_OK, canonical
        return False, EX_NOHOST, name

    def dns_canonname(self, host: str, trymx: bool, use_search: bool = True) -> CanonAnswer:
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

    def canon_cached(self, name: str, domain: str | None) -> CanonAnswer:
        """getcanonname with the host map's name cache (answers live for their TTL, at most 1h).

        Temporary failures are not kept, so a name server that comes back is used at once.
        """
        hit = self.cached_canon(name)
        if hit is not None:
            return hit
        now = time.monotonic()
        answer = self.getcanonname(name, domain)
        if answer.herrno != TRY_AGAIN:
            life = min(answer.ttl, SM_DEFAULT_TTL) if answer.found else SM_DEFAULT_TTL
            self._canon_cache[name] = (now + life, answer)
        return answer

    def address_name(self, literal: str) -> tuple[str | None, int]:
        """The name of an address ("1.2.3.4" or "IPv6:..."): hosts file, then DNS PTR.

        Returns (name, herrno); sendmail asks gethostbyaddr, which follows the same
        sources as host names.
        """
        text = literal[5:] if literal[:5].lower() == "ipv6:" else literal
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            return None, 0
        herrno = HOST_NOT_FOUND
        for source in self.services("hosts") or []:
            if source == "files":
                name = self._hosts_file_name(address)
                if name is not None:
                    return name, 0
            elif source == "dns":
                reply = self.resolver.query(dns.reversename.from_address(str(address))
                                            .to_text(omit_final_dot=True), 12)
                for rtype, _ttl, rdata in reply.records():
                    if rtype == 12:
                        return rdata_name(rdata, "target"), 0
                if reply.herrno == TRY_AGAIN:
                    herrno = TRY_AGAIN
        return None, herrno

    def _hosts_file_name(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address
                         ) -> str | None:
        try:
            with open(self.hosts_file, "rb") as f:
                lines = f.read().decode("latin-1").splitlines()
        except OSError:
            return None
        for line in lines:
            words = line.split("#", 1)[0].split()
            if len(words) < 2:
                continue
            try:
                if ipaddress.ip_address(words[0]) == address:
                    return words[1]
            except ValueError:
                continue
        return None

    # ---- getmxrr -----------------------------------------------------------------------

    def mx(self, name: str, domain: str | None = None) -> list[str] | None:
        """`-bt /mx`: the MX host list (with the fallback MX), None when getmxrr fails."""
        answer = self.getmxrr(name, domain, tryfallback=True)
        if answer.count < 0:
            return None
        return answer.hosts[:answer.count]

    def mxrand(self, host: str) -> int:
        """A repeatable per-process tie breaker for equal preferences (sendmail's mxrand)."""
        h = self.mx_seed
        for ch in host:
            c = ord(lower_ascii(ch))
            h = ((h << 1) ^ c) % 2003
        return (h & 0xFF) + 1

    def getmxrr(self, host: str, domain: str | None = None, *, droplocalhost: bool = False,
                tryfallback: bool = False, is_local: Callable[[str], bool] | None = None,
                use_search: bool = True, report: Callable[[str], None] | None = None
                ) -> MxAnswer:
        """sendmail's getmxrr: sorted, de-duplicated MX hosts with a final dot.

        domain is $m (for canonicalising a host without MX records), is_local tells
        whether a host is in $=w (for droplocalhost), report receives sendmail's
        error texts.  Without MX records the host itself, canonicalised, is the entry.
        """
        local = is_local or (lambda _h: False)
        say = report or (lambda _t: None)
        if host == "":
            return MxAnswer(0)
        fallback = self.fallback_mx_hosts if tryfallback else []
        if fallback and droplocalhost and any(local(h) for h in fallback):
            fallback = []
        hosts: list[str] = []
        prefs: list[int] = []
        weights: list[int] = []
        seenlocal = False
        localpref = 256
        trycanon = False
        rcode = EX_OK
        ttl = SM_DEFAULT_TTL
        if host.startswith("[") or not self.use_name_server:
            return self._mx_punt(host, trycanon, seenlocal, fallback, rcode, domain, say,
                                 use_search)
        res = self.resolver
        if self.has_wildcard_mx and self.config_level >= 6:
            reply = res.query(host, MX)
        else:
            reply = res.search(host, MX, use_search)
        if not reply.ok:
            if reply.herrno == NO_DATA:
                trycanon = True
            elif reply.herrno == HOST_NOT_FOUND:
                trycanon = True
                rcode = EX_NOHOST
            elif reply.herrno == TRY_AGAIN or reply.refused:
                if fallback:
                    return MxAnswer(len(fallback), list(fallback), _fallback_prefs(0, fallback))
                return MxAnswer(-1, rcode=EX_TEMPFAIL)
            elif reply.herrno != NO_RECOVERY:
                return MxAnswer(-1, rcode=EX_OSERR)
            return self._mx_punt(host, trycanon, seenlocal, fallback, rcode, domain, say,
                                 use_search)
        seennullmx = False
        for rtype, rttl, rdata in reply.records():
            ttl = rttl
            if rtype != MX:
                continue
            if len(hosts) >= MAXMXHOSTS - 1:
                break
            exchange = rdata_name(rdata, "exchange")
            pref = int(getattr(rdata, "preference"))
            if pref == 0 and exchange == "":
                seennullmx = True
            if local(exchange):
                if droplocalhost:
                    if not seenlocal or pref < localpref:
                        localpref = pref
                    seenlocal = True
                    continue
                weights.append(0)
            else:
                weights.append(self.mxrand(exchange))
            prefs.append(pref)
            hosts.append(exchange if exchange.endswith(".") else exchange + ".")
        if seennullmx and len(hosts) == 1:
            return MxAnswer(NULLMX, rcode=EX_UNAVAILABLE)
        count = _sort_mx(hosts, prefs, weights, seenlocal, localpref)
        hosts, prefs = hosts[:count], prefs[:count]
        i = 0
        while i < len(hosts) - 1:
            if equal_ignore_case(hosts[i], hosts[i + 1]):
                del hosts[i + 1]
                del prefs[i + 1]
            else:
                i += 1
        if not hosts:
            return self._mx_punt(host, trycanon, seenlocal, fallback, rcode, domain, say,
                                 use_search)
        if fallback and not seenlocal:
            prefs.extend(_fallback_prefs(prefs[-1] + 1, fallback))
            hosts.extend(fallback)
        return MxAnswer(len(hosts), hosts, prefs, rcode, ttl if ttl > 0 else SM_DEFAULT_TTL)

    def _mx_punt(self, host: str, trycanon: bool, seenlocal: bool, fallback: list[str],
                 rcode: int, domain: str | None, report: Callable[[str], None],
                 use_search: bool) -> MxAnswer:
        """No usable MX list: the host itself (an address literal or its canonical name)."""
        if seenlocal and not (self.try_null_mx_list and self.canon(host, domain)[0] is not None):
            report(f"MX list for {host} points back to {self.my_hostname}")
            return MxAnswer(-1, rcode=EX_CONFIG)
        count = 0
        entry = host
        if host.startswith("["):
            close = host.find("]")
            if close >= 0:
                if _is_address(host[1:close]):
                    count = 1
                else:
                    trycanon = True
                    entry = host[1:close]
        if trycanon:
            answer = self.getcanonname(entry, domain, trymx=False, use_search=use_search)
            if answer.found:
                entry = answer.name if answer.name.endswith(".") else answer.name + "."
                count = 1
        hosts, prefs = [entry][:count], [0][:count]
        if fallback and not seenlocal:
            prefs.extend(_fallback_prefs(prefs[-1] + 1 if prefs else 0, fallback))
            hosts.extend(fallback)
        return MxAnswer(len(hosts), hosts, prefs, rcode)

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


def _is_address(text: str) -> bool:
    """inet_addr() or inet_pton(AF_INET6) accepts it."""
    try:
        ipaddress.ip_address(text[5:] if text[:5].lower() == "ipv6:" else text)
        return True
    except ValueError:
        return False


def _fallback_prefs(start: int, fallback: list[str]) -> list[int]:
    return [start + i for i in range(len(fallback))]


def _sort_mx(hosts: list[str], prefs: list[int], weights: list[int], seenlocal: bool,
             localpref: int) -> int:
    """sendmail's exchange sort by (preference, weight), cut at our own preference."""
    count = len(hosts)
    i = 0
    while i < count:
        for j in range(i + 1, count):
            if prefs[i] > prefs[j] or (prefs[i] == prefs[j] and weights[i] > weights[j]):
                prefs[i], prefs[j] = prefs[j], prefs[i]
                hosts[i], hosts[j] = hosts[j], hosts[i]
                weights[i], weights[j] = weights[j], weights[i]
        if seenlocal and prefs[i] >= localpref:
            count = i
        i += 1
    return count


def extract_canonname(short: str, full: str | None, line: str, domain: str | None) -> str | None:
    """One hosts-file line: the canonical name if the line names the host, else None.

    The canonical name is the first name on the line, or the first one with a dot if
    the first has none; without a dot it gets $m appended.
    """
    if line.startswith("#"):
        return None
    cbuf = ""
    found = False
    col = 1
    while True:
        name = get_column(line, col, "", MAXNAME)
        col += 1
        if name is None:
            break
        if name == "":
            continue
        if cbuf == "" or ("." not in cbuf and "." in name):
            cbuf = name
        if equal_ignore_case(short, name) or (full is not None and equal_ignore_case(full, name)):
            found = True
    if not found:
        return None
    if "." not in cbuf and domain is not None and len(domain) + len(cbuf) + 1 < MAXNAME + 1:
        cbuf = f"{cbuf}.{domain}"
    return cbuf


def read_service_switch(path: str) -> dict[str, list[str]]:
    """sendmail's fallback service switch reader: "service source source ..." per line."""
    table: dict[str, list[str]] = {}
    try:
        with open(path, "rb") as f:
            data = f.read().decode("latin-1")
    except OSError:
        return table
    for piece in fgets_lines(data, MAXLINE):
        for stop in ("#", "\n"):
            cut = piece.find(stop)
            if cut >= 0:
                piece = piece[:cut]
        sep = min((i for i in (piece.find(" "), piece.find("\t")) if i >= 0), default=-1)
        if sep <= 0:
            continue
        service, rest = piece[:sep], piece[sep + 1:]
        sources = rest.replace("\t", " ").split()
        if sources:
            table[lower_ascii(service)] = sources[:MAXMAPSTACK]
    return table


EXIT_FOR_HERRNO = {TRY_AGAIN: EX_TEMPFAIL, HOST_NOT_FOUND: EX_NOHOST, NO_DATA: EX_NOHOST,
                   NO_RECOVERY: EX_SOFTWARE}
