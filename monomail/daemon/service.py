"""`monomail -bd` / `-bD`: one process that listens, queues and runs the queue.

Start: recover the queue, open every DaemonPortOptions listener, give up root if
RunAsUser says so, write the PidFile, log "starting daemon", feed the runner what the
queue holds.  SIGHUP: reread the cf (kept only if clean) and let new sessions and
deliveries use it.  SIGTERM: stop accepting, let sessions and deliveries in flight
finish (at most STOP_GRACE seconds), seal the queue, remove the PidFile.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from monomail import __version__
from monomail import sysexits as ex
from monomail.config.model import Config
from monomail.config.option_values import MinFreeBlocks
from monomail.log.fields import pintvl
from monomail.log.writer import LOG_ERR, LOG_INFO, MailLog
from monomail.queue.store import QueueStore
from monomail.smtpd.server import SmtpServer, listeners_from_config
from monomail.smtpd.settings import Runtime
from .acceptance import Acceptance
from .configholder import ConfigHolder, ReloadError
from .lifecycle import Signals
from .pidfile import PidFile, PidFileError
from .privileges import drop_to
from .runner import Attempt, QueueRunner
from .schedule import RetryPolicy

if TYPE_CHECKING:
    from monomail.deliver.attempt import Deliverer

STOP_GRACE = 30.0     # seconds sessions and deliveries get to finish on SIGTERM

DelivererFactory = Callable[[Config, QueueStore, MailLog], "Deliverer"]


def new_deliverer(config: Config, store: QueueStore, log: MailLog) -> "Deliverer":
    from monomail.deliver.attempt import Deliverer
    return Deliverer(config, store, log=log)


class DelivererSlot:
    """The Deliverer of the current cf: a reload puts a new one in; attempts already
    running finish with the one they started with."""

    def __init__(self, make: DelivererFactory, store: QueueStore, log: MailLog) -> None:
        self.make, self.store, self.log = make, store, log
        self.current: "Deliverer | None" = None
        self.on_queued: Callable[[str], None] = lambda qid: None

    def renew(self, config: Config) -> None:
        self.current = self.make(config, self.store, self.log)
        self.current.on_queued = self.on_queued

    async def attempt(self, qid: str) -> Attempt:
        assert self.current is not None
        return await self.current.attempt(qid)


@dataclass
class DaemonRequest:
    """What the command line asked the daemon for."""

    holder: ConfigHolder
    log: MailLog
    command_line: str
    queue_interval: int = 0        # -q interval in seconds (0: no periodic runs)
    smtp: bool = True              # -bd/-bD (False: only -q<time>)


def store_for(config: Config) -> QueueStore:
    """The cf's queue: QueueDirectory, MinFreeBlocks, MaxMessageSize."""
    opts = config.options
    free = opts.get("MinFreeBlocks")
    return QueueStore(str(opts.get("QueueDirectory") or "/var/spool/mqueue"),
                      min_free_blocks=free.blocks if isinstance(free, MinFreeBlocks) else 100,
                      max_message_size=int(opts.get("MaxMessageSize") or 0))


async def serve(req: DaemonRequest, deliverer: DelivererFactory, signals: Signals) -> int:
    """Run until SIGTERM; the exit status."""
    snap = req.holder.current
    store = store_for(snap.config)
    await asyncio.to_thread(store.recover)
    slot = DelivererSlot(deliverer, store, req.log)
    runner = QueueRunner(slot.attempt, RetryPolicy.from_options(
        int(snap.config.options.get("MinQueueAge") or 0), req.queue_interval),
        on_error=lambda qid, exc: req.log.log(LOG_ERR, qid, f"SYSERR: delivery: {exc!r}"))
    slot.on_queued = runner.enqueue
    slot.renew(snap.config)
    acceptance = Acceptance(req.holder, store, req.log, queued=runner.enqueue)
    server = SmtpServer(Runtime.from_config(snap.config), acceptance.hooks(), maillog=req.log)
    if req.smtp:
        await server.listen(listeners_from_config(snap.config.options))
    drop_to(snap.config.options.get("RunAsUser"))  # type: ignore[arg-type]
    pidfile = PidFile(str(snap.config.options.get("PidFile")))
    try:
        pidfile.write(req.command_line)
    except (PidFileError, OSError) as exc:
        req.log.log(LOG_ERR, None, str(exc) if isinstance(exc, PidFileError)
                    else f"unable to write pid to {pidfile.path}: {exc.strerror}")
    kind = ("+SMTP" if req.smtp else "") + (
        f"+queueing@{pintvl(req.queue_interval)}" if req.queue_interval else "")
    req.log.log(LOG_INFO, None, f"starting daemon ({__version__}): {kind[1:]}")
    for qid in store.list():
        runner.enqueue(qid)
    signals.install(asyncio.get_running_loop())
    work = asyncio.create_task(runner.run(signals.stop))
    try:
        await _watch(req, server, slot, signals)
    finally:
        server.close()
        await _finish(server, runner, work)
        if slot.current is not None:
            await slot.current.close()
        store.close()
        pidfile.remove()
        signals.uninstall(asyncio.get_running_loop())
    return ex.EX_OK


async def _watch(req: DaemonRequest, server: SmtpServer, slot: DelivererSlot,
                 signals: Signals) -> None:
    """Serve reloads until stop is asked for."""
    while not signals.stop.is_set():
        reload = asyncio.ensure_future(signals.reload.wait())
        stop = asyncio.ensure_future(signals.stop.wait())
        await asyncio.wait({reload, stop}, return_when=asyncio.FIRST_COMPLETED)
        reload.cancel()
        stop.cancel()
        if signals.reload.is_set():
            signals.reload.clear()
            await _reload(req, server, slot)


async def _reload(req: DaemonRequest, server: SmtpServer, slot: DelivererSlot) -> None:
    try:
        fresh = await req.holder.reload()
    except (ReloadError, OSError) as exc:
        req.log.log(LOG_ERR, None, f"restart: configuration refused, old one kept: {exc}")
        return
    server.set_runtime(Runtime.from_config(fresh.config))
    slot.renew(fresh.config)
    req.log.log(LOG_INFO, None, f"restarting {req.command_line} due to signal")


async def _finish(server: SmtpServer, runner: QueueRunner, work: asyncio.Task[None]) -> None:
    """Sessions and deliveries in flight get STOP_GRACE seconds to end."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STOP_GRACE
    while server.sessions and loop.time() < deadline:
        await asyncio.sleep(0.05)
    for session in list(server.sessions):
        if session.transport is not None:
            session.transport.abort()
    try:
        await asyncio.wait_for(work, max(deadline - loop.time(), 0.1))
    except asyncio.TimeoutError:
        pass
