"""K lines to Map objects: the class table and each class's argument parser.

`build_map(spec)` is sendmail's makemapentry for one K line.  Where sendmail prints
an error but still enters the map (an illegal flag, a missing file name, a bad
pattern, an unknown sequence member), `MapConfigError` carries the messages and the
map sendmail would have entered (`.map`; possibly not `valid`, in which case its
lookups find nothing, as sendmail's do).  `default_specs` names the maps sendmail
defines by itself (host, aliases); the cf parser builds them after the K lines.
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping

from monomail.config.errors import ConfigError
from monomail.config.mapspec import MapSpec

from .base import Map, MapOptions, lower_ascii
from .dbmap import DbMap, ImplicitMap, StabMap
from .hostmap import BestMxMap, DnsMap, HostMap
from .miscmaps import ArithMap, ArpaMap, DequoteMap, MacroMap, NullMap, SyslogMap
from .parseargs import (Parsed, parse_dequote, parse_dns, parse_host, parse_regex,
                        parse_standard, parse_syslog, sequence_names)
from .regexmap import build_regex
from .seqmap import SequenceMap, SwitchMap
from .sysmaps import ProgramMap, UserMap
from .textmap import TextMap

#: classes whose K line goes through sendmail's map_parseargs
STANDARD: dict[str, type[Map]] = {
    "hash": DbMap, "btree": DbMap, "implicit": ImplicitMap, "stab": StabMap, "text": TextMap,
    "user": UserMap, "program": ProgramMap, "switch": SwitchMap, "null": NullMap,
    "bestmx": BestMxMap,
}
#: classes set up by sendmail's dequote_init
DEQUOTE_FAMILY: dict[str, type[Map]] = {
    "dequote": DequoteMap, "macro": MacroMap, "arith": ArithMap, "arpa": ArpaMap,
}
#: sendmail classes monomail does not provide (directory services, external daemons)
UNSUPPORTED = frozenset({
    "ldap", "nis", "nisplus", "hesiod", "netinfo", "nsd", "ph", "socket", "userdb", "dbm",
    "cdb", "dprintf", "setdebug", "setopt",
})
SUPPORTED = frozenset(STANDARD) | frozenset(DEQUOTE_FAMILY) | {
    "host", "regex", "sequence", "syslog", "dns"}


class MapConfigError(ConfigError):
    """sendmail's complaints about one K line, with the map it still defines (if any)."""

    def __init__(self, where: str, messages: list[str], map: Map | None) -> None:
        super().__init__(where, messages[0])
        self.messages = tuple(messages)
        self.map = map


def _finish(spec: MapSpec, parsed: Parsed, factory: Callable[[MapOptions, bool], Map]) -> Map:
    new_map = factory(parsed.options(spec.name, spec.mclass), parsed.ok)
    if parsed.errors:
        raise MapConfigError(spec.where, parsed.errors, new_map)
    return new_map


def build_map(spec: MapSpec, *, known: Mapping[str, Map] | None = None, blank_sub: str = " ",
              alias: bool = False) -> Map:
    """The Map for one K line; raises ConfigError for unknown or unsupported classes.

    known: maps defined by earlier K lines (a sequence binds its members now, as
    sendmail does; without it they are bound at first lookup through the context).
    blank_sub: the BlankSub option at this point of the cf (the default -S).
    alias: the map serves the AliasFile option (implicit maps then fall back to text).
    """
    mclass = lower_ascii(spec.mclass)
    name, args = spec.name, spec.args
    if mclass in UNSUPPORTED:
        raise ConfigError(spec.where, f"readcf: map {name}: map class {spec.mclass} "
                                      "not supported by monomail")
    if mclass not in SUPPORTED:
        raise ConfigError(spec.where, f"readcf: map {name}: class {spec.mclass} not available")
    if mclass in STANDARD:
        cls = STANDARD[mclass]
        parsed = parse_standard(name, spec.mclass, args, cls.optional_file, blank_sub)
        if alias:
            parsed.fields["alias"] = True
        return _finish(spec, parsed, cls)
    if mclass in DEQUOTE_FAMILY:
        return _finish(spec, parse_dequote(name, spec.mclass, args), DEQUOTE_FAMILY[mclass])
    if mclass == "host":
        return _finish(spec, parse_host(name, spec.mclass, args), HostMap)
    if mclass == "regex":
        parsed, rx = parse_regex(name, spec.mclass, args)
        regex_map, errors = build_regex(parsed.options(name, spec.mclass), rx)
        if errors:
            raise MapConfigError(spec.where, errors, regex_map)
        return regex_map
    if mclass == "sequence":
        options = MapOptions(name=name, mclass=spec.mclass)
        names = sequence_names(args)
        if known is None:
            return SequenceMap(options, names)
        seq, errors = SequenceMap.resolve(options, names, known)
        if errors:
            raise MapConfigError(spec.where, errors, seq)
        return seq
    if mclass == "syslog":
        parsed, priority = parse_syslog(name, spec.mclass, args)
        return _finish(spec, parsed, lambda o, ok: SyslogMap(o, priority, ok))
    parsed, dns_args = parse_dns(name, spec.mclass, args)
    return _finish(spec, parsed, lambda o, ok: DnsMap(o, dns_args, ok))


def default_specs(config_level: int, alias_sources: Iterable[str]) -> list[MapSpec]:
    """The maps sendmail's inithostmaps adds when the cf does not define them."""
    specs = [MapSpec("host", "host", "-a. -D" if config_level >= 2 else "", "")]
    if "files" in alias_sources:
        specs.append(MapSpec("aliases.files", "null", "", ""))
    specs.append(MapSpec("aliases", "switch", "aliases", ""))
    return specs
