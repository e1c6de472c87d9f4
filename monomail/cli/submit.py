"""`monomail [-bm] [-t] [-f sender] rcpt...`: a message from stdin into the queue.

What sendmail's main() does for a command-line submission: the recipients named on
the command line are parsed first (syntax errors printed, exit EX_USAGE), the message
is read and its header finished by the cleanup stage (with -t adding the header's
recipients), and it is stored durably before the command exits.  Recipient
expansion and delivery happen in the queue runner (DeliveryMode background or
interactive), so unknown users are reported by mail, as sendmail does in -bm.
"""

from __future__ import annotations

import os
import pwd
import sys
from typing import TYPE_CHECKING, Sequence

from monomail import sysexits as ex
from monomail.aliases.expand import RecipientList, shared_identity, shared_rewriter
from monomail.aliases.address import QS_BADADDR
from monomail.aliases.policy import settings as recipient_settings
from monomail.cleanup import (Intake, encode, full_name_argument, sender_warning,
                              set_time_macros, setsender)
from monomail.log.fields import SenderRecord, sender_line
from monomail.log.writer import LOG_INFO, MailLog
from monomail.queue.errors import QueueError
from monomail.queue.store import QueueStore
from monomail.queue.qfcodec import Envelope, Recipient
from monomail.rewrite.env import RewriteEnv

if TYPE_CHECKING:
    from monomail.cli.argv import Invocation
    from monomail.config.model import Config


def login_name() -> str:
    """The real user, as sendmail names it ($_ is user@localhost)."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return f"Unknown UID {os.getuid()}"


def say(line: str) -> None:
    sys.stdout.write(line + "\n")


def route_address(paddr: str) -> str:
    """The address the queue keeps: `Joe <joe@x>` is stored as `joe@x` (the phrase is
    the header's business, and the control file refuses angle brackets)."""
    start = paddr.rfind("<")
    end = paddr.find(">", start)
    return paddr[start + 1:end].strip() if 0 <= start < end else paddr


class CommandLineRecipients:
    """The recipient stage seen by cleanup: sendtolist for arguments and -t fields,
    parsing and checking syntax only; aliases are expanded by delivery."""

    def __init__(self, config: "Config", no_alias: bool) -> None:
        opts = recipient_settings(config, shared_identity(config), verify_only=True,
                                  no_alias=no_alias)
        self.list = RecipientList(config, opts, sink=say)
        self.given: list[str] = []
        self.parsed: list[str] = []

    def sendtolist(self, text: str) -> None:
        self.given.append(text)
        for item in self.list.expander.parse_list(text):
            address = route_address(item.paddr)
            if item.state != QS_BADADDR and address not in self.parsed:
                self.parsed.append(address)

    def original(self) -> str | None:
        primaries = self.primaries()
        return primaries[0] if len(primaries) == 1 and len(self.given) == 1 else None

    def primaries(self) -> Sequence[str]:
        return self.parsed

    @property
    def errors(self) -> int:
        return self.list.notices.errors


def deliver_after_queueing(config: "Config", store: QueueStore, qid: str, log: MailLog) -> None:
    """DeliveryMode: i delivers before the command returns, b (the default) in a child
    the command does not wait for, q and d leave the message to the queue runner."""
    mode = str(config.options.get("DeliveryMode") or "b")
    if mode not in "ib" or mode == "b" and os.fork() != 0:
        return
    from monomail.cli.argv import QueueRequest
    from monomail.deliver.attempt import Deliverer, run_queue_once

    async def once() -> None:
        deliverer = Deliverer(config, store, log=log)
        try:
            await run_queue_once(store, deliverer, QueueRequest(ids=[(qid, False)]))
        finally:
            await deliverer.close()
    import uvloop
    try:
        uvloop.run(once())
    finally:
        if mode == "b":
            store.close()
            os._exit(0)


def run_submit(inv: "Invocation", config: "Config") -> int:
    """-bm (the default mode); the exit status."""
    from monomail.daemon.main import maillog_for
    from monomail.daemon.service import store_for
    for line in config.output:
        say(line)
    if config.fatal:
        return config.fatal
    if not inv.args and not inv.read_recipients:
        say("Recipient names must be specified")
        return ex.EX_USAGE
    user = login_name()
    rcpts = CommandLineRecipients(config, inv.no_alias)
    for arg in inv.args:
        rcpts.sendtolist(arg)
    if rcpts.errors:
        return ex.EX_USAGE     # sendmail's main() gives up before reading the message
    data = sys.stdin.buffer.read()
    store = store_for(config)
    try:
        qid = store.new_qid()
        rw = shared_rewriter(config)
        env = RewriteEnv(config, say)
        env.define_macro("_", f"{user}@localhost")
        env.define_macro("i", qid)
        for name, value in (("r", inv.protocol), ("s", inv.sending_host)):
            if value:
                env.define_macro(name, value)
        set_time_macros(env, int(store.clock()))
        full = full_name_argument(inv.full_name) if inv.full_name is not None else None
        sender = setsender(config, rw, env, inv.sender, real_user=user, smtp=False,
                           full_name=full)
        intake = Intake(config, rw, env, sender, smtp=False, hop_count=inv.hop_count or 0,
                        body_type=inv.body_type)
        if inv.sender is not None:
            warning = sender_warning(config, sender, inv.sender, user, inv.sender_flag or "f")
            if warning:
                intake.auth_warning(warning)
        outcome = intake.collect(data, rcpts, grab_to=inv.read_recipients)
        for problem in outcome.problems:
            say(problem.text)
        if rcpts.errors and inv.exit_status == ex.EX_OK:
            inv.exit_status = ex.EX_USAGE
        addresses = rcpts.primaries()
        if not outcome.accepted or outcome.clear_queue or outcome.discard or not addresses:
            if not addresses and not rcpts.errors:
                say("No recipient addresses found in header")
            return outcome.exit_status if outcome.exit_status != ex.EX_TEMPFAIL else ex.EX_OK
        stored = encode(outcome.message)
        envelope = Envelope(
            sender.paddr.strip("<>") if sender.paddr != "<>" else "",
            tuple(Recipient(a, notify=inv.notify or ()) for a in addresses),
            envid=inv.envid, ret=inv.ret, body_type=inv.body_type,
            header_size=len(stored) - len(outcome.message.body))
        store.submit(envelope, stored, qid=qid)
        log = maillog_for(config, inv.label)
        log.log(LOG_INFO, qid, sender_line(SenderRecord(
            sender.paddr, outcome.message.size, len(addresses), f"{user}@localhost",
            msgid=outcome.message.msgid, bodytype=inv.body_type)))
        deliver_after_queueing(config, store, qid, log)
    except (QueueError, ValueError) as exc:
        say(f"queueing failed: {exc}")
        return ex.EX_TEMPFAIL
    finally:
        store.close()
    status = outcome.exit_status
    return ex.EX_OK if status == ex.EX_TEMPFAIL else status
