"""hash, btree, implicit and stab maps over files built by monomail's makemap."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from monomail.maps.base import SM_NOTFOUND
from monomail.maps.dbfile import MapFileError, db_path, open_map_file
from monomail.sysexits import EX_NOTFOUND, EX_OK, EX_TEMPFAIL
from test_makemap import run_makemap
from test_maps import Ctx, make

SOURCE = b"foo bar\nBaz Qux\nper %1+%2=%0!\nnul x\n"


@pytest.fixture
def cf(tmp_path: Path) -> Path:
    path = tmp_path / "sendmail.cf"
    path.write_text("V10/Berkeley\n")
    return path


def build(tmp_path: Path, cf: Path, name: str, *flags: str, data: bytes = SOURCE,
          map_type: str = "hash") -> str:
    path = str(tmp_path / name)
    assert run_makemap([*flags, map_type, path], data, cf)[0] == EX_OK
    return path


def test_db_path() -> None:
    assert db_path("/etc/mail/access") == "/etc/mail/access.db"
    assert db_path("/etc/mail/access.db") == "/etc/mail/access.db"


def test_lookup_folds_case_and_rewrites(tmp_path: Path, cf: Path) -> None:
    path = build(tmp_path, cf, "h")
    ctx = Ctx()
    m = make(f"h hash {path}", ctx)
    assert m.lookup_raw("FOO", ["FOO"], ctx) == ("bar", EX_OK)
    assert m.lookup_raw("per", ["per"], ctx) == ("+=per!", EX_OK)
    assert m.lookup("per", ["per", "a", "b"], ctx) == ("a+b=per!", EX_OK)
    assert m.lookup_raw("nope", ["nope"], ctx) == (None, EX_OK)
    assert m.lookup("nope", ["nope"], ctx) == (None, EX_NOTFOUND)
    assert m.lookup('"foo"', ['"foo"'], ctx) == ("bar", EX_OK)
    assert ctx.messages == []


def test_flags_a_m_q_f(tmp_path: Path, cf: Path) -> None:
    path = build(tmp_path, cf, "h")
    folded = build(tmp_path, cf, "hf", "-f")
    ctx = Ctx()
    assert make(f"a hash -a.ok {path}").lookup_raw("foo", ["foo"], ctx) == ("bar.ok", EX_OK)
    assert make(f"m hash -m -a! {path}").lookup_raw("Foo", ["Foo"], ctx) == ("Foo!", EX_OK)
    assert make(f"q hash -q {path}").lookup('"foo"', ['"foo"'], ctx) == (None, EX_NOTFOUND)
    exact = make(f"f hash -f {folded}")
    assert exact.lookup_raw("baz", ["baz"], ctx) == (None, EX_OK)
    assert exact.lookup_raw("Baz", ["Baz"], ctx) == ("Qux", EX_OK)


def test_nul_conventions(tmp_path: Path, cf: Path) -> None:
    with_nul = build(tmp_path, cf, "n", "-N", map_type="btree")
    ctx = Ctx()
    assert make(f"n btree -N {with_nul}").lookup_raw("foo", ["foo"], ctx) == ("bar", EX_OK)
    assert make(f"o btree -O {with_nul}").lookup_raw("foo", ["foo"], ctx) == (None, EX_OK)
    either = make(f"e btree {with_nul}")
    assert either.lookup_raw("baz", ["baz"], ctx) == ("Qux", EX_OK)


def test_the_first_form_that_hits_is_remembered(tmp_path: Path, cf: Path) -> None:
    plain = build(tmp_path, cf, "p", data=b"a 1\n")
    m = make(f"p hash {plain}")
    ctx = Ctx()
    assert m.lookup_raw("a", ["a"], ctx) == ("1", EX_OK)
    db = open_map_file(db_path(plain), "hash", writable=True)
    db.put(b"b\0", b"2", replace=False)
    db.conn.commit()
    db.close()
    m.close()
    assert m.lookup_raw("b", ["b"], ctx) == (None, EX_OK)  # only keys without NUL now


def test_missing_file_is_bogus_with_sendmails_message(tmp_path: Path) -> None:
    ctx = Ctx()
    m = make(f"x hash {tmp_path}/none", ctx)
    assert m.lookup("k", ["k"], ctx) == (None, EX_TEMPFAIL)
    assert ctx.messages == [f'hash map "x": missing map file {tmp_path}/none.db: '
                            "No such file or directory"]
    assert make(f"o hash -o {tmp_path}/none").lookup("k", ["k"], ctx) == (None, EX_NOTFOUND)
    assert len(ctx.messages) == 1


def test_foreign_file_names_the_file_and_the_fix(tmp_path: Path) -> None:
    (tmp_path / "bdb.db").write_bytes(b"\0\x06\x15\x61" + b"\0" * 4000)
    ctx = Ctx()
    m = make(f"x hash {tmp_path}/bdb", ctx)
    assert m.lookup("k", ["k"], ctx) == (None, EX_TEMPFAIL)
    assert ctx.messages == [f"Cannot open hash database {tmp_path}/bdb.db: not a monomail map "
                            "file; rebuild it with monomail's makemap"]


def test_sqlite_file_of_another_application_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "other.db")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(MapFileError, match="not a monomail map file"):
        open_map_file(str(tmp_path / "other.db"), "hash")


def test_wrong_type_is_refused_like_berkeley_db(tmp_path: Path, cf: Path) -> None:
    path = build(tmp_path, cf, "h")
    ctx = Ctx()
    assert make(f"b btree {path}").lookup("foo", ["foo"], ctx) == (None, EX_TEMPFAIL)
    assert ctx.messages == [f"Cannot open btree database {path}.db: Invalid argument"]


def test_damaged_entries_are_not_trusted(tmp_path: Path, cf: Path) -> None:
    path = build(tmp_path, cf, "h")
    conn = sqlite3.connect(db_path(path))
    conn.execute("INSERT INTO entries (key, value) VALUES (?, ?)", (b"bad", 42))
    conn.commit()
    conn.close()
    ctx = Ctx()
    m = make(f"h hash {path}")
    assert m.lookup_raw("bad", ["bad"], ctx) == (None, EX_OK)
    assert ctx.messages and ctx.messages[0].startswith("db_map_lookup: get (bad)")
    assert m.lookup_raw("foo", ["foo"], ctx) == ("bar", EX_OK)


def test_rebuilt_file_is_reopened(tmp_path: Path, cf: Path) -> None:
    path = build(tmp_path, cf, "h", data=b"k old\n")
    ctx = Ctx()
    m = make(f"h hash {path}")
    assert m.lookup_raw("k", ["k"], ctx) == ("old", EX_OK)
    build(tmp_path, cf, "h", data=b"k new\n")
    assert m.lookup_raw("k", ["k"], ctx) == ("new", EX_OK)


def test_vanished_file_turns_the_map_bogus(tmp_path: Path, cf: Path) -> None:
    path = build(tmp_path, cf, "h")
    ctx = Ctx()
    m = make(f"h hash {path}")
    assert m.lookup("foo", ["foo"], ctx) == ("bar", EX_OK)
    os.unlink(db_path(path))
    assert m.lookup("foo", ["foo"], ctx) == (None, EX_TEMPFAIL)
    assert ctx.messages == [f"Cannot reopen DB database {path}"]
    opt = make(f"o hash -o {path}")
    build(tmp_path, cf, "h")
    assert opt.lookup("foo", ["foo"], ctx) == ("bar", EX_OK)
    os.unlink(db_path(path))
    assert opt.lookup("foo", ["foo"], ctx) == (None, EX_NOTFOUND)


def test_long_keys_are_cut_at_256_octets(tmp_path: Path, cf: Path) -> None:
    key = "k" * 256
    path = build(tmp_path, cf, "h", data=key.encode() + b" v\n")
    assert make(f"h hash {path}").lookup_raw(key + "tail", [key], Ctx()) == ("v", EX_OK)


def test_implicit_uses_the_db_file_and_fails_quietly(tmp_path: Path, cf: Path) -> None:
    path = build(tmp_path, cf, "h")
    ctx = Ctx()
    assert make(f"i implicit {path}").lookup_raw("foo", ["foo"], ctx) == ("bar", EX_OK)
    missing = make(f"j implicit {tmp_path}/none")
    assert missing.lookup("foo", ["foo"], ctx) == (None, EX_TEMPFAIL)
    assert ctx.messages == []


def test_implicit_alias_map_falls_back_to_the_text_file(tmp_path: Path) -> None:
    (tmp_path / "aliases").write_text("root: admin\nPostMaster: root\n")
    m = make(f"Alias0 implicit {tmp_path}/aliases", alias=True)
    ctx = Ctx()
    assert m.lookup("ROOT", ["ROOT"], ctx) == ("admin", EX_OK)
    assert m.lookup("postmaster", ["postmaster"], ctx) == ("root", EX_OK)


def test_stab_map_reads_an_alias_file(tmp_path: Path) -> None:
    (tmp_path / "aliases").write_text(
        "# comment\nroot: admin\nlist: a,\n  b\nlong: x,\\\ny\n bad\nnocolon\n\"q\": v\n"
        "empty:   \n")
    ctx = Ctx()
    m = make(f"s stab {tmp_path}/aliases")
    assert m.lookup("list", ["list"], ctx) == ("a,  b", EX_OK)
    assert m.lookup("long", ["long"], ctx) == ("x,y bad", EX_OK)
    assert m.lookup_raw("\"q\"", ["\"q\""], ctx) == ("v", EX_OK)  # readaliases keeps the quotes
    assert m.lookup_raw("none", ["none"], ctx) == (None, EX_OK)
    assert ctx.messages == [f"{tmp_path}/aliases: line 8: missing colon",
                            f"{tmp_path}/aliases: line 10: empty:   ... missing value for alias"]
    assert make(f"t stab {tmp_path}/none").lookup("k", ["k"], ctx) == (None, EX_TEMPFAIL)


def test_sm_notfound_is_sendmails_number() -> None:
    assert SM_NOTFOUND == 68
