"""Reading an aliases(5) text file the way sendmail's readaliases does.

newaliases and the stab map must say exactly what sendmail says about a bad file
(same words, same "file: line N:" numbers, same exit status) and count the same
statistics, so this module keeps every quirk that shows in sendmail 8.17's output:

* a line ending in a backslash is joined to the next line; a next line starting
  with a blank continues the entry -- also after a comment or an empty line, so
  "#x" followed by " y" is one comment and "" followed by " y" is an error;
* an entry's number is that of its last physical line;
* the name is parsed as an address up to the first ':' outside quotes and
  comments: comments are dropped, words are joined by one blank, quotes are kept
  (keys fold to lower case when stored, see newaliases);
* the value is the text after the first ':' with leading blanks skipped and
  trailing blanks kept; it is not interpreted here (lists, ":include:", "|prog",
  "/file", "error:" are recipient processing's business);
* a name given twice keeps the last value (sendmail overwrites after its
  warning), or with the map's -A flag the values are joined "new,old".

Errors that sendmail reports with syserr make newaliases exit EX_SOFTWARE (70);
warnings (duplicates, an unbalanced quote) do not change the status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator

from monomail.config.errors import where

BUFSIZ = 8192          # readaliases' line buffer, joined continuation lines included
BLANKS = " \t\n\v\f\r"  # isspace() in the C locale
#: characters that are tokens of their own when sendmail's prescan splits a name
OPERATORS = set('.:%@!^/[]+()<>,;\\"')
#: aliases every site must have (RFC 5321 section 4.5.1, and the bounce sender)
REQUIRED = ("postmaster", "mailer-daemon")


@dataclass(frozen=True)
class Diagnostic:
    """One message as sendmail prints it; `error` is True for syserr (exit 70)."""

    text: str
    error: bool


@dataclass(frozen=True)
class LogicalLine:
    """An entry after joining continuation lines; `too_long` if it overflowed BUFSIZ."""

    lineno: int
    text: str
    too_long: bool = False


@dataclass
class AliasFile:
    """What readaliases makes of one file: the entries to store and what it said."""

    path: str
    entries: dict[str, str] = field(default_factory=dict)   # folded name -> value
    diagnostics: list[Diagnostic] = field(default_factory=list)
    count: int = 0      # aliases stored (duplicates counted each time, as sendmail does)
    longest: int = 0    # longest value, in octets
    total: int = 0      # sum of name and value lengths

    @property
    def failed(self) -> bool:
        """Did any syserr-class error occur?  (newaliases then exits EX_SOFTWARE.)"""
        return any(d.error for d in self.diagnostics)

    def summary(self) -> str:
        """The statistics line sendmail prints after reading a file."""
        return (f"{self.path}: {self.count} aliases, longest {self.longest} bytes, "
                f"{self.total} bytes total")


def physical_lines(data: str) -> list[tuple[str, bool]]:
    """Each line without its newline, and whether it had one (the last may not)."""
    lines = data.split("\n")
    last = lines.pop()
    return [(line, True) for line in lines] + ([(last, False)] if last else [])


def logical_lines(data: str) -> Iterator[LogicalLine]:
    """Entries with continuations folded in, numbered by their last physical line.

    A backslash joins only when a newline follows it: at the very end of a file
    without one, sendmail keeps the backslash in the value.
    """
    text: str | None = None
    glued = False
    number = 0
    for number, (line, newline) in enumerate(physical_lines(data), start=1):
        if text is not None and not glued and line[:1] not in (" ", "\t"):
            yield _logical(number - 1, text)
            text = None
        text = line if text is None else text + line
        glued = newline and text.endswith("\\")
        if glued:
            text = text[:-1]
    if text is not None:
        yield _logical(number, text)


def _logical(lineno: int, text: str) -> LogicalLine:
    return LogicalLine(lineno, text, too_long=len(text) >= BUFSIZ - 1)


@dataclass(frozen=True)
class ParsedName:
    """The name of an entry as sendmail's address parser leaves it."""

    name: str               # "" when there is no address at all
    warning: str | None     # e.g. an unbalanced quote, which sendmail only reports


def tokenize_name(text: str) -> tuple[list[str], str | None]:
    """Split the left side into address tokens up to the first ':' outside quotes and
    comments; comments are dropped.  Returns the tokens and a warning, if any."""
    tokens: list[str] = []
    word = ""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            end = _quote_end(text, i)
            if end < 0:
                return _flush(tokens, word) + [text[i:] + '"'], "Unbalanced '\"'"
            word += text[i:end + 1]
            i = end + 1
            continue
        if c == "(":
            tokens, word = _flush(tokens, word), ""
            i = _comment_end(text, i)
            continue
        if c == ":":
            break
        if c == "\\" and i + 1 < n:
            word += text[i:i + 2]
            i += 2
            continue
        if c in BLANKS or c in OPERATORS:
            tokens, word = _flush(tokens, word), ""
            if c not in BLANKS:
                tokens.append(c)
        else:
            word += c
        i += 1
    return _flush(tokens, word), None


def _flush(tokens: list[str], word: str) -> list[str]:
    return tokens + [word] if word else tokens


def _quote_end(text: str, start: int) -> int:
    """Index of the quote closing the one at start (backslash escapes), or -1."""
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i
        i += 1
    return -1


def _comment_end(text: str, start: int) -> int:
    """Index just past the (possibly nested) comment at start; the line's end if open."""
    depth, i = 0, start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        i += 1
        if depth == 0:
            return i
    return len(text)


def join_tokens(tokens: Iterable[str]) -> str:
    """Tokens back to text with one blank between two words only (sendmail's cataddr)."""
    out = ""
    prev_word = False
    for token in tokens:
        is_word = token not in OPERATORS
        if out and prev_word and is_word:
            out += " "
        out += token
        prev_word = is_word
    return out


def parse_name(text: str) -> ParsedName:
    """The alias name of an entry's left side; postmaster in any case becomes lower case."""
    tokens, warning = tokenize_name(text)
    name = join_tokens(tokens)
    if name.lower() == "postmaster":
        name = "postmaster"
    return ParsedName(name, warning)


def fold_key(name: str) -> str:
    """The key a hash alias map stores: ASCII lower case, cut as sendmail cuts keys."""
    return name[:256].translate(_LOWER)


_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


class AliasReader:
    """readaliases for one file: feeds logical lines into an AliasFile."""

    def __init__(self, path: str, append: bool = False) -> None:
        self.result = AliasFile(path)
        self.append = append

    def say(self, lineno: int, text: str, error: bool) -> None:
        self.result.diagnostics.append(
            Diagnostic(f"{where(self.result.path, lineno)}: {text}", error))

    def read(self, data: str) -> AliasFile:
        """Every entry of the file's text; the result also carries the messages."""
        for line in logical_lines(data):
            self.entry(line)
        return self.result

    def entry(self, line: LogicalLine) -> None:
        text = line.text
        if line.too_long:
            self.say(line.lineno, "alias line too long", error=True)
            return
        if text[:1] in ("#", ""):
            return
        if text[0] in " \t":
            self.say(line.lineno, "Non-continuation line starts with space", error=True)
            return
        colon = text.find(":")
        if colon < 0:
            self.say(line.lineno, "missing colon", error=True)
            return
        parsed = parse_name(text)
        if parsed.warning is not None:
            self.say(line.lineno, f"{text}... {parsed.warning}", error=False)
        if not parsed.name:
            self.say(line.lineno, f"{text[:40]}... illegal alias name", error=True)
            return
        value = text[colon + 1:].lstrip(BLANKS)
        if not value.strip(BLANKS):
            self.say(line.lineno, f"{text[:40]}... missing value for alias", error=True)
            return
        self.store(line.lineno, parsed.name, value)

    def store(self, lineno: int, name: str, value: str) -> None:
        """Enter one alias and count it; a repeated name warns and then overwrites."""
        result = self.result
        key = fold_key(name)
        old = result.entries.get(key)
        if old is not None and not self.append:
            self.say(lineno, f"{name}... Warning: duplicate alias name {name}", error=False)
        result.entries[key] = value if old is None or not self.append else f"{value},{old}"
        result.count += 1
        result.total += len(name) + len(value)
        result.longest = max(result.longest, len(value))


def read_aliases(path: str, data: str, append: bool = False) -> AliasFile:
    """Parse the text of an aliases file named path (messages name it)."""
    return AliasReader(path, append).read(data)


def load_aliases(path: str, append: bool = False) -> AliasFile:
    """Read and parse an aliases file; octets map 1:1 to characters (latin-1)."""
    with open(path, "rb") as f:
        data = f.read().decode("latin-1")
    return read_aliases(path, data, append)


def missing_required(entries: Iterable[str]) -> list[str]:
    """The required names (postmaster, MAILER-DAEMON) that a set of folded keys lacks.

    sendmail 8.17 itself does not check this; monomail warns because a site without
    them silently loses bounces and abuse reports.
    """
    present = {fold_key(name) for name in entries}
    return [name for name in REQUIRED if name not in present]


def required_warning(path: str, missing: list[str]) -> str:
    """The warning newaliases prints for missing required aliases."""
    names = ", ".join("MAILER-DAEMON" if m == "mailer-daemon" else m for m in missing)
    return f"{path}: Warning: no alias for required name(s): {names}"
