"""Maps over host-name services: `host` (and `$[ $]`), `bestmx` and `dns`.

The host map canonicalises a name through HostLookup and says, as sendmail says,
"NAME: Name server timeout" when DNS could not be asked; `[1.2.3.4]` is looked up
by address.  bestmx answers the best MX host (all of them, joined, under -z), and
the dns map answers the records of one type (-R) for the key, optionally under a
base domain (-B).
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from typing import Sequence

from monomail.clib import shortenstring
from monomail.sysexits import EX_NOHOST, EX_OK, EX_SOFTWARE, EX_TEMPFAIL, EX_UNAVAILABLE

from .base import MAXNAME, SM_NOTFOUND, Map, MapContext, MapOptions
from .mxlist import SM_DEFAULT_TTL
from .parseargs import DnsArgs
from .resolver import (HOST_NOT_FOUND, NO_DATA, NO_RECOVERY, TRY_AGAIN, TYPE_NUMBERS,
                       note_herrno, rdata_name)

PSBUFSIZE = MAXNAME + 1000
STATUS_FOR_HERRNO = {TRY_AGAIN: EX_TEMPFAIL, HOST_NOT_FOUND: EX_NOHOST, NO_DATA: EX_NOHOST,
                     NO_RECOVERY: EX_SOFTWARE}


def timeout_message(name: str) -> str:
    """What sendmail prints when the name server did not answer for `name`."""
    return f"{shortenstring(name, 33)}: Name server timeout"


class HostMap(Map):
    """`K host host [-a.] [-D] [-T<TEMP>] ...`: canonical host names."""

    def valid_until(self, key: str, ctx: MapContext) -> float | None:
        """Until when the answer just given for key stays the same: the name cache
        holds it until then (None: not cached, e.g. a temporary failure or [address])."""
        return None if key.startswith("[") else ctx.hosts.cached_until(key)

    def _lookup(self, key: str, args: Sequence[str], ctx: MapContext) -> tuple[str | None, int]:
        cache = getattr(ctx, "namecanon", None)
        hit = cache.get(key) if cache is not None else None
        if hit is not None and hit.expires >= time.monotonic():
            return self._replay(key, args, ctx, hit)
        found = self._find(key, ctx)
        if found is None:
            return None, EX_OK
        answer, herrno, ttl = found
        status = EX_OK if answer is not None else STATUS_FOR_HERRNO.get(herrno, EX_UNAVAILABLE)
        if cache is not None:
            cache[key] = CachedName(time.monotonic() + ttl, status, answer, herrno)
        if answer is not None:
            return self.answer(key, answer, args), EX_OK
        if status == EX_TEMPFAIL and ctx.hosts.use_name_server:
            ctx.message(timeout_message(key))
        return None, status

    def _replay(self, key: str, args: Sequence[str], ctx: MapContext,
                hit: "CachedName") -> tuple[str | None, int]:
        """sendmail's name cache: a remembered temporary failure is announced again
        (whether or not DNS is in the switch)."""
        note_herrno(hit.herrno)
        if hit.status == EX_TEMPFAIL:
            ctx.message(timeout_message(key))
        if hit.answer is None:
            return None, hit.status
        return self.answer(key, hit.answer, args), EX_OK

    def _find(self, key: str, ctx: MapContext) -> tuple[str | None, int, float] | None:
        """(name or None, h_errno, seconds to remember it); None when sendmail would
        neither answer nor remember (an unclosed `[`, or deferred DNS)."""
        hosts = ctx.hosts
        if key.startswith("["):
            close = key.find("]")
            if close < 0:
                return None
            with hosts.limits(self.options.timeout, self.options.retry):
                answer, herrno = hosts.address_name(key[1:close])
            return answer, herrno, SM_DEFAULT_TTL
        deferring = self.options.defer and getattr(ctx, "delivery_mode", None) == "d"
        if deferring and hosts.cached_canon(key) is None:
            return None
        with hosts.limits(self.options.timeout, self.options.retry):
            canon = hosts.canon_cached(key, ctx.macro("m"), ctx.message)
        ttl = min(canon.ttl, SM_DEFAULT_TTL) if canon.found and canon.ttl > 0 else SM_DEFAULT_TTL
        return (canon.name if canon.found else None), canon.herrno, ttl


@dataclass(frozen=True)
class CachedName:
    """One entry of sendmail's per-process host name cache (ST_NAMECANON)."""

    expires: float
    status: int
    answer: str | None
    herrno: int


def truncate_at_delim(text: str, size: int, delim: str) -> str:
    """Cut a joined list to fit a buffer of `size`, at a delimiter, marking it with "..."."""
    if size == 0 or len(text) < size:
        return text
    text = text[:size - 1]
    while delim and delim in text:
        text = text[:text.rindex(delim)]
        if len(text) + 4 < size:
            return text + delim + "..."
    return "..." if size > 3 else ""


class BestMxMap(Map):
    """`K name bestmx [-z,]`: the most preferred MX host (or all of them, joined by -z)."""

    optional_file = True

    def _lookup(self, key: str, args: Sequence[str], ctx: MapContext) -> tuple[str | None, int]:
        mx = ctx.hosts.getmxrr(key, ctx.macro("m"), use_search=False, report=ctx.message)
        if mx.count <= 0:
            return None, mx.rcode
        hosts = mx.hosts[:mx.count]
        delim = self.options.coldelim
        if self.options.matchonly:
            return self.rewrite(key, None), mx.rcode
        if delim == "" or len(hosts) == 1:
            return self.rewrite(hosts[0], args), mx.rcode
        joined = ""
        for i, host in enumerate(hosts):
            if delim in host:
                ctx.message(f"bestmx_map_lookup: MX host {host[:64]} includes map delimiter "
                            f"character 0x{ord(delim):02X}")
                return None, mx.rcode
            if len(joined) + len(host) + 2 > PSBUFSIZE // 2:
                break
            joined += (delim if i else "") + host
        return self.rewrite(joined, args), mx.rcode


def printable(text: str) -> str:
    """strreplnonprt: anything but printable ASCII becomes 'X'."""
    return "".join(c if " " <= c <= "~" else "X" for c in text)


def record_text(rtype: int, rdata: object) -> str | None:
    """How sendmail's dns map prints one record's value."""
    if rtype in (TYPE_NUMBERS["NS"], TYPE_NUMBERS["CNAME"], TYPE_NUMBERS["PTR"]):
        return rdata_name(rdata, "target")
    if rtype == TYPE_NUMBERS["MX"]:
        return rdata_name(rdata, "exchange")
    if rtype == TYPE_NUMBERS["AFSDB"]:
        return rdata_name(rdata, "hostname")
    if rtype == TYPE_NUMBERS["SRV"]:
        return rdata_name(rdata, "target")
    if rtype == TYPE_NUMBERS["TXT"]:
        strings = getattr(rdata, "strings")
        return strings[0].decode("latin-1") if strings else ""
    if rtype in (TYPE_NUMBERS["A"], TYPE_NUMBERS["AAAA"]):
        return str(ipaddress.ip_address(getattr(rdata, "address")))
    return None


class DnsMap(Map):
    """`K name dns -R type [-B base] [-z delim] [-Z limit] ...`: DNS records as answers."""

    def __init__(self, options: MapOptions, dns_args: DnsArgs, valid: bool = True) -> None:
        super().__init__(options, valid)
        self.dns_args = dns_args

    def _lookup(self, key: str, args: Sequence[str], ctx: MapContext) -> tuple[str | None, int]:
        rtype_name = self.dns_args.rtype
        if rtype_name is None or rtype_name not in TYPE_NUMBERS:
            return None, SM_NOTFOUND
        wanted = TYPE_NUMBERS[rtype_name]
        query = f"{key}.{self.dns_args.base}" if self.dns_args.base else key
        with ctx.hosts.limits(self.options.timeout, self.options.retry):
            reply = ctx.hosts.records(query, wanted)
        if not reply.ok:
            tempfail = reply.herrno == TRY_AGAIN or reply.refused
            return None, EX_TEMPFAIL if tempfail else SM_NOTFOUND
        delim = self.options.coldelim
        limit = self.dns_args.sizelimit
        value: str | None = None
        count = 0
        for rtype, _ttl, rdata in reply.records():
            text = record_text(rtype, rdata)
            if rtype != wanted:
                continue
            text = printable(text) if text is not None else None
            if text is not None and (delim == "" or limit == 1 or self.options.matchonly):
                value = text
                break
            if value is None:
                value = text
            elif text is not None:
                value = f"{value}{delim}{text}"
                count += 1
                if limit > 0 and count >= limit:
                    break
        if value is None:
            return None, SM_NOTFOUND
        value = truncate_at_delim(value, PSBUFSIZE // 2, delim)
        return self.answer(key, value, args), EX_OK
