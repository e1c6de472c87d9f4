"""The files behind host-name lookups: sendmail's service switch file and hosts files.

These follow sendmail's readers (switch_map_find's fallback parser, text_getcanonname,
extract_canonname, shorten_hostname) and, for address lookups, the C library's
nsswitch.conf and /etc/hosts, which sendmail reaches through gethostbyaddr.
"""

from __future__ import annotations

import ipaddress
import os

from .base import MAXLINE, MAXNAME, equal_ignore_case, lower_ascii
from .textmap import fgets_lines, get_column

MAXMAPSTACK = 12


_lines_cache: dict[str, tuple[tuple[int, int, int], list[str]]] = {}


def hosts_lines(path: str) -> list[str] | None:
    """The hosts file's lines with comments cut, reread only when the file changes
    (sendmail rereads it on every lookup; the answers are the same)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
    cached = _lines_cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        with open(path, "rb") as f:
            data = f.read().decode("latin-1")
    except OSError:
        return None
    lines = []
    for piece in fgets_lines(data):
        for stop in ("#", "\n"):
            cut = piece.find(stop)
            if cut >= 0:
                piece = piece[:cut]
        if piece:
            lines.append(piece)
    _lines_cache[path] = (stamp, lines)
    return lines


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


def system_host_sources(path: str) -> list[tuple[str, bool]]:
    """The "hosts:" line of nsswitch.conf: (source, [NOTFOUND=return] follows it).

    Without the file the C library's default order applies: dns, then files.
    """
    try:
        with open(path, encoding="latin-1") as f:
            lines = f.read().splitlines()
    except OSError:
        return [("dns", False), ("files", False)]
    for line in lines:
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "hosts:":
            continue
        sources: list[tuple[str, bool]] = []
        for word in words[1:]:
            if word.startswith("["):
                if sources and "notfound=return" in word.lower():
                    sources[-1] = (sources[-1][0], True)
                continue
            sources.append((word, False))
        return sources
    return [("dns", False), ("files", False)]


def hosts_file_name(path: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address
                    ) -> str | None:
    """The first name a hosts file gives for an address (gethostbyaddr's h_name)."""
    try:
        with open(path, "rb") as f:
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


def hosts_file_addresses(path: str, name: str) -> list[str]:
    """Every address a hosts file gives a name (any of its names, case ignored), in file
    order: what the C library's files source answers gethostbyname."""
    wanted = lower_ascii(name.rstrip("."))
    found: list[str] = []
    for line in hosts_lines(path) or []:
        words = line.split()
        if len(words) >= 2 and any(lower_ascii(w) == wanted for w in words[1:]):
            try:
                ipaddress.ip_address(words[0])
            except ValueError:
                continue
            found.append(words[0])
    return found


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
