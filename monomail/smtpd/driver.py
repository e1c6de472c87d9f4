"""Runs a Session on an asyncio loop: the only place SMTP meets time and I/O.

The same driver serves a TCP connection (server.py) and stdin/stdout (-bs): it
feeds what arrives, writes what the session has to say in one write per batch (so
a pipelined group gets one packet back), awaits the accept_message hook, sleeps
the session's pauses and enforces its read timeout.  While the hook or a pause
runs, input is only buffered; too much of it stops reading until the session
catches up.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

from monomail.log.writer import LOG_NOTICE
from monomail.smtpd.hooks import Refused
from monomail.smtpd.session import MessageReady, Pause, Session

log = logging.getLogger("monomail.smtpd")

TEMPFAIL_REPLY = "451 4.3.0 Temporary failure while queueing the message; try again later"


class SessionDriver:
    """Glue between one Session and its transport."""

    def __init__(self, session: Session, write: Callable[[bytes], None],
                 close: Callable[[], None], *,
                 pause_reading: Callable[[], None] | None = None,
                 resume_reading: Callable[[], None] | None = None,
                 max_buffered: int = 1 << 20) -> None:
        self.session = session
        self._write = write
        self._close = close
        self._pause_reading = pause_reading
        self._resume_reading = resume_reading
        self._max_buffered = max_buffered
        self._reading_paused = False
        self._timer: asyncio.TimerHandle | None = None
        self._deadline: float | None = None
        self._pause_timer: asyncio.TimerHandle | None = None
        self._accepting: asyncio.Task[None] | None = None
        self._closed = False
        self.done = asyncio.get_running_loop().create_future()

    # ------------------------------------------------------------------ events
    def start(self) -> None:
        self.session.start()
        self._pump()

    def data_received(self, data: bytes) -> None:
        if self._closed:
            return
        s = self.session
        s.receive(data)
        waiting = s.waiting
        if isinstance(waiting, Pause) and waiting.greeting:
            self._cancel_pause()
            s.resume()
        self._pump()

    def eof_received(self) -> None:
        if not self._closed:
            self.session.receive(b"")
            self._pump()

    def connection_lost(self) -> None:
        """The transport is gone: stop timers; a running accept still completes (the
        message is then in the queue although nobody heard the 250, as with any MTA)."""
        self._closed = True
        self._cancel_timer()
        self._cancel_pause()
        if not self.done.done():
            self.done.set_result(None)

    # ------------------------------------------------------------------ pumping
    def _pump(self) -> None:
        s = self.session
        if self._closed:
            return
        out = s.outgoing()
        if out:
            self._write(out)
        waiting = s.waiting
        if isinstance(waiting, MessageReady) and self._accepting is None:
            self._cancel_timer()
            self._accepting = asyncio.ensure_future(self._accept(waiting))
        elif isinstance(waiting, Pause) and self._pause_timer is None:
            self._cancel_timer()
            loop = asyncio.get_running_loop()
            self._pause_timer = loop.call_later(waiting.seconds, self._pause_over)
        if s.closed:
            self._finish()
            return
        self._flow_control()
        if s.waiting is None:
            self._arm_timer()

    async def _accept(self, ready: MessageReady) -> None:
        s = self.session
        qid, refusal = None, None
        try:
            qid = await s.hooks.accept_message(ready.info, ready.envelope, ready.data)
        except Refused as exc:
            refusal = exc.reply
        except Exception:
            log.exception("accept_message failed")
            refusal = TEMPFAIL_REPLY
        self._accepting = None
        if self._closed and qid is None:
            return
        s.message_done(qid, refusal)
        if not self._closed:
            self._pump()

    def _pause_over(self) -> None:
        self._pause_timer = None
        if not self._closed:
            self.session.resume()
            self._pump()

    def _timed_out(self) -> None:
        self._timer = None
        if self._closed or self._deadline is None:
            return
        loop = asyncio.get_running_loop()
        if loop.time() < self._deadline:
            self._timer = loop.call_at(self._deadline, self._timed_out)
            return
        if not self._closed:
            self.session.syslog(1, f"timeout waiting for input from "
                                   f"{self.session.client.peer_name[:100]} during "
                                   "server cmd read", LOG_NOTICE)
            self.session.timed_out()
            self._pump()

    # ------------------------------------------------------------------ helpers
    def _arm_timer(self) -> None:
        """Move the read deadline; the one timer is only replaced when the deadline
        comes earlier (input arrives far more often than timeouts change)."""
        timeout = self.session.read_timeout
        if timeout <= 0:
            self._deadline = None
            return
        loop = asyncio.get_running_loop()
        self._deadline = loop.time() + timeout
        if self._timer is not None and self._timer.when() > self._deadline:
            self._timer.cancel()
            self._timer = None
        if self._timer is None:
            self._timer = loop.call_at(self._deadline, self._timed_out)

    def _cancel_timer(self) -> None:
        self._deadline = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _cancel_pause(self) -> None:
        if self._pause_timer is not None:
            self._pause_timer.cancel()
            self._pause_timer = None

    def _flow_control(self) -> None:
        if self._pause_reading is None or self._resume_reading is None:
            return
        backlog = self.session.buffered
        if not self._reading_paused and backlog > self._max_buffered:
            self._reading_paused = True
            self._pause_reading()
        elif self._reading_paused and backlog <= self._max_buffered:
            self._reading_paused = False
            self._resume_reading()

    def _finish(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._cancel_timer()
        self._cancel_pause()
        self._close()
        if not self.done.done():
            self.done.set_result(None)
