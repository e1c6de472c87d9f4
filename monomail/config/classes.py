"""Word classes ($=X) with the order sendmail's symbol table lists them in.

`-bt`'s `$=X` prints a class in symbol-table order: hash bucket, then order of
first entry; we keep that order so the listing matches sendmail's.
"""

from __future__ import annotations

from typing import Mapping

from monomail.rewrite.addrutil import lower

STABSIZE = 2003
ST_CLASS = 1


def stab_bucket(name: str, symtype: int = ST_CLASS) -> int:
    """sendmail's stab() hash of a symbol name."""
    h = symtype
    for ch in name:
        h = ((h << 1) ^ (ord(lower(ch)) & 0xFF)) % STABSIZE
    return h


class _Members(dict):
    """mid -> set of lowered words; an unknown class is empty (for generated matchers)."""

    def __missing__(self, mid: int) -> frozenset[str]:
        return frozenset()


class _Prefixes(dict):
    """mid -> every leading substring of every member, computed on first use."""

    def __init__(self, members: dict[int, set[str]]) -> None:
        super().__init__()
        self._members = members

    def __missing__(self, mid: int) -> frozenset[str]:
        words = self._members.get(mid, ())
        found = frozenset(w[:i] for w in words for i in range(1, len(w) + 1))
        self[mid] = found
        return found


class ClassTable:
    """Class id -> set of lowered words, plus the symbol order of every word."""

    def __init__(self) -> None:
        self._members: dict[int, set[str]] = _Members()
        self._order: dict[str, tuple[int, int, str]] = {}
        self._prefixes = _Prefixes(self._members)
        self._shared = False  # members, order and prefixes still belong to a Config

    def add(self, mid: int, word: str) -> None:
        self._detach()
        key = lower(word)
        if key not in self._order:
            self._order[key] = (stab_bucket(word), len(self._order), word)
        self._writable(mid).add(key)
        self._prefixes.pop(mid, None)

    def copy(self, src: int, dst: int) -> None:
        self._detach()
        self._writable(dst).update(self._members.get(src, ()))
        self._prefixes.pop(dst, None)

    def _writable(self, mid: int) -> set[str]:
        """The member set of mid, copied first if it is still the Config's frozenset."""
        current = self._members.get(mid)
        if not isinstance(current, set):
            current = self._members[mid] = set(current or ())
        return current

    def _detach(self) -> None:
        """Stop sharing the Config's word order and prefix cache before a change."""
        if self._shared:
            self._order = dict(self._order)
            self._prefixes = _Prefixes(self._members)
            self._shared = False

    @property
    def members(self) -> dict[int, set[str]]:
        """Lowered members by class id (an unknown id reads as empty); do not modify."""
        return self._members

    @property
    def prefixes(self) -> dict[int, frozenset[str]]:
        """Every leading substring of every member, by class id: a phrase that is none
        of them can never grow into a member, so class matching stops early."""
        return self._prefixes

    def contains(self, mid: int, word: str) -> bool:
        members = self._members.get(mid)
        return members is not None and lower(word) in members

    def frozen(self) -> dict[int, frozenset[str]]:
        return {mid: frozenset(words) for mid, words in self._members.items()}

    def order(self) -> dict[str, tuple[int, int, str]]:
        return dict(self._order)

    @classmethod
    def from_config(cls, members: Mapping[int, frozenset[str]],
                    order: Mapping[str, tuple[int, int, str]],
                    prefixes: "dict[int, frozenset[str]] | None" = None) -> "ClassTable":
        """A table over a Config's classes that shares them (and `prefixes`, a cache kept
        with the Config) until it is changed: making one per message costs nothing."""
        table = cls()
        table._members.update(members)
        table._order = order  # type: ignore[assignment]
        if prefixes is not None:
            table._prefixes = prefixes  # type: ignore[assignment]
        table._shared = True
        return table

    @staticmethod
    def shared_prefixes(members: Mapping[int, frozenset[str]]) -> dict[int, frozenset[str]]:
        """A prefix cache over a Config's classes, for from_config to share."""
        return _Prefixes(dict(members))  # type: ignore[arg-type]

    def listing(self, mid: int) -> list[str]:
        """The words of one class in sendmail's dump order, as first spelled."""
        words = [self._order[w] for w in self._members.get(mid, ())]
        return [name for _, _, name in sorted(words)]
