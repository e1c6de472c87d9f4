"""The compiled configuration: what a sendmail.cf says, as plain frozen data.

Everything the rest of monomail needs from the cf lives here; nothing in it
refers back to the file.  Reload builds a new Config and swaps one reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping

from .macros import MacroNames

if TYPE_CHECKING:
    from monomail.maps.base import Map
    from .queuegroups import QueueGroup

NO_ID = -1
DEFAULT_MAX_RCPT = 100


@dataclass(frozen=True)
class Rule:
    """One R line: LHS and RHS as internal token tuples."""

    lhs: tuple[str, ...]
    rhs: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Mailer:
    """One M line after sendmail's defaults and clean-ups."""

    index: int
    name: str
    path: str
    flags: frozenset[str]
    argv: tuple[str, ...]
    eol: str
    sender_env: int = 0
    sender_hdr: int = 0
    recipient_env: int = 0
    recipient_hdr: int = 0
    maxsize: int = 0
    maxrcpt: int = DEFAULT_MAX_RCPT
    maxdeliveries: int = 0
    linelimit: int = 0
    nice: int = 0
    execdir: str | None = None
    rootdir: str | None = None
    charset: str | None = None
    queue: str | None = None
    mtatype: str | None = None
    addrtype: str | None = None
    diagtype: str | None = None
    uid: int = NO_ID
    gid: int = NO_ID
    wait: int = 0

    def has(self, flag: str) -> bool:
        return flag in self.flags


@dataclass(frozen=True)
class Header:
    """An H line: `H?flags?Name: value` or `H?${macro}?Name: value`."""

    name: str
    value: str  # as sendmail keeps it: everything after the colon, leading blanks included
    flags: str
    macro_condition: str | None
    where: str


@dataclass(frozen=True)
class Config:
    """A whole cf.  Mappings are read-only views; the -bt session layers its own changes."""

    path: str
    level: int
    vendor: str
    names: MacroNames
    macros: Mapping[int, str]
    classes: Mapping[int, frozenset[str]]
    class_order: Mapping[str, tuple[int, str]]  # lowered word -> (hash bucket, entry seq, name)
    rules: tuple[tuple[Rule, ...] | None, ...]  # indexed by ruleset number
    ruleset_names: Mapping[int, str]
    ruleset_numbers: Mapping[str, int]
    mailers: tuple[Mailer, ...]
    maps: Mapping[str, "Map"]  # built by monomail.maps; handles open lazily
    options: Mapping[str, object]
    headers: tuple[Header, ...]
    header_checks: Mapping[str, tuple[str, bool]]  # field (lowered, or "*") -> (ruleset, strip comments)
    priorities: Mapping[str, int]
    environment: Mapping[str, str]
    queues: tuple["QueueGroup", ...]
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    fatal: int = 0  # reading stopped here, as sendmail exits: the status to exit with
    refusals: tuple[str, ...] = ()
    # what is derived from the Config once and shared by every use of it (token
    # tables, class prefix sets): not part of what the cf says
    memo: dict = field(default_factory=dict, compare=False, repr=False)  # values sendmail accepts silently but monomail will not run with
    output: tuple[str, ...] = field(default=())  # lines sendmail prints on stdout while reading
    exit_status: int = 0  # what sendmail's ExitStat is after reading (70/71 after errors)

    def mailer(self, name: str) -> Mailer | None:
        for m in self.mailers:
            if m.name.lower() == name.lower():
                return m
        return None


def frozen_map(d: dict) -> Mapping:
    return MappingProxyType(dict(d))
