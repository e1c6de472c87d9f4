"""Each rule's LHS turned into its own Python function, generated once per cf.

sendmail's backtracking (grow the right-most binding first, wildcards lazy) is the
same search as nested loops in pattern order, each wildcard trying its shortest
binding first; generating those loops per rule lets CPython run straight-line code
instead of interpreting opcodes, several times faster.  A rule too deeply nested for
the compiler keeps the interpreting matcher (matcher.match), which is the reference.
"""

from __future__ import annotations

from typing import Callable

from .matcher import ANY, CLASS, DMACRO, LIT, NCLASS, ONE, ZANY, ZERO, match_macro

GeneratedMatcher = Callable[..., "list[tuple[int, int, int]] | None"]


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)


def _emit(ops: tuple[tuple[int, object], ...], k: int, pos: str, depth: int,
          binds: list[str], w: _Writer) -> None:
    """Code that matches ops[k:] from token index `pos` (an expression)."""
    if k == len(ops):
        w.add(depth, f"if {pos} == n:")
        w.add(depth + 1, f"return [{', '.join(binds)}]")
        return
    kind, arg = ops[k]
    last = k == len(ops) - 1
    if kind == LIT:
        run = [arg]
        while k + len(run) < len(ops) and ops[k + len(run)][0] == LIT:
            run.append(ops[k + len(run)][1])
        tests = " and ".join(f"low[{pos} + {i}] == {lit!r}" for i, lit in enumerate(run))
        w.add(depth, f"if {pos} + {len(run)} <= n and {tests}:")
        _emit(ops, k + len(run), f"{pos} + {len(run)}", depth + 1, binds, w)
    elif kind == ZERO:
        _emit(ops, k + 1, pos, depth, binds, w)
    elif kind in (ONE, NCLASS):
        guard = f"{pos} < n" + (f" and low[{pos}] not in C[{arg}]" if kind == NCLASS else "")
        w.add(depth, f"if {guard}:")
        _emit(ops, k + 1, f"{pos} + 1", depth + 1, binds + [f"({k}, {pos}, {pos})"], w)
    elif kind in (ZANY, ANY) and last:
        low_bound = pos if kind == ZANY else f"{pos} + 1"
        w.add(depth, f"if {low_bound} <= n:")
        w.add(depth + 1, f"return [{', '.join(binds + [f'({k}, {pos}, n - 1)'])}]")
    elif kind in (ZANY, ANY):
        var = f"e{k}"
        start = pos if kind == ZANY else f"{pos} + 1"
        w.add(depth, f"for {var} in range({start}, n + 1):")
        _emit(ops, k + 1, var, depth + 1, binds + [f"({k}, {pos}, {var} - 1)"], w)
    elif kind == CLASS:
        var, phrase = f"e{k}", f"ph{k}"
        w.add(depth, f"for {var} in range({pos} + 1, n + 1):")
        w.add(depth + 1, f"{phrase} = low[{pos}] if {var} == {pos} + 1 else join(low[{pos}:{var}])")
        w.add(depth + 1, f"if {phrase} in C[{arg}]:")
        _emit(ops, k + 1, var, depth + 2, binds + [f"({k}, {pos}, {var} - 1)"], w)
        w.add(depth + 1, f"if {phrase} not in P[{arg}]:")
        w.add(depth + 2, "break")
    elif kind == DMACRO:
        var = f"m{k}"
        w.add(depth, f"if {pos} < n:")
        w.add(depth + 1, f"{var}, ok{k} = match_macro({pos}, av, macro({arg}))")
        w.add(depth + 1, f"if ok{k}:")
        _emit(ops, k + 1, var, depth + 2, binds, w)


def generate(ops: tuple[tuple[int, object], ...]) -> GeneratedMatcher | None:
    """A function (av, low, C, P, macro, join) -> bindings or None, where C and P are a
    ClassTable's lowered members and prefixes and `low` the lowered tokens; None if
    the rule nests too deeply for the compiler."""
    w = _Writer()
    w.add(0, "def matcher(av, low, C, P, macro, join):")
    w.add(1, "n = len(av)")
    _emit(ops, 0, "0", 1, [], w)
    w.add(1, "return None")
    scope: dict[str, object] = {"match_macro": match_macro}
    try:
        exec(compile("\n".join(w.lines), "<rule>", "exec"), scope)  # noqa: S102 - our own code
    except (SyntaxError, RecursionError):
        return None
    return scope["matcher"]  # type: ignore[return-value]
