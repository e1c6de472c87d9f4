"""text maps and the column and line readers they share with the hosts file."""

from __future__ import annotations

from pathlib import Path

import pytest

from monomail.maps.base import SM_NOTFOUND
from monomail.maps.textmap import column_number, fgets_lines, get_column
from monomail.sysexits import EX_NOTFOUND, EX_OK, EX_TEMPFAIL, EX_UNAVAILABLE
from test_maps import Ctx, make

TEXT = "Alpha one two\nbeta:x:y\n# comment\ngamma\t3\n  delta 4\nEps  %1-%0-%%-%x\n"


@pytest.fixture
def table(tmp_path: Path) -> Path:
    path = tmp_path / "table.txt"
    path.write_text(TEXT)
    return path


@pytest.mark.parametrize("line,col,delim,expected", [
    ("a b  c", 0, "", "a"),
    ("a b  c", 2, "", "c"),
    ("a b  c", 3, "", None),
    ("  a b", 0, "", "a"),
    ("  a b", 1, "", "a"),  # leading blanks count as a separator after column 0
    (" a", 1, "", "a"),
    ("a b ", 2, "", ""),
    ("x:y::z", 3, ":", "z"),
    ("x:y::z", 2, ":", ""),
    (":y", 0, ":", None),
    ("", 0, "", None),
])
def test_get_column(line: str, col: int, delim: str, expected: str | None) -> None:
    assert get_column(line, col, delim) == expected


def test_get_column_truncates_long_columns() -> None:
    assert get_column("k" * 300, 0, "") == "k" * 256


def test_fgets_lines_split_long_lines() -> None:
    assert list(fgets_lines("ab\ncdefg\nh", size=4)) == ["ab\n", "cde", "fg\n", "h"]


def test_column_number() -> None:
    assert (column_number(None), column_number("12x"), column_number("x")) == (0, 12, None)


def test_key_and_value_columns(table: Path) -> None:
    ctx = Ctx()
    t = make(f"t text {table}")
    assert t.lookup_raw("ALPHA", ["ALPHA"], ctx) == ("Alpha", EX_OK)
    assert t.lookup_raw("delta", ["delta"], ctx) == ("delta", EX_OK)
    assert t.lookup_raw("comment", ["comment"], ctx) == (None, SM_NOTFOUND)
    v1 = make(f"v1 text -v1 {table}")
    assert v1.lookup_raw("alpha", ["alpha"], ctx) == ("one", EX_OK)
    assert v1.lookup_raw("eps", ["eps"], ctx) == ("-eps-%-%x", EX_OK)
    assert v1.lookup("eps", ["eps", "A"], ctx) == ("A-eps-%-%x", EX_OK)
    assert make(f"v2 text -k1 -v2 -z: {table}").lookup_raw("x", ["x"], ctx) == ("y", EX_OK)
    assert make(f"v3 text -v2 {table}").lookup_raw("gamma", ["gamma"], ctx) == (None, SM_NOTFOUND)
    assert make(f"v4 text -z\\t -v1 {table}").lookup_raw("gamma", ["gamma"], ctx) == ("3", EX_OK)
    assert make(f"m text -m -a! {table}").lookup_raw("Beta:x:y", ["b"], ctx) == ("Beta:x:y!", EX_OK)
    assert ctx.messages == []


def test_text_file_is_read_at_every_lookup(table: Path) -> None:
    ctx = Ctx()
    t = make(f"t text -v1 {table}")
    assert t.lookup("new", ["new"], ctx) == (None, EX_NOTFOUND)
    table.write_text("new entry\n")
    assert t.lookup("new", ["new"], ctx) == ("entry", EX_OK)


def test_open_errors(table: Path, tmp_path: Path) -> None:
    ctx = Ctx()
    assert make("r text relative").lookup("a", ["a"], ctx) == (None, EX_TEMPFAIL)
    assert make(f"k text -kx {table}").lookup("a", ["a"], ctx) == (None, EX_TEMPFAIL)
    assert make(f"v text -vname {table}").lookup("a", ["a"], ctx) == (None, EX_TEMPFAIL)
    assert make(f"u text {tmp_path}/none").lookup("a", ["a"], ctx) == (None, EX_TEMPFAIL)
    assert make(f"o text -o {tmp_path}/none").lookup("a", ["a"], ctx) == (None, EX_NOTFOUND)
    assert ctx.messages == [
        'text map "r": file name must be fully qualified',
        f'text map "k", file {table}: -k should specify a number, not x',
        f'text map "v", file {table}: -v should specify a number, not name',
        f'text map "u": unsafe map file {tmp_path}/none']


def test_file_that_disappears_makes_the_map_unusable(table: Path) -> None:
    ctx = Ctx()
    t = make(f"t text {table}")
    assert t.lookup("alpha", ["alpha"], ctx) == ("Alpha", EX_OK)
    table.unlink()
    assert t.lookup_raw("alpha", ["alpha"], ctx) == (None, EX_UNAVAILABLE)
    assert not t.valid
    table.write_text(TEXT)
    assert t.lookup("alpha", ["alpha"], ctx) == (None, EX_NOTFOUND)
