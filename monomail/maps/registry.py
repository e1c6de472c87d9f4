"""K lines to Map objects: flag parsing and the class table."""

from __future__ import annotations

import shlex

from monomail.config.errors import ConfigError
from monomail.config.mapspec import MapSpec
from .base import Map
from .classes_host import DequoteMap, HostMap

CLASSES: dict[str, type[Map]] = {"host": HostMap, "dequote": DequoteMap}


def build_map(spec: MapSpec) -> Map:
    """A Map for one K line; unknown classes and flags are refused by name."""
    cls = CLASSES.get(spec.mclass)
    if cls is None:
        raise ConfigError(spec.where, f"map {spec.name}: map class {spec.mclass} "
                                      "not supported by monomail yet")
    append = ""
    spacesub = ""
    keep_case = False
    for word in shlex.split(spec.args, posix=False):
        if word.startswith("-a"):
            append = word[2:]
        elif word.startswith("-S"):
            spacesub = word[2:3]
        elif word == "-f":
            keep_case = True
        elif word.startswith("-") and word[1:2] in "DmNOoqTtzkvsA":
            continue
        elif word.startswith("-"):
            raise ConfigError(spec.where, f"map {spec.name}: unknown map flag {word[:2]}")
    return cls(spec.name, append=append, spacesub=spacesub, keep_case=keep_case)
