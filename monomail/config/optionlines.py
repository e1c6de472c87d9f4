"""O lines: each one folded into the Options the way sendmail's setoption applies it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ConfigError
from . import options as option_table
from .option_values import Printed

if TYPE_CHECKING:
    from .cfparser import ParseState

MONOMAIL_NOTE = "is not implemented by monomail"
FATAL = ("Unknown delivery mode", "Unknown 8-bit mode")
STRICTER = "expected "  # monomail's own value checks; sendmail's messages never start so


def record_option(state: "ParseState", rest: str, sticky: bool = False) -> None:
    """Parse one `O` line (or a command-line -O/-o, which is sticky: the cf cannot
    override it); sendmail's own messages go where sendmail prints them, monomail's
    notes about ignored options go to the warnings."""
    try:
        opt, value, messages = option_table.parse_option_line(rest, state.where(), state.level)
    except ConfigError as exc:
        if exc.message.startswith(FATAL):
            state.syserr(exc.message)
            state.fatal = 64  # sendmail stops right there with EX_USAGE
        elif exc.message.startswith(STRICTER):
            # sendmail takes such a value silently (as 0); monomail will not run a
            # daemon on it, but -bt must show what sendmail shows
            state.refusals.append(f"{state.where()}: {exc.message}")
        else:
            state.syserr(exc.message)
        return
    for text in messages:
        if MONOMAIL_NOTE in text:
            state.warnings.append(text)
        else:
            state.say(text)
            if not isinstance(text, Printed):
                state.exit_status = state.exit_status or 70
    if opt is not None:
        state.options = state.options.with_value(opt, value, sticky=sticky)
