"""O lines: each one folded into the Options the way sendmail's setoption applies it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ConfigError
from . import options as option_table

if TYPE_CHECKING:
    from .cfparser import ParseState

MONOMAIL_NOTE = "is not implemented by monomail"


def record_option(state: "ParseState", rest: str, sticky: bool = False) -> None:
    """Parse one `O` line (or a command-line -O/-o, which is sticky: the cf cannot
    override it); sendmail's own messages go where sendmail prints them, monomail's
    notes about ignored options go to the warnings."""
    try:
        opt, value, messages = option_table.parse_option_line(rest, state.where(), state.level)
    except ConfigError as exc:
        state.syserr(exc.message)
        return
    for text in messages:
        if MONOMAIL_NOTE in text:
            state.warnings.append(text)
        else:
            state.say(text)
            state.exit_status = state.exit_status or 70
    if opt is not None:
        state.options = state.options.with_value(opt, value, sticky=sticky)
