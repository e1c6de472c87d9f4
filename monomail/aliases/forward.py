"""A local user's .forward files: sendmail's forward().

ForwardPath lists candidate files (with $z home, $u user, $h host, $w ...); the
first one include() can use wins.  Files that are missing or unsafe are skipped
(said only in verbose mode, as sendmail does); if none could be read because of a
transient error, the address waits in the queue rather than being delivered
locally while its owner asked for something else.
"""

from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING

from monomail.config.macros import expand

from .address import QS_OK, QS_QUEUEUP, Recipient
from .include import include
from .safefile import E_SM_GWDIR, E_SM_WWDIR, MAXPATHLEN, errstring, transient

if TYPE_CHECKING:
    from .recipient import Expander

NO_HOME = "/no/such/directory"


def forward(x: "Expander", user: Recipient, level: int) -> None:
    """Read the user's .forward (the first of ForwardPath that can be used)."""
    s = x.settings
    if not user.has("w") or user.state != QS_OK or s.forward_path == "":
        return
    if user.home is None:
        x.notices.syserr("554 5.3.0 forward: no home")
        user.home = NO_HOME
    env = x.env
    env.define_macro("z", user.home)
    env.define_macro("u", user.user)
    env.define_macro("h", user.host)
    got_transient = False
    for piece in s.forward_path.split(":"):
        path = expand(piece, env.macro_value, env.syserr)[:MAXPATHLEN - 1]
        if not path:
            continue
        err = include(x, path, True, user, level)
        if err == 0:
            return
        if transient(err):
            got_transient = True
        elif err != errno.ENOENT and not _quietly_missing(path, err, s.dont_blame) and \
                s.verbose:
            x.notices.message(f"forward: {path}: {errstring(err)}")
    if got_transient:
        x.notices.message("transient .forward open error: message queued")
        user.state = QS_QUEUEUP


def _quietly_missing(path: str, err: int, dont_blame: frozenset[str]) -> bool:
    """A .forward that does not exist in an unsafe directory is not worth a warning
    when DontBlameSendmail says so."""
    if err not in (E_SM_WWDIR, E_SM_GWDIR) or "dontwarnforwardfileinunsafedirpath" \
            not in dont_blame:
        return False
    try:
        os.stat(path)
    except FileNotFoundError:
        return True
    except OSError:
        pass
    return False
