"""O lines: record each option as read, type it through the option table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ConfigError
from . import options as option_table

if TYPE_CHECKING:
    from .cfparser import ParseState


def record_option(state: "ParseState", rest: str) -> None:
    """Parse one `O` line; keep (canonical name, raw value) in cf order."""
    try:
        opt, value, warnings = option_table.parse_option_line(rest, state.where(), state.level)
    except ConfigError as exc:
        state.syserr(exc.message)
        return
    for text in warnings:
        state.warnings.append(text)
    if opt is None:
        return
    state.option_lines.append((opt.name, raw_value(rest)))
    state.typed_options[opt.name] = value


def raw_value(rest: str) -> str:
    """The text after `Name=` (or after the letter of an old one-letter option)."""
    if rest.startswith(" "):
        _, _, value = rest.partition("=")
        return value.strip()
    return rest[1:]


def typed_options(state: "ParseState") -> dict[str, object]:
    return dict(state.typed_options)
