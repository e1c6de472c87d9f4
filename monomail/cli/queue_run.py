"""`-q`: one run over the queue, as sendmail's runqueue does it in the foreground.

Every message the -qI/-qR/-qS limits select is tried once (by priority, at most
MaxQueueRunSize), with the reports and split envelopes those attempts queue; the exit
status is 0 whatever became of the messages, as sendmail's.  A periodic run (-q30m)
belongs to the daemon; the other -q forms are refused until monomail runs them.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from monomail import sysexits as ex

if TYPE_CHECKING:
    from monomail.cli.argv import Invocation, QueueRequest
    from monomail.config.model import Config
    from monomail.queue.store import QueueStore


def refusal(request: "QueueRequest | None") -> str | None:
    """Why monomail cannot run this -q yet, or None."""
    if request is None:
        return "-Q (quarantining queued messages) is not implemented yet"
    if request.group is not None or request.quarantined or request.lost or request.persistent:
        return "-qG, -qQ, -qL and -qp are not implemented yet"
    return None


def run_queue(inv: "Invocation", config: "Config") -> int:
    from monomail.cleanup.collect import int_option
    from monomail.queue.store import QueueStore
    for text in config.output:
        sys.stdout.write(text + "\n")
    if config.fatal:
        return config.fatal
    why = refusal(inv.queue)
    if why is not None or inv.queue is None:
        sys.stderr.write(f"monomail: {why}\n")
        return ex.EX_USAGE
    directory = str(config.options.get("QueueDirectory") or "")
    if not directory or not os.path.isdir(directory):
        sys.stdout.write(f"can not chdir({directory}): No such file or directory\n")
        return ex.EX_CONFIG
    store = QueueStore(directory, min_free_blocks=int_option(config, "MinFreeBlocks"),
                       max_message_size=int_option(config, "MaxMessageSize"))
    import uvloop
    try:
        uvloop.run(_run(store, config, inv.queue))
    finally:
        store.close()
    return ex.EX_OK


async def _run(store: "QueueStore", config: "Config", request: "QueueRequest") -> None:
    from monomail.deliver.attempt import Deliverer, run_queue_once
    deliverer = Deliverer(config, store)
    try:
        await run_queue_once(store, deliverer, request)
    finally:
        await deliverer.close()
