"""monomail.aliases.newaliases: compile alias files, checked against sendmail's newaliases."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Iterator

import oracle
import pytest

from monomail.clib import shortenstring
from monomail.aliases.newaliases import AliasSpec, main, parse_spec
from monomail.maps.dbfile import open_map_file
from monomail.sysexits import EX_OK, EX_SOFTWARE, EX_USAGE
from test_maps import Ctx, make

ROOT = Path(__file__).resolve().parents[2]

#: sample files and what sendmail 8.17's newaliases printed for them (recorded with
#: real_newaliases below; "{path}" stands for the file's name) and its exit status
SAMPLES = [
    ("# comment\npostmaster: root\nMAILER-DAEMON: postmaster\nFoo: bar, baz\n\tqux\n"
     "\"Quoted Name\": x\nlist: :include:/etc/list\nprog: \"|/bin/cat\"\n"
     "err: error:5.1.1 nope\nnocolon here\nfoo: dup\nempty:   \n leading: space\n"
     "cont: a\\\nb\n",
     70, "{path}: line 10: missing colon\n"
         "{path}: line 11: foo... Warning: duplicate alias name foo\n"
         "{path}: 10 aliases, longest 18 bytes, 153 bytes total\n"),
    (": x\n\"unbal: x\nFoo Bar: x\n(c) z: y\nA: 1\na: 2\nb:\nc:   \n\nd: ok\n",
     70, "{path}: line 1: : x... illegal alias name\n"
         "{path}: line 2: \"unbal: x... Unbalanced '\"'\n"
         "{path}: line 6: a... Warning: duplicate alias name a\n"
         "{path}: line 7: b:... missing value for alias\n"
         "{path}: line 8: c:   ... missing value for alias\n"
         "{path}: 6 aliases, longest 2 bytes, 28 bytes total\n"),
    ("x@y: z\nPOSTMASTER: r\nq\\\\: w\n  \n#c\n  y\nk:v\n",
     0, "{path}: 4 aliases, longest 3 bytes, 23 bytes total\n"),
    ("\"u: x\n\n x\nA: 1\na: 2\n",
     70, "{path}: line 1: \"u: x... Unbalanced '\"'\n"
         "{path}: line 3: Non-continuation line starts with space\n"
         "{path}: line 5: a... Warning: duplicate alias name a\n"
         "{path}: 3 aliases, longest 1 bytes, 11 bytes total\n"),
    ("a: b\\", 0, "{path}: 1 aliases, longest 2 bytes, 3 bytes total\n"),
]


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(args), out), out.getvalue()


def write(tmp_path: Path, data: str) -> str:
    path = tmp_path / "aliases"
    path.write_bytes(data.encode("latin-1"))
    return str(path)


def test_summary_and_status(tmp_path: Path) -> None:
    path = write(tmp_path, "postmaster: root\nMAILER-DAEMON: postmaster\n")
    assert run(path) == (EX_OK, f"{path}: 2 aliases, longest 10 bytes, 37 bytes total\n")
    assert os.path.exists(path + ".db")


def test_errors_exit_software_and_still_build(tmp_path: Path) -> None:
    path = write(tmp_path, "postmaster: root\nMAILER-DAEMON: root\nbad line\n")
    status, out = run(f"hash:{path}")
    assert status == EX_SOFTWARE
    assert out.splitlines() == [f"{path}: line 3: missing colon",
                                f"{path}: 2 aliases, longest 4 bytes, 31 bytes total"]
    assert os.path.exists(path + ".db")


def test_round_trip_through_hash_map(tmp_path: Path) -> None:
    path = write(tmp_path, "postmaster: root\nMAILER-DAEMON: postmaster\n"
                           "Staff: alice,\n  bob, :include:/etc/staff\nPOSTMASTER: admin\n")
    assert run(path)[0] == EX_OK
    ctx = Ctx()
    aliases = make(f"aliases hash {path}", ctx)
    assert aliases.lookup_raw("STAFF", ["STAFF"], ctx) == \
        ("alice,  bob, :include:/etc/staff", 0)
    assert aliases.lookup_raw("postmaster", ["postmaster"], ctx) == ("admin", 0)
    assert aliases.lookup_raw("@", ["@"], ctx) == ("@", 0)
    assert aliases.lookup_raw("nobody", ["nobody"], ctx) == (None, 0)


def test_entries_are_nul_terminated_and_sentinel_is_last(tmp_path: Path) -> None:
    path = write(tmp_path, "a: b\n")
    run(path)
    db = open_map_file(path + ".db", "hash")
    try:
        assert db.items() == [(b"a\0", b"b\0"), (b"@\0", b"@\0")]
    finally:
        db.close()


def test_rebuild_replaces_old_database(tmp_path: Path) -> None:
    path = write(tmp_path, "a: b\n")
    run(path)
    write(tmp_path, "a: c\n")
    run(path)
    ctx = Ctx()
    assert make(f"aliases hash {path}", ctx).lookup_raw("a", ["a"], ctx) == ("c", 0)
    assert sorted(os.listdir(tmp_path)) == ["aliases", "aliases.db"]


def test_append_flag(tmp_path: Path) -> None:
    path = write(tmp_path, "a: 1\na: 2\n")
    run("-A", path)
    ctx = Ctx()
    assert make(f"aliases hash {path}", ctx).lookup_raw("a", ["a"], ctx) == ("2,1", 0)


def test_missing_required_names_warn_on_stderr(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "root: admin\n")
    assert run(path)[0] == EX_OK
    assert capsys.readouterr().err == (f"{path}: Warning: no alias for required name(s): "
                                       "postmaster, MAILER-DAEMON\n")


def test_missing_file_and_other_classes(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope")
    assert run(missing) == (EX_OK, f"newaliases: cannot open {missing}: "
                                   "No such file or directory\n")
    assert run(f"ldap:{missing}") == (EX_OK, "")


def test_usage() -> None:
    assert run()[0] == EX_USAGE
    assert run("-x", "f")[0] == EX_USAGE


def test_parse_spec() -> None:
    assert parse_spec("/etc/aliases") == AliasSpec("implicit", "/etc/aliases")
    assert parse_spec("hash:/etc/aliases") == AliasSpec("hash", "/etc/aliases")
    assert parse_spec("/odd:name") == AliasSpec("implicit", "/odd:name")


@pytest.fixture
def scratch() -> Iterator[Path]:
    folder = oracle.safe_work_root() / "aliases" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def real_newaliases(folder: Path) -> tuple[int, str]:
    """sendmail -bi on a tiny cf, with a qualified host name (else sendmail sleeps)."""
    cf = folder / "test.cf"
    cf.write_text("V10/Berkeley\nDjvm.example.com\n"
                  f"O AliasFile={folder}/aliases\nO QueueDirectory={folder}\n"
                  "Mlocal, P=/bin/true, F=lsDFMA5:/|@, A=mail $u\n"
                  "S0\nR$+\t$#local $: $1\n")
    program = oracle.sendmail_program()
    argv = oracle.sandbox_argv([*program.argv, "-C", str(cf), "-bi"], [], oracle.HOSTNAME)
    proc = subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL,
                          env={**os.environ, **program.env}, timeout=60, cwd=folder)
    return proc.returncode, proc.stdout.decode("latin-1")


def expected_text(printed: str, path: str) -> str:
    """A recorded output for `path`: sendmail shortens the file name before ": line N"."""
    return printed.replace("{path}: line", "{short}: line").format(
        path=path, short=shortenstring(path, 83))


@pytest.mark.parametrize("sample,status,printed", SAMPLES)
def test_same_output_as_recorded_sendmail(tmp_path: Path, sample: str, status: int,
                                          printed: str) -> None:
    path = write(tmp_path, sample)
    assert run(path) == (status, expected_text(printed, path))


@pytest.mark.parametrize("sample,status,printed", SAMPLES)
def test_same_output_as_live_sendmail(scratch: Path, sample: str, status: int,
                                      printed: str) -> None:
    path = write(scratch, sample)
    expected = real_newaliases(scratch)
    assert expected == (status, expected_text(printed, path))
    os.unlink(path + ".db")
    assert run(path) == expected
