"""sendmail's rscheck: run a policy or header check ruleset on one or two strings
and act on `$#error`, `$#discard` and `$#error $@ quarantine` the way sendmail does.

The SMTP server calls it for check_relay, check_mail, check_rcpt and friends; `-bt
/header` for header checks.  The verdict carries what the SMTP reply needs."""

from __future__ import annotations

from dataclasses import dataclass

from monomail import sysexits as ex
from .addrutil import cataddr
from .engine import Rewriter
from .env import RewriteEnv
from .parseaddr import buildaddr
from .prescan import prescan
from .tokens import CANONHOST, CANONNET, CANONUSER, CONDELSE

RSF_RMCOMM = 0x0001       # strip comments while tokenizing
RSF_UNSTRUCTURED = 0x0002  # not an address: say nothing about syntax
RSF_COUNT = 0x0004


@dataclass
class Verdict:
    """What a check ruleset decided."""

    status: int = ex.EX_OK
    discard: bool = False
    quarantine: str | None = None
    message: str | None = None  # the error reply, with its codes, for $#error
    mailer: str | None = None


def rscheck(rw: Rewriter, env: RewriteEnv, ruleset: str, p1: str, p2: str | None = None,
            flags: int = 0) -> Verdict:
    verdict = Verdict()
    number = rw.find_ruleset(ruleset)
    if number < 0:
        return verdict
    text = p1 if p2 is None else f"{p1}{CONDELSE}{p2}"
    table = env.tables.internal if flags & RSF_RMCOMM else env.tables.nocomment
    saved = env.suppress_errors
    env.suppress_errors = True
    tokens, _ = prescan(text, "\0", table, ignore=not flags & RSF_RMCOMM, usrerr=env.usrerr)
    env.suppress_errors = saved
    if tokens is None:
        return verdict
    env.suppress_errors = saved or bool(flags & RSF_UNSTRUCTURED)
    rw.rewrite(tokens, number, env)
    env.suppress_errors = saved
    if len(tokens) < 2 or tokens[0][:1] != CANONNET or tokens[1] not in ("error", "discard"):
        return verdict
    if tokens[1] == "discard":
        verdict.discard = True
    elif len(tokens) > 3 and tokens[2][:1] == CANONHOST and tokens[3] == "quarantine":
        verdict.quarantine = _quarantine_reason(env, tokens, ruleset)
    else:
        saved_status = env.exit_status
        env.exit_status = ex.EX_OK
        before = env.last_error
        address = buildaddr(rw, env, tokens, 0)
        verdict.status = env.exit_status
        env.exit_status = saved_status
        verdict.mailer = address.mailer
        verdict.message = env.last_error if env.last_error is not before else None
    env.setstat(verdict.status)
    return verdict


def _quarantine_reason(env: RewriteEnv, tokens: list[str], ruleset: str) -> str:
    if len(tokens) < 6 or tokens[4][:1] != CANONUSER:
        reason = ruleset
    else:
        reason = cataddr(tokens[5:], " ", True, env.tables.internal, 2 * 8192)
    env.define_macro("quarantine", reason)
    return reason


def rscap(rw: Rewriter, env: RewriteEnv, ruleset: str, p1: str,
          p2: str | None = None) -> list[str] | None:
    """sendmail's rscap: the tokens a ruleset returns, for the callers that read its
    answer themselves (srv_features, greet_pause); None if it is not defined or the
    input cannot be tokenized.  Errors on the way are not shown, as in sendmail."""
    number = rw.find_ruleset(ruleset)
    if number < 0:
        return None
    text = p1 if p2 is None else f"{p1}{CONDELSE}{p2}"
    saved = env.suppress_errors
    env.suppress_errors = True
    try:
        tokens, _ = prescan(text, "\0", env.tables.internal, usrerr=env.usrerr)
        if tokens is not None:
            rw.rewrite(tokens, number, env)
    finally:
        env.suppress_errors = saved
    return tokens
