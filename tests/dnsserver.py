"""A small authoritative DNS server on loopback for delivery tests (dnspython).

The zone is a dict: a name maps to records written as "TYPE rdata" ("MX 10 mx.example.",
"A 127.0.0.2", "MX 0 ." for a null MX) or to one of the failures "NXDOMAIN",
"SERVFAIL" and "DROP" (no answer at all, for resolver timeouts).  Names not in the zone
are NXDOMAIN; a name with records but none of the asked type is NODATA.  It answers
over UDP in a thread, so synchronous resolvers (and the threads that run them) reach it
whatever event loop the test uses.  Every question is recorded in `queries`.
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

FAILURES = ("NXDOMAIN", "SERVFAIL", "DROP")


class DNSServer:
    """Serve `zone` on 127.0.0.1 at a free port until closed."""

    def __init__(self, zone: dict[str, list[str] | str], ttl: int = 300,
                 address: str = "127.0.0.1", port: int = 0) -> None:
        self.zone = {name.rstrip(".").lower(): value for name, value in zone.items()}
        self.ttl = ttl
        self.queries: list[tuple[str, str]] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, port))
        self.address, self.port = self.sock.getsockname()[:2]
        self._thread = threading.Thread(target=self._serve, name="test-dns", daemon=True)
        self._stopping = False

    def __enter__(self) -> "DNSServer":
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving: an empty datagram wakes the thread, which sees the flag."""
        self._stopping = True
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as poke:
            poke.sendto(b"", (self.address, self.port))
        self._thread.join(timeout=5)
        self.sock.close()

    def answer(self, query: dns.message.Message) -> dns.message.Message | None:
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name, rdtype))
        entry = self.zone.get(name, "NXDOMAIN")
        if entry == "DROP":
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if entry == "NXDOMAIN":
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif entry == "SERVFAIL":
            response.set_rcode(dns.rcode.SERVFAIL)
        else:
            for record in entry:
                kind, data = record.split(None, 1)
                if kind.upper() == rdtype:
                    response.answer.append(dns.rrset.from_text(
                        name + ".", self.ttl, "IN", kind.upper(), data))
        return response

    def _serve(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            if self._stopping:
                return
            try:
                response = self.answer(dns.message.from_wire(data))
            except dns.exception.DNSException:
                continue
            if response is not None:
                try:
                    self.sock.sendto(response.to_wire(), peer)
                except OSError:
                    return
