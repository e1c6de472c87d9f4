"""From the command line to a running daemon: -bd (background), -bD (foreground), and
-q<time> without -bd (a queue runner only)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from monomail import sysexits as ex
from monomail.log.writer import MailLog
from .configholder import ConfigHolder, Snapshot
from .lifecycle import Signals, detach
from .service import DaemonRequest, DelivererFactory, serve

if TYPE_CHECKING:
    from monomail.cli.argv import Invocation
    from monomail.config.model import Config


def maillog_for(config: "Config", label: str | None) -> MailLog:
    opts = config.options
    return MailLog(level=int(opts.get("LogLevel") or 0), label=label,
                   path=opts.get("Monomail.LogFile"))  # type: ignore[arg-type]


def run(inv: "Invocation", config: "Config", deliverer: DelivererFactory) -> int:
    """Check the cf, go to the background for -bd, then serve until SIGTERM."""
    from monomail.rewrite.engine import Rewriter
    for line in config.output:
        sys.stdout.write(line + "\n")
    if config.fatal or config.exit_status or config.refusals:
        for line in config.refusals:
            sys.stderr.write(f"monomail: {line}\n")
        return config.fatal or config.exit_status or ex.EX_CONFIG
    interval = inv.queue.interval if inv.queue is not None else 0
    holder = ConfigHolder(inv.cf or "", tuple(inv.options), inv.mode,
                          Snapshot(config, Rewriter(config), 0))
    req = DaemonRequest(holder, maillog_for(config, inv.label), " ".join(sys.argv),
                        queue_interval=interval, smtp=inv.mode in "dD")
    sys.stdout.flush()
    if inv.mode != "D" and not (inv.queue is not None and inv.queue.foreground):
        if not detach():
            return ex.EX_OK
    return _run_loop(req, deliverer)


def _run_loop(req: DaemonRequest, deliverer: DelivererFactory) -> int:
    import uvloop

    async def main() -> int:
        return await serve(req, deliverer, Signals())
    return uvloop.run(main())
