"""The running configuration: one reference that a reload swaps.

A session or delivery takes `holder.current` once and keeps that snapshot to the
end, so work in progress finishes on the cf it started with; a new cf that does not
parse cleanly is refused whole and the old one keeps running.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from monomail.config.cfparser import parse_cf
from monomail.config.model import Config
from monomail.rewrite.engine import Rewriter


@dataclass(frozen=True)
class Snapshot:
    """A parsed cf with its compiled rule engine; never changed after creation."""

    config: Config
    rewriter: Rewriter
    generation: int


class ReloadError(Exception):
    """The new cf was refused; the message says why (file: line: what)."""


def load(path: str, command_line: tuple[str, ...], op_mode: str, generation: int) -> Snapshot:
    config = parse_cf(path, command_line=command_line, op_mode=op_mode)
    if config.fatal or config.errors or config.refusals:
        raise ReloadError("; ".join([*config.errors, *config.refusals]) or
                          f"{path}: cannot be used (exit status {config.fatal})")
    return Snapshot(config, Rewriter(config), generation)


class ConfigHolder:
    def __init__(self, path: str, command_line: tuple[str, ...], op_mode: str,
                 first: Snapshot) -> None:
        self.path, self.command_line, self.op_mode = path, command_line, op_mode
        self.current = first

    async def reload(self) -> Snapshot:
        """Parse the cf again off the event loop; swap only if it is clean.  Raises
        ReloadError (or OSError) and keeps the old snapshot otherwise."""
        fresh = await asyncio.to_thread(load, self.path, self.command_line, self.op_mode,
                                        self.current.generation + 1)
        self.current = fresh
        return fresh
