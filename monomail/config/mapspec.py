"""The K line of a cf, as read: the map factory in monomail.maps turns it into a Map."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MapSpec:
    """`Kname class args...`: `args` is the raw text after the class, flags and file name included."""

    name: str
    mclass: str
    args: str
    where: str  # "file: line N", for error messages
