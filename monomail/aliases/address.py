"""A recipient on its way through alias expansion: sendmail's ADDRESS, its states and flags.

The names are sendmail's (q_state values QS_*, q_flags bits Q*), so that code
ported from recipient.c and alias.c reads the same and DSN/queue code can map them.
"""

from __future__ import annotations

from dataclasses import dataclass

from monomail.config.model import Mailer

# q_state
QS_OK = 0
QS_SENT = 1
QS_BADADDR = 2
QS_QUEUEUP = 3
QS_RETRY = 4
QS_VERIFIED = 5
QS_DONTSEND = 6     # this and every state after it: dead (not to be delivered)
QS_EXPANDED = 7
QS_SENDER = 8
QS_CLONED = 9
QS_DISCARDED = 10
QS_REPLACED = 11
QS_REMOVED = 12
QS_DUPLICATE = 13
QS_INCLUDED = 14
QS_FATALERR = 15
STATE_NAMES = {
    QS_OK: "OK", QS_SENT: "SENT", QS_BADADDR: "BADADDR", QS_QUEUEUP: "QUEUEUP",
    QS_RETRY: "RETRY", QS_VERIFIED: "VERIFIED", QS_DONTSEND: "DONTSEND",
    QS_EXPANDED: "EXPANDED", QS_SENDER: "SENDER", QS_CLONED: "CLONED",
    QS_DISCARDED: "DISCARDED", QS_REPLACED: "REPLACED", QS_REMOVED: "REMOVED",
    QS_DUPLICATE: "DUPLICATE", QS_INCLUDED: "INCLUDED", QS_FATALERR: "FATALERR",
}

# q_flags
QGOODUID = 0x1          # uid and gid are good (deliver as them)
QPRIMARY = 0x2          # from the command line or RCPT, not from an expansion
QNOTREMOTE = 0x4
QSELFREF = 0x8          # the address is in its own expansion
QBOGUSSHELL = 0x10      # the controlling user has no valid shell
QUNSAFEADDR = 0x20      # reached through an unsafe file
QPINGONSUCCESS = 0x40
QPINGONFAILURE = 0x80
QPINGONDELAY = 0x100
QHASNOTIFY = 0x200
QRELAYED = 0x400
QEXPANDED = 0x800       # DSN: expanded (to a list)
QDELIVERED = 0x1000
QDELAYED = 0x2000
QALIAS = 0x4000         # an alias that was expanded
QTHISPASS = 0x40000000
QRCPTOK = 0x80000000    # recipient() has seen this address
QINHERITEDBITS = QPINGONSUCCESS | QPINGONFAILURE | QPINGONDELAY | QHASNOTIFY
Q_COPYFLAGS = (QPRIMARY | QBOGUSSHELL | QUNSAFEADDR | QPINGONSUCCESS | QPINGONFAILURE |
               QPINGONDELAY | QHASNOTIFY | QRELAYED | QEXPANDED | QDELIVERED | QDELAYED)

ERROR_MAILER = "*error*"
PROG_MAILER = "prog"
FILE_MAILER = "*file*"
INCLUDE_MAILER = "*include*"


def is_dead(state: int) -> bool:
    return state >= QS_DONTSEND


def is_sendable(state: int) -> bool:
    return state in (QS_OK, QS_QUEUEUP, QS_RETRY)


def is_undelivered(state: int) -> bool:
    return state in (QS_OK, QS_QUEUEUP, QS_RETRY, QS_VERIFIED)


@dataclass(eq=False)
class Recipient:
    """One address: as written (paddr), as parsed (mailer, host, user) and what became
    of it.  `alias` is the address whose expansion produced this one (sendmail's
    q_alias, also the controlling address for uid and shell checks)."""

    paddr: str
    mailer_name: str
    mailer: Mailer | None
    host: str
    user: str
    state: int = QS_OK
    flags: int = 0
    alias: "Recipient | None" = None
    owner: str | None = None
    home: str | None = None
    uid: int = 0
    gid: int = 0
    ruser: str | None = None
    fullname: str | None = None
    status: str | None = None       # DSN status, e.g. 5.1.1
    rstatus: str | None = None      # the remote (or local) reply, e.g. "550 5.1.1 User unknown"
    message: str | None = None
    finalrcpt: str | None = None
    orcpt: str | None = None
    queue_group: str | None = None

    def has(self, mailer_flag: str) -> bool:
        """A flag of this address's mailer (the error mailer has none)."""
        return self.mailer is not None and mailer_flag in self.mailer.flags

    @property
    def dead(self) -> bool:
        return is_dead(self.state)

    @property
    def sendable(self) -> bool:
        return is_sendable(self.state)

    def chain(self) -> list["Recipient"]:
        """This address and the ones it was expanded from, innermost first."""
        found: list[Recipient] = []
        node: Recipient | None = self
        while node is not None:
            found.append(node)
            node = node.alias
        return found

    def ctladdr(self) -> "Recipient | None":
        """getctladdr: the nearest address on the chain with a good uid."""
        for node in self.chain():
            if node.flags & QGOODUID:
                return node
        return None


def sameaddr(a: Recipient, b: Recipient) -> bool:
    """Do two parsed addresses name the same mailbox?  Error addresses never do; program
    recipients with different good uids do not."""
    if a.mailer is not b.mailer or a.mailer is None:
        return False
    if a.user != b.user:
        return False
    if a.mailer_name == PROG_MAILER:
        ca, cb = a.ctladdr(), b.ctladdr()
        if ca is not None and cb is not None and ca.flags & cb.flags & QGOODUID and \
                ca.uid != cb.uid:
            return False
    return a.host == b.host
