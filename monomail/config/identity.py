"""Who this host is: the $w $j $m $k macros and class w, as sendmail sets them
before it reads the cf (rules that say $j are expanded while reading)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    canonical: str   # $j (and $w until a V5+ cf shortens it)
    nodename: str    # $k, the UUCP node name

    @property
    def domain(self) -> str | None:
        head, dot, tail = self.canonical.partition(".")
        return tail if dot and tail else None


def _from_hosts_file(name: str, hosts_file: str = "/etc/hosts") -> str | None:
    try:
        with open(hosts_file, encoding="latin-1") as f:
            for line in f:
                fields = line.split("#", 1)[0].split()
                if len(fields) > 1 and name.lower() in (n.lower() for n in fields[1:]):
                    return fields[1]
    except OSError:
        return None
    return None


def local_identity() -> Identity:
    """gethostname(), qualified from the hosts file when it is a bare name."""
    name = socket.gethostname()
    if "." not in name:
        name = _from_hosts_file(name) or name
    return Identity(canonical=name, nodename=os.uname().nodename)
