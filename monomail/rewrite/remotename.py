"""sendmail's remotename: how an address looks to a given mailer (`-bt /try`)."""

from __future__ import annotations

from typing import Sequence

from monomail import sysexits as ex
from monomail.config.macros import expand
from monomail.config.model import Mailer
from .addrutil import cataddr
from .crackaddr import crackaddr
from .engine import Rewriter
from .env import RewriteEnv
from .parseaddr import RF_ADDDOMAIN, RF_CANONICAL, RF_HEADERADDR, RF_SENDERADDR
from .prescan import prescan
from .tokens import MACROEXPAND, MAXATOM, MAXNAME


def remotename(rw: Rewriter, env: RewriteEnv, name: str, m: Mailer, flags: int,
               fromdomain: Sequence[str] | None = None) -> tuple[str | None, int]:
    """(rewritten address, status): rulesets 3, 1 or 2, the mailer's S=/R=, then 4.

    With RF_ADDDOMAIN, an address without `@` gets the sender's domain tokens
    (sendmail's e_fromdomain, kept for senders whose mailer has F=C)."""
    status = ex.EX_OK
    header = bool(flags & RF_HEADERADDR)
    if flags & RF_SENDERADDR:
        rwset = m.sender_hdr if header else m.sender_env
        kind, general = "s", 1
    else:
        rwset = m.recipient_hdr if header else m.recipient_env
        kind, general = "r", 2
    if rwset < 0:
        return name, status
    env.define_macro("addr_type", ("h" if header else "e") + " " + kind)
    colon_ok = bool(env.config.options.get("ColonOkInAddr"))
    canonical = bool(flags & RF_CANONICAL)
    fancy = MACROEXPAND + "g" if canonical or m.has("c") else crackaddr(name, colon_ok)
    tokens, _ = prescan(name, "\0", env.tables.external, usrerr=env.usrerr)
    if tokens is None:
        return name, status
    if rw.rewrite(tokens, 3, env) == ex.EX_TEMPFAIL:
        status = ex.EX_TEMPFAIL
    if flags & RF_ADDDOMAIN and fromdomain and "@" not in tokens:
        if len(tokens) + len(fromdomain) >= MAXATOM:
            env.usrerr("553 5.1.0 remotename: too many tokens")
            status = ex.EX_UNAVAILABLE
        tokens.extend(fromdomain[:max(MAXATOM - 1 - len(tokens), 0)])
        if rw.rewrite(tokens, 3, env) == ex.EX_TEMPFAIL:
            status = ex.EX_TEMPFAIL
    for ruleset in (general,) + ((rwset,) if rwset > 0 else ()) + (4,):
        if rw.rewrite(tokens, ruleset, env) == ex.EX_TEMPFAIL:
            status = ex.EX_TEMPFAIL
    lbuf = cataddr(tokens, env.space_sub, False, env.tables.internal, MAXNAME + 1)
    if canonical and lbuf.startswith("@"):
        fancy = "<" + MACROEXPAND + "g>"
    old = env.macro("g")
    env.define_macro("g", lbuf)
    try:
        return expand(fancy, env.macro_value, env.syserr)[:MAXNAME], status
    finally:
        env.define_macro("g", old)
