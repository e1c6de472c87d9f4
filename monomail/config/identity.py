"""Who this host is: the $w $j $m $k macros and class w, as sendmail sets them
before it reads the cf (rules that say $j are expanded while reading)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Identity:
    canonical: str   # $j (and $w until a V5+ cf shortens it)
    nodename: str    # $k, the UUCP node name
    aliases: tuple[str, ...] = field(default=())    # more names for class w
    addresses: tuple[str, ...] = field(default=())  # [a.b.c.d] literals for class w

    @property
    def domain(self) -> str | None:
        head, dot, tail = self.canonical.partition(".")
        return tail if dot and tail else None


def _startup_lookup(name: str) -> None:
    """sendmail asks for our name's IPv6 address first; a temporary failure there is
    the h_errno later host lookups of `[junk]` still see, so it is recorded."""
    from monomail.maps.resolver import HOST_NOT_FOUND, TRY_AGAIN, note_herrno
    try:
        socket.getaddrinfo(name, None, socket.AF_INET6)
    except socket.gaierror as exc:
        note_herrno(TRY_AGAIN if exc.errno == socket.EAI_AGAIN else HOST_NOT_FOUND)
    except OSError:
        note_herrno(TRY_AGAIN)


def local_identity() -> Identity:
    """sendmail's myhostname(): gethostname(), then the resolver's canonical name."""
    name = socket.gethostname() or "localhost"
    _startup_lookup(name)
    try:
        canonical, aliases, addrs = socket.gethostbyname_ex(name)
    except OSError:
        return Identity(canonical=name, nodename=os.uname().nodename)
    if "." in canonical or "." not in name:
        name = canonical
    if "." not in name:
        name = next((a for a in aliases if "." in a), name)
    return Identity(canonical=name, nodename=os.uname().nodename, aliases=tuple(aliases),
                    addresses=tuple(f"[{a}]" for a in addrs))
