"""Alias expansion: sendmail's alias(), aliaslookup() and aliaswait().

A local name found in the aliases map is replaced by its value (a list handed back to
sendtolist one level deeper, delivered as DefaultUser); `owner-NAME`, when it exists,
becomes the envelope sender for that list's part of the message.  An unavailable alias
database keeps the address in the queue rather than bouncing it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from monomail import sysexits as ex
from monomail.clib import MAXSHORTSTR, shortenstring
from monomail.maps.dbmap import DbMap
from monomail.maps.seqmap import SequenceMap
from monomail.rewrite.addrutil import lower

from .address import (QALIAS, QDELIVERED, QEXPANDED, QGOODUID, QS_EXPANDED, QS_OK,
                      QS_QUEUEUP, QS_VERIFIED, QSELFREF, Recipient)
from .aliasmaps import SEQUENCE_NAME

if TYPE_CHECKING:
    from .recipient import Expander

OWNER_SPECIALS = ',:/|"'
MAXNAME = 256
UNAVAILABLE = "alias database unavailable"


def aliaslookup(x: "Expander", name: str) -> tuple[str | None, int]:
    """The value of name in the aliases map (postmaster in any case is postmaster)."""
    handle = x.env.map("aliases")
    if handle is None:
        return None, ex.EX_OK
    if lower(name) == "postmaster":
        name = "postmaster"
    value, status = handle.lookup_raw(name, None, x.env)  # type: ignore[arg-type]
    alias_wait(x)
    return value, status


def alias_wait(x: "Expander") -> None:
    """sendmail's aliaswait: an alias database older than its text file is noted (a
    notice, so only -v shows it) when it is first opened -- once per map and process,
    as the maps stay open."""
    sequence = x.env.map(SEQUENCE_NAME)
    if not isinstance(sequence, SequenceMap):
        return
    waited = x.config.memo.setdefault("alias_waited", set())
    for member in sequence.members(x.env):
        if not isinstance(member, DbMap) or not member.database_open or id(member) in waited:
            continue
        waited.add(id(member))
        try:
            source = int(os.stat(member.options.file or "").st_mtime)
        except OSError:
            continue
        try:
            stale = int(os.stat(member.path).st_mtime) < source
        except OSError:
            stale = True
        if stale:
            x.notices.message(f"Warning: alias database {member.path} out of date")


def alias(x: "Expander", a: Recipient, level: int) -> None:
    """Expand a local name found in the aliases; note its owner- alias."""
    if a.state != QS_OK or x.settings.no_alias:
        return
    x.notices.to = a.paddr
    value, status = aliaslookup(x, a.user)
    if status in (ex.EX_TEMPFAIL, ex.EX_UNAVAILABLE):
        a.state = QS_QUEUEUP
        a.message = a.message or UNAVAILABLE
        x.notices.last_error = x.notices.last_error or UNAVAILABLE
        return
    if value is None:
        return
    if x.settings.verify_only:
        a.state = QS_VERIFIED
        return
    x.notices.message(f"aliased to {shortenstring(value, MAXSHORTSTR)}")
    a.flags &= ~QSELFREF
    a.state = QS_EXPANDED
    a.uid, a.gid, a.fullname = x.settings.identity.def_uid, 0, None
    a.flags |= QGOODUID | QALIAS
    x.sendtolist(value, a, level + 1)
    if a.flags & QSELFREF and a.state == QS_EXPANDED:
        a.state = QS_OK
    _owner(x, a)


def _owner(x: "Expander", a: Recipient) -> None:
    """owner-NAME's value (or, if it is a list or program, the name owner-NAME itself)
    becomes the sender of this list's envelope; DSN treats the list as delivered."""
    name = "owner-owner" if a.user.startswith("owner-") or len(a.user) > MAXNAME \
        else "owner-" + a.user
    owner, _ = aliaslookup(x, name)
    if owner is None:
        return
    a.owner = name if any(ch in owner for ch in OWNER_SPECIALS) else owner
    x.send_receipt = True
    a.flags |= QDELIVERED | QEXPANDED
