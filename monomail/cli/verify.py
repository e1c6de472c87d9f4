"""`monomail -bv address...`: verify recipients as `sendmail -bv` does.

Each argument is a recipient list; aliases, :include: and .forward files are
expanded as for delivery, errors are printed as they happen ("bob... User
unknown"), and then every deliverable address is listed in delivery order
("joe@example.com... deliverable: mailer esmtp, host example.com, user
joe@example.com").  With -v the expansion itself is shown ("aliased to ...").
The exit status is sendmail's: the first hard error's (67 for an unknown user),
64 after other errors, else 0.
"""

from __future__ import annotations

import os
import pwd
import sys
from typing import TYPE_CHECKING, Callable

from monomail import sysexits as ex
from monomail.aliases.address import Recipient
from monomail.aliases.expand import RecipientList
from monomail.aliases.notices import Notices
from monomail.aliases.policy import identity, settings
from monomail.aliases.users import SystemUsers
from monomail.config.model import Config

if TYPE_CHECKING:
    from .argv import Invocation

NOT_ROOT_NOTICE = "Notice: -bv may give misleading output for non-privileged user"


def real_user_name() -> str:
    """sendmail's RealUserName: the login name of the real uid (its number if none)."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return str(os.getuid())


def deliverable_line(q: Recipient) -> str:
    """The text sendall prints in verify mode for one address."""
    if q.host:
        return f"deliverable: mailer {q.mailer_name}, host {q.host}, user {q.user}"
    return f"deliverable: mailer {q.mailer_name}, user {q.user}"


def verify(config: Config, recipients: list[str], verbose: bool,
           write: Callable[[str], None], no_alias: bool = False) -> int:
    """Expand and report; returns the exit status."""
    users = SystemUsers()
    ident = identity(config, users)
    if ident.euid != 0:
        write(NOT_ROOT_NOTICE)
    chosen = settings(config, ident, no_alias=no_alias, **({"verbose": 1} if verbose else {}))
    rcpts = RecipientList(config, chosen, users=users, sink=write)
    if not recipients:
        rcpts.notices.usrerr("Recipient names must be specified")
        return ex.EX_USAGE
    rcpts.set_sender(real_user_name())
    for text in recipients:
        rcpts.add(text)
    status = rcpts.env.exit_status
    if rcpts.notices.errors > 0 and status == ex.EX_OK:
        status = ex.EX_USAGE
    expansion = rcpts.finish()
    listing = Notices(sink=write, verbose=2)
    for envelope in expansion.envelopes:
        for q in envelope.recipients:
            if q.sendable:
                listing.to = q.paddr
                listing.message(deliverable_line(q))
    return status


def run_verify(inv: "Invocation", config: Config) -> int:
    """-bv on the loaded cf: its messages first, then the arguments verified."""
    sys.stdout.reconfigure(encoding="latin-1", errors="replace")  # type: ignore[union-attr]
    for text in config.output:
        sys.stdout.write(text + "\n")
    if config.fatal:
        return config.fatal
    try:
        return verify(config, [os.fsencode(arg).decode("latin-1") for arg in inv.args],
                      inv.verbose, write_line, no_alias=inv.no_alias)
    finally:
        sys.stdout.flush()


def write_line(text: str) -> None:
    sys.stdout.write(text + "\n")
