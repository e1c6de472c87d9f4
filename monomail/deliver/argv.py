"""A mailer's argument vector, built from its A= words as sendmail's deliver() builds it.

The words before the one naming $u are expanded once; the $u word is expanded once per
recipient (so F=m gives one argument per user); the words after it once more, with the
last recipient's macros.  F=f or F=r put `-f $g` (or `-r $g`) right after the program's
name when the message came with a sender.  `$u` itself is prepared as deliver() does:
quotes stripped for F=s, leading backslashes for F=B, the `|` of a prog recipient dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from monomail.config.macros import expand
from monomail.config.model import Mailer
from monomail.rewrite.addrutil import stripquotes
from monomail.rewrite.tokens import MACROEXPAND

from .job import Job, MacroSource, Recipient

USER_MACRO = MACROEXPAND + "u"
MAXPV = 256  # sendmail's conf.h: the most arguments a mailer gets


class SpeaksSmtp(ValueError):
    """A mailer whose A= has no $u takes its recipients over SMTP or LMTP on a pipe."""


@dataclass(frozen=True)
class MailerArgv:
    """`head` (program name, -f, fixed words), one word per recipient, then `tail`."""

    head: tuple[str, ...]
    users: tuple[str, ...]
    tail: tuple[str, ...]

    @property
    def argv(self) -> list[str]:
        return [*self.head, *self.users, *self.tail]


def user_of(mailer: Mailer, recipient: Recipient) -> str:
    """$u for this mailer: what deliver() strips before it expands A=."""
    return clean_user(mailer, recipient.user)


def clean_user(mailer: Mailer, user: str) -> str:
    """deliver()'s clean-ups of a user for a mailer: F=s quotes, F=B leading backslashes,
    the prog mailer's '|' (the router's RCPT TO and $u both come from here)."""
    if mailer.has("s"):
        user = stripquotes(user)
    if mailer.has("B"):
        user = _strip_backslashes(user)
    if mailer.name == "prog" and user.startswith("|"):
        user = user[1:]
    return user


def host_of(mailer: Mailer, recipient: Recipient) -> str:
    return stripquotes(recipient.host) if mailer.has("s") else recipient.host


def _strip_backslashes(user: str) -> str:
    """sendmail's stripbackslash: leading backslashes before a letter, digit or backslash."""
    i = 0
    while user[i:i + 1] == "\\" and (user[i + 1:i + 2] == "\\" or user[i + 1:i + 2].isalnum()):
        i += 1
    return user[i:]


def recipient_macros(job: Job, recipient: Recipient) -> MacroSource:
    """The macros an A= or D= word sees for one recipient: $u $h $z $g, then the job's."""
    own = {ord("u"): user_of(job.mailer, recipient), ord("h"): host_of(job.mailer, recipient),
           ord("g"): job.sender}
    home = recipient.home or (recipient.owner.home if recipient.owner else None)
    if home is not None:
        own[ord("z")] = home

    def value(mid: int) -> str | None:
        return own[mid] if mid in own else job.macro(mid)
    return value


def expand_word(word: str, macros: MacroSource) -> str:
    return expand(word, macros, lambda message: None)


def build_argv(job: Job) -> MailerArgv:
    """The argv for `job.recipients` (all of them: batching is the caller's choice)."""
    mailer = job.mailer
    first = recipient_macros(job, job.recipients[0])
    head = [mailer.argv[0]]
    if job.sender_given and (mailer.has("f") or mailer.has("r")):
        head += ["-f" if mailer.has("f") else "-r", job.sender]
    rest = mailer.argv[1:]
    at = next((i for i, word in enumerate(rest) if USER_MACRO in word), None)
    if at is None:
        raise SpeaksSmtp(f"mailer {mailer.name} has no $u in A=: it speaks SMTP or LMTP")
    head += [expand_word(word, first) for word in rest[:at]]
    users = [expand_word(rest[at], recipient_macros(job, r)) for r in job.recipients]
    last = recipient_macros(job, job.recipients[-1])
    tail = [expand_word(word, last) for word in rest[at + 1:]]
    if len(head) + len(users) + len(tail) > MAXPV:
        raise ValueError(f"mailer {mailer.name}: more than {MAXPV} arguments; "
                         "send fewer recipients per call")
    return MailerArgv(tuple(head), tuple(users), tuple(tail))


def batches(mailer: Mailer, recipients: tuple[Recipient, ...]) -> list[tuple[Recipient, ...]]:
    """Recipients per call: all together for F=m (at most r= of them, and what fits in
    MAXPV), else one each."""
    if not mailer.has("m"):
        return [(r,) for r in recipients]
    size = max(1, min(mailer.maxrcpt, MAXPV - len(mailer.argv) - 2))
    return [recipients[i:i + size] for i in range(0, len(recipients), size)]
