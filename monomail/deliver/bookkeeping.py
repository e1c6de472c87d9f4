"""The control file after an attempt: what sendmail's queueup writes back after a run.

Pure: the recipients processed are replaced by what they expanded to, each with its
state and DSN status after the attempt; the recipients an owner- alias took into an
envelope of its own are left out (they live in that message now); the message-wide
bookkeeping (attempts, next try, priority, last problem, delay warning, sender) is
brought up to date.  One control file, so one queue update per attempt.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from monomail.dsn.report import Outcome, RecipientStatus
from monomail.queue.qfcodec import MAX_RECIPIENTS, ControlFile, Recipient, RecipientState

from .expansion import UNDELIVERED, Expanded
from .reports import Row


@dataclass(frozen=True)
class Progress:
    """The message-wide facts of the new control file."""

    attempts: int
    priority: int
    next_try: int
    reason: str | None
    warned: int
    sender: str


def queue_state(status: RecipientStatus) -> RecipientState:
    """A reported outcome as the queue keeps it: failed, to retry, or done."""
    if status.outcome is Outcome.FAILED:
        return RecipientState.FAILED
    if status.outcome in (Outcome.QUEUED, Outcome.DELAYED):
        return RecipientState.DEFERRED
    return RecipientState.SENT


def next_control(control: ControlFile, expanded: Expanded, statuses: tuple[RecipientStatus, ...],
                 rows: list[Row], progress: Progress) -> ControlFile:
    """The control file to write; `statuses` are the policy's final verdicts (expired
    recipients already failed), `rows` what each of them stands for."""
    leaves: dict[int, list[Recipient]] = {}
    finished: dict[int, Recipient] = {}
    given = control.envelope.recipients
    for status, row in zip(statuses, rows):
        state = queue_state(status)
        if row.kind == "leaf":
            leaf = expanded.leaves[row.index]
            leaves.setdefault(leaf.source, []).append(
                replace(leaf.entry, state=state, status=status.status))
        else:
            finished[row.index] = replace(given[row.index], state=state, status=status.status)
    kept: list[Recipient] = []
    for index, rcpt in enumerate(given):
        if index not in expanded.sources:
            kept.append(rcpt)
            continue
        if index in finished:
            kept.append(finished[index])
        kept += leaves.get(index, [])
    if len(kept) > MAX_RECIPIENTS:
        kept = [r for r in kept if r.state in UNDELIVERED]
    envelope = replace(control.envelope, sender=progress.sender, recipients=tuple(kept),
                       priority=progress.priority)
    return replace(control, envelope=envelope, attempts=progress.attempts,
                   next_try=progress.next_try, reason=progress.reason, warned=progress.warned)


def undelivered(control: ControlFile) -> bool:
    """Whether anything is left to deliver (otherwise the message leaves the queue)."""
    return any(r.state in UNDELIVERED for r in control.envelope.recipients)
