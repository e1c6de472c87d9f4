"""`sequence` and `switch` maps: try member maps in order until one answers.

A sequence lists its members on the K line (they must be defined before it, as in
sendmail); a switch takes the sources the service switch lists for a service
(`K aliases switch aliases` with `aliases files nis` uses maps `aliases.files` and
`aliases.nis`).  Members run their class lookup directly: their own -a applies,
but quote stripping and -T belong to the outer map.  A member that failed
temporarily makes the whole lookup a temporary failure if no later member answers.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from monomail.sysexits import EX_OK, EX_TEMPFAIL

from .base import SM_NOTFOUND, Map, MapContext, MapOptions, lower_ascii

MAXMAPSTACK = 12


def find_map(maps: Mapping[str, Map], name: str) -> Map | None:
    """Map names are case-insensitive in sendmail's symbol table."""
    found = maps.get(name)
    if found is not None:
        return found
    wanted = lower_ascii(name)
    for key, value in maps.items():
        if lower_ascii(key) == wanted:
            return value
    return None


class SequenceMap(Map):
    """`K name sequence map1 map2 ...`."""

    def __init__(self, options: MapOptions, member_names: Sequence[str],
                 members: list[Map] | None = None, valid: bool = True) -> None:
        super().__init__(options, valid)
        self.member_names = list(member_names)
        self._members: list[Map | None] | None = list(members) if members is not None else None

    @classmethod
    def resolve(cls, options: MapOptions, names: Sequence[str],
                known: Mapping[str, Map]) -> tuple["SequenceMap", list[str]]:
        """Bind member names now, as seq_map_parse does; unknown ones are reported and left out."""
        members: list[Map] = []
        errors: list[str] = []
        for name in names:
            found = find_map(known, name)
            if found is None:
                errors.append(f"Sequence map {options.name}: unknown member map {name}")
            elif len(members) >= MAXMAPSTACK:
                errors.append(f"Sequence map {options.name}: too many member maps "
                              f"({MAXMAPSTACK} max)")
            else:
                members.append(found)
        return cls(options, names, members), errors

    def members(self, ctx: MapContext) -> list[Map | None]:
        """The member maps; bound lazily through the context when built without the others."""
        if self._members is None:
            bound: list[Map | None] = []
            for name in self.member_names[:MAXMAPSTACK]:
                found = ctx.get_map(name)
                if found is not None:
                    bound.append(found)
            self._members = bound
        return self._members

    def _lookup(self, key: str, args: Sequence[str], ctx: MapContext) -> tuple[str | None, int]:
        tempfail = False
        status = EX_OK
        # sendmail's [NOTFOUND=return]-style stops come only from Solaris' and Ultrix's
        # switch readers; on Linux every member is tried
        for member in self.members(ctx):
            if member is None or not member.open(ctx):
                continue
            value, status = member.lookup_raw(key, args, ctx)
            if value is not None:
                return value, status
            tempfail = tempfail or status == EX_TEMPFAIL
        if tempfail:
            return None, EX_TEMPFAIL
        return None, SM_NOTFOUND if status == EX_OK else status


class SwitchMap(SequenceMap):
    """`K name switch service`: members `name.source` for each source the switch lists."""

    def __init__(self, options: MapOptions, valid: bool = True) -> None:
        super().__init__(options, [], None, valid)
        self.service = options.file or ""

    def _open(self, ctx: MapContext) -> bool:
        sources = ctx.hosts.services(self.service)
        if sources is None or not 0 < len(sources) <= MAXMAPSTACK:
            return False
        members: list[Map | None] = []
        for source in sources:
            member_name = f"{self.name}.{source}"
            found = ctx.get_map(member_name)
            if found is None:
                ctx.message(f"Switch map {self.name}: unknown member map {member_name}")
            members.append(found)
        self.member_names = [f"{self.name}.{s}" for s in sources]
        self._members = members
        return True
