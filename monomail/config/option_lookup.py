"""Finding an option by name the way setoption does: letters, long names, abbreviations.

Only options built into the reference sendmail are found (the rest of OPTION_TABLE is
"unknown option name", as there), and monomail's own `Monomail.x` by exact name.
"""

from __future__ import annotations

from typing import NamedTuple

from .options_table import (MILTER_OPTIONS, MONOMAIL_OPTIONS, OPTION_TABLE, TIMEOUT_ALIASES,
                            TIMEOUT_OPTIONS, OptionDef)

COMPILED: tuple[OptionDef, ...] = tuple(o for o in OPTION_TABLE if o.compiled)
SUB_OPTIONS: dict[str, tuple[OptionDef, ...]] = {"Timeout": TIMEOUT_OPTIONS,
                                                 "Milter": MILTER_OPTIONS}
_BY_CODE = {o.code: o for o in COMPILED}
_BY_NAME = {o.name.lower(): o for o in COMPILED + TIMEOUT_OPTIONS + MILTER_OPTIONS
            + MONOMAIL_OPTIONS if o.name}


class NameMatch(NamedTuple):
    """The result of resolving a long name: the option, or sendmail's complaint."""

    option: OptionDef | None
    message: str | None


def by_code(code: int) -> OptionDef | None:
    """The option of an old one-letter `Ox...` line (or of its code, 0x81 and up)."""
    return _BY_CODE.get(code & 0xFF)


def sub_option(parent: OptionDef, subname: str) -> OptionDef | None:
    """Timeout.x or Milter.x, compared without regard to case like settimeout does."""
    subname = TIMEOUT_ALIASES.get(subname.lower(), subname) if parent.name == "Timeout" \
        else subname
    return _BY_NAME.get(f"{parent.name}.{subname}".lower())


def match_long_name(name: str) -> NameMatch:
    """Resolve a long name as setoption does: an exact name wins, a unique prefix is
    accepted (the caller says so), and the walk stops at the second prefix match."""
    wanted = name.lower()
    candidate: OptionDef | None = None
    for option in COMPILED:
        if not option.name.lower().startswith(wanted):
            continue
        if len(option.name) == len(name):
            return NameMatch(option, None)
        if candidate is not None:
            return NameMatch(None, f"readcf: ambiguous option name {name} "
                                   f"(matches {candidate.name} and {option.name})")
        candidate = option
    if candidate is None:
        return NameMatch(None, f"readcf: unknown option name {name}")
    return NameMatch(candidate, None)


def monomail_option(name: str) -> NameMatch | None:
    """`Monomail.x` (exact, any case), or None when `name` is not in that namespace."""
    head, dot, _ = name.partition(".")
    if not (dot and head.lower() == "monomail"):
        return None
    found = _BY_NAME.get(name.lower())
    if found is None or found not in MONOMAIL_OPTIONS:
        return NameMatch(None, f"readcf: unknown option name {name}")
    return NameMatch(found, None)


def find_option(name: str) -> OptionDef | None:
    """A single letter (case matters), else a long name or `Timeout.x`/`Milter.x`
    (case does not).  No abbreviations: that is parse_option_line's business."""
    if len(name) == 1:
        return by_code(ord(name)) if ord(name) < 0x80 else None
    found = _BY_NAME.get(name.lower())
    if found is None and "." in name:
        parent, _, subname = name.partition(".")
        top = _BY_NAME.get(parent.lower())
        found = sub_option(top, subname) if top and top.name in SUB_OPTIONS else None
    return found
