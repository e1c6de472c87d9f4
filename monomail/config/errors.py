"""Errors raised while reading configuration: each names the file, the line and what was expected."""

from __future__ import annotations

from monomail.clib import shortenstring


class ConfigError(Exception):
    """A configuration file cannot be used; `where` is "file: line N" as sendmail prints it."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.message = message


def where(path: str, lineno: int) -> str:
    """Format a location the way sendmail's syserr does: '/etc/mail/sendmail.cf: line 12'."""
    return f"{shortenstring(path, 83)}: line {lineno}"
