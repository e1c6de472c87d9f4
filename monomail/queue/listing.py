"""The mail queue listing of `mailq` / `-bp`, laid out as sendmail 8.17's printqueue.

Pure code: the caller reads the queue and the clock.  Columns, tabs, truncation widths,
the escaping of unprintable bytes (sendmail's prtstr) and the order (by priority) are
sendmail's; what the listing shows for each message comes from our control file:

  size       the data without its stored header block (sendmail's df holds only the body)
  marker     `*` while a process holds the message, `X` when the load average would make
             sendmail queue rather than deliver it (QueueLA, QueueFactor), else a blank
  (reason)   the last delivery problem, under the sender, after the body type if one was given
  recipients those still to be delivered (sendmail's qf keeps no others)

sendmail also prints `-` for messages held back by MinQueueAge and `+` for those that got a
delay warning; the queue records neither, so they are never shown.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from monomail.queue.qfcodec import ControlFile, RecipientState

TITLES = "-----Q-ID----- --Size-- -----Q-Time----- ------------Sender/Recipient-----------\n"
VERBOSE_TITLES = "-----Q-ID----- --Size-- -Priority- ---Q-Time--- --------Sender/Recipient--------\n"
PENDING = (RecipientState.PENDING, RecipientState.DEFERRED)


@dataclass(frozen=True)
class Listed:
    """One message as the listing needs it."""

    control: ControlFile
    locked: bool = False


@dataclass(frozen=True)
class Filters:
    """-qI, -qR and -qS: substrings, each possibly negated with `!` (sendmail's
    QueueLimitId/Recipient/Sender; ids match case-sensitively against the qf file name,
    addresses in any case)."""

    ids: tuple[tuple[str, bool], ...] = ()
    recipients: tuple[tuple[str, bool], ...] = ()
    senders: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True)
class LoadLimits:
    """What shouldqueue() compares: the load average now, QueueLA and QueueFactor."""

    load: int = 0
    queue_la: int = 8
    queue_factor: int = 600000


def prtstr(text: str, width: int) -> str:
    """sendmail's prtstr: at most `width` columns, backslashes doubled, any other byte
    that is not printable ASCII as a backslash and three octal digits."""
    out = []
    for byte in text.encode("utf-8", "surrogateescape"):
        if width <= 0:
            break
        width -= 1
        if byte == 0x5C:
            if width > 0:
                out.append("\\\\")
            width -= 1
        elif 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        else:
            width -= 3
            if width > 0:
                out.append(f"\\{byte:03o}")
    return "".join(out)


def contained(pattern: str, text: str, icase: bool) -> bool:
    """sendmail's strcontainedin."""
    return (pattern.lower() in text.lower()) if icase else (pattern in text)


def _any(checks: tuple[tuple[str, bool], ...], texts: list[str], icase: bool) -> bool:
    return any(contained(p, t, icase) != negate for p, negate in checks for t in texts)


def selected(control: ControlFile, filters: Filters) -> bool:
    if filters.ids and not _any(filters.ids, [f"qf{control.qid}"], False):
        return False
    if filters.senders and not _any(filters.senders, [_sender(control)], True):
        return False
    return not filters.recipients or _any(filters.recipients, _recipients(control), True)


def should_queue(priority: int, limits: LoadLimits) -> bool:
    """sendmail's shouldqueue(): queue rather than deliver above QueueLA, more so for
    messages of large (bad) priority."""
    if limits.load < limits.queue_la:
        return False
    return priority > limits.queue_factor // (limits.load - limits.queue_la + 1)


def _sender(control: ControlFile) -> str:
    return control.envelope.sender or "<>"


def _recipients(control: ControlFile) -> list[str]:
    return [r.address for r in control.envelope.recipients if r.state in PENDING]


def _entry(item: Listed, verbose: bool, limits: LoadLimits) -> str:
    control = item.control
    env = control.envelope
    marker = "*" if item.locked else "X" if should_queue(env.priority, limits) else " "
    size = control.size - env.header_size
    when = time.ctime(control.created)
    if verbose:
        head = f"{control.qid:>13}{marker}{size:8d} {env.priority:10d} {when[4:16]} " \
               + prtstr(_sender(control), 78)
    else:
        head = f"{control.qid:>13}{marker}{size:8d} {when[:16]} " + prtstr(_sender(control), 39)
    lines = [head]
    body = env.body_type or ""
    if control.reason or body:
        line = f"    {body[:10]:>10}"
        if control.reason:
            line += f"   ({control.reason[:100 if verbose else 60]})"
        lines.append(line)
    indent, width = ("\t\t\t\t\t\t", 71) if verbose else ("\t\t\t\t\t ", 38)
    lines.extend(indent + prtstr(address, width) for address in _recipients(control))
    return "\n".join(lines) + "\n"


def print_queue(directory: str, messages: list[Listed], *, verbose: bool = False,
                max_listed: int = 0, limits: LoadLimits = LoadLimits()) -> str:
    """The whole listing of one queue directory, ending with sendmail's total line."""
    ordered = sorted(messages, key=lambda m: (m.control.envelope.priority, m.control.qid))
    total = f"\t\tTotal requests: {len(ordered)}\n"
    if not ordered:
        return f"{directory} is empty\n{total}"
    count = len(ordered)
    head = f"\t\t{directory} ({count} request{'' if count == 1 else 's'}"
    if 0 < max_listed < count:
        head += f", only {max_listed} printed"
        ordered = ordered[:max_listed]
    head += ")\n" + (VERBOSE_TITLES if verbose else TITLES)
    return head + "".join(_entry(m, verbose, limits) for m in ordered) + total


def print_counts(directory: str, count: int) -> str:
    """-bP: the number of messages, as sendmail prints it from its shared memory."""
    line = f"{directory}: entries={count}\n" if count else f"{directory} is empty\n"
    return f"{line}\t\tTotal requests: {count}\n"
