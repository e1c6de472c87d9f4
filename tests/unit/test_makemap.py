"""makemap: sendmail's command line, input rules, messages and exit codes on SQLite files.

The expected texts were taken from Debian's sendmail 8.17 makemap run on the same input.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from monomail.maps import makemap
from monomail.maps.dbfile import open_map_file
from monomail.sysexits import EX_CANTCREAT, EX_DATAERR, EX_NOINPUT, EX_OK, EX_USAGE


def run_makemap(args: list[str], data: bytes = b"", cf: Path | None = None,
                monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, bytes, str]:
    """Run makemap.main in-process: (exit status, stdout, stderr)."""
    stdin = io.TextIOWrapper(io.BytesIO(data), encoding="latin-1")
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="latin-1")
    stderr = io.StringIO()
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
    try:
        argv = (["-C", str(cf)] if cf is not None else []) + args
        status = makemap.main(argv)
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    stdout.flush()
    return status, stdout.buffer.getvalue(), stderr.getvalue()  # type: ignore[attr-defined]


@pytest.fixture
def cf(tmp_path: Path) -> Path:
    path = tmp_path / "sendmail.cf"
    path.write_text("V10/Berkeley\nKaccess hash /etc/mail/access\nKgen btree -o "
                    f"{tmp_path}/generics.db\n")
    return path


def entries(path: Path, map_type: str = "hash") -> list[tuple[bytes, bytes]]:
    db = open_map_file(str(path), map_type)
    try:
        return db.items()
    finally:
        db.close()


def test_builds_folded_keys_and_reports_bad_lines(tmp_path: Path, cf: Path) -> None:
    status, out, err = run_makemap(["hash", str(tmp_path / "m")],
                                   b"A b\nc\n d\nA x\n#c\n\nB  c d  \n", cf)
    assert status == EX_DATAERR and out == b""
    name = tmp_path / "m"
    assert err == (f"makemap: {name}: line 2: no RHS for LHS c\n"
                   f"makemap: {name}: line 3: syntax error (leading space)\n"
                   f"makemap: {name}: line 4: key a: duplicate key\n")
    assert entries(tmp_path / "m.db") == [(b"a", b"b"), (b"b", b"c d  ")]


def test_name_ending_in_db_is_not_extended(tmp_path: Path, cf: Path) -> None:
    assert run_makemap(["btree", str(tmp_path / "x.db")], b"k v\n", cf)[0] == EX_OK
    assert (tmp_path / "x.db").exists() and not (tmp_path / "x.db.db").exists()


def test_N_stores_nul_terminated_and_v_echoes(tmp_path: Path, cf: Path) -> None:
    status, out, _ = run_makemap(["-N", "-v", "btree", str(tmp_path / "n")], b"Aa b\n", cf)
    assert status == EX_OK and out == b"key=`aa', val=`b'\n"
    assert entries(tmp_path / "n.db", "btree") == [(b"aa\0", b"b\0")]
    assert run_makemap(["-u", "btree", str(tmp_path / "n")], cf=cf)[1] == b"aa\tb\n"


def test_separator_comment_char_and_no_folding(tmp_path: Path, cf: Path) -> None:
    path = str(tmp_path / "s")
    assert run_makemap(["-t:", "-D;", "-f", "btree", path], b"Aa:b:c\n;x\nq::r\n", cf)[0] == 0
    assert run_makemap(["-u", "-t:", "btree", path], cf=cf)[1] == b"Aa:b:c\nq:r\n"


def test_empty_values_duplicates_and_replacement(tmp_path: Path, cf: Path) -> None:
    assert run_makemap(["-e", "btree", str(tmp_path / "e")], b"x\n", cf)[0] == EX_OK
    assert entries(tmp_path / "e.db", "btree") == [(b"x", b"")]
    run_makemap(["-r", "btree", str(tmp_path / "r")], b"a 1\na 2\n", cf)
    assert entries(tmp_path / "r.db", "btree") == [(b"a", b"2")]
    run_makemap(["-d", "hash", str(tmp_path / "d")], b"a 1\nb 0\na 2\n", cf)
    assert entries(tmp_path / "d.db") == [(b"a", b"1"), (b"b", b"0"), (b"a", b"2")]


def test_o_adds_to_an_existing_map(tmp_path: Path, cf: Path) -> None:
    path = str(tmp_path / "o")
    run_makemap(["btree", path], b"b 2\n", cf)
    assert run_makemap(["-o", "btree", path], b"a 1\n", cf)[0] == EX_OK
    assert run_makemap(["-u", "btree", path], cf=cf)[1] == b"a\t1\nb\t2\n"
    status, _, err = run_makemap(["-o", "btree", str(tmp_path / "none")], b"a 1\n", cf)
    assert status == EX_CANTCREAT
    assert err == (f"makemap: error opening type btree map {tmp_path}/none: "
                   "No such file or directory\n")


def test_long_lines_and_nul_bytes(tmp_path: Path, cf: Path) -> None:
    data = (b"k1 " + b"v" * 1100 + b"\nk2 ok\nk3 " + b"w" * 1020 + b"\nz\0x y\nlast nonl")
    status, _, err = run_makemap(["btree", str(tmp_path / "l")], data, cf)
    name = tmp_path / "l"
    assert status == EX_DATAERR
    assert err.splitlines() == [
        f"makemap: {name}: line 1: line too long (1024 bytes max)",
        f"makemap: {name}: line 2: no RHS for LHS " + "v" * 80,
        f"makemap: {name}: line 4: line too long (1024 bytes max)",
        f"makemap: {name}: line 6: line too long (1024 bytes max)"]
    assert entries(tmp_path / "l.db", "btree") == [(b"k2", b"ok"), (b"last", b"nonl")]


@pytest.mark.parametrize("args,out", [
    (["-l"], b"hash\nbtree\nimplicit\n"),
    (["-x"], b"hash:db\nbtree:db\nimplicit:\n"),
    (["-L"], b"hash\nbtree\nimplicit\ncf\nCF\n"),
])
def test_type_listings(args: list[str], out: bytes, cf: Path) -> None:
    assert run_makemap(args, cf=cf)[:2] == (EX_OK, out)


@pytest.mark.parametrize("args,message", [
    (["btree"], ""),
    (["-z", "btree", "m"], "makemap: invalid option -- 'z'\n"),
    (["-t"], "makemap: option requires an argument -- 't'\n"),
])
def test_usage_errors(args: list[str], message: str, cf: Path) -> None:
    status, _, err = run_makemap(args, cf=cf)
    assert status == EX_USAGE
    assert err == message + makemap.usage_text("makemap")


def test_empty_separator_is_refused_but_not_fatal(tmp_path: Path, cf: Path) -> None:
    status, _, err = run_makemap(["-t", "", "btree", str(tmp_path / "m")], b"a b\n", cf)
    assert (status, err) == (EX_OK, "Invalid separator\n")


@pytest.mark.parametrize("map_type,message", [
    ("foo", "makemap: error opening type foo map M: Unknown database type\n"),
    ("dbm", "makemap: Need to recompile with -DNDBM for dbm support\n"),
    ("cdb", "makemap: Need to recompile with -DCDB for cdb support\n"),
])
def test_unknown_types(map_type: str, message: str, tmp_path: Path, cf: Path) -> None:
    status, _, err = run_makemap([map_type, "M"], b"a b\n", cf)
    assert (status, err) == (EX_CANTCREAT, message)


def test_implicit_is_hash(tmp_path: Path, cf: Path) -> None:
    run_makemap(["implicit", str(tmp_path / "i")], b"a b\n", cf)
    assert entries(tmp_path / "i.db", "hash") == [(b"a", b"b")]


def test_dump_of_missing_wrong_type_and_foreign_files(tmp_path: Path, cf: Path) -> None:
    status, _, err = run_makemap(["-u", "hash", str(tmp_path / "none")], cf=cf)
    assert status == EX_CANTCREAT and err.endswith(": No such file or directory\n")
    run_makemap(["hash", str(tmp_path / "h")], b"a b\n", cf)
    status, _, err = run_makemap(["-u", "btree", str(tmp_path / "h")], cf=cf)
    assert (status, err) == (EX_CANTCREAT, f"makemap: error opening type btree map "
                                           f"{tmp_path}/h: Invalid argument\n")
    (tmp_path / "bdb.db").write_bytes(b"\0\x06\x15\x61" + b"\0" * 200)
    status, _, err = run_makemap(["-u", "hash", str(tmp_path / "bdb")], cf=cf)
    assert status == EX_CANTCREAT and "rebuild it with monomail's makemap" in err
    assert run_makemap(["hash", str(tmp_path / "bdb")], b"a b\n", cf)[0] == EX_OK


def test_type_from_the_cf(tmp_path: Path, cf: Path) -> None:
    assert run_makemap(["CF", str(tmp_path / "access")], b"a b\n", cf)[0] == EX_OK
    assert entries(tmp_path / "access.db") == [(b"a", b"b")]
    assert run_makemap(["cf", f"{tmp_path}/generics.db"], b"a b\n", cf)[0] == EX_OK
    assert entries(tmp_path / "generics.db", "btree") == [(b"a", b"b")]
    status, _, err = run_makemap(["cf", str(tmp_path / "other")], b"a b\n", cf)
    assert (status, err) == (EX_DATAERR, f"makemap: mapfile {tmp_path}/other: not found in {cf}\n")
    status, _, err = run_makemap(["-i", "btree", "-v", "cf", str(tmp_path / "other")],
                                 b"a b\n", cf)
    assert status == EX_OK and err.endswith("using fallback btree\n")


def test_missing_cf_is_fatal_for_root_and_for_cf_types(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "missing.cf"
    monkeypatch.setattr(makemap.os, "geteuid", lambda: 0)
    status, _, err = run_makemap(["hash", str(tmp_path / "m")], b"a b\n", missing)
    assert (status, err) == (EX_NOINPUT, f"makemap: {missing}: No such file or directory\n")
    monkeypatch.setattr(makemap.os, "geteuid", lambda: 1000)
    assert run_makemap(["hash", str(tmp_path / "m")], b"a b\n", missing)[0] == EX_OK
    assert run_makemap(["cf", str(tmp_path / "m")], b"a b\n", missing)[0] == EX_NOINPUT


def test_rebuild_replaces_the_file_atomically(tmp_path: Path, cf: Path) -> None:
    path = tmp_path / "a"
    run_makemap(["hash", str(path)], b"a 1\n", cf)
    before = (tmp_path / "a.db").stat().st_ino
    run_makemap(["hash", str(path)], b"a 2\n", cf)
    assert (tmp_path / "a.db").stat().st_ino != before
    assert entries(tmp_path / "a.db") == [(b"a", b"2")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.db", "sendmail.cf"]


def test_class_from_cf_matches_like_sendmail() -> None:
    text = "Kaccess hash -o /etc/mail/access.db\nKgen  btree /etc/mail/gen\nKx text rel/gen\n"
    assert makemap.class_from_cf(text, "/etc/mail/access.db", True) == "hash"
    assert makemap.class_from_cf(text, "/tmp/access", False) == "hash"
    assert makemap.class_from_cf(text, "/etc/mail/gen", True) == "btree"
    assert makemap.class_from_cf(text, "gen", False) == "btree"
    assert makemap.class_from_cf(text, "/etc/mail/none", True) == ""
