"""sendmail's options: names, legacy letters, types and defaults (the O line table)."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigError

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class OptionDef:
    name: str
    letter: str | None
    kind: str
    default: object = None
    implemented: bool = True
    unit: str = "s"


_TABLE = [
    OptionDef("OperatorChars", "o", "str", ".:@[]"),
    OptionDef("BlankSub", "B", "char", " "),
    OptionDef("ServiceSwitchFile", None, "str", "/etc/mail/service.switch"),
    OptionDef("HostsFile", None, "str", "/etc/hosts"),
]
_BY_NAME = {o.name.lower(): o for o in _TABLE}
_BY_LETTER = {o.letter: o for o in _TABLE if o.letter}


def find_option(name: str) -> OptionDef | None:
    if len(name) == 1:
        return _BY_LETTER.get(name)
    return _BY_NAME.get(name.lower())


def convtime(text: str, default_unit: str) -> int:
    """sendmail's convtime: '5d4h' -> seconds; bare numbers use the default unit."""
    total = 0
    i = 0
    text = text.strip()
    while i < len(text):
        j = i
        while j < len(text) and text[j].isdigit():
            j += 1
        number = int(text[i:j] or 0)
        unit = text[j:j + 1] or default_unit
        if unit not in UNITS:
            raise ValueError(f"Invalid time unit `{unit}'")
        total += number * UNITS[unit]
        i = j + 1
    return total


def parse_option_line(text: str, where: str, config_level: int = 10
                      ) -> tuple[OptionDef | None, object, list[str]]:
    if text.startswith(" "):
        name, eq, value = text.strip().partition("=")
        name, value = name.strip(), value.strip()
    else:
        name, value = text[:1], text[1:]
    opt = find_option(name)
    if opt is None:
        return OptionDef(name, None, "str", implemented=False), value, []
    return opt, parse_option_value(opt, value, where), []


def parse_option_value(opt: OptionDef, raw: str, where: str) -> object:
    if opt.kind == "char":
        return raw[:1] or " "
    if opt.kind == "duration":
        try:
            return convtime(raw, opt.unit)
        except ValueError as exc:
            raise ConfigError(where, str(exc)) from exc
    return raw
