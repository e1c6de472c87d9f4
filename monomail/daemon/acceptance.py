"""The SMTP server's hooks wired to the rest of the pipeline: recipient checks by the
recipient stage, accepted data through the cleanup stage into the queue.

sendmail assigns the queue id before it reads the data (the Received: field and the
Message-Id carry it), so the id is taken from the store first and the message is
stored under it once cleanup has finished its header.  The store's group commit makes
the 250 wait for the flush that covers the message.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable

from monomail.aliases.expand import shared_identity, verify_one
from monomail.aliases.policy import Settings
from monomail.aliases.policy import settings as recipient_settings
from monomail.aliases.users import SystemUsers
from monomail.cleanup import (Intake, RecipientList, encode, set_time_macros, setsender)
from monomail.log.fields import SenderRecord, sender_line
from monomail.log.writer import LOG_INFO, MailLog
from monomail.queue.qfcodec import Envelope
from monomail.queue.store import QueueStore
from monomail.rewrite.env import RewriteEnv
from monomail.smtpd.hooks import (Hooks, RecipientAnswer, RecipientCheck, Refused,
                                  SessionInfo)
from .configholder import ConfigHolder, Snapshot


def without_address(reply: str) -> str:
    """`550 5.1.1 <x>... User unknown` -> `550 5.1.1 User unknown`: the server puts the
    address back in front itself."""
    head, sep, tail = reply.partition("... ")
    if not sep:
        return reply
    code = head.split(" ", 2)
    keep = " ".join(part for part in code[:2] if part[:1].isdigit())
    return f"{keep} {tail}" if keep else tail


class Acceptance:
    """Hooks for one daemon; every call takes the config snapshot current at that moment."""

    def __init__(self, holder: ConfigHolder, store: QueueStore, log: MailLog,
                 queued: Callable[[str], None] = lambda qid: None,
                 clock: Callable[[], float] = time.time, real_user: str = "root") -> None:
        self.real_user = real_user
        self.holder, self.store, self.log, self.queued, self.clock = (
            holder, store, log, queued, clock)
        self.users = SystemUsers()
        self._settings: tuple[int, Settings] | None = None

    def hooks(self) -> Hooks:
        return Hooks(self.accept_message, recipient=self.recipient,
                     has_room=self.store.has_room)

    def _check_settings(self, snap: Snapshot) -> Settings:
        """The recipient stage's settings for RCPT checks, made once per config generation
        (aliases are opened once, not per command)."""
        if self._settings is None or self._settings[0] != snap.generation:
            self._settings = (snap.generation, recipient_settings(
                snap.config, shared_identity(snap.config), verify_only=True))
        return self._settings[1]

    def recipient(self, info: SessionInfo, check: RecipientCheck) -> RecipientAnswer:
        """RCPT: unknown local users and the alias file's errors, as sendmail answers."""
        if check.purpose != "rcpt":
            return RecipientAnswer()
        snap = self.holder.current
        verdict = verify_one(snap.config, check.text, settings=self._check_settings(snap),
                             users=self.users)
        return RecipientAnswer() if verdict.ok else RecipientAnswer(
            error=without_address(verdict.reply))

    async def accept_message(self, info: SessionInfo, envelope: Envelope, data: bytes) -> str:
        snap = self.holder.current
        qid = self.store.new_qid()
        env = RewriteEnv(snap.config, lambda line: None)
        for name, value in info.macros.items():
            env.define_macro(name, value)
        env.define_macro("i", qid)
        set_time_macros(env, int(self.clock()))
        sender = setsender(snap.config, snap.rewriter, env, f"<{envelope.sender}>",
                           real_user=self.real_user, smtp=True)
        intake = Intake(snap.config, snap.rewriter, env, sender, smtp=True,
                        body_type=envelope.body_type)
        outcome = intake.collect(data, RecipientList([r.address for r in envelope.recipients]),
                                 decoded=True)
        if not outcome.accepted:
            raise Refused(outcome.reply)
        stored = encode(outcome.message)
        envelope = replace(envelope, header_size=len(stored) - len(outcome.message.body))
        qid = await self.store.submit_async(envelope, stored, qid=qid)
        self.log.log(LOG_INFO, qid, sender_line(SenderRecord(
            f"<{envelope.sender}>", outcome.message.size, len(envelope.recipients),
            info.client.authinfo, msgid=outcome.message.msgid,
            bodytype=envelope.body_type, proto=info.protocol,
            daemon=info.daemon.name)))
        self.queued(qid)
        return qid
