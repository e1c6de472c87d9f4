"""`-bp`, `-bP` and the `mailq` name: print the mail queue as sendmail does.

The listing reads the queue's journal (without changing it) and lays it out with
monomail.queue.listing; `-qI`, `-qR` and `-qS` (with `!` to negate) choose what is shown,
`-v` adds the priority column, MaxQueueRunSize limits how many are printed.
"""

from __future__ import annotations

import errno
import os
import sys

from monomail import sysexits as ex
from monomail.cli.main import Invocation, UsageError
from monomail.queue.listing import Filters, Listed, LoadLimits, print_counts, print_queue, selected
from monomail.queue.store import QueueStore


def queue_filters(limits: list[str]) -> Filters:
    """-q arguments (without the q) as sendmail's QueueLimit lists; other -q forms are
    queue runs, which a listing cannot honour."""
    found: dict[str, list[tuple[str, bool]]] = {"I": [], "R": [], "S": []}
    for value in limits:
        negate = value.startswith("!")
        body = value[1:] if negate else value
        if body[:1] not in found:
            raise UsageError(f"-q{value} is not a listing filter (-qI, -qR, -qS)")
        found[body[0]].append((body[1:], negate))
    return Filters(ids=tuple(found["I"]), recipients=tuple(found["R"]),
                   senders=tuple(found["S"]))


def run_mailq(inv: Invocation) -> int:
    from monomail.config.cfparser import parse_cf
    try:
        filters = queue_filters(inv.queue_limits)
        config = parse_cf(inv.cf, command_line=tuple(inv.options), op_mode=inv.mode)
    except UsageError as exc:
        sys.stderr.write(f"monomail: {exc}\n")
        return ex.EX_USAGE
    except OSError as exc:
        sys.stdout.write(f"{inv.cf}: line 0: cannot open: {exc.strerror}\n")
        return ex.EX_OSFILE
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
