"""Maps as the rule engine sees them: a name, a key-space substitute, a lookup."""

from __future__ import annotations

from typing import Protocol, Sequence

from monomail import sysexits as ex
from monomail.rewrite.addrutil import stripquotes


class MapContext(Protocol):
    """What a map may ask of the rewriting environment."""

    def macro(self, name: str) -> str | None: ...
    def define_macro(self, name: str, value: str | None) -> None: ...
    def in_class(self, cls: str, word: str) -> bool: ...
    def message(self, text: str) -> None: ...


class Map:
    """Base class: subclasses implement `find`; flags common to all maps live here."""

    keeps_quotes = False  # -q, or a class that needs the quotes (dequote)

    def __init__(self, name: str, append: str = "", spacesub: str = "",
                 keep_case: bool = False) -> None:
        self.name = name
        self.append = append
        self.spacesub = spacesub
        self.keep_case = keep_case

    def find(self, key: str, ctx: MapContext) -> tuple[str | None, int]:
        raise NotImplementedError

    def lookup(self, key: str, args: Sequence[str], ctx: MapContext) -> tuple[str | None, int]:
        """The map's answer for `key`, with -a appended, as the rules receive it."""
        if not self.keeps_quotes:
            key = stripquotes(key)
        value, status = self.find(key, ctx)
        if value is None:
            return None, status
        return value + self.append, ex.EX_OK
