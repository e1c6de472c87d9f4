"""The options the SMTP client acts on, read once from a Config.

Timeout.* (initial, helo, lhlo, mail, rcpt, datainit, datablock, datafinal, rset, quit,
misc, starttls, connect, iconnect, aconnect), HeloName, EightBitMode, SmtpUTF8,
FallbackSmartHost, DialDelay, ConnectOnlyTo, ClientPortOptions (Addr= and Port= of the
local end), the STARTTLS client files (ClientCertFile, ClientKeyFile, CACertFile,
CACertPath, CipherList) and TLSFallbacktoClear.  ConnectionCacheSize/Timeout size the
cache (connections.py); FallbackMXhost and the resolver options live in the HostLookup.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field
from typing import Callable, Mapping

from monomail.clib import atoi
from monomail.config.macros import expand
from monomail.config.model import Config
from monomail.config.option_values import ConnectOnlyTo
from monomail.rewrite.addrutil import lower

TIMEOUTS = ("initial", "helo", "lhlo", "mail", "rcpt", "datainit", "datablock", "datafinal",
            "rset", "quit", "misc", "starttls", "connect", "iconnect", "aconnect")


class SettingsError(ValueError):
    """An option the client cannot run with (named, with the reason)."""


@dataclass(frozen=True)
class ClientSettings:
    """What the SMTP client needs to know; timeouts in seconds, None for none."""

    helo_name: str
    my_hostname: str
    timeouts: Mapping[str, float | None] = field(default_factory=dict)
    eight_bit_mode: str = "p"
    smtputf8: bool = False
    tls: ssl.SSLContext | None = None
    tls_fallback_to_clear: bool = False
    fallback_smart_host: str | None = None
    dial_delay: float = 0.0
    connect_only_to: ConnectOnlyTo | None = None
    source_address: tuple[str, int] | None = None
    local_names: frozenset[str] = frozenset()

    def timeout(self, name: str) -> float | None:
        return self.timeouts.get(name)

    def is_local(self, host: str) -> bool:
        """Is this one of our own names ($=w)?  MX lists stop at our preference."""
        return lower(host.rstrip(".")) in self.local_names

    @classmethod
    def from_config(cls, config: Config, tls: bool = True) -> "ClientSettings":
        """Read the options; tls=False never offers STARTTLS (as no client certificate
        setup at all would, in a sendmail built without it)."""
        opts = config.options

        def macro(mid: int) -> str | None:
            return config.macros.get(mid)

        def syserr(text: str) -> None:
            raise SettingsError(text)

        my_name = expand(config.macros.get(ord("j"), "") or "localhost", macro, syserr)
        helo = str(opts.get("HeloName") or my_name)
        fbsh = opts.get("FallbackSmartHost")
        return cls(
            helo_name=helo, my_hostname=my_name,
            timeouts={name: _seconds(opts.get(f"Timeout.{name}")) for name in TIMEOUTS},
            eight_bit_mode=str(opts.get("EightBitMode") or "p"),
            smtputf8=bool(opts.get("SmtpUTF8")),
            tls=_client_context(opts) if tls else None,
            tls_fallback_to_clear=bool(opts.get("TLSFallbacktoClear")),
            fallback_smart_host=expand(str(fbsh), macro, syserr) if fbsh else None,
            dial_delay=float(opts.get("DialDelay") or 0),  # type: ignore[arg-type]
            connect_only_to=opts.get("ConnectOnlyTo"),  # type: ignore[arg-type]
            source_address=_source_address(opts.get("ClientPortOptions") or ()),  # type: ignore[arg-type]
            local_names=frozenset(lower(w) for w in config.classes.get(ord("w"), ())),
        )


def _seconds(value: object) -> float | None:
    number = float(value or 0)  # type: ignore[arg-type]
    return number if number > 0 else None


def _source_address(settings: tuple) -> tuple[str, int] | None:
    """ClientPortOptions for inet: the address (and port) outgoing connections bind to.
    Other keys concern listening sockets or socket buffers, which monomail leaves to the
    system; they are refused rather than ignored."""
    for entry in settings:
        if entry.get("Family", "inet") != "inet":
            continue
        unknown = set(entry) - {"Family", "Addr", "Port", "Name"}
        if unknown:
            raise SettingsError(f"ClientPortOptions: {', '.join(sorted(unknown))} "
                                "is not implemented by monomail")
        address = str(entry.get("Addr") or "0.0.0.0")
        port = entry.get("Port") or 0
        if not isinstance(port, int):
            raise SettingsError(f"ClientPortOptions: Port={port} must be a number")
        if address == "0.0.0.0" and port == 0:
            return None
        return address, port
    return None


def _client_context(opts: Mapping[str, object]) -> ssl.SSLContext:
    """Opportunistic STARTTLS, as sendmail does it: the server's certificate is checked
    against CACertFile/CACertPath when given but a failure does not stop the delivery
    (sendmail only records it in {verify}); a client certificate is offered if set."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    cafile, capath = opts.get("CACertFile"), opts.get("CACertPath")
    if cafile or capath:
        context.load_verify_locations(cafile=cafile or None, capath=capath or None)  # type: ignore[arg-type]
    cert, key = opts.get("ClientCertFile"), opts.get("ClientKeyFile")
    if cert:
        context.load_cert_chain(str(cert), str(key) if key else None)
    ciphers = opts.get("CipherList")
    if ciphers:
        context.set_ciphers(str(ciphers))
    return context


def mailer_port(text: str | None, syserr: Callable[[str], None]) -> int | None:
    """The port in `A=TCP $h port` (its expanded third word: a number or a service
    name, as deliver() reads it with atoi then getservbyname); None means smtp's 25."""
    if not text:
        return None
    port = atoi(text) & 0xFFFF
    if port:
        return port
    try:
        return socket.getservbyname(text, "tcp")
    except OSError:
        syserr(f"Service {text} unknown")
        return None
