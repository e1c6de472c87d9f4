"""What the router hands a delivery agent: a batch of recipients for one mailer, and the
settings of the cf that decide how agents run (identities, safe places, timeouts).

A Job is sendmail's `deliver()` call: one mailer, the recipients chained for it (`tochain`),
the return path already rewritten for that mailer ($g) and the message exactly as that
mailer receives it (the router's putheader/putbody output: headers rewritten by the
mailer's rulesets, the `From ` line unless F=n, E= line ends).
"""

from __future__ import annotations

import grp
import os
import pwd
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Mapping

from monomail.config.model import NO_ID, Mailer

if TYPE_CHECKING:
    from monomail.config.model import Config

MacroSource = Callable[[int], "str | None"]


def no_macros(mid: int) -> str | None:
    return None


@dataclass(frozen=True)
class Owner:
    """The user whose rights a delivery runs with (sendmail's controlling address, ctladdr).

    `alias` says the address came from an alias file (QALIAS): only then may a file with
    the set-user-ID bit choose its own owner as the writer."""

    uid: int
    gid: int
    name: str | None = None
    home: str | None = None
    alias: bool = False


@dataclass(frozen=True)
class Recipient:
    """One address of the batch: `user`, `host` and `home` become $u, $h and $z."""

    user: str
    host: str = ""
    address: str = ""
    home: str | None = None
    owner: Owner | None = None

    @property
    def printable(self) -> str:
        return self.address or self.user


@dataclass(frozen=True)
class Job:
    """One call of a mailer.  `sender_given` is sendmail's FromFlag (a sender came with the
    message, so F=f/F=r add `-f $g`); `submitter` the local user who submitted it (the
    envelope sender with a known uid), whom other mailers than prog and file run as."""

    mailer: Mailer
    sender: str
    recipients: tuple[Recipient, ...]
    message: bytes
    macro: MacroSource = no_macros
    sender_given: bool = True
    submitter: Owner | None = None


@dataclass(frozen=True)
class LockPolicy:
    """How long to wait for a mailbox lock.  mail.local gives up after 400 s and calls a
    dot-lock stale after 300 s; waits start short (an in-process writer is quick) and grow
    to `longest_sleep`, as liblockfile's do."""

    timeout: float = 400.0
    stale_after: float = 300.0
    first_sleep: float = 0.05
    longest_sleep: float = 5.0


@dataclass(frozen=True)
class Account:
    """A mailbox database entry (MailboxDatabase=pw: the passwd file)."""

    name: str
    uid: int
    gid: int
    home: str


def passwd_account(name: str) -> Account | None:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return Account(entry.pw_name, entry.pw_uid, entry.pw_gid, entry.pw_dir)


@dataclass(frozen=True)
class AgentSettings:
    """The cf options agents obey (sendmail's globals of the same meaning).

    `default_owner` is DefaultUser (DefUid/DefGid/DefUser), `run_as` RunAsUser,
    `file_mode` TempFileMode (sendmail's FileMode), `environment` the programs' whole
    environment (UserEnviron: AGENT, the cf's E lines, TZ), `smrsh_directory` monomail's
    Monomail.SmrshDirectory option, `privileged` whether identities can be changed (running as root)."""

    default_owner: Owner = Owner(1, 1, "daemon")
    run_as: Owner | None = None
    safe_file_env: str | None = None
    file_mode: int = 0o600
    dont_blame: frozenset[str] = frozenset()
    supersafe: bool = True
    environment: Mapping[str, str] = field(default_factory=lambda: {"AGENT": "sendmail"})
    smrsh_directory: str | None = None
    fileopen_timeout: float = 60.0
    program_timeout: float | None = None
    lock: LockPolicy = LockPolicy()
    privileged: bool = field(default_factory=lambda: os.geteuid() == 0)
    mailbox_database: str = "pw"
    accounts: Callable[[str], Account | None] = passwd_account
    hostname: str = field(default_factory=socket.gethostname)

    @classmethod
    def from_config(cls, config: "Config", **overrides: object) -> "AgentSettings":
        options = config.options
        default_owner = _default_owner(options.get("DefaultUser"), options.get("g"))
        values: dict[str, object] = dict(
            default_owner=default_owner,
            run_as=_spec_owner(options.get("RunAsUser"), Owner(os.geteuid(), os.getegid())),
            safe_file_env=options.get("SafeFileEnvironment"),
            file_mode=options.get("TempFileMode"),
            dont_blame=options.get("DontBlameSendmail"),
            supersafe=options.get("SuperSafe") != "false",
            environment=user_environment(config.environment, options.get("TimeZoneSpec")),
            smrsh_directory=options.get("Monomail.SmrshDirectory"),
            fileopen_timeout=float(options.get("Timeout.fileopen") or 0) or None,
            mailbox_database=options.get("MailboxDatabase"),
        )
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def user_environment(cf_environment: Mapping[str, str], tz_spec: str | None,
                     outer: Mapping[str, str] = os.environ) -> dict[str, str]:
    """sendmail's UserEnviron: AGENT=sendmail, then the cf's E lines, then TZ as
    TimeZoneSpec says (unset: none; empty: the TZ monomail was started with)."""
    env = {"AGENT": "sendmail", **cf_environment}
    if tz_spec:
        env["TZ"] = tz_spec
    elif tz_spec == "" and "TZ" in outer:
        env["TZ"] = outer["TZ"]
    return env


def _default_owner(spec: object, group: object) -> Owner:
    """DefaultUser, else the first of mailnull, sendmail, daemon that is not root, else 1:1
    (sendmail's setdefaults); the old g option sets the group alone."""
    fallback = Owner(1, 1, _name_of_uid(1) or "nobody")
    for name in ("mailnull", "sendmail", "daemon"):
        account = passwd_account(name)
        if account is not None and account.uid != 0:
            fallback = Owner(account.uid, account.gid, account.name)
            break
    owner = _spec_owner(spec, fallback) or fallback
    if group is not None:
        owner = Owner(owner.uid, _gid_of(str(group)), owner.name)
    return owner


def _spec_owner(spec: object, fallback: Owner | None) -> Owner | None:
    """A UserSpec (`user[:group]`, names or numbers) as an Owner."""
    if spec is None:
        return None
    user, group = spec  # type: ignore[misc]
    if user.isdigit():
        uid = int(user)
        gid = fallback.gid if fallback else NO_ID
        name = _name_of_uid(uid)
    elif (account := passwd_account(user)) is not None:
        uid, gid, name = account.uid, account.gid, account.name
    else:
        uid, gid, name = NO_ID, NO_ID, user
    if group is not None:
        gid = _gid_of(group)
    return Owner(uid, gid, name)


def _gid_of(group: str) -> int:
    if group.isdigit():
        return int(group)
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        return NO_ID


def _name_of_uid(uid: int) -> str | None:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return None
