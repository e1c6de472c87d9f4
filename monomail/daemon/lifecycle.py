"""Process-level duties of the daemon: going to the background, signals, stopping.

-bd forks like sendmail: the parent exits 0 at once and the child, in a new session
with stdio on /dev/null, runs the daemon; -bD stays in the foreground.  SIGHUP asks for
a reload, SIGTERM and SIGINT for a graceful stop; the handlers only set events, so all
work happens in the event loop.
"""

from __future__ import annotations

import asyncio
import os
import signal


def detach() -> bool:
    """Fork into the background; True in the child, which carries on."""
    if os.fork() != 0:
        return False
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    if null > 2:
        os.close(null)
    return True


class Signals:
    """The daemon's signal state, read by its main loop."""

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self.reload = asyncio.Event()

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.add_signal_handler(signal.SIGHUP, self.reload.set)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop.set)

    def uninstall(self, loop: asyncio.AbstractEventLoop) -> None:
        for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
