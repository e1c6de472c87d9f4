"""The recipient list of one envelope: sendmail's sendtolist, recipient, alias, maplocaluser.

A list of addresses becomes the send queue: each address is parsed (rulesets 3
and 0), duplicates are suppressed as sendmail's sameaddr decides, local names are
expanded through the aliases, :include: files and .forward files, loops are
broken, ruleset 5 may hand a local user to another mailer, and local users are
looked up in the password database.  The queue keeps every address, dead ones
included (expanded, duplicate, included...), in sendmail's order, so that `-bv`
prints what sendmail prints and delivery and DSNs see the same states.

Synchronous on purpose: map, password and file lookups are quick local reads;
an SMTP server calls this between reading RCPT and answering it.
"""

from __future__ import annotations

from typing import Callable

from monomail import sysexits as ex
from monomail.clib import MAXSHORTSTR, shortenstring
from monomail.config.model import Config
from monomail.rewrite.addrutil import stripquotes
from monomail.rewrite.engine import Rewriter
from monomail.rewrite.env import RewriteEnv
from monomail.rewrite.parseaddr import Address, buildaddr, invalidaddr, parse_tokens
from monomail.rewrite.prescan import prescan
from monomail.rewrite.tokens import CANONNET

from . import alias as aliasing
from . import forward as forwarding
from . import include as including
from .address import (ERROR_MAILER, FILE_MAILER, INCLUDE_MAILER, PROG_MAILER, Q_COPYFLAGS,
                      QBOGUSSHELL, QEXPANDED, QGOODUID, QINHERITEDBITS, QNOTREMOTE, QPRIMARY,
                      QRCPTOK, QS_BADADDR, QS_DONTSEND, QS_DUPLICATE, QS_INCLUDED, QS_OK,
                      QS_QUEUEUP, QS_REMOVED, QS_REPLACED, QS_VERIFIED, QSELFREF, QTHISPASS,
                      QUNSAFEADDR, Recipient, is_sendable, is_undelivered, sameaddr)
from .notices import Notices
from .policy import SORT_BY_SIGNATURE, SORT_EXPENSIVE, Settings
from .users import Lookup, UserDatabase, finduser, usershellok

SPACES = " \t\n\v\f\r"


class RecipientEnv(RewriteEnv):
    """A RewriteEnv whose messages go into the expansion's transcript, so rule errors
    get the same file/line and address prefixes and count as sendmail's Errors."""

    def __init__(self, config: Config, notices: Notices) -> None:
        self.notices = notices
        self._mids: dict[str, int] = {}
        super().__init__(config, notices.line)

    def _mid(self, name: str) -> int:
        """Macro ids by name, remembered: {addr_type} and {nrcpts} change per address."""
        mid = self._mids.get(name)
        if mid is None:
            mid = self._mids[name] = super()._mid(name)
        return mid

    @property  # type: ignore[override]
    def to(self) -> str | None:
        return self.notices.to

    @to.setter
    def to(self, value: str | None) -> None:
        self.notices.to = value

    def usrerr(self, message: str, to: str | None = None) -> None:
        self.side_effects += 1
        self.last_error = message
        if not self.suppress_errors:
            self.notices.usrerr(message, to=to)

    def notice(self, text: str, about_address: bool = True) -> None:
        """A map's verbose-only notice (sendmail's message()), about e_to or not."""
        if about_address:
            self.notices.message(text)
            return
        saved, self.notices.to = self.notices.to, None
        self.notices.message(text)
        self.notices.to = saved

    def syserr(self, message: str) -> None:
        self.side_effects += 1
        self.notices.syserr(message)
        if self.exit_status == ex.EX_OK:
            self.exit_status = ex.EX_SOFTWARE


def denlstring(text: str) -> str:
    """Newlines that do not start a continuation (blank or tab after) become blanks."""
    pos = text.find("\n")
    while pos >= 0:
        if text[pos + 1:pos + 2] not in (" ", "\t"):
            return text.replace("\n", " ")
        pos = text.find("\n", pos + 1)
    return text


class Expander:
    """One envelope's recipient list while it is built (sendmail's e_sendqueue and the
    envelope flags recipient processing changes)."""

    def __init__(self, config: Config, rw: Rewriter, env: RecipientEnv, users: UserDatabase,
                 settings: Settings,
                 signature: Callable[[Recipient], str] | None = None) -> None:
        self.config = config
        self.rw = rw
        self.env = env
        self.notices = env.notices
        self.users = users
        self.settings = settings
        self.signature = signature or host_signature
        self.sendq: list[Recipient] = []
        self.nrcpts = 0
        self.send_receipt = False       # EF_SENDRECEIPT
        self.old_style = settings.old_style
        self.sender: Recipient | None = None

    # --- sendtolist -----------------------------------------------------------------

    def sendtolist(self, text: str, ctladdr: Recipient | None, level: int) -> int:
        """Parse a comma (or, old style, blank) separated list and hand each address to
        recipient(), last first as sendmail does; returns how many were handed on."""
        parsed = self.parse_list(text, ctladdr)
        oldto = self.notices.to
        try:
            for a in reversed(parsed):
                self.recipient(a, level)
            return len(parsed)
        finally:
            self.notices.to = oldto

    def parse_list(self, text: str, ctladdr: Recipient | None = None) -> list[Recipient]:
        """sendtolist's first half: every address of the list parsed (errors reported),
        not yet entered; the command line stops here, delivery expands later."""
        notices = self.notices
        oldto = notices.to
        if ctladdr is None and any(ch in text for ch in ",;<("):
            self.old_style = False
        delim = "," if (not self.old_style or ctladdr is not None) else " "
        text = denlstring(text)
        self.env.define_macro("addr_type", "e r")
        parsed: list[Recipient] = []
        try:
            pos = 0
            while pos < len(text):
                while pos < len(text) and (text[pos] in SPACES or text[pos] == ","):
                    pos += 1
                a, pos = self.parse_item(text, pos, delim)
                if a is None:
                    continue
                a.alias = ctladdr
                if ctladdr is not None and not self._inherit(a, ctladdr):
                    continue
                parsed.append(a)
            return parsed
        finally:
            notices.to = oldto
            self.env.define_macro("addr_type", None)

    def _inherit(self, a: Recipient, ctladdr: Recipient) -> bool:
        """Self-reference and loop checks, then what a list member takes from its alias;
        False when the member is dropped in favour of an address already on the chain."""
        if sameaddr(ctladdr, a):
            ctladdr.flags |= QSELFREF
        b = self.self_reference(a)
        if b is not None:
            b.flags |= QSELFREF
            if a is not b:
                a.state = QS_DONTSEND
                b.flags |= a.flags & QNOTREMOTE
                return False
        if a.fullname is None:
            a.fullname = ctladdr.fullname
        a.flags = (a.flags & ~QINHERITEDBITS) | (ctladdr.flags & QINHERITEDBITS)
        a.finalrcpt, a.orcpt = ctladdr.finalrcpt, ctladdr.orcpt
        return True

    def parse_item(self, text: str, pos: int, delim: str) -> tuple[Recipient | None, int]:
        """parseaddr on the list at pos up to the delimiter: the address and where the
        scan stopped."""
        env = self.env
        rest = text[pos:]
        env.to = rest
        tokens, end = prescan(rest, delim, env.tables.external, usrerr=env.usrerr)
        if tokens is None:
            return None, pos + max(end, 1)
        item = rest[:end]
        if invalidaddr(env, item, True):
            return None, pos + end
        env.to = item
        parsed = parse_tokens(self.rw, env, item, tokens, 0, True)
        return self.from_address(item, parsed), pos + end

    def from_address(self, paddr: str, a: Address) -> Recipient:
        """A Recipient from what parseaddr built (allocaddr: no host is "")."""
        mailer = None if a.mailer == ERROR_MAILER else self.config.mailer(a.mailer)
        r = Recipient(paddr=paddr, mailer_name=a.mailer, mailer=mailer, host=a.host or "",
                      user=a.user, queue_group=a.queue_group, status=a.status)
        if a.not_remote:
            r.flags |= QNOTREMOTE
        if a.bad or mailer is None and not a.queue_up:
            r.state = QS_BADADDR
        elif a.queue_up:
            r.state = QS_QUEUEUP
            r.status = r.status or "4.4.3"
        return r

    def self_reference(self, a: Recipient) -> Recipient | None:
        """If a repeats an address on its own alias chain, the address to keep: the first
        on the chain that is a real mailbox (a login name, or a local delivery)."""
        b = next((node for node in a.chain()[1:] if sameaddr(a, node)), None)
        if b is None:
            return None
        for c in a.chain():
            if c.has("w"):
                if self.users.by_name(c.user) is not None:
                    return b if sameaddr(b, c) else c
            elif c.has("l") and b.mailer is c.mailer:
                return b if sameaddr(b, c) else c
        return None

    # --- recipient --------------------------------------------------------------------

    def recipient(self, new: Recipient, level: int) -> Recipient:
        """Enter one address in the send queue and expand it; returns the entry that
        stands for it (an earlier duplicate, or new)."""
        s = self.settings
        initial_dont_send = new.dead
        self.notices.to = new.paddr
        if level == 0:
            new.flags |= QPRIMARY
        self._set_finalrcpt(new)
        if level > s.max_alias_recursion:
            return self._too_deep(new, level)
        quoted = "\\" in new.user
        unquoted = stripquotes(new.user)
        self._check_restricted(new, PROG_MAILER, "programs")
        entry = self._enter(new)
        if entry is not new:
            return self._done(entry, level, initial_dont_send)
        self._expand(new, level, quoted, unquoted)
        return self._done(new, level, initial_dont_send)

    def _too_deep(self, new: Recipient, level: int) -> Recipient:
        new.state, new.status = QS_BADADDR, "5.4.6"
        if new.alias is not None:
            new.alias.state, new.alias.status = QS_BADADDR, "5.4.6"
        self.notices.usrerr(f"554 aliasing/forwarding loop broken ({level} aliases deep; "
                            f"{self.settings.max_alias_recursion} max)", "5.4.6")
        return new

    def _set_finalrcpt(self, new: Recipient) -> None:
        """The DSN Final-Recipient: the top of the alias chain, as rfc822."""
        if new.finalrcpt is not None or self.sender is None:
            return
        top = new.chain()[-1]
        mailer = self.sender.mailer
        kind = (mailer.addrtype if mailer is not None else None) or "rfc822"
        if kind.lower() != "rfc822":
            addrtype = top.mailer.addrtype if top.mailer is not None else None
            new.finalrcpt = f"{addrtype}; {top.user[:800]}"
        elif "@" in top.user:
            new.finalrcpt = f"{kind}; {top.user[:800]}"
        elif "@" in top.paddr:
            paddr = top.paddr
            if paddr.startswith("<") and paddr.endswith(">"):
                paddr = paddr[1:-1]
            elif paddr.startswith("<"):
                paddr = paddr[1:]
            new.finalrcpt = f"{kind}; {paddr[:800]}"
        else:
            new.finalrcpt = f"{kind}; {top.user[:700]}@{self.settings.my_hostname[:100]}"

    def _check_restricted(self, new: Recipient, mailer_name: str, what: str) -> None:
        """Programs and files only from aliases, .forward or :include: files, and only
        for a controlling user with a valid shell and a safe path."""
        if new.mailer_name != mailer_name:
            return
        s = self.settings
        parent = new.alias
        if parent is None or s.use_msp or s.unsafe_envelope:
            self._bad(new, "5.7.1", f"550 Cannot mail directly to {what}")
        elif parent.flags & QBOGUSSHELL:
            if parent.ruser is None:
                self._bad(new, "5.7.1", f"550 UID {parent.uid} is an unknown user: "
                          f"cannot mail to {what}")
            else:
                self._bad(new, "5.7.1", f"550 User {parent.ruser}@{s.my_hostname} doesn't "
                          f"have a valid shell for mailing to {what}")
        elif parent.flags & QUNSAFEADDR:
            new.rstatus = f"550 Unsafe for mailing to {what}"
            self._bad(new, "5.7.1", f"550 Address {parent.paddr} is unsafe for mailing to "
                      f"{what}")

    def _bad(self, new: Recipient, status: str, reply: str) -> None:
        new.state, new.status = QS_BADADDR, status
        self.notices.usrerr(reply, status)

    def _enter(self, new: Recipient) -> Recipient:
        """Insert new in sort order unless an equal address is there already: then that
        entry is returned (and a duplicate from an expansion is announced)."""
        compare = self._sort_function(new)
        for index, q in enumerate(self.sendq):
            order = compare(new, q)
            if order == 0 and sameaddr(q, new) and (q.flags & QRCPTOK or
                                                    not q.flags & QPRIMARY):
                self._merge_duplicate(q, new)
                return q
            if order < 0:
                self.sendq.insert(index, new)
                return new
        self.sendq.append(new)
        return new

    def _merge_duplicate(self, q: Recipient, new: Recipient) -> None:
        if not q.flags & QPRIMARY:
            if not new.dead:
                self.notices.message("duplicate suppressed")
            else:
                q.state = QS_DUPLICATE
            q.flags |= new.flags
        elif q.flags & QSELFREF or q.state == QS_REMOVED:
            q.state = new.state
            q.flags |= new.flags

    def _sort_function(self, new: Recipient) -> Callable[[Recipient, Recipient], int]:
        sort = self.settings.sort
        if sort == SORT_EXPENSIVE and new.has("e"):
            return self._sort_expensive
        if sort == SORT_BY_SIGNATURE:
            return self._sort_signature
        return _sort_host

    @staticmethod
    def _sort_expensive(x: Recipient, y: Recipient) -> int:
        return 1 if not y.has("e") else _strcasecmp(x.host, y.host)

    def _sort_signature(self, x: Recipient, y: Recipient) -> int:
        sx, sy = self.signature(x), self.signature(y)
        if sx != sy:
            return -1 if sx < sy else 1
        return 0 if x.user == y.user else (-1 if y.user < x.user else 1)

    def _expand(self, new: Recipient, level: int, quoted: bool, unquoted: str) -> None:
        """recipient() after the queue entry exists: :include:, files, aliases, ruleset 5,
        the password entry and .forward -- sendmail's trylocaluser loop."""
        s = self.settings
        fuzzy_count = 0
        while True:
            if new.state != QS_OK:
                if is_undelivered(new.state):
                    self.nrcpts += 1
                return self._self_destruct(new)
            if new.mailer_name == INCLUDE_MAILER:
                self._include(new, level)
            elif new.mailer_name == FILE_MAILER:
                self._check_restricted(new, FILE_MAILER, "files")
            if not quoted and new.state == QS_OK and new.has("A"):
                aliasing.alias(self, new, level)
            if (s.config_level >= 2 and self.config.rules[5] and new.has("5") and
                    not new.flags & QNOTREMOTE and new.state == QS_OK):
                self.maplocaluser(new, level + 1)
            if new.state == QS_OK and new.has("w"):
                lookup = finduser(unquoted, self.users, s.match_gecos, self.env.space_sub,
                                  self.notices.message)
                if lookup.status == ex.EX_OK and lookup.fuzzy and lookup.user is not None:
                    new.user = lookup.user.name
                    fuzzy_count += 1
                    if fuzzy_count > 4:
                        self._bad(new, "5.4.6", f"554 aliasing/forwarding loop for "
                                  f"{lookup.user.name} broken")
                        return None
                    unquoted = lookup.user.name
                    continue
                self._found_user(new, lookup, level, quoted)
            if not new.dead:
                self.nrcpts += 1
            return self._self_destruct(new)

    def _found_user(self, new: Recipient, lookup: Lookup, level: int, quoted: bool) -> None:
        """After finduser: unknown, tempfail, or fill in home, uid and shell and read
        .forward (unless only verifying)."""
        if lookup.status == ex.EX_TEMPFAIL:
            new.state, new.status = QS_QUEUEUP, "4.5.2"
            new.message = "Deferred"
            self.notices.message("Deferred")
            return
        if lookup.status != ex.EX_OK or lookup.user is None:
            new.state, new.status = QS_BADADDR, "5.1.1"
            new.rstatus = "550 5.1.1 User unknown"
            new.message = new.message or "User unknown"
            self.notices.usrerr("550 5.1.1 User unknown")
            self.env.setstat(ex.EX_NOUSER)
            return
        user = lookup.user
        new.home = None if user.home == "" else "" if user.home == "/" else user.home
        new.uid, new.gid = user.uid, user.gid
        new.flags |= QGOODUID
        new.ruser = user.name
        if user.fullname:
            new.fullname = user.fullname
        if not usershellok(user.name, user.shell, self.users,
                           self.env.in_class("t", user.name), self.settings.config_level):
            new.flags |= QBOGUSSHELL
        if self.settings.verify_only:
            new.state = QS_VERIFIED
        elif not quoted:
            forwarding.forward(self, new, level)

    def _include(self, new: Recipient, level: int) -> None:
        s = self.settings
        new.state = QS_INCLUDED
        if new.alias is None or s.use_msp or s.unsafe_envelope:
            self._bad(new, "5.7.1", "550 Cannot mail directly to :include:s")
            return
        self.notices.message(f"including file {new.user}")
        err = including.include(self, new.user, False, new, level)
        if err == 0:
            return
        shown = shortenstring(new.user, MAXSHORTSTR)
        if including.transient(err):
            new.state = QS_QUEUEUP
            self.notices.usrerr(f"451 4.2.4 Cannot open {shown}: {including.errstring(err)}")
        else:
            self._bad(new, "5.2.4", f"550 Cannot open {shown}: {including.errstring(err)}")

    def _self_destruct(self, new: Recipient) -> None:
        """A top-level address that expanded to nothing deliverable at all: a loop."""
        new.flags |= QTHISPASS
        if new.alias is None and new is not self.sender and new.dead and \
                all(q.dead for q in self.sendq):
            self._bad(new, "5.4.6", "554 aliasing/forwarding loop broken")

    def _done(self, new: Recipient, level: int, initial_dont_send: bool) -> Recipient:
        """At the top level: one deliverable result inherits primaryness (unless an
        owner took over); several mean the address was expanded (DSN)."""
        new.flags |= QTHISPASS
        if level == 0:
            this_pass = [q for q in self.sendq if q.flags & QTHISPASS and is_sendable(q.state)]
            for q in self.sendq:
                q.flags &= ~QTHISPASS
            if len(this_pass) == 1:
                only = this_pass[0]
                if all(q.owner is None for q in only.chain()[1:]):
                    only.flags |= QPRIMARY
            elif not initial_dont_send and this_pass:
                self.send_receipt = True
                new.flags |= QEXPANDED
        new.flags |= QRCPTOK
        self.env.define_macro("nrcpts", str(self.nrcpts))
        return new

    # --- maplocaluser ---------------------------------------------------------------

    def maplocaluser(self, a: Recipient, level: int) -> None:
        """Ruleset 5: a local user may be handed to another mailer (or user) after aliasing."""
        env = self.env
        tokens, _ = prescan(a.user, "\0", env.tables.external)
        if tokens is None:
            return
        env.define_macro("h", a.host)
        env.define_macro("u", a.user)
        env.define_macro("z", a.home)
        env.define_macro("addr_type", "e r")
        if self.rw.rewrite(tokens, 5, env) == ex.EX_TEMPFAIL:
            a.state, a.status = QS_QUEUEUP, "4.4.3"
            return
        if not tokens or tokens[0][:1] != CANONNET:
            return
        built = buildaddr(self.rw, env, tokens, 0)
        a1 = self.from_address(a.paddr, built)
        if sameaddr(a, a1):
            return
        a1.flags = (a1.flags & ~Q_COPYFLAGS) | (a.flags & Q_COPYFLAGS)
        a1.finalrcpt, a1.orcpt = a.finalrcpt, a.orcpt
        a.state = QS_REPLACED
        a1.alias = a
        self.recipient(a1, level)


def _strcasecmp(x: str, y: str) -> int:
    lx, ly = x.lower(), y.lower()
    return 0 if lx == ly else (-1 if lx < ly else 1)


def _sort_host(x: Recipient, y: Recipient) -> int:
    return _strcasecmp(x.host, y.host)


def host_signature(a: Recipient) -> str:
    """hostsignature without MX lookups: local delivery is "localhost", no host
    "_empty_", otherwise the host (the delivery stage may pass a signature that
    resolves MX records)."""
    m = a.mailer
    if m is not None and "l" in m.flags and m.path != "[IPC]" and \
            not (m.argv and m.argv[0] == "TCP"):
        return "localhost"
    return a.host or "_empty_"
