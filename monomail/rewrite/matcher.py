"""Rule LHS compiled once into opcodes, and sendmail's backtracking match over them.

The search order (wildcards grow one token at a time from the right-most binding,
classes match phrases) decides which binding wins, so it follows sendmail's
algorithm step for step; the speed comes from rejecting rules early: a rule whose
LHS has a literal token the address lacks cannot match and is never tried.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from monomail.config.model import Rule
from .addrutil import lower
from .tokens import (CANONHOST, CANONUSER, MACRODEXPAND, MATCHANY, MATCHCLASS, MATCHNCLASS,
                     MATCHONE, MATCHREPL, MATCHZANY, MATCHZERO)

LIT, ZANY, ANY, ONE, CLASS, NCLASS, ZERO, DMACRO = range(8)
_KINDS = {MATCHZANY: ZANY, MATCHANY: ANY, MATCHONE: ONE, MATCHCLASS: CLASS,
          MATCHNCLASS: NCLASS, MATCHZERO: ZERO, MACRODEXPAND: DMACRO}


@dataclass(frozen=True)
class CompiledRule:
    """A rule ready to run: opcodes, the literals it needs, its RHS."""

    ops: tuple[tuple[int, object], ...]
    required: frozenset[str]
    anchor: str | None  # the literal the first token must be, when the LHS starts with one
    tail: str | None  # likewise the last token, when the LHS ends with a literal
    rhs: tuple[str, ...]
    line: int
    fast: Callable[..., "list | None"] | None = None  # generated matcher (matchgen)
    steps: tuple[tuple[int, object, object], ...] = ()  # the RHS as substitution steps
    after: int = 0  # what a match does next: AGAIN, NEXT ($:) or DONE ($@)


def compile_rule(rule: Rule) -> CompiledRule:
    ops: list[tuple[int, object]] = []
    required: set[str] = set()
    for tok in rule.lhs:
        kind = _KINDS.get(tok[0], LIT) if len(tok) <= 2 else LIT
        if kind == LIT or (kind in (ZANY, ANY, ONE, ZERO) and len(tok) != 1):
            ops.append((LIT, lower(tok)))
            required.add(lower(tok))
        elif kind in (CLASS, NCLASS, DMACRO):
            ops.append((kind, ord(tok[1]) if len(tok) > 1 else 0))
        else:
            ops.append((kind, None))
    from .matchgen import generate
    anchor = ops[0][1] if ops and ops[0][0] == LIT else None
    tail = ops[-1][1] if ops and ops[-1][0] == LIT else None
    rhs, after = rule.rhs, AGAIN
    if rhs and rhs[0] in (CANONUSER, CANONHOST):
        rhs, after = rhs[1:], NEXT if rhs[0] == CANONUSER else DONE
    return CompiledRule(tuple(ops), frozenset(required), anchor, tail, rule.rhs,  # type: ignore[arg-type]
                        rule.line, generate(tuple(ops)), compile_rhs(rhs), after)


AGAIN, NEXT, DONE = range(3)
STEP_TOKEN, STEP_MATCH, STEP_MACRO = range(3)


def compile_rhs(rhs: tuple[str, ...]) -> tuple[tuple[int, object, object], ...]:
    """(STEP_TOKEN, token, lowered) | (STEP_MATCH, index of $n, "n") | (STEP_MACRO, id, None)."""
    steps: list[tuple[int, object, object]] = []
    for tok in rhs:
        if tok[0] == MATCHREPL:
            digit = tok[1:2]
            steps.append((STEP_MATCH, ord(digit) - ord("1") if digit else -1, digit))
        elif tok[0] == MACRODEXPAND:
            steps.append((STEP_MACRO, ord(tok[1]) if len(tok) > 1 else None, None))
        else:
            steps.append((STEP_TOKEN, tok, lower(tok)))
    return tuple(steps)


InClass = Callable[..., bool]
MacroValue = Callable[[int], "str | None"]
Joiner = Callable[[list[str]], str]


def match(ops: tuple[tuple[int, object], ...], av: list[str], low: list[str],
          in_class: InClass, macro: MacroValue, join: Joiner) -> list[list[int]] | None:
    """Return the bindings [[op index, first, last], ...] or None; sendmail's order."""
    n, m = len(av), len(ops)
    mlist: list[list[int]] = []
    ri = ai = 0
    while ai < n or ri < m:
        ok = True
        if ri >= m:
            ok = False
        else:
            kind, arg = ops[ri]
            if ai >= n and kind != ZANY and kind != ZERO:
                ok = False
            elif kind == LIT:
                if low[ai] != arg:
                    ok = False
                else:
                    ai += 1
            elif kind == ZANY:
                mlist.append([ri, ai, ai - 1])
            elif kind == ANY or kind == ONE:
                mlist.append([ri, ai, ai])
                ai += 1
            elif kind == NCLASS:
                if in_class(arg, av[ai]):
                    ok = False
                else:
                    mlist.append([ri, ai, ai])
                    ai += 1
            elif kind == CLASS:
                entry = [ri, ai, ai]
                ai = _extend_class(entry, ai, av, arg, in_class, join)
                if ai < 0:
                    ok = False
                else:
                    mlist.append(entry)
            elif kind == DMACRO:
                ai, ok = match_macro(ai, av, macro(arg))
        if ok:
            ri += 1
            continue
        # back up: grow the right-most binding that can grow
        while mlist:
            entry = mlist.pop()
            ri = entry[0]
            ai = entry[2] + 1
            if ai >= n:
                continue
            kind = ops[ri][0]
            if kind == ANY or kind == ZANY:
                entry[2] = ai
                ai += 1
                ri += 1
                mlist.append(entry)
                break
            if kind == CLASS:
                ai = _extend_class(entry, ai, av, ops[ri][1], in_class, join)
                if ai >= 0:
                    mlist.append(entry)
                    ri += 1
                    break
                # ran off the end: keep backing up
        else:
            return None
    return mlist


def _extend_class(entry: list[int], ai: int, av: list[str], mid: object,
                  in_class: InClass, join: Joiner) -> int:
    """Grow a class binding token by token until the phrase is in the class (-1: never)."""
    first = entry[1]
    n = len(av)
    while ai < n:
        entry[2] = ai
        ai += 1
        phrase = av[first] if ai - first == 1 else join(av[first:ai])
        if in_class(mid, phrase):  # type: ignore[arg-type]
            return ai
        if not in_class(mid, phrase, True):  # type: ignore[call-arg]
            return -1
    return -1


def match_macro(ai: int, av: list[str], value: str | None) -> tuple[int, bool]:
    """$&x on a LHS: the macro's text must be spelled by the next tokens."""
    if value is None:
        return ai, True
    pos = 0
    start = ai
    while pos < len(value):
        if ai >= len(av):
            return start, False
        tok = av[ai]
        if lower(value[pos:pos + len(tok)]) != lower(tok) or len(tok) == 0:
            return start, False
        pos += len(tok)
        ai += 1
    return ai, True
