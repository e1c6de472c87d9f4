"""Giving up root after the listeners are bound, as RunAsUser asks.

sendmail stays root without RunAsUser (it needs root to deliver as each local user);
with it, the daemon becomes that user once its sockets are open and before it reads
any message or queue file.
"""

from __future__ import annotations

import grp
import os
import pwd

from monomail.config.option_values import UserSpec


def resolve(spec: UserSpec) -> tuple[int, int]:
    """(uid, gid) of `user[:group]`: numbers or names; the user's own group by default."""
    if spec.user.isdigit():
        uid = int(spec.user)
        try:
            gid = pwd.getpwuid(uid).pw_gid
        except KeyError:
            gid = uid
    else:
        entry = pwd.getpwnam(spec.user)
        uid, gid = entry.pw_uid, entry.pw_gid
    if spec.group is not None:
        gid = int(spec.group) if spec.group.isdigit() else grp.getgrnam(spec.group).gr_gid
    return uid, gid


def drop_to(spec: UserSpec | None) -> tuple[int, int] | None:
    """Become RunAsUser when running as root; returns the new (uid, gid), or None when
    nothing changed (no RunAsUser, or not root: then there is nothing to give up)."""
    if spec is None or os.geteuid() != 0:
        return None
    uid, gid = resolve(spec)
    os.setgroups([gid])
    os.setgid(gid)
    os.setuid(uid)
    return uid, gid
