"""R lines: expand, tokenize and check a rewriting rule as readcf does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from monomail.rewrite.tokens import (CALLSUBR, CANONHOST, CANONUSER, CONDFI, CONDIF,
                                     HOSTBEGIN, HOSTEND, LOOKUPBEGIN, LOOKUPEND, MATCHANY,
                                     MATCHCLASS, MATCHNCLASS, MATCHONE, MATCHREPL, MATCHZANY,
                                     MAXMATCH)
from .model import Rule

if TYPE_CHECKING:
    from .cfparser import ParseState

MAX_MAP_ARGS = 10
FUZZY = {MATCHZANY, MATCHANY, MATCHONE, MATCHCLASS, MATCHNCLASS}
LHS_BOTCH = {MATCHREPL: "$1-$9", CANONUSER: "$:", CALLSUBR: "$>", CONDIF: "$?",
             CONDFI: "$.", HOSTBEGIN: "$[", HOSTEND: "$]", LOOKUPBEGIN: "$(",
             LOOKUPEND: "$)"}
RHS_BOTCH = {MATCHZANY: "$*", MATCHANY: "$+", MATCHONE: "$-", MATCHCLASS: "$=",
             MATCHNCLASS: "$~"}


def add_rule(state: "ParseState", rest: str) -> None:
    from .cfparser import tokenize_cf_text
    if state.ruleset < 0:
        state.syserr(f'missing valid ruleset for "R{rest}"')
        return
    tab = rest.find("\t")
    if tab < 0:
        state.syserr(f'invalid rewrite line "R{rest}" (tab expected)')
        return
    lhs = tokenize_cf_text(state, state.expand(rest[:tab]))
    nfuzzy = 0
    if lhs is None:
        state.syserr("R line: null LHS")
        lhs = []
    for tok in lhs:
        head = tok[0]
        if head in FUZZY:
            nfuzzy += 1
        elif head in LHS_BOTCH:
            state.syserr(f"Inappropriate use of {LHS_BOTCH[head]} on LHS")
    if nfuzzy > MAXMATCH:
        state.syserr("R line: too many wildcards")
        lhs = []
    body = rest[tab:].lstrip("\t")
    body = body.split("\t", 1)[0]
    rhs = tokenize_cf_text(state, state.expand(body))
    if rhs is None:
        state.syserr("R line: null RHS")
        rhs = []
    _check_rhs(state, rhs, nfuzzy)
    state.rules.setdefault(state.ruleset, []).append(Rule(tuple(lhs), tuple(rhs), state.lineno))


def _check_rhs(state: "ParseState", rhs: list[str], nfuzzy: int) -> None:
    inmap = False
    args = 0
    endtoken = ""
    for tok in rhs:
        head = tok[0]
        if head == MATCHREPL:
            digit = tok[1] if len(tok) > 1 else "\0"
            if digit <= "0" or digit > chr(ord("0") + nfuzzy):
                state.syserr(f"replacement ${digit} out of bounds")
        elif head in RHS_BOTCH:
            state.syserr(f"Inappropriate use of {RHS_BOTCH[head]} on RHS")
        elif head == CANONHOST and inmap:
            args += 1
            if args >= MAX_MAP_ARGS:
                state.syserr("too many arguments for map lookup")
        elif head in (HOSTBEGIN, LOOKUPBEGIN):
            endtoken = HOSTEND if head == HOSTBEGIN else LOOKUPEND
            if inmap:
                state.syserr("cannot nest map lookups")
            inmap = True
            args = 0
        elif head in (HOSTEND, LOOKUPEND) and head == endtoken:
            inmap = False
            endtoken = ""
    if inmap:
        state.syserr("missing map closing token")
