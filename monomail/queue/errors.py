"""What the queue store refuses, for the callers to map to SMTP replies and exit codes."""

from __future__ import annotations


class QueueError(Exception):
    """Base of the store's refusals."""


class NoSpaceError(QueueError):
    """Too little free space (MinFreeBlocks): the SMTP layer answers 452 4.3.1, the CLI 75."""


class MessageTooLargeError(QueueError):
    """Larger than MaxMessageSize: a permanent 552 5.3.4."""


class MissingDataError(QueueError):
    """A message whose data is gone or does not match its checksum: quarantine it."""


class UnknownMessageError(QueueError):
    """No such message in the queue (never there, or already done)."""


class MessageLockedError(QueueError):
    """Another process (or another task of this one) is working on the message."""
