"""Host name canonicalisation for `$[ $]`, the host map and `-bt /canon`.

The service switch decides the order of `files` (the HostsFile) and `dns`; with
no switch file sendmail on Linux tries DNS, then files.  A DNS server that does
not answer is a temporary failure, reported as sendmail reports it.
"""

from __future__ import annotations

from monomail import sysexits as ex

DEFAULT_ORDER = ("dns", "files")
DNS_TIMEOUT = 2.0


def read_switch(path: str, service: str = "hosts") -> tuple[str, ...]:
    """The sources a service switch file lists for `service` (default order if none)."""
    try:
        with open(path, encoding="latin-1") as f:
            for line in f:
                words = line.split("#", 1)[0].split()
                if words and words[0].rstrip(":") == service:
                    return tuple(w for w in words[1:] if not w.startswith("["))
    except OSError:
        pass
    return DEFAULT_ORDER


class HostLookup:
    """Canonical names from the hosts file and DNS, in switch order."""

    def __init__(self, service_switch_file: str, hosts_file: str,
                 nameservers: list[str] | None = None, port: int = 53) -> None:
        self.order = read_switch(service_switch_file)
        self.hosts_file = hosts_file
        self.nameservers = nameservers
        self.port = port

    def canon(self, name: str, domain: str | None = None) -> tuple[str | None, int]:
        """(canonical name or None, sysexits status), as sendmail's getcanonname.

        Sources are tried in switch order, going on after a temporary failure; a
        single-label answer is qualified with `domain` ($m)."""
        status = ex.EX_NOTFOUND
        tempfail = False
        found = None
        for source in self.order:
            if source == "files":
                found = self._from_file(name)
            elif source == "dns":
                found, status = self._from_dns(name)
                tempfail = tempfail or status == ex.EX_TEMPFAIL
            if found and (domain is not None or "." in name):
                break
        if not found:
            return None, ex.EX_TEMPFAIL if tempfail else status
        if "." not in found.rstrip(".") or found.endswith(".") and found.count(".") == 1:
            if domain is None:
                return None, ex.EX_NOTFOUND
            found = found + domain if found.endswith(".") else f"{found}.{domain}"
        return found, ex.EX_OK

    def _from_file(self, name: str) -> str | None:
        key = name.rstrip(".").lower()
        try:
            with open(self.hosts_file, encoding="latin-1") as f:
                for line in f:
                    fields = line.split("#", 1)[0].split()
                    if len(fields) > 1 and key in (n.lower() for n in fields[1:]):
                        return fields[1]
        except OSError:
            return None
        return None

    def _resolver(self):  # type: ignore[no-untyped-def]
        import dns.resolver
        try:
            resolver = dns.resolver.Resolver(configure=self.nameservers is None)
        except dns.resolver.NoResolverConfiguration:
            resolver = dns.resolver.Resolver(configure=False)
        if self.nameservers is not None:
            resolver.nameservers = self.nameservers
            resolver.port = self.port
        resolver.lifetime = DNS_TIMEOUT
        return resolver

    def _from_dns(self, name: str) -> tuple[str | None, int]:
        import dns.exception
        import dns.resolver
        if not self._resolver().nameservers:
            return None, ex.EX_TEMPFAIL
        for rdtype in ("A", "AAAA"):
            try:
                answer = self._resolver().resolve(name, rdtype, search=False)
                return str(answer.canonical_name), ex.EX_OK
            except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
                continue
            except (dns.exception.Timeout, dns.resolver.NoNameservers, OSError):
                return None, ex.EX_TEMPFAIL
        return None, ex.EX_NOTFOUND

    def mx(self, name: str) -> list[str] | None:
        """MX hosts in preference order, the name itself (implicit MX), None on failure."""
        import dns.exception
        import dns.resolver
        try:
            answer = self._resolver().resolve(name, "MX", search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return [name]
        except (dns.exception.DNSException, OSError, ValueError):
            return None
        records = sorted(answer, key=lambda r: r.preference)
        return [str(r.exchange).rstrip(".") for r in records] or [name]
