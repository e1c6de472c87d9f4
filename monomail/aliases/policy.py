"""The settings recipient processing runs under: cf options and process identity, resolved once.

sendmail reads these from globals (DefUid, RunAsUid, MatchGecos, ForwardPath,
DontBlameSendmail, ...); here they are one frozen value built from the Config, so
the expansion core is a function of (settings, maps, files) and tests can set any
of them directly.
"""

from __future__ import annotations

import grp
import os
from dataclasses import dataclass
from typing import Iterable

from monomail.config.model import Config
from monomail.config.option_values import UserSpec

from .users import SystemUsers, UserDatabase

DEFAULT_FORWARD_PATH = "\x81z/.forward"
#: the users sendmail's setdefaults takes as DefaultUser, in this order
DEFAULT_USER_NAMES = ("mailnull", "sendmail", "daemon")
#: where a recipient list is sorted while it is built (sendmail's sortfn)
SORT_BY_HOST, SORT_BY_SIGNATURE, SORT_EXPENSIVE = "host", "signature", "expensive"


@dataclass(frozen=True)
class Identity:
    """Who sendmail runs as and acts for: real and effective uid (after RunAsUser
    dropped root's privileges), DefaultUser (uid, gid and the name used for its
    group set), TrustedUser."""

    real_uid: int
    euid: int
    run_as_uid: int
    def_uid: int
    def_gid: int
    def_user: str
    trusted_uid: int = 0
    run_as_gid: int = 0
    run_as_user: str = "root"


@dataclass(frozen=True)
class Settings:
    """Everything recipient(), alias(), forward() and include() consult."""

    identity: Identity
    my_hostname: str                      # $j, in "User x@HOST doesn't have a valid shell"
    forward_path: str = DEFAULT_FORWARD_PATH   # with sendmail's internal macro octets
    match_gecos: bool = False
    max_alias_recursion: int = 10
    max_forward_entries: int = 0
    dont_blame: frozenset[str] = frozenset()
    dont_init_groups: bool = False
    old_style: bool = False               # OldStyleHeaders: blank-separated lists allowed
    me_too: bool = True
    no_alias: bool = False                # sendmail -n
    verify_only: bool = False             # EF_VRFYONLY: SMTP VRFY/EXPN and queued-mode RCPT
    unsafe_envelope: bool = False         # EF_UNSAFE: a queue file not owned by us
    use_msp: bool = False
    sort: str = SORT_BY_HOST
    verbose: int = 0
    config_level: int = 10


def _user_spec(spec: UserSpec | None, users: UserDatabase) -> tuple[int, int, str] | None:
    """A DefaultUser/RunAsUser value as (uid, gid, name); None if the name is unknown."""
    if spec is None:
        return None
    if spec.user[:1].isdigit():
        uid = int(spec.user[:len(spec.user) - len(spec.user.lstrip("0123456789"))])
        entry = users.by_uid(uid)
        gid, name = (entry.gid, entry.name) if entry else (1, "nobody")
    else:
        entry = users.by_name(spec.user)
        if entry is None:
            return None
        uid, gid, name = entry.uid, entry.gid, entry.name
    if spec.group is not None:
        gid = _group_id(spec.group, gid)
    return uid, gid, name


def _group_id(group: str, fallback: int) -> int:
    if group[:1].isdigit():
        return int(group[:len(group) - len(group.lstrip("0123456789"))])
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        return fallback


def default_user(config: Config, users: UserDatabase) -> tuple[int, int, str]:
    """DefaultUser (and the old g option), else mailnull, sendmail or daemon, else 1:1."""
    chosen = _user_spec(config.options.get("DefaultUser"), users)  # type: ignore[arg-type]
    if chosen is None:
        for name in DEFAULT_USER_NAMES:
            entry = users.by_name(name)
            if entry is not None and entry.uid != 0:
                chosen = (entry.uid, entry.gid, entry.name)
                break
    if chosen is None:
        entry = users.by_uid(1)
        chosen = (1, 1, entry.name if entry else "nobody")
    group = config.options.get("g")
    if group:
        chosen = (chosen[0], _group_id(str(group), chosen[1]), chosen[2])
    return chosen


def identity(config: Config, users: UserDatabase | None = None) -> Identity:
    """This process as sendmail would see itself under this cf."""
    users = users or SystemUsers()
    def_uid, def_gid, def_user = default_user(config, users)
    run_as = _user_spec(config.options.get("RunAsUser"), users)  # type: ignore[arg-type]
    trusted = config.options.get("TrustedUser")
    trusted_entry = users.by_name(str(trusted)) if trusted and not str(trusted).isdigit() \
        else None
    trusted_uid = int(str(trusted)) if trusted and str(trusted).isdigit() else \
        trusted_entry.uid if trusted_entry else 0
    real_uid, euid = os.getuid(), os.geteuid()  # sendmail keeps RealUid after dropping root
    me = users.by_uid(euid)
    run_uid, run_gid, run_user = euid, os.getegid(), me.name if me else str(euid)
    if run_as is not None and euid == 0:
        # sendmail gives up root for RunAsUser before it does any work
        run_uid, run_gid, run_user = run_as
        euid = run_uid
    return Identity(real_uid=real_uid, euid=euid, run_as_uid=run_uid,
                    def_uid=def_uid, def_gid=def_gid, def_user=def_user,
                    trusted_uid=trusted_uid, run_as_gid=run_gid, run_as_user=run_user)


def settings(config: Config, ident: Identity, **overrides: object) -> Settings:
    """Settings from the cf's options; keyword arguments override (mode flags, sort)."""
    opts = config.options
    forward_path = opts.get("ForwardPath")
    values: dict[str, object] = dict(
        identity=ident,
        my_hostname=config.macros.get(ord("j"), "") or "localhost",
        forward_path=DEFAULT_FORWARD_PATH if forward_path is None else str(forward_path),
        match_gecos=bool(opts.get("MatchGECOS")),
        max_alias_recursion=_number(opts.get("MaxAliasRecursion"), 10),
        max_forward_entries=_number(opts.get("MaxForwardEntries"), 0),
        dont_blame=frozenset(str(word) for word in _words(opts.get("DontBlameSendmail"))),
        dont_init_groups=bool(opts.get("DontInitGroups")),
        old_style=bool(opts.get("OldStyleHeaders")),
        me_too=bool(opts.get("MeToo", True)),
        use_msp=bool(opts.get("UseMSP")),
        verbose=1 if opts.get("Verbose") else 0,
        config_level=config.level,
    )
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def _number(value: object, default: int) -> int:
    return value if isinstance(value, int) else default


def _words(value: object) -> Iterable[object]:
    return value if isinstance(value, (set, frozenset, tuple, list)) else ()
