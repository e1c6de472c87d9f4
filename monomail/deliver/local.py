"""The `[monomail]` local mailer: in-process delivery to mbox or Maildir mailboxes.

Its A= words, after macro expansion (m4/README.md): the format, `mbox` or `maildir`; then
`-d DIR` (mbox: the spool folder, /var/mail by default; maildir: DIR/user instead of
~user/Maildir); then the users, one $u word each.  `-f`/`-r sender` (what F=f and F=r add)
name the `From ` line's sender.  Anything else in A= is a configuration error for every
recipient of the call.

Users are looked up in the mailbox database (MailboxDatabase=pw, the passwd file), with a
`+detail` dropped when the full name is unknown (mail.local's LMTP rule); an unknown user
is `550 5.1.1 User unknown` (EX_NOUSER).  With F=z each user gets an own status; without
it all of them get one, by mail.local's rule (see outcome.combined).

Running as root, mailboxes are created for and handed to their user (fchown) and must
belong to them; the writing itself stays in this process, in worker threads, because
changing the uid of a threaded process changes it for every thread (glibc applies
setuid/seteuid to all of them).  The one thing setreuid would add, disk quotas counted
against the user while writing, is lost: root's writes ignore quota limits, and the file's
blocks are charged to the user once it is theirs.  Run by a user, monomail writes as itself
and a mailbox must be its own.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, replace

from monomail import sysexits as ex

from .argv import SpeaksSmtp, build_argv, batches
from .job import Account, AgentSettings, Job, Recipient
from .maildir import deliver_maildir
from .mbox import MailboxOwner, append_entry, from_line, mbox_entry
from .outcome import Outcome, combined, failure, from_exit

MAIL_SPOOL = "/var/mail"  # _PATH_MAILDIR on Debian
FORMATS = ("mbox", "maildir")


@dataclass(frozen=True)
class LocalCommand:
    """The parsed A=: format, -d folder, -f sender and the users."""

    format: str
    directory: str | None
    sender: str | None
    users: tuple[str, ...]


class CommandError(ValueError):
    pass


def parse_command(head: tuple[str, ...], users: tuple[str, ...],
                  tail: tuple[str, ...]) -> LocalCommand:
    """Read the expanded A= words (the format first, options, the users last)."""
    if head[0] not in FORMATS:
        raise CommandError(f"A= must start with mbox or maildir, not {head[0]!r}")
    options = {"-d": None, "-f": None}
    words = list(head[1:])
    while words:
        word = words.pop(0)
        flag, value = word[:2], word[2:]
        if flag == "-r":
            flag = "-f"
        if flag not in options or not word.startswith("-"):
            raise CommandError(f"unknown word {word!r} in A= (only -d DIR and -f sender)")
        if not value:
            if not words:
                raise CommandError(f"{flag} needs a value in A=")
            value = words.pop(0)
        options[flag] = value
    if tail:
        raise CommandError(f"words after $u in A=: {' '.join(tail)}")
    return LocalCommand(head[0], options["-d"], options["-f"], users)


async def deliver_local(job: Job, settings: AgentSettings) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for batch in batches(job.mailer, job.recipients):
        outcomes += await _deliver_batch(job, batch, settings)
    return outcomes


async def _deliver_batch(job: Job, batch: tuple[Recipient, ...],
                         settings: AgentSettings) -> list[Outcome]:
    try:
        argv = build_argv(replace(job, recipients=batch))
        command = parse_command(argv.head, argv.users, argv.tail)
        if settings.mailbox_database != "pw":
            raise CommandError(f"MailboxDatabase={settings.mailbox_database} is not "
                               "supported by monomail (only pw)")
    except (CommandError, SpeaksSmtp, ValueError) as error:
        problem = from_exit(ex.EX_CONFIG, f"mailer {job.mailer.name}: {error}",
                            f"mailer {job.mailer.name}: {error}")
        return [problem] * len(batch)
    separator, message = _split_from_line(job)
    if separator is None:
        separator = from_line(command.sender or job.sender, time.time())
    store = _Store(command, separator, message, settings)
    outcomes = list(await asyncio.gather(
        *(asyncio.to_thread(store.deliver, user) for user in command.users)))
    return outcomes if job.mailer.has("z") else [combined(outcomes)] * len(outcomes)


def _split_from_line(job: Job) -> tuple[bytes | None, bytes]:
    """Without F=n the router wrote the mailer's `From ` line (UnixFromLine) first: that
    line is the separator, not part of the message."""
    message = job.message
    if job.mailer.has("n") or not message.startswith(b"From "):
        return None, message
    end = message.find(b"\n") + 1 or len(message)
    return message[:end].replace(b"\r\n", b"\n"), message[end:]


class _Store:
    """One message for several users: the mbox entry and the Maildir file made once."""

    def __init__(self, command: LocalCommand, separator: bytes, message: bytes,
                 settings: AgentSettings) -> None:
        self.command, self.settings = command, settings
        if command.format == "mbox":
            self.data = mbox_entry(message, separator)
        else:
            self.data = message.replace(b"\r\n", b"\n")

    def deliver(self, user: str) -> Outcome:
        account = find_account(user, self.settings)
        if account is None:
            return unknown_user(user)
        settings = self.settings
        if settings.privileged:
            owner = MailboxOwner(account.uid, account.gid, give=True)
        else:
            owner = MailboxOwner(os.geteuid(), os.getegid(), give=False)
        if self.command.format == "mbox":
            path = os.path.join(self.command.directory or MAIL_SPOOL, account.name)
            return append_entry(path, self.data, owner, settings.lock)
        if self.command.directory:
            base, leaf = self.command.directory, account.name
        elif account.home:
            base, leaf = account.home, "Maildir"
        else:
            return failure("550 5.1.1", f"{user}: User missing home directory",
                           exit=ex.EX_UNAVAILABLE)
        return deliver_maildir(base, leaf, self.data, owner, settings.hostname)


def find_account(user: str, settings: AgentSettings) -> Account | None:
    """The mailbox owner: the name as given, else without its +detail."""
    if not user or "/" in user or user.startswith("."):
        return None
    account = settings.accounts(user)
    if account is None and "+" in user[1:]:
        account = settings.accounts(user.split("+", 1)[0])
    return account


def unknown_user(user: str) -> Outcome:
    return Outcome(ex.EX_NOUSER, "5.1.1", "User unknown", "5.1.1",
                   f"550 5.1.1 {user}... User unknown")
