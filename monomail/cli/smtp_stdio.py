"""`monomail -bs`: one SMTP session on stdin and stdout (inetd style, or a local user).

The dialogue is the daemon's (the same Session and driver); what differs is who the
client is: the local user running the command ($_ = user@localhost, no check_relay,
{daemon_flags} "c u"), as with sendmail -bs.  Accepted messages go to the queue
directory of the cf, synced before the 250 is written.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import sys
import threading

from typing import TYPE_CHECKING

from monomail import sysexits as ex
from monomail.log.writer import MailLog
from monomail.queue.store import QueueStore
from monomail.smtpd.driver import SessionDriver
from monomail.daemon.acceptance import Acceptance
from monomail.daemon.configholder import ConfigHolder, Snapshot
from monomail.rewrite.engine import Rewriter
from monomail.smtpd.policy import Client, Daemon
from monomail.smtpd.session import Session
from monomail.smtpd.settings import Runtime, SettingsError

if TYPE_CHECKING:
    from monomail.config.model import Config

READ_SIZE = 65536


def run_smtp_stdio(config: "Config") -> int:
    if config.fatal:
        for text in config.output:
            sys.stdout.write(text + "\n")
        return config.fatal
    try:
        runtime = Runtime.from_config(config)
    except SettingsError as exc:
        sys.stdout.write(f"{exc}\n")
        return ex.EX_CONFIG
    settings = runtime.settings
    if not os.path.isdir(settings.queue_directory):
        sys.stdout.write(f"451 4.0.0 cannot chdir({settings.queue_directory}): "
                         "No such file or directory\r\n")
        return ex.EX_CONFIG
    store = QueueStore(settings.queue_directory, min_free_blocks=settings.min_free_blocks,
                       max_message_size=settings.max_message_size)
    maillog = MailLog(settings.log_level, path=settings.log_file)
    holder = ConfigHolder(config.path, (), "s", Snapshot(config, Rewriter(config), 0))
    hooks = Acceptance(holder, store, maillog, real_user=_user_name()).hooks()
    session = Session(runtime, Client.local_user(_user_name()), Daemon.stdin(),
                      hooks, local_submission=True, maillog=maillog)
    import uvloop
    try:
        uvloop.run(_serve_stdio(session))
    finally:
        store.close()       # sealed cleanly: the next process appends without reading
    return session.exit_status


def _user_name() -> str:
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return str(os.getuid())


async def _serve_stdio(session: Session) -> None:
    out = sys.stdout.buffer

    def write(data: bytes) -> None:
        try:
            out.write(data)
            out.flush()
        except BrokenPipeError:
            pass

    driver = SessionDriver(session, write, lambda: None)
    driver.start()
    reader = asyncio.ensure_future(_read_stdin(driver))
    await driver.done
    reader.cancel()


async def _read_stdin(driver: SessionDriver) -> None:
    """stdin may be a pipe, a terminal or a regular file (which an event loop cannot
    watch), so a daemon thread reads it; being a daemon thread, a client that keeps
    stdin open after QUIT does not keep the process alive."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes] = asyncio.Queue()

    def reader() -> None:
        while True:
            try:
                data = os.read(0, READ_SIZE)
            except OSError:
                data = b""
            loop.call_soon_threadsafe(queue.put_nowait, data)
            if not data:
                return

    threading.Thread(target=reader, name="stdin", daemon=True).start()
    while not driver.done.done():
        data = await queue.get()
        if not data:
            driver.eof_received()
            return
        driver.data_received(data)
