"""Where an SMTP mailer's host lives: MX lists as host signatures, and host addresses.

sendmail turns a host into a "host signature", its MX hosts in preference order joined
by ':' (next preference) and ',' (same preference), e.g. "mx1.example.,mx2.example.:
backup.example.".  Recipients whose hosts share a signature travel together, and the
delivery walks the signature, shuffling hosts of equal preference.  The lookups are
sendmail's own getmxrr and the C library's host lookup, from monomail.maps.hostlookup
(the service switch, the hosts files, the stub resolver and its options, FallbackMXhost);
they are synchronous, so they run in worker threads here and the event loop never
waits on DNS.  Signatures are kept for their TTL (at most an hour, as sendmail's), and
concurrent questions about one host share one lookup.
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Mapping, TypeVar

from monomail import sysexits as ex
from monomail.config.model import Mailer
from monomail.maps.hostlookup import NULLMX, HostLookup
from monomail.maps.mxlist import SM_DEFAULT_TTL
from monomail.maps.resolver import HOST_NOT_FOUND, TRY_AGAIN

NULLMX_STATUS = "5.1.10"
NULLMX_REPLY = "556 Host does not accept mail: MX 0 ."
NEGATIVE_TTL = 300   # how long a host that does not exist stays known as such
MAXHOSTSIGNATURE = 8192

T = TypeVar("T")


@dataclass(frozen=True)
class HostFailure:
    """Why a signature entry cannot be used (sendmail records it in the host's mci):
    no such host, a null MX, or a name server failure."""

    rcode: int
    status: str | None = None
    reply: str | None = None
    herrno: int = 0


@dataclass(frozen=True)
class Route:
    """A host's signature and the failures met while building it."""

    signature: str
    failures: Mapping[str, HostFailure] = field(default_factory=dict)
    expires: float = 0.0


def split_hosts(text: str) -> list[tuple[str, str]]:
    """(host, separator before the next one) for "a:b,[IPv6:1::2]:c": brackets protect
    colons, as sendmail's signature parsers do."""
    parts: list[tuple[str, str]] = []
    i = 0
    while True:
        j = i
        if text.startswith("[", i):
            close = text.find("]", i + 1)
            j = close if close >= 0 else len(text)
        ends = [k for k in (text.find(":", j), text.find(",", j)) if k >= 0]
        if not ends:
            parts.append((text[i:], ""))
            return parts
        end = min(ends)
        parts.append((text[i:end], text[end]))
        i = end + 1


def order_hosts(signature: str, preferred: Callable[[str], bool] = lambda _h: False,
                rng: random.Random | None = None) -> list[str]:
    """parse_hostsignature: the hosts to try in order; equal preferences are shuffled,
    except that a host with a cached connection goes first among its equals."""
    draw = (rng or random).random
    ranked: list[tuple[int, float, int, str]] = []
    pref = 0
    for index, (host, sep) in enumerate(split_hosts(signature)):
        ranked.append((pref, 0.0 if preferred(host) else draw() + 1.0, index, host))
        if sep == ":":
            pref += 1
    return [host for _, _, _, host in sorted(ranked)]


def literal_address(host: str) -> str | None:
    """The address of "[1.2.3.4]" or "[IPv6:...]", None for anything else."""
    if not (host.startswith("[") and host.endswith("]")):
        return None
    text = host[1:-1]
    if text[:5].lower() == "ipv6:":
        text = text[5:]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


class MxResolver:
    """Host signatures and addresses for SMTP delivery, over one HostLookup.

    is_local says whether a host is one of our names ($=w), so MX lists are cut at our
    own preference; domain is $m, for hosts without MX records.
    """

    def __init__(self, hosts: HostLookup, is_local: Callable[[str], bool] = lambda _h: False,
                 domain: str | None = None, workers: int = 8,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.hosts = hosts
        self.is_local = is_local
        self.domain = domain
        self.clock = clock
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mx")
        self._routes: dict[tuple[str, bool], Route] = {}
        self._pending: dict[object, asyncio.Future] = {}

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def route(self, mailer: Mailer, host: str) -> Route:
        """The signature of `host` for this mailer (F=0: no MX lookups)."""
        key = (host.lower(), mailer.has("0"))
        cached = self._routes.get(key)
        if cached is not None and cached.expires > self.clock():
            return cached
        route = await self._shared(key, lambda: self._build_route(host, mailer.has("0")))
        if route.expires > self.clock():
            self._routes[key] = route
        return route

    async def addresses(self, host: str) -> tuple[list[str], int]:
        """The addresses of one signature entry and an h_errno-style code: a literal is
        itself, "[name]" and "name" are looked up without MX records."""
        literal = literal_address(host)
        if literal is not None:
            return [literal], 0
        name = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        return await self._shared(("addr", name.lower()),
                                  lambda: self.hosts.host_addresses(name))

    async def _shared(self, key: object, work: Callable[[], T]) -> T:
        """Run a lookup in a worker thread; callers asking the same thing wait for it."""
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.get_running_loop().run_in_executor(self._executor, work)
            self._pending[key] = pending
            pending.add_done_callback(lambda _f: self._pending.pop(key, None))
        return await asyncio.shield(pending)

    def _build_route(self, host: str, no_mx: bool) -> Route:
        """sendmail's hostsignature for one (possibly ':'-separated) host list."""
        pieces: list[str] = []
        failures: dict[str, HostFailure] = {}
        ttl = SM_DEFAULT_TTL
        length = 0
        for entry, sep in split_hosts(host):
            if no_mx:
                hosts, prefs = [entry], [0]
            else:
                answer = self.hosts.getmxrr(entry, self.domain, droplocalhost=True,
                                            tryfallback=True, is_local=self.is_local)
                if answer.count <= 0:
                    failure = _failure(answer.count, answer.rcode)
                    if failure is not None:
                        failures[entry.lower()] = failure
                        ttl = min(ttl, NEGATIVE_TTL if failure.rcode != ex.EX_TEMPFAIL else 0)
                    hosts, prefs = [entry], [0]
                else:
                    hosts, prefs = answer.hosts, answer.prefs
                    ttl = min(ttl, answer.ttl)
            text = hosts[0] + "".join(("," if prefs[i] == prefs[i - 1] else ":") + h
                                      for i, h in enumerate(hosts) if i > 0)
            length += len(text) + 1
            if length >= MAXHOSTSIGNATURE:
                break
            pieces.append(text + sep)
        signature = "".join(pieces).rstrip(":,").lower()
        return Route(signature, failures, self.clock() + ttl)


def _failure(count: int, rcode: int) -> HostFailure | None:
    """What hostsignature records for a host getmxrr found nothing for."""
    if count == NULLMX:
        return HostFailure(rcode, NULLMX_STATUS, NULLMX_REPLY)
    if rcode == ex.EX_NOHOST:
        return HostFailure(rcode, "5.1.2", "550 Host unknown", HOST_NOT_FOUND)
    if rcode == ex.EX_OK:
        return None
    return HostFailure(rcode, None, None, TRY_AGAIN if rcode == ex.EX_TEMPFAIL else 0)
