"""The AliasFile option as maps: sendmail's setalias.

Each AliasFile spec becomes a map named Alias0, Alias1, ... of its class (implicit
when none is given), and `aliases.files` is the sequence of them, so that the
`aliases` switch map (service switch "aliases files") finds entries in every file
in order -- the same maps `-bt`'s `/map` shows and recipient processing reads.
"""

from __future__ import annotations

from typing import Iterable

from monomail.config.errors import ConfigError
from monomail.config.mapspec import MapSpec
from monomail.maps.base import Map, MapOptions
from monomail.maps.seqmap import MAXMAPSTACK, SequenceMap

from .newaliases import parse_spec

#: classes whose maps may hold aliases (sendmail's MCF_ALIASOK among monomail's classes)
ALIAS_CLASSES = frozenset({"hash", "btree", "implicit", "stab", "text", "sequence", "switch",
                           "null", "program", "dns"})
SEQUENCE_NAME = "aliases.files"


def alias_file_maps(specs: Iterable[str], where: str,
                    blank_sub: str = " ") -> tuple[dict[str, Map], list[str]]:
    """The Alias<n> maps and the `aliases.files` sequence for the AliasFile specs, and
    sendmail's complaints about specs it refuses (those maps are left out)."""
    from monomail.maps.registry import UNSUPPORTED, MapConfigError, build_map
    maps: dict[str, Map] = {}
    members: list[Map] = []
    errors: list[str] = []
    for number, text in enumerate(specs):
        if len(members) >= MAXMAPSTACK:
            errors.append(f"Too many alias databases defined, {MAXMAPSTACK} max")
            break
        spec = parse_spec(text)
        name = f"Alias{number}"
        if spec.mclass not in ALIAS_CLASSES and spec.mclass not in UNSUPPORTED:
            errors.append(f"setalias: unknown alias class {spec.mclass}")
            continue
        try:
            alias_map = build_map(MapSpec(name, spec.mclass, spec.file, where), known=maps,
                                  blank_sub=blank_sub, alias=True)
        except MapConfigError as exc:
            errors.extend(exc.messages)
            if exc.map is None:
                continue
            alias_map = exc.map
        except ConfigError as exc:
            errors.append(exc.message)
            continue
        maps[name] = alias_map
        members.append(alias_map)
    names = [m.name for m in members]
    maps[SEQUENCE_NAME] = SequenceMap(MapOptions(name=SEQUENCE_NAME, mclass="sequence"),
                                      names, members)
    return maps, errors
