"""Reading an aliases(5) text file for the stab and implicit maps.

Logical lines follow sendmail's readaliases: a backslash before the newline joins
the next line directly, a next line starting with a blank continues the entry;
'#' lines and empty lines end an entry.  sendmail parses the left side with its
rulesets; here it is the text before the colon without quotes, which is what
local names in alias files are.
"""

from __future__ import annotations

from typing import Callable, Iterator

from monomail.rewrite.addrutil import stripquotes

from .base import SPACES

BUFSIZ = 8192  # readaliases' line buffer


def logical_lines(data: str) -> Iterator[tuple[int, str]]:
    """(line number, joined text) for every entry, continuations folded in.

    The number is that of the entry's last physical line, which is where sendmail's
    reader stands when it reports a problem.
    """
    lines = data.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i, n = 0, len(lines)
    while i < n:
        text = lines[i]
        i += 1
        while True:
            if text.endswith("\\"):
                text = text[:-1]
            elif not (i < n and lines[i][:1] in (" ", "\t")):
                break
            if i >= n:
                break
            text += lines[i]
            i += 1
        yield i, text[:BUFSIZ - 1]


def read_alias_file(path: str, data: str, report: Callable[[str], None]
                    ) -> Iterator[tuple[str, str]]:
    """(name, value) pairs of an alias file; bad lines are reported as sendmail words them."""
    for lineno, line in logical_lines(data):
        where = f"{path}: line {lineno}: "
        if line[:1] in ("#", ""):
            continue
        if line[0] in " \t":
            report(where + "Non-continuation line starts with space")
            continue
        colon = line.find(":")
        if colon < 0:
            report(where + "missing colon")
            continue
        lhs = stripquotes(line[:colon].strip(SPACES))
        if not lhs:
            report(where + f"{line[:40]}... illegal alias name")
            continue
        if lhs.lower() == "postmaster":
            lhs = "postmaster"
        rhs = line[colon + 1:].lstrip(SPACES)
        if not rhs.strip(SPACES):
            report(where + f"{line[:40]}... missing value for alias")
            continue
        yield lhs, rhs
