"""POSIX regular expressions (as glibc's regcomp reads them) translated to Python's re.

sendmail's regex map hands its pattern to regcomp() with REG_EXTENDED (or basic
syntax under -b) in the C locale.  Python's re differs in details that matter for
real patterns: '$' must not match before a final newline, '.' must match newlines,
backslash is literal inside brackets, [:alpha:] classes, \\< \\>, stacked repeats
like a**, a lone ')' being a literal, and error reporting.  This module rewrites the
pattern so re gives the same matches and the same group count, and raises glibc's
error texts for the common mistakes.  What it cannot give is POSIX's
leftmost-longest choice between alternatives: re takes the first that matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

RE_DUP_MAX = 0x7FFF

CLASSES = {
    "alpha": "a-zA-Z", "digit": "0-9", "alnum": "0-9a-zA-Z", "upper": "A-Z", "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v", "blank": " \\t", "xdigit": "0-9A-Fa-f",
    "punct": "!-/:-@\\[-`{-~", "print": " -~", "graph": "!-~", "cntrl": "\\x00-\\x1f\\x7f",
}

ESCAPES = {
    "w": "\\w", "W": "\\W", "s": "\\s", "S": "\\S", "b": "\\b", "B": "\\B",
    "<": "\\b(?=\\w)", ">": "\\b(?<=\\w)", "`": "\\A", "'": "\\Z",
}

ERR_PAREN = "Unmatched ( or \\("
ERR_BRACKET = "Unmatched [, [^, [:, [., or [="
ERR_BADPAT = "Invalid regular expression"
ERR_BRACE = "Unmatched \\{"
ERR_BADBR = "Invalid content of \\{\\}"
ERR_BADRPT = "Invalid preceding regular expression"
ERR_ESCAPE = "Trailing backslash"
ERR_CTYPE = "Invalid character class name"
ERR_RANGE = "Invalid range end"
ERR_COLLATE = "Invalid collation character"
ERR_SUBREG = "Invalid back reference"


class PosixRegexError(ValueError):
    """A pattern regcomp() would refuse; str() is glibc's regerror() text."""


def _char_in_class(c: str) -> str:
    return c if c.isascii() and c.isalnum() else "\\" + c if c.isascii() else c


@dataclass
class _Translator:
    pattern: str
    extended: bool
    pos: int = 0
    out: list[str] = field(default_factory=list)
    groups: int = 0
    closed: set[int] = field(default_factory=set)
    open_groups: list[tuple[int, int]] = field(default_factory=list)  # (group no, out index)
    closed_before: list[set[int]] = field(default_factory=list)  # `closed` at each open group
    atom_start: int | None = None    # out index where the last quantifiable piece begins
    quantified: bool = False

    # -- helpers ------------------------------------------------------------------------

    def peek(self, offset: int = 0) -> str:
        i = self.pos + offset
        return self.pattern[i] if i < len(self.pattern) else ""

    def atom(self, text: str) -> None:
        self.atom_start = len(self.out)
        self.quantified = False
        self.out.append(text)

    def no_atom(self, text: str) -> None:
        """Anchors, alternation, group starts: nothing a repeat may follow."""
        self.atom_start = None
        self.out.append(text)

    def repeat(self, text: str) -> None:
        if self.atom_start is None or (self.quantified and not self.extended):
            raise PosixRegexError(ERR_BADRPT)
        if self.quantified:
            inner = "".join(self.out[self.atom_start:])
            del self.out[self.atom_start:]
            self.out.append(f"(?:{inner})")
        self.out.append(text)
        self.quantified = True

    def at_branch_start(self) -> bool:
        return self.atom_start is None

    # -- pieces -------------------------------------------------------------------------

    def interval(self) -> str:
        """After '{' (or '\\{'): m, m, ,n or m,n up to the closing brace.

        The closing brace is found token by token, as glibc does: an escaped
        character never closes an extended interval, and only '\\}' closes a basic one.
        """
        p, i = self.pattern, self.pos
        while True:
            if i >= len(p):
                raise PosixRegexError(ERR_BRACE)
            if p[i] == "\\":
                if not self.extended and p[i + 1:i + 2] == "}":
                    end, after = i, i + 2
                    break
                i += 2
                continue
            if self.extended and p[i] == "}":
                end, after = i, i + 1
                break
            i += 1
        body = p[self.pos:end]
        self.pos = after
        m = re.fullmatch(r"(\d*)(,?)(\d*)", body)
        if m is None or (m.group(1) == "" and m.group(2) == ""):
            raise PosixRegexError(ERR_BADBR)
        low = int(m.group(1) or 0)
        if m.group(2) == "":
            high: int | None = low
        else:
            high = int(m.group(3)) if m.group(3) else None
        if low > RE_DUP_MAX or (high is not None and (high > RE_DUP_MAX or high < low)):
            raise PosixRegexError(ERR_BADBR)
        if high == low:
            return f"{{{low}}}"
        return f"{{{low},{'' if high is None else high}}}"

    def bracket(self) -> str:
        """A bracket expression, pos just after '['."""
        p, n = self.pattern, len(self.pattern)
        negate = self.peek() == "^"
        if negate:
            self.pos += 1
        if self.pos >= n:
            raise PosixRegexError(ERR_BADPAT)
        parts: list[str] = []
        first = True
        while True:
            if self.pos >= n:
                raise PosixRegexError(ERR_BRACKET)
            c = p[self.pos]
            if c == "]" and not first:
                self.pos += 1
                break
            first = False
            kind, start = self._bracket_element(parts)
            if self.peek() == "-" and self.peek(1) != "]":
                if kind in ("class", "equiv"):
                    raise PosixRegexError(ERR_RANGE)
                if self.peek(1) == "":
                    raise PosixRegexError(ERR_BRACKET)
                self.pos += 1
                end_kind, end = self._bracket_element(None)
                if end_kind in ("class", "equiv") or ord(end) < ord(start):
                    raise PosixRegexError(ERR_RANGE)
                if self.peek() == "-" and self.peek(1) != "]":
                    raise PosixRegexError(ERR_RANGE)
                parts.append(f"{_char_in_class(start)}-{_char_in_class(end)}")
            elif kind != "class":
                parts.append(_char_in_class(start))
        return "[" + ("^" if negate else "") + "".join(parts) + "]"

    def _bracket_element(self, parts: list[str] | None) -> tuple[str, str]:
        """One element: ("char" | "coll" | "equiv", the character) or ("class", "").

        A [:class:] is added to parts directly; classes and [=x=] cannot bound a range.
        """
        p = self.pattern
        if p[self.pos] == "[" and self.peek(1) in (":", ".", "="):
            kind = p[self.pos + 1]
            end = p.find(kind + "]", self.pos + 2)
            if end < 0:
                raise PosixRegexError(ERR_BRACKET)
            name = p[self.pos + 2:end]
            self.pos = end + 2
            if kind == ":":
                if name not in CLASSES:
                    raise PosixRegexError(ERR_CTYPE)
                if parts is not None:
                    parts.append(CLASSES[name])
                return "class", ""
            if len(name) != 1:
                raise PosixRegexError(ERR_COLLATE)
            return ("coll" if kind == "." else "equiv"), name
        c = p[self.pos]
        self.pos += 1
        return "char", c

    def escape(self) -> None:
        """A backslash outside brackets (ERE meaning; BRE operators are handled by the caller)."""
        c = self.peek()
        if c == "":
            raise PosixRegexError(ERR_ESCAPE)
        self.pos += 1
        if "1" <= c <= "9":
            number = int(c)
            if number not in self.closed:
                raise PosixRegexError(ERR_SUBREG)
            self.atom(f"(?:\\{number})")
        elif c in ESCAPES:
            if c in "wWsS":
                self.atom(ESCAPES[c])
            else:
                self.no_atom(ESCAPES[c])
        else:
            self.atom(re.escape(c))

    def alternative(self) -> None:
        """'|': groups closed in earlier branches cannot be referred to (glibc's rule)."""
        self.closed = set(self.closed_before[-1]) if self.closed_before else set()
        self.no_atom("|")

    def open_group(self) -> None:
        self.closed_before.append(set(self.closed))
        self.groups += 1
        self.open_groups.append((self.groups, len(self.out)))
        self.no_atom("(")

    def close_group(self) -> None:
        number, start = self.open_groups.pop()
        self.closed_before.pop()
        self.closed.add(number)
        self.out.append(")")
        self.atom_start = start
        self.quantified = False

    # -- main loops ---------------------------------------------------------------------

    def run(self) -> str:
        if self.extended:
            self.run_extended()
        else:
            self.run_basic()
        if self.open_groups:
            raise PosixRegexError(ERR_PAREN)
        return "".join(self.out)

    def run_extended(self) -> None:
        while self.pos < len(self.pattern):
            c = self.pattern[self.pos]
            self.pos += 1
            if c == "\\":
                self.escape()
            elif c == "[":
                self.atom(self.bracket())
            elif c == "(":
                self.open_group()
            elif c == ")" and self.open_groups:
                self.close_group()
            elif c == "|":
                self.alternative()
            elif c in "*+?":
                self.repeat(c)
            elif c == "{":
                if self.at_branch_start():
                    raise PosixRegexError(ERR_BADRPT)
                self.repeat(self.interval())
            elif c == "^":
                self.no_atom("^")
            elif c == "$":
                self.no_atom("\\Z")
            elif c == ".":
                self.atom(".")
            else:
                self.atom(re.escape(c))

    def run_basic(self) -> None:
        start_of_re = True
        while self.pos < len(self.pattern):
            c = self.pattern[self.pos]
            self.pos += 1
            was_start, start_of_re = start_of_re, False
            if c == "\\":
                op = self.peek()
                if op == "(":
                    self.pos += 1
                    self.open_group()
                    start_of_re = True
                elif op == ")":
                    self.pos += 1
                    if not self.open_groups:
                        raise PosixRegexError(ERR_PAREN)
                    self.close_group()
                elif op == "|":
                    self.pos += 1
                    self.alternative()
                    start_of_re = True
                elif op in ("+", "?"):
                    self.pos += 1
                    self.repeat(op)
                elif op == "{":
                    self.pos += 1
                    if self.at_branch_start() or self.quantified:
                        raise PosixRegexError(ERR_BADRPT)
                    self.repeat(self.interval())
                else:
                    self.escape()
            elif c == "[":
                self.atom(self.bracket())
            elif c == "*":
                if was_start or self.at_branch_start():
                    self.atom("\\*")
                else:
                    self.repeat("*")
            elif c == "^" and was_start:
                self.no_atom("^")
            elif c == "$" and self._bre_end():
                self.no_atom("\\Z")
            elif c == ".":
                self.atom(".")
            else:
                self.atom(re.escape(c))

    def _bre_end(self) -> bool:
        """In basic syntax '$' anchors only at the end of the pattern or of a group/branch."""
        rest = self.pattern[self.pos:self.pos + 2]
        return rest == "" or rest in ("\\)", "\\|")


@dataclass(frozen=True)
class CompiledPosix:
    """A translated pattern: the compiled re and regcomp's re_nsub."""

    regex: "re.Pattern[str]"
    nsub: int


def compile_posix(pattern: str, extended: bool = True, icase: bool = True) -> CompiledPosix:
    """regcomp() as the regex map calls it; raises PosixRegexError with glibc's message."""
    translator = _Translator(pattern, extended)
    python = translator.run()
    flags = re.DOTALL | re.ASCII | (re.IGNORECASE if icase else 0)
    try:
        compiled = re.compile(python, flags)
    except re.error as exc:
        raise PosixRegexError(f"Invalid regular expression ({exc.msg})") from None
    return CompiledPosix(compiled, translator.groups)
