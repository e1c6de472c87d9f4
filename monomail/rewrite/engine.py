"""The rewriting engine: sendmail's rewrite() and callsubr() over compiled rulesets.

A Rewriter is built once per Config (rules compiled, no per-call parsing) and run
with a RewriteEnv, which holds what changes per message or per -bt session:
macros, class additions, map handles and where trace and error lines go.
"""

from __future__ import annotations

import time
from typing import Callable

from monomail import sysexits as ex
from monomail.config.model import Config
from .addrutil import cataddr, lower, stripquotes
from .env import RewriteEnv
from .matcher import (DONE, NEXT, STEP_MATCH, STEP_TOKEN, CompiledRule, compile_rule,
                      match)
from .prescan import prescan
from .tokens import (CALLSUBR, CANONHOST, CANONNET, CANONUSER, HOSTBEGIN, HOSTEND,
                     LOOKUPBEGIN, LOOKUPEND, MAXATOM, MAXRWSETS)

MAX_RULE_RECURSION = 50
CACHE_LIMIT = 100_000
MAX_SUBR = 16
MAX_MAP_ARGS = 10


class CompiledRulesets:
    """The Config's rulesets, each compiled the first time it runs: a command-line run
    (-bv, a submission) uses a handful of a cf's hundred rulesets."""

    def __init__(self, config: Config) -> None:
        self._rules = config.rules
        self._compiled: dict[int, tuple[CompiledRule, ...] | None] = {}

    def __len__(self) -> int:
        return len(self._rules)

    def __getitem__(self, number: int) -> tuple[CompiledRule, ...] | None:
        compiled = self._compiled.get(number)
        if compiled is None and number not in self._compiled:
            rules = self._rules[number]
            compiled = tuple(compile_rule(r) for r in rules) if rules else None
            self._compiled[number] = compiled
        return compiled


class Rewriter:
    """Compiled rulesets of one Config."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.rulesets = CompiledRulesets(config)
        self._cache: dict[tuple, tuple[tuple[str, ...], int, tuple, float | None]] = {}
        self._ruleset_refs: dict[str, int] = {}

    def ruleset_name(self, number: int) -> str:
        return self.config.ruleset_names.get(number) or str(number)

    def rewrite(self, pvp: list[str], ruleset: int, env: RewriteEnv,
                reclevel: int = 0, maxatom: int = MAXATOM) -> int:
        """Rewrite `pvp` in place through `ruleset`; returns a sysexits status."""
        if ruleset < 0 or ruleset >= MAXRWSETS:
            env.syserr(f"554 5.3.5 rewrite: illegal ruleset number {ruleset}")
            return ex.EX_CONFIG
        name = self.ruleset_name(ruleset)
        if env.trace is not None:
            env.trace("%-16.16s   input:%s" % (name, env.printav(pvp)))
        if reclevel > MAX_RULE_RECURSION:
            env.syserr(f"rewrite: excessive recursion (max {MAX_RULE_RECURSION}), "
                       f"ruleset {name}")
            return ex.EX_CONFIG
        if env.trace is not None:
            status = self._run(pvp, ruleset, name, env, reclevel + 1, maxatom)
            env.trace("%-16.16s returns:%s" % (name, env.printav(pvp)))
            return status
        return self._run_cached(pvp, ruleset, name, env, reclevel, maxatom)

    def _run_cached(self, pvp: list[str], ruleset: int, name: str, env: RewriteEnv,
                    reclevel: int, maxatom: int) -> int:
        """Rulesets are pure functions of their input unless they look at a map, a
        run-time macro or say something: such runs are remembered and replayed."""
        key = (ruleset, reclevel, maxatom, *pvp)
        hit = self._cache.get(key)
        if hit is not None and env.macros_unchanged(hit[2]) and (
                hit[3] is None or time.monotonic() < hit[3]):
            pvp[:] = hit[0]
            env.macro_reads.extend(hit[2])
            if hit[3] is not None:
                env.expiries.append(hit[3])
            return hit[1]
        mark, reads, expiries = env.side_effects, len(env.macro_reads), len(env.expiries)
        status = self._run(pvp, ruleset, name, env, reclevel + 1, maxatom)
        if env.side_effects == mark and env.classes_pristine:
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            until = min(env.expiries[expiries:], default=None)
            self._cache[key] = (tuple(pvp), status, tuple(env.macro_reads[reads:]), until)
        if reclevel == 0:
            env.macro_reads.clear()
            env.expiries.clear()
        return status

    def _run(self, pvp: list[str], ruleset: int, name: str, env: RewriteEnv,
             reclevel: int, maxatom: int) -> int:
        rules = self.rulesets[ruleset] if ruleset < len(self.rulesets) else None
        if not rules:
            return ex.EX_OK
        rstat = ex.EX_OK
        idx = 0
        nrules = len(rules)
        loopcount = 0
        low = [t.lower() if t.isascii() else lower(t) for t in pvp]
        present = set(low)
        in_class, macro_value, join = env.in_class, env.macro_value, env.join_phrase
        members, prefixes = env.classes.members, env.classes.prefixes
        if pvp and pvp[0][:1] == CANONNET:
            return rstat
        while idx < nrules:
            rule = rules[idx]
            loopcount += 1
            if loopcount > 100:
                env.syserr(f"554 5.3.5 Infinite loop in ruleset {name}, rule {idx + 1}")
                break
            mlist = None
            anchor, tail = rule.anchor, rule.tail
            if rule.required <= present and (anchor is None or (low and low[0] == anchor)) \
                    and (tail is None or (low and low[-1] == tail)):
                if rule.fast is not None:
                    mlist = rule.fast(pvp, low, members, prefixes, macro_value, join)
                else:
                    mlist = match(rule.ops, pvp, low, in_class, macro_value, join)
            if mlist is None:
                idx += 1
                loopcount = 0
                continue
            nxt = idx
            if rule.after == NEXT:
                nxt = idx + 1
                loopcount = 0
            elif rule.after == DONE:
                nxt = nrules
            result = self._substitute(rule.steps, mlist, pvp, low, name, env, maxatom)
            if isinstance(result, int):
                return result
            npvp, low = result
            joined = "".join(npvp)
            if HOSTBEGIN in joined or LOOKUPBEGIN in joined:
                status = self._lookups(npvp, env, maxatom)
                if status.error is not None:
                    return status.error
                if status.tempfail:
                    rstat = ex.EX_TEMPFAIL
                low = [t.lower() if t.isascii() else lower(t) for t in npvp]
            if CALLSUBR in joined:
                sub = self.callsubr(npvp, reclevel, env)
                if rstat == ex.EX_OK or sub == ex.EX_TEMPFAIL:
                    rstat = sub
                low = [t.lower() if t.isascii() else lower(t) for t in npvp]
            pvp[:] = npvp
            present = set(low)
            idx = nxt
            if pvp and pvp[0][:1] == CANONNET:
                break
        return rstat

    def _substitute(self, steps: tuple[tuple[int, object, object], ...],
                    mlist: list[list[int]], pvp: list[str], low: list[str], name: str,
                    env: RewriteEnv, maxatom: int) -> tuple[list[str], list[str]] | int:
        """The RHS with $n and $&x filled in, and the same tokens lowered."""
        out: list[str] = []
        out_low: list[str] = []
        for kind, a, b in steps:
            if kind == STEP_TOKEN:
                out.append(a)  # type: ignore[arg-type]
                out_low.append(b)  # type: ignore[arg-type]
            elif kind == STEP_MATCH:
                if not 0 <= a < len(mlist):  # type: ignore[operator]
                    env.syserr(f"554 5.3.5 rewrite: ruleset {name}: replacement "
                               f"${b} out of bounds")
                    return ex.EX_CONFIG
                _, first, last = mlist[a]  # type: ignore[index]
                out.extend(pvp[first:last + 1])
                out_low.extend(low[first:last + 1])
            else:
                value = env.macro_value(a) if a is not None else None  # type: ignore[arg-type]
                if not value:
                    continue
                tokens, _ = prescan(value, "\0", env.tables.external, usrerr=env.usrerr)
                if tokens is None:
                    return ex.EX_DATAERR
                out.extend(tokens)
                out_low.extend(lower(t) for t in tokens)
        if len(out) > maxatom:
            env.syserr("554 5.3.0 rewrite: expansion too long")
            return ex.EX_DATAERR
        return out, out_low

    def _lookups(self, npvp: list[str], env: RewriteEnv, maxatom: int) -> "_LookupStatus":
        """Replace every $[ $] and $( $) in place, as sendmail does after substitution."""
        result = _LookupStatus()
        i = 0
        while i < len(npvp):
            head = npvp[i][:1]
            if head == HOSTBEGIN:
                end_tok, mapname, key_start = HOSTEND, "host", i + 1
            elif head == LOOKUPBEGIN:
                end_tok = LOOKUPEND
                if i + 1 >= len(npvp):
                    env.syserr("554 5.3.0 rewrite: missing mapname")
                    result.error = ex.EX_CONFIG
                    return result
                mapname, key_start = npvp[i + 1], i + 2
            else:
                i += 1
                continue
            end = key_start
            while end < len(npvp) and npvp[end][:1] != end_tok:
                end += 1
            key, args, default = _split_lookup(npvp[key_start:end])
            replacement = self._lookup(mapname, key, args, default, env, result)
            if result.error is not None:
                return result
            npvp[i:end + 1] = replacement
            if len(npvp) >= maxatom:
                env.syserr("554 5.3.0 rewrite: expansion too long")
                result.error = ex.EX_DATAERR
                return result
            i += len(replacement)
        return result

    def _lookup(self, mapname: str, key_tokens: list[str], args: list[list[str]],
                default: list[str] | None, env: RewriteEnv,
                result: "_LookupStatus") -> list[str]:
        handle = env.map(mapname)
        if handle is None:
            env.syserr(f"554 5.3.0 rewrite: map {mapname} not found")
        spacesub = handle.spacesub if handle is not None else ""
        key = cataddr(key_tokens, spacesub or env.space_sub, True, env.tables.internal)
        argv = [key] + [cataddr(a, env.space_sub, True, env.tables.internal) for a in args]
        replac: str | None = None
        external = False
        if handle is not None:
            replac, status = env.lookup_map(handle, key, argv)
            note_purity(handle, key, env)
            if status == ex.EX_TEMPFAIL:
                result.tempfail = True
            external = replac is not None
        if replac is None and default is not None:
            replac = cataddr(default, env.space_sub, False, env.tables.internal)
        if replac is None:
            return key_tokens
        if replac == "":
            return []
        table = env.tables.external if external else env.tables.internal
        tokens, _ = prescan(replac, "\0", table, usrerr=env.usrerr)
        if tokens is None:
            result.error = ex.EX_DATAERR
            return []
        return tokens

    def callsubr(self, pvp: list[str], reclevel: int, env: RewriteEnv) -> int:
        """Run the $>set calls in pvp, right-most first, in place."""
        calls: list[tuple[int, int]] = []
        i = 0
        while i < len(pvp):
            if pvp[i][:1] == CALLSUBR and i + 1 < len(pvp):
                target = stripquotes(pvp[i + 1])
                number = self.find_ruleset(target, env.syserr)
                if number < 0:
                    env.syserr(f"554 5.3.5 Unknown ruleset {target}")
                    return ex.EX_CONFIG
                if not self.rulesets[number]:
                    del pvp[i:i + 2]
                    i += 1
                    continue
                if len(calls) + 1 >= MAX_SUBR:
                    env.syserr(f"554 5.3.0 Too many subroutine calls ({MAX_SUBR} max)")
                    return ex.EX_CONFIG
                calls.append((number, i))
            i += 1
        rstat = ex.EX_OK
        for number, index in reversed(calls):
            tail = pvp[index + 2:]
            status = self.rewrite(tail, number, env, reclevel, MAXATOM - index)
            pvp[index:] = tail
            if status != ex.EX_OK and status != ex.EX_TEMPFAIL:
                return status
            if rstat == ex.EX_OK or status == ex.EX_TEMPFAIL:
                rstat = status
        return rstat

    def find_ruleset(self, text: str, syserr: Callable[[str], None] | None = None) -> int:
        """sendmail's strtorwset in find mode: a number below 100 or a known name.

        With `syserr`, malformed names are reported in sendmail's words."""
        known = self._ruleset_refs.get(text)
        if known is not None:
            return known
        number = self._find_ruleset(text, syserr or (lambda message: None))
        if number >= 0:
            self._ruleset_refs[text] = number
        return number

    def _find_ruleset(self, text: str, report: Callable[[str], None]) -> int:
        text = text.lstrip(" \t\n\r\x0b\x0c")
        if text[:1] and not text[0].isascii():
            report(f'invalid ruleset name: "{text[:20]}"')
            return -1
        if text[:1].isdigit():
            number = int(text[:len(text) - len(text.lstrip("0123456789"))])
            if number >= MAXRWSETS // 2:
                report(f"bad ruleset {number} ({MAXRWSETS // 2} max)")
                return -1
            return number
        end = 0
        while end < len(text) and text[end].isascii() and (text[end].isalnum() or text[end] == "_"):
            end += 1
        if end == 0 or not text[0].isalpha():
            report(f'invalid ruleset name: "{text[:20]}"')
            return -1
        return self.config.ruleset_numbers.get(text[:end], -1)


def note_purity(handle, key: str, env: RewriteEnv) -> None:  # type: ignore[no-untyped-def]
    """Tell the result cache whether this lookup can be replayed: pure maps always,
    cached host names until their entry expires, anything else never."""
    if getattr(handle, "pure", False):
        return
    valid_until = getattr(handle, "valid_until", None)
    until = valid_until(key, env) if valid_until is not None else None
    if until is None:
        env.side_effects += 1
    else:
        env.expiries.append(until)


class _LookupStatus:
    __slots__ = ("error", "tempfail")

    def __init__(self) -> None:
        self.error: int | None = None
        self.tempfail = False


def _split_lookup(tokens: list[str]) -> tuple[list[str], list[list[str]], list[str] | None]:
    """Key, $@ arguments and $: default of one lookup."""
    key: list[str] = []
    args: list[list[str]] = []
    default: list[str] | None = None
    current = key
    for tok in tokens:
        head = tok[:1]
        if head == CANONHOST:
            current = []
            if len(args) < MAX_MAP_ARGS - 1:
                args.append(current)
        elif head == CANONUSER:
            current = default = []
        else:
            current.append(tok)
    return key, args, default
