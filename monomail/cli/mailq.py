"""`-bp`, `-bP` and the `mailq` name: print the mail queue as sendmail does.

The listing reads the queue's journal (without changing it) and lays it out with
monomail.queue.listing; `-qI`, `-qR` and `-qS` (with `!` to negate) choose what is shown,
`-v` adds the priority column, MaxQueueRunSize limits how many are printed.
"""

from __future__ import annotations

import errno
import os
import sys
from typing import TYPE_CHECKING

from monomail import sysexits as ex
from monomail.queue.listing import Filters, Listed, LoadLimits, print_counts, print_queue, selected
from monomail.queue.store import QueueStore



class UsageError(Exception):
    """A -q form a listing cannot honour."""


if TYPE_CHECKING:
    from monomail.cli.argv import Invocation, QueueRequest
    from monomail.config.model import Config


def queue_filters(request: "QueueRequest | None") -> Filters:
    """-qI, -qR and -qS as sendmail's QueueLimit lists; the other -q forms ask for a queue
    run, which a listing cannot honour (sendmail ignores them silently)."""
    if request is None:
        return Filters()
    if (request.interval or request.group is not None or request.foreground
            or request.persistent or request.lost or request.quarantined):
        raise UsageError("a queue run (-q<time>, -qG, -qf, -qp, -qL, -qQ) is not a listing "
                         "filter (-qI, -qR, -qS)")
    return Filters(ids=tuple(request.ids), recipients=tuple(request.recipients),
                   senders=tuple(request.senders))


def run_mailq(inv: "Invocation", config: "Config") -> int:
    try:
        filters = queue_filters(inv.queue)
    except UsageError as exc:
        sys.stderr.write(f"monomail: {exc}\n")
        return ex.EX_USAGE
    for text in config.output:
        sys.stdout.write(text + "\n")
    if config.fatal:
        return config.fatal
    directory = str(config.options.get("QueueDirectory") or "")
    if not directory:
        sys.stdout.write("QueueDirectory (Q) option must be set\n")
        return ex.EX_CONFIG
    try:
        os.scandir(directory).close()
    except OSError as exc:
        sys.stdout.write(f"can not chdir({directory.rstrip('/')}/): {exc.strerror}\n")
        if exc.errno == errno.EACCES:
            sys.stderr.write("Program mode requires special privileges, e.g., root or "
                             "TrustedUser.\n")
        return ex.EX_CONFIG
    store = QueueStore(directory, min_free_blocks=0)
    qids = store.list()
    if inv.mode == "P":
        sys.stdout.write(print_counts(directory, len(qids)))
        return ex.EX_OK
    listed = [Listed(store.load(qid), store.is_locked(qid)) for qid in qids]
    limits = LoadLimits(int(os.getloadavg()[0] + 0.5), int(config.options["QueueLA"]),
                        int(config.options["QueueFactor"]))
    sys.stdout.write(print_queue(directory, [m for m in listed if selected(m.control, filters)],
                                 verbose=inv.verbose, limits=limits,
                                 max_listed=int(config.options["MaxQueueRunSize"] or 0)))
    return ex.EX_OK
