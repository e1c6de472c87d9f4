"""MX lists as sendmail's getmxrr builds them (for -bt /mx, bestmx maps and delivery).

`MxLookup` is mixed into HostLookup: it needs the resolver, getcanonname, the service
switch and the MX options kept there.
"""

from __future__ import annotations

import ipaddress
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from monomail.sysexits import EX_CONFIG, EX_NOHOST, EX_OK, EX_OSERR, EX_TEMPFAIL, EX_UNAVAILABLE

from .base import equal_ignore_case, lower_ascii
from .resolver import HOST_NOT_FOUND, NO_DATA, NO_RECOVERY, TRY_AGAIN, rdata_name

if TYPE_CHECKING:
    from .hostlookup import CanonAnswer
    from .resolver import StubResolver

MAXMXHOSTS = 100
SM_DEFAULT_TTL = 3600
NULLMX = -2
MX = 15


@dataclass
class MxAnswer:
    """getmxrr's result: count is -1 on failure and NULLMX (-2) for RFC 7505 "MX 0 ."."""

    count: int
    hosts: list[str] = field(default_factory=list)
    prefs: list[int] = field(default_factory=list)
    rcode: int = EX_OK
    ttl: int = SM_DEFAULT_TTL


class MxLookup(ABC):
    """getmxrr and its helpers, for HostLookup (which provides what is declared here)."""

    mx_seed: int
    fallback_mx_hosts: list[str]
    has_wildcard_mx: bool
    config_level: int
    try_null_mx_list: bool
    my_hostname: str

    @property
    @abstractmethod
    def resolver(self) -> "StubResolver":
        ...

    @property
    @abstractmethod
    def use_name_server(self) -> bool:
        ...

    @abstractmethod
    def canon(self, name: str, domain: str | None = None,
              report: Callable[[str], None] | None = None) -> tuple[str | None, int]:
        ...

    @abstractmethod
    def getcanonname(self, name: str, domain: str | None = None, trymx: bool | None = None,
                     use_search: bool = True, report: Callable[[str], None] | None = None
                     ) -> "CanonAnswer":
        ...

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
