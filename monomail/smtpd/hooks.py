"""Where the SMTP server hands over to the rest of monomail.

The protocol core decides nothing about mailboxes or the queue itself; it calls
these hooks at the moments sendmail would call recipient(), queueup() or runqueue():

* ``recipient(info, check) -> RecipientAnswer`` for every recipient that parsed and
  passed check_rcpt, and for VRFY and EXPN arguments: alias expansion and local user
  lookup answer "550 5.1.1 User unknown" here.  Synchronous: it runs between two
  replies of a pipelined group.  Default: every address is fine as it is.
* ``accept_message(info, envelope, data) -> qid`` (a coroutine) once the data is in
  and every check passed; the server says "250 2.0.0 <qid> Message accepted for
  delivery" only after it returned, so the message must be durable by then.
  Raise Refused(reply) to answer an error instead.  Default: the queue store's
  group-committed submit.
* ``has_room(size) -> bool`` before MAIL is accepted (sendmail's enoughdiskspace).
* ``queue_run(info, target) -> bool`` for ETRN ("@domain" or "#group"): True if a
  run was started.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Awaitable, Callable, Mapping

from monomail.queue.qfcodec import Envelope
from monomail.rewrite.parseaddr import Address
from monomail.smtpd.params import RcptParams

if TYPE_CHECKING:
    from monomail.queue.store import QueueStore
    from monomail.smtpd.policy import Client, Daemon

log = logging.getLogger("monomail.smtpd")


@dataclass(frozen=True)
class SessionInfo:
    """What the hooks may know about the session."""

    client: "Client"
    daemon: "Daemon"
    helo: str | None              # the name given with HELO/EHLO ($s)
    protocol: str                 # $r: SMTP, ESMTP, UTF8SMTP ...
    macros: Mapping[str, str]     # the session's macros by name: "_", "{client_addr}" ...


@dataclass(frozen=True)
class RecipientCheck:
    """One address to verify: from RCPT (with its parameters), VRFY or EXPN."""

    text: str                     # as the client wrote it: "<u@example.com>"
    address: Address              # the mailer triple ruleset 0 chose
    purpose: str                  # "rcpt", "vrfy" or "expn"
    params: RcptParams | None = None
    sender: str | None = None     # the transaction's sender ("" for <>), RCPT only


@dataclass(frozen=True)
class Verified:
    """One address VRFY or EXPN reports (sendmail's printvrfyaddr)."""

    address: Address
    fullname: str | None = None


@dataclass(frozen=True)
class RecipientAnswer:
    """error: the reply recipient() would give ("550 5.1.1 User unknown"; the
    address is put in front).  queue: accepted, to be delivered from the queue
    ("Recipient ok (will queue)").  expansion: what VRFY/EXPN show; empty means the
    address itself."""

    error: str | None = None
    queue: bool = False
    expansion: tuple[Verified, ...] = field(default=())


class Refused(Exception):
    """accept_message's way to answer an error (e.g. "452 4.3.1 ...")."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


RecipientHook = Callable[[SessionInfo, RecipientCheck], RecipientAnswer]
AcceptHook = Callable[[SessionInfo, Envelope, bytes], Awaitable[str]]
RoomHook = Callable[[int], bool]
QueueRunHook = Callable[[SessionInfo, str], bool]


def accept_every_recipient(info: SessionInfo, check: RecipientCheck) -> RecipientAnswer:
    """Until alias and mailbox lookup are wired in: an address is what it says."""
    return RecipientAnswer(queue=check.address.queue_up)


def always_room(size: int) -> bool:
    return True


def log_queue_run(info: SessionInfo, target: str) -> bool:
    log.info("%s: ETRN %s (no queue runner attached)", info.macros.get("_"), target)
    return True


def store_acceptor(store: "QueueStore") -> AcceptHook:
    """accept_message on the durable queue: group commit, 250 only after the fsync."""
    from monomail.queue.store import MessageTooLargeError, NoSpaceError

    async def accept(info: SessionInfo, envelope: Envelope, data: bytes) -> str:
        try:
            return await store.submit_async(envelope, data)
        except NoSpaceError:
            raise Refused("452 4.3.1 Insufficient disk space; try again later") from None
        except MessageTooLargeError:
            raise Refused("552 5.2.3 Message exceeds maximum fixed size "
                          f"({store.max_message_size})") from None
    return accept


@dataclass(frozen=True)
class Hooks:
    accept_message: AcceptHook
    recipient: RecipientHook = accept_every_recipient
    has_room: RoomHook = always_room
    queue_run: QueueRunHook = log_queue_run

    @classmethod
    def for_store(cls, store: "QueueStore", recipient: RecipientHook = accept_every_recipient,
                  queue_run: QueueRunHook = log_queue_run) -> "Hooks":
        """The default wiring: the store accepts messages and knows its free space."""
        return cls(store_acceptor(store), recipient, store.has_room, queue_run)
