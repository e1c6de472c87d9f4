"""`text` maps: a flat file scanned line by line, with key and value columns (-k, -v, -z).

The file is read again at every lookup, as sendmail does, so edits take effect at
once.  Columns are cut the way sendmail's get_column cuts them (also used for the
hosts file), lines longer than sendmail's 2048-octet buffer are split as its fgets
splits them, and a column longer than 256 octets is truncated.
"""

from __future__ import annotations

from typing import Iterator, Sequence

from monomail.sysexits import EX_OK, EX_UNAVAILABLE

from .base import (MAXLINE, MAXNAME, SM_NOTFOUND, SPACES, Map, MapContext, MapOptions,
                   equal_ignore_case)

WHITE_DELIMS = "\n\t "


def get_column(line: str, col: int, delim: str, limit: int = MAXNAME) -> str | None:
    """Column `col` of `line` (delim "" means runs of white space), or None past the end."""
    delims = WHITE_DELIMS if delim == "" else delim
    if line == "":
        return None
    if delim != "" and line[0] == delim and col == 0:
        return None
    begin = 0
    n = len(line)
    if col == 0 and delim == "":
        while begin < n and line[begin] in SPACES:
            begin += 1
    for _ in range(col):
        nxt = _find_any(line, delims, begin)
        if nxt < 0:
            return None
        begin = nxt + 1
        if delim == "":
            while begin < n and line[begin] in SPACES:
                begin += 1
    end = _find_any(line, delims, begin)
    text = line[begin:] if end < 0 else line[begin:end]
    return text[:limit]


def _find_any(s: str, chars: str, start: int) -> int:
    """strpbrk: index of the first of `chars` at or after start, -1 if none."""
    best = -1
    for ch in chars:
        i = s.find(ch, start)
        if i >= 0 and (best < 0 or i < best):
            best = i
    return best


def fgets_lines(data: str, size: int = MAXLINE) -> Iterator[str]:
    """The pieces a C loop of fgets(buf, size) returns: lines, long ones cut at size-1."""
    start, n = 0, len(data)
    while start < n:
        nl = data.find("\n", start)
        end = n if nl < 0 else nl + 1
        end = min(end, start + size - 1)
        yield data[start:end]
        start = end


def column_number(text: str | None) -> int | None:
    """-k/-v for text maps: must start with a digit (atoi of it), absent means column 0."""
    if text is None:
        return 0
    if not (text[:1].isascii() and text[:1].isdigit()):
        return None
    digits = ""
    for ch in text:
        if not (ch.isascii() and ch.isdigit()):
            break
        digits += ch
    return int(digits)


class TextMap(Map):
    """`K name text [-kN] [-vN] [-zC] /absolute/file`."""

    def __init__(self, options: MapOptions, valid: bool = True) -> None:
        super().__init__(options, valid)
        self.keycol = 0
        self.valcol = 0

    def _open(self, ctx: MapContext) -> bool:
        """text_map_open: the file must be named absolutely; -k and -v must be numbers."""
        o = self.options
        file = o.file or ""
        if file == "":
            ctx.message(f'text map "{self.name}": file name required')
            return False
        if not file.startswith("/"):
            ctx.message(f'text map "{self.name}": file name must be fully qualified')
            return False
        try:
            with open(file, "rb"):
                pass
        except OSError:
            if not o.optional:
                ctx.message(f'text map "{self.name}": unsafe map file {file}')
            return False
        for flag, text, attr in (("k", o.keycol, "keycol"), ("v", o.valcol, "valcol")):
            number = column_number(text)
            if number is None:
                ctx.message(f'text map "{self.name}", file {file}: -{flag} should specify '
                            f"a number, not {text}")
                return False
            setattr(self, attr, number)
        return True

    def _lookup(self, key: str, args: Sequence[str], ctx: MapContext) -> tuple[str | None, int]:
        search = key[:MAXNAME]
        try:
            with open(self.options.file or "", "rb") as f:
                data = f.read().decode("latin-1")
        except OSError:
            self.invalidate()
            return None, EX_UNAVAILABLE
        delim = self.options.coldelim
        for piece in fgets_lines(data):
            if piece.startswith("#"):
                continue
            line = piece.split("\n", 1)[0]
            column = get_column(line, self.keycol, delim)
            if column is not None and equal_ignore_case(search, column):
                value = get_column(line, self.valcol, delim)
                if value is None:
                    return None, SM_NOTFOUND
                return self.answer(key, value, args), EX_OK
        return None, SM_NOTFOUND
